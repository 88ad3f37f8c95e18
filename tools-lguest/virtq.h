/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Launcher's devices, seen from the guest: virtio-mmio register pages
 * (transport.c), split virtqueues in guest memory (virtq.c), and the device
 * types behind them (a file each).
 *
 * Everything here works on plain memory and file descriptors and knows
 * nothing of /dev/lguest, so a fuzz harness can link it (tools/lguest/fuzz)
 * and hand it any guest memory it likes.  Whatever the guest wrote is
 * untrusted: a guest that breaks the rules gets a reason recorded with
 * guest_bad(), and whoever drives us (the Launcher or the harness) ends it.
 */
#ifndef LGUEST_VIRTQ_H
#define LGUEST_VIRTQ_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

#define VDEV_PAGE		0x1000	/* each device owns one page of the window */
#define VDEV_MAX_QUEUES		2
#define VQ_MAX_SIZE		256	/* QueueNumMax we offer */
#define VDEV_CONFIG_MAX		64

/* The guest's memory as we map it: guest-physical 0 is at base. */
struct guest_mem {
	uint8_t *base;
	uint64_t size;
};

/*
 * One split virtqueue.  The guest programs its size and three ring
 * addresses through the registers; once it sets QueueReady we check them
 * and keep host pointers, which stay valid because the guest's memory
 * never moves.
 */
struct virtq {
	uint32_t num;			/* entries, a power of 2 */
	uint64_t desc_gpa, avail_gpa, used_gpa;
	bool ready;

	/* Valid while ready. */
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t last_avail;		/* next avail entry we will take */
	uint16_t used_idx;		/* our copy: the guest may scribble on its */
	bool pushed;			/* used entries since the last interrupt */
};

/*
 * A buffer chain taken from a queue: the descriptors the device may read
 * ("out", from the driver) first, then those it may write ("in").
 * Empty descriptors are dropped, so there is never more than the queue
 * size of either.
 */
struct vq_chain {
	uint16_t head;
	unsigned int n_out, n_in;
	size_t out_len, in_len;
	struct iovec out[VQ_MAX_SIZE];
	struct iovec in[VQ_MAX_SIZE];
};

struct vdev;

/* What makes a block device differ from a console. */
struct vdev_type {
	const char *name;
	uint32_t device_id;		/* VIRTIO_ID_* */
	unsigned int nqueues;
	int input_queue;		/* the queue input goes to, or -1 */
	/* The guest kicked queue q (which is ready). */
	void (*notify)(struct vdev *d, unsigned int q);
	/* Input may wait on in_fd: take what fits. */
	void (*input)(struct vdev *d);
	/* Wants input even while the guest takes none (or NULL). */
	bool (*reads_ahead)(const struct vdev *d);
	/*
	 * Or, for a device of requests (block, 9p) instead of notify: serve
	 * one chain, set *used to what was written into it; false for a
	 * chain that is the guest's fault (it gets no answer).  These run
	 * in the device's I/O thread once vdev_start_io() made one.
	 */
	bool (*request)(struct vdev *d, const struct vq_chain *c, uint32_t *used);
	/* The driver reset the device (or NULL). */
	void (*reset)(struct vdev *d);
	/*
	 * The I/O thread of a device that is not one of requests (net): it
	 * starts with vdev_thread_started() and serves kicks (kick_fd) and
	 * input (in_fd) itself, holding the lock while it touches the queues.
	 */
	void *(*thread)(void *dev);
};

/* How devices reach the world outside (the Launcher, or a harness). */
struct vdev_env {
	void (*raise_irq)(struct vdev *d);
	void (*quit)(const char *why);	/* the user asked the Launcher to stop */
	/* What the guest wrote on its console, as it went out (or NULL). */
	void (*console_output)(const void *buf, size_t len);
	/* An I/O thread found the guest bad: the main thread must look. */
	void (*wake)(void);
};

struct vdev {
	const struct vdev_type *type;
	const struct guest_mem *mem;
	const struct vdev_env *env;
	unsigned int index;		/* n in the window: page n, IRQ n + 1 */
	uint32_t irq;

	/* The virtio-mmio registers. */
	uint64_t features;		/* what we offer */
	uint64_t driver_features;	/* what the guest accepted */
	uint32_t dev_features_sel, drv_features_sel, queue_sel;
	uint32_t status, isr;
	uint8_t config[VDEV_CONFIG_MAX];
	uint32_t config_len;
	uint32_t config_generation;	/* bumped by vdev_config_changed() */
	struct virtq vq[VDEV_MAX_QUEUES];

	/* The backends: -1 when absent. */
	int out_fd;			/* console: stdout; net: the tap; ... */
	int in_fd;			/* where input comes from */
	bool input_stalled;		/* input waits for the guest's buffers */

	/* Per type. */
	uint64_t capacity;		/* block: 512-byte sectors */
	bool read_only;			/* block */
	bool direct;			/* block: opened O_DIRECT */
	int escape;			/* console: the escape key, or -1 */
	bool escaped;			/* console: the last key was it */
	uint8_t ahead[256];		/* console: keys the guest did not take yet */
	unsigned int ahead_len;
	struct p9_share *share;		/* 9p: the shared directory (p9.c) */

	/*
	 * An I/O thread of its own (block, 9p): lock covers everything above
	 * against the main thread's register accesses, except while busy
	 * with one request (busy).
	 */
	bool threaded;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t kick, idle;
	bool kicked, busy, started, hold;
	int kick_fd;			/* an eventfd, for a type's own thread */
};

/* The first reason the guest broke a rule, or "" while it behaves. */
extern char guest_fault[256];
bool guest_bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline bool guest_is_bad(void)
{
	return guest_fault[0] != '\0';
}

/* Guest-physical [gpa, gpa + len) as a pointer, or NULL if not all memory. */
void *gpa_to_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len);

/* transport.c: the virtio-mmio registers, resets, I/O threads. */
void vdev_init(struct vdev *d, const struct vdev_type *type,
	       const struct guest_mem *mem, const struct vdev_env *env,
	       unsigned int index);
void vdev_reset(struct vdev *d);
bool vdev_mmio_read(struct vdev *d, uint32_t off, unsigned int size, uint32_t *val);
bool vdev_mmio_write(struct vdev *d, uint32_t off, unsigned int size, uint32_t val);
bool vdev_driver_ok(const struct vdev *d);
bool vdev_wants_input(const struct vdev *d);
void vdev_input(struct vdev *d);
void vdev_config_changed(struct vdev *d);
bool vdev_start_io(struct vdev *d);
void vdev_thread_started(struct vdev *d);

/* virtq.c: the rings. */
int vq_pop(struct vdev *d, struct virtq *q, struct vq_chain *c);
void vq_unpop(struct virtq *q);
void vq_push(struct virtq *q, uint16_t head, uint32_t len);
void vq_interrupt(struct vdev *d, struct virtq *q);
size_t iov_to_buf(const struct iovec *iov, unsigned int n, size_t skip, void *buf, size_t len);
size_t buf_to_iov(const struct iovec *iov, unsigned int n, size_t skip,
		  const void *buf, size_t len);
bool fd_readable(int fd);

/*
 * L:200 The devices, a file each.  Each is a vdev_type: a virtio device
 * ID, its queues, and what to do when the guest kicks one of them, when
 * input arrives, or (a device of requests) with each request.  They see
 * the guest's requests only as chains of checked buffers (vq_pop()), and
 * what they find inside a request is checked again there: a block
 * request is a header, data and a status byte only if the guest says so.
 *
 *   console.c  id 3: queue 0 takes input (stdin), queue 1 gives output (stdout)
 *   block.c    id 2: queue 0 carries requests against a file
 *   net.c      id 1: queue 0 takes packets from the tap, queue 1 sends to it
 *   rng.c      id 4: queue 0 is filled from /dev/urandom
 *   p9.c       id 9: queue 0 carries 9P2000.L requests on a shared directory
 */
extern const struct vdev_type console_type, block_type, net_type, rng_type;
void console_setup(struct vdev *d, int in_fd, int out_fd, int escape);
void console_resize(struct vdev *d, uint16_t cols, uint16_t rows);
void block_setup(struct vdev *d, int fd, uint64_t bytes, bool read_only, bool direct);
void net_setup(struct vdev *d, int tap_fd, const uint8_t mac[6]);
void rng_setup(struct vdev *d, int fd);

/* p9.c: the shared folder. */
struct p9_share;
extern const struct vdev_type p9_type;
bool p9_setup(struct vdev *d, int root_fd, const char *tag, bool ro);
/* One 9P message in the share's buffers (for tests): the reply's length. */
size_t p9_handle(struct p9_share *s, size_t len, size_t room);
uint8_t *p9_buffers(struct p9_share *s, uint8_t **rep);
void p9_release(struct vdev *d);

#endif /* LGUEST_VIRTQ_H */
