// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio-mmio transport, from the device's side.
 *
 * L:100 The guest finds each device as a page of registers in the window
 * the Launcher declared above its memory (one virtio_mmio.device= argument
 * on its command line per page).  Every access to that page stops the
 * guest and comes to us as an exit; the Launcher decodes the instruction
 * (mmio.c) and ends up in vdev_mmio_read() or vdev_mmio_write() below.
 * That is the whole transport: the version 2 register set of the virtio
 * spec, which is what drivers/virtio/virtio_mmio.c uses when it sees
 * version 2.  The rings behind the queues are virtq.c's.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>
#include "virtq.h"

/* For requests served by the main thread (no I/O thread): the guest waits. */
static struct vq_chain main_chain;

/*
 * The device's config space changed (the console's size): a new
 * generation, so that a driver reading it across the change reads again,
 * and the config-change interrupt once the driver is there to take it.
 */
void vdev_config_changed(struct vdev *d)
{
	d->config_generation++;
	if (!vdev_driver_ok(d))
		return;
	d->isr |= VIRTIO_MMIO_INT_CONFIG;
	if (d->env && d->env->raise_irq)
		d->env->raise_irq(d);
}

void vdev_init(struct vdev *d, const struct vdev_type *type,
	       const struct guest_mem *mem, const struct vdev_env *env,
	       unsigned int index)
{
	memset(d, 0, sizeof(*d));
	d->type = type;
	d->mem = mem;
	d->env = env;
	d->index = index;
	d->irq = index + 1;
	d->features = 1ULL << VIRTIO_F_VERSION_1;
	d->out_fd = -1;
	d->in_fd = -1;
	d->kick_fd = -1;
}

/* With the lock: wake the I/O thread (on its condition, or its eventfd). */
static void kick_io(struct vdev *d)
{
	uint64_t one = 1;

	d->kicked = true;
	pthread_cond_signal(&d->kick);
	if (d->kick_fd >= 0 && write(d->kick_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		perror("lguest: kicking an I/O thread");
}

static void lock_dev(struct vdev *d)
{
	if (d->threaded)
		pthread_mutex_lock(&d->lock);
}

static void unlock_dev(struct vdev *d)
{
	if (d->threaded)
		pthread_mutex_unlock(&d->lock);
}

/*
 * With the lock: until the request in flight is done.  The thread takes
 * no further one meanwhile (hold), however many the guest has queued, and
 * is kicked again afterwards for the rest (if the queue still exists).
 */
static void wait_idle(struct vdev *d)
{
	if (!d->threaded || !d->busy)
		return;
	d->hold = true;
	while (d->busy)
		pthread_cond_wait(&d->idle, &d->lock);
	d->hold = false;
	kick_io(d);
}

/*
 * L:136 Devices of requests (block, 9p): every chain the guest queued, in
 * order, through the type's request().  With an I/O thread we hold the
 * device's lock here and drop it for the request itself, so the guest
 * runs on meanwhile; a register write of the main thread that would
 * change the queue under that request (a reset) waits for it
 * (wait_idle()).  Not while the main thread holds us (hold).
 */
static void serve(struct vdev *d, struct vq_chain *c)
{
	struct virtq *q = &d->vq[0];
	uint32_t used;
	bool ok;

	while (!guest_is_bad() && q->ready && !d->hold && vq_pop(d, q, c) == 1) {
		if (d->threaded) {
			d->busy = true;
			pthread_mutex_unlock(&d->lock);
		}
		used = 0;
		ok = d->type->request(d, c, &used);
		if (d->threaded) {
			pthread_mutex_lock(&d->lock);
			d->busy = false;
			pthread_cond_broadcast(&d->idle);
		}
		if (!ok)
			break;
		vq_push(q, c->head, used);
		vq_interrupt(d, q);
	}
	/* The main thread ends a bad guest: it may be in LGUEST_RUN. */
	if (guest_is_bad() && d->env && d->env->wake)
		d->env->wake();
}

/* First thing in an I/O thread: say it runs; returns with the lock. */
void vdev_thread_started(struct vdev *d)
{
	pthread_mutex_lock(&d->lock);
	d->started = true;
	pthread_cond_broadcast(&d->idle);
}

/* The I/O thread of a device of requests: serve whenever the guest kicks. */
static void *io_thread(void *arg)
{
	static __thread struct vq_chain c;
	struct vdev *d = arg;

	vdev_thread_started(d);
	for (;;) {
		while (!d->kicked)
			pthread_cond_wait(&d->kick, &d->lock);
		d->kicked = false;
		serve(d, &c);
	}
	return NULL;
}

/*
 * L:135 I/O threads.  A device that may block for long (a disk, a shared
 * folder) serves its queue in a thread of its own, so that the guest runs
 * on meanwhile: the main thread's QueueNotify only kicks it, and the
 * thread raises the interrupt itself (LGUEST_IRQ may come from any
 * thread).  The thread holds the device's lock except during one
 * request, and a register write that could change the queue under that
 * request waits for it: that is all the two threads share.  A device with
 * input of its own (net) brings its own thread (vdev_type.thread), which
 * waits in poll() on that input and on an eventfd the kicks write to.
 */
bool vdev_start_io(struct vdev *d)
{
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->kick, NULL);
	pthread_cond_init(&d->idle, NULL);
	if (d->type->thread) {
		d->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (d->kick_fd < 0)
			return false;
	}
	d->threaded = true;
	if (pthread_create(&d->thread, NULL, d->type->thread ? d->type->thread : io_thread, d)) {
		d->threaded = false;
		return false;
	}
	/*
	 * Until the thread is in io_thread(), the C library may still be
	 * setting it up (robust futexes, rseq) with every signal blocked:
	 * the sandbox must not come down on it before then.
	 */
	pthread_mutex_lock(&d->lock);
	while (!d->started)
		pthread_cond_wait(&d->idle, &d->lock);
	pthread_mutex_unlock(&d->lock);
	return true;
}

static void reset_locked(struct vdev *d)
{
	wait_idle(d);
	d->driver_features = 0;
	d->dev_features_sel = 0;
	d->drv_features_sel = 0;
	d->queue_sel = 0;
	d->status = 0;
	d->isr = 0;
	d->input_stalled = false;
	memset(d->vq, 0, sizeof(d->vq));
	if (d->type->reset)
		d->type->reset(d);
}

/* Status 0, or a reboot: forget everything the driver told us. */
void vdev_reset(struct vdev *d)
{
	lock_dev(d);
	reset_locked(d);
	unlock_dev(d);
}

bool vdev_driver_ok(const struct vdev *d)
{
	return (d->status & VIRTIO_CONFIG_S_DRIVER_OK) &&
	       !(d->status & VIRTIO_CONFIG_S_FAILED);
}

/* Should the Launcher watch in_fd for us? */
bool vdev_wants_input(const struct vdev *d)
{
	/* A device with a thread of its own watches its input itself. */
	if (d->in_fd < 0 || !d->type->input || d->threaded)
		return false;
	if (d->type->reads_ahead && d->type->reads_ahead(d))
		return true;
	return !d->input_stalled && vdev_driver_ok(d) && d->vq[d->type->input_queue].ready;
}

void vdev_input(struct vdev *d)
{
	if (vdev_wants_input(d))
		d->type->input(d);
}

static struct virtq *selected_queue(struct vdev *d)
{
	if (d->queue_sel >= d->type->nqueues)
		return NULL;
	return &d->vq[d->queue_sel];
}

/*
 * L:130 QueueReady = 1: the guest says its rings are in place.  The spec
 * wants a power-of-2 size for split rings; the alignments are the ones
 * it gives for each part.  The avail and used rings carry one more u16
 * at their end (the event index), which we count although we do not
 * offer it: a guest may still write there.
 */
static bool queue_enable(struct vdev *d, struct virtq *q)
{
	unsigned int q_nr = q - d->vq;
	uint64_t avail_len = 6 + 2ULL * q->num, used_len = 6 + 8ULL * q->num;

	if (!q->num || q->num > VQ_MAX_SIZE || (q->num & (q->num - 1)))
		return guest_bad("virtqueue %s:%u: size %u is not a power of 2 up to %u",
				 d->type->name, q_nr, q->num, VQ_MAX_SIZE);
	if ((q->desc_gpa & 15) || (q->avail_gpa & 1) || (q->used_gpa & 3))
		return guest_bad("virtqueue %s:%u: misaligned rings (desc %#llx, avail %#llx, used %#llx)",
				 d->type->name, q_nr, (unsigned long long)q->desc_gpa,
				 (unsigned long long)q->avail_gpa,
				 (unsigned long long)q->used_gpa);
	q->desc = gpa_to_ptr(d->mem, q->desc_gpa, 16ULL * q->num);
	q->avail = gpa_to_ptr(d->mem, q->avail_gpa, avail_len);
	q->used = gpa_to_ptr(d->mem, q->used_gpa, used_len);
	if (!q->desc || !q->avail || !q->used)
		return guest_bad("virtqueue %s:%u: rings outside guest memory (desc %#llx, avail %#llx, used %#llx, size %u)",
				 d->type->name, q_nr, (unsigned long long)q->desc_gpa,
				 (unsigned long long)q->avail_gpa,
				 (unsigned long long)q->used_gpa, q->num);
	/* A fresh queue starts at 0 and whatever is in the rings is stale. */
	q->last_avail = 0;
	q->used_idx = 0;
	q->pushed = false;
	q->used->idx = 0;
	q->ready = true;
	return true;
}

static void set_low(uint64_t *v, uint32_t lo)
{
	*v = (*v & ~0xffffffffULL) | lo;
}

static void set_high(uint64_t *v, uint32_t hi)
{
	*v = (*v & 0xffffffffULL) | ((uint64_t)hi << 32);
}

/*
 * FEATURES_OK: the guest may only accept what we offered, and a version 2
 * device is useless to a driver without VIRTIO_F_VERSION_1.  Refusing is
 * done by not setting the bit; the driver reads it back and gives up.
 */
static uint32_t check_status(struct vdev *d, uint32_t status)
{
	bool new_ok = (status & VIRTIO_CONFIG_S_FEATURES_OK) &&
		      !(d->status & VIRTIO_CONFIG_S_FEATURES_OK);

	if (new_ok && ((d->driver_features & ~d->features) ||
		       !(d->driver_features & (1ULL << VIRTIO_F_VERSION_1))))
		status &= ~VIRTIO_CONFIG_S_FEATURES_OK;
	return status & 0xff;
}

/* Writes to the queue registers, for the selected queue. */
static bool queue_write(struct vdev *d, uint32_t off, uint32_t val)
{
	struct virtq *q = selected_queue(d);

	if (!q)
		return true;	/* no such queue: the write goes nowhere */
	if (off == VIRTIO_MMIO_QUEUE_READY) {
		if (val && !q->ready)
			return queue_enable(d, q);
		if (!val)
			q->ready = false;
		return true;
	}
	if (q->ready)
		return guest_bad("virtio-mmio %s: queue %u reprogrammed while in use",
				 d->type->name, d->queue_sel);
	switch (off) {
	case VIRTIO_MMIO_QUEUE_NUM:
		q->num = val;
		break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
		set_low(&q->desc_gpa, val);
		break;
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		set_high(&q->desc_gpa, val);
		break;
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
		set_low(&q->avail_gpa, val);
		break;
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
		set_high(&q->avail_gpa, val);
		break;
	case VIRTIO_MMIO_QUEUE_USED_LOW:
		set_low(&q->used_gpa, val);
		break;
	case VIRTIO_MMIO_QUEUE_USED_HIGH:
		set_high(&q->used_gpa, val);
		break;
	default:
		break;
	}
	return true;
}

static void notify(struct vdev *d, uint32_t q_nr)
{
	struct virtq *q;

	/* Kicks for queues that are not there or not ready mean nothing. */
	if (q_nr >= d->type->nqueues || !d->vq[q_nr].ready)
		return;
	q = &d->vq[q_nr];
	/* New buffers for input that was waiting for them. */
	if ((int)q_nr == d->type->input_queue)
		d->input_stalled = false;
	if (d->threaded) {
		kick_io(d);
		return;
	}
	if ((int)q_nr == d->type->input_queue) {
		vdev_input(d);
		return;
	}
	if (d->type->request) {
		serve(d, &main_chain);
		return;
	}
	d->type->notify(d, q_nr);
	vq_interrupt(d, q);
}

/* Config space: any width, little-endian, read-only for our devices. */
static uint32_t config_read(const struct vdev *d, uint32_t off, unsigned int size)
{
	uint32_t val = 0;
	unsigned int i;

	for (i = 0; i < size; i++)
		if (off + i < d->config_len)
			val |= (uint32_t)d->config[off + i] << (8 * i);
	return val;
}

/*
 * L:140 Register reads.  Registers are 32 bits wide and the driver uses
 * readl() for them; only the device-specific config space after 0x100 is
 * read in smaller pieces.
 */
static bool mmio_read(struct vdev *d, uint32_t off, unsigned int size, uint32_t *val)
{
	struct virtq *q = selected_queue(d);

	if (off >= VIRTIO_MMIO_CONFIG) {
		*val = config_read(d, off - VIRTIO_MMIO_CONFIG, size);
		return true;
	}
	if (size != 4 || (off & 3))
		return guest_bad("virtio-mmio %s: %u-byte read of register %#x",
				 d->type->name, size, off);
	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		*val = 0x74726976;	/* "virt" */
		break;
	case VIRTIO_MMIO_VERSION:
		*val = 2;
		break;
	case VIRTIO_MMIO_DEVICE_ID:
		*val = d->type->device_id;
		break;
	case VIRTIO_MMIO_VENDOR_ID:
		*val = 0x4c475354;	/* "LGST" */
		break;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		*val = d->dev_features_sel > 1 ? 0 :
		       (uint32_t)(d->features >> (32 * d->dev_features_sel));
		break;
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		*val = q ? VQ_MAX_SIZE : 0;
		break;
	case VIRTIO_MMIO_QUEUE_READY:
		*val = q ? q->ready : 0;
		break;
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		*val = d->isr;
		break;
	case VIRTIO_MMIO_STATUS:
		*val = d->status;
		break;
	case VIRTIO_MMIO_SHM_LEN_LOW:
	case VIRTIO_MMIO_SHM_LEN_HIGH:
	case VIRTIO_MMIO_SHM_BASE_LOW:
	case VIRTIO_MMIO_SHM_BASE_HIGH:
		*val = ~0U;		/* no shared memory regions */
		break;
	case VIRTIO_MMIO_CONFIG_GENERATION:
		*val = d->config_generation;
		break;
	default:
		*val = 0;
		break;
	}
	return true;
}

static bool mmio_write(struct vdev *d, uint32_t off, unsigned int size, uint32_t val)
{
	if (off >= VIRTIO_MMIO_CONFIG)
		return true;		/* nothing in our config is writable */
	if (size != 4 || (off & 3))
		return guest_bad("virtio-mmio %s: %u-byte write of register %#x",
				 d->type->name, size, off);
	/* A kick or an acknowledgment changes no queue: no need to wait. */
	if (off != VIRTIO_MMIO_QUEUE_NOTIFY && off != VIRTIO_MMIO_INTERRUPT_ACK)
		wait_idle(d);
	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		d->dev_features_sel = val;
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
		d->drv_features_sel = val;
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		if (d->drv_features_sel == 0)
			set_low(&d->driver_features, val);
		else if (d->drv_features_sel == 1)
			set_high(&d->driver_features, val);
		break;
	case VIRTIO_MMIO_QUEUE_SEL:
		d->queue_sel = val;
		break;
	case VIRTIO_MMIO_QUEUE_NUM:
	case VIRTIO_MMIO_QUEUE_READY:
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
	case VIRTIO_MMIO_QUEUE_USED_LOW:
	case VIRTIO_MMIO_QUEUE_USED_HIGH:
		return queue_write(d, off, val);
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		notify(d, val);
		break;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		d->isr &= ~val;
		break;
	case VIRTIO_MMIO_STATUS:
		if (val == 0)
			reset_locked(d);
		else
			d->status = check_status(d, val);
		break;
	default:
		break;			/* unknown registers ignore writes */
	}
	return !guest_is_bad();
}

bool vdev_mmio_read(struct vdev *d, uint32_t off, unsigned int size, uint32_t *val)
{
	bool ok;

	lock_dev(d);
	ok = mmio_read(d, off, size, val);
	unlock_dev(d);
	return ok;
}

bool vdev_mmio_write(struct vdev *d, uint32_t off, unsigned int size, uint32_t val)
{
	bool ok;

	lock_dev(d);
	ok = mmio_write(d, off, size, val);
	unlock_dev(d);
	return ok;
}
