// SPDX-License-Identifier: GPL-2.0
/*
 * vq_check: known answers for the device side, where the fuzzer only
 * proves it does not crash.  It plays a well-behaved driver for each
 * device, checks what comes back (data, status bytes, used lengths,
 * interrupts), then a few rule-breaking guests, which must be stopped
 * with the right reason.  Prints "ok"/"FAIL" lines; exit status 1 on any
 * failure.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_console.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>
#include "../virtq.h"

#define MEM_SIZE	0x40000
#define QSIZE		8
#define RING(q)		(0x1000 + (q) * 0x3000)	/* desc; avail +0x1000, used +0x2000 */
#define DATA		0x10000

static struct guest_mem mem;
static unsigned int irqs, failures;
static uint16_t avail_idx[2];

static void count_irq(struct vdev *d)
{
	(void)d;
	__atomic_add_fetch(&irqs, 1, __ATOMIC_ACQ_REL);	/* also from an I/O thread */
}

static const struct vdev_env env = { .raise_irq = count_irq };

static void expect(bool ok, const char *what)
{
	printf("%s %s\n", ok ? "ok" : "FAIL", what);
	if (!ok)
		failures++;
}

static void *gp(uint32_t gpa)
{
	return mem.base + gpa;
}

static void wr(struct vdev *d, uint32_t off, uint32_t val)
{
	vdev_mmio_write(d, off, 4, val);
}

static void bring_up(struct vdev *d)
{
	unsigned int q;

	memset(mem.base, 0, MEM_SIZE);
	guest_fault[0] = '\0';
	avail_idx[0] = 0;
	avail_idx[1] = 0;
	wr(d, VIRTIO_MMIO_STATUS, 0);
	wr(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES, 1);	/* VERSION_1 */
	wr(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
	   VIRTIO_CONFIG_S_FEATURES_OK);
	for (q = 0; q < d->type->nqueues; q++) {
		wr(d, VIRTIO_MMIO_QUEUE_SEL, q);
		wr(d, VIRTIO_MMIO_QUEUE_NUM, QSIZE);
		wr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, RING(q));
		wr(d, VIRTIO_MMIO_QUEUE_AVAIL_LOW, RING(q) + 0x1000);
		wr(d, VIRTIO_MMIO_QUEUE_USED_LOW, RING(q) + 0x2000);
		wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
	}
	wr(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
	   VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
}

static void set_desc(unsigned int q, unsigned int i, uint32_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	struct vring_desc *desc = gp(RING(q));

	desc[i].addr = addr;
	desc[i].len = len;
	desc[i].flags = flags;
	desc[i].next = next;
}

static void offer(unsigned int q, uint16_t head)
{
	struct vring_avail *avail = gp(RING(q) + 0x1000);

	avail->ring[avail_idx[q] % QSIZE] = head;
	avail->idx = ++avail_idx[q];
}

static struct vring_used_elem *used(unsigned int q, unsigned int n)
{
	struct vring_used *u = gp(RING(q) + 0x2000);

	return &u->ring[n % QSIZE];
}

static void block_request(struct vdev *d, uint32_t type, uint64_t sector, uint32_t len,
			  bool data_in)
{
	struct virtio_blk_outhdr *hdr = gp(DATA);

	hdr->type = type;
	hdr->sector = sector;
	set_desc(0, 0, DATA, sizeof(*hdr), VRING_DESC_F_NEXT, 1);
	if (len) {
		set_desc(0, 1, DATA + 0x1000, len,
			 VRING_DESC_F_NEXT | (data_in ? VRING_DESC_F_WRITE : 0), 2);
		set_desc(0, 2, DATA + 0x3000, 1, VRING_DESC_F_WRITE, 0);
	} else {
		set_desc(0, 1, DATA + 0x3000, 1, VRING_DESC_F_WRITE, 0);
	}
	*(uint8_t *)gp(DATA + 0x3000) = 0xff;
	offer(0, 0);
	wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
}

/* A discard or write-zeroes range where block_request() puts its data. */
static void set_range(uint64_t sector, uint32_t num, uint32_t flags)
{
	struct virtio_blk_discard_write_zeroes *r = gp(DATA + 0x1000);

	r->sector = sector;
	r->num_sectors = num;
	r->flags = flags;
}

static bool file_is(int fd, off_t off, size_t len, uint8_t byte)
{
	uint8_t buf[4096];
	size_t i;

	if (len > sizeof(buf) || pread(fd, buf, len, off) != (ssize_t)len)
		return false;
	for (i = 0; i < len; i++)
		if (buf[i] != byte)
			return false;
	return true;
}

static void check_block(void)
{
	static struct vdev d;
	char path[] = "/tmp/vq_check.XXXXXX";
	uint8_t *status = gp(DATA + 0x3000), buf[1024];
	int fd = mkstemp(path), i;
	uint32_t v;

	unlink(path);
	if (fd < 0 || ftruncate(fd, 8192))
		exit(2);
	vdev_init(&d, &block_type, &mem, &env, 1);
	block_setup(&d, fd, 8192, false, false);
	bring_up(&d);
	vdev_mmio_read(&d, VIRTIO_MMIO_CONFIG, 4, &v);
	expect(v == 16, "block: capacity 16 sectors in config space");
	vdev_mmio_read(&d, VIRTIO_MMIO_DEVICE_ID, 4, &v);
	expect(v == 2, "block: device id 2");

	memset(gp(DATA + 0x1000), 0x5a, 1024);
	irqs = 0;
	block_request(&d, VIRTIO_BLK_T_OUT, 3, 1024, false);
	expect(*status == VIRTIO_BLK_S_OK && used(0, 0)->len == 1 && irqs == 1,
	       "block: write 2 sectors, status OK, used len 1, one interrupt");
	expect(pread(fd, buf, 1024, 3 * 512) == 1024 && buf[0] == 0x5a && buf[1023] == 0x5a,
	       "block: the data is in the file at sector 3");
	memset(gp(DATA + 0x1000), 0, 1024);
	block_request(&d, VIRTIO_BLK_T_IN, 3, 1024, true);
	expect(*status == VIRTIO_BLK_S_OK && used(0, 1)->len == 1025 &&
	       *(uint8_t *)gp(DATA + 0x1000 + 1023) == 0x5a,
	       "block: read it back, used len 1025");
	block_request(&d, VIRTIO_BLK_T_IN, 15, 1024, true);
	expect(*status == VIRTIO_BLK_S_IOERR, "block: read past the end is IOERR");
	block_request(&d, VIRTIO_BLK_T_IN, ~0ULL / 256, 512, true);
	expect(*status == VIRTIO_BLK_S_IOERR, "block: huge sector is IOERR");
	block_request(&d, VIRTIO_BLK_T_FLUSH, 0, 0, false);
	expect(*status == VIRTIO_BLK_S_OK, "block: flush OK");
	block_request(&d, 99, 0, 0, false);
	expect(*status == VIRTIO_BLK_S_UNSUPP, "block: unknown request is UNSUPP");
	block_request(&d, VIRTIO_BLK_T_GET_ID, 0, 20, true);
	expect(*status == VIRTIO_BLK_S_OK && !strcmp(gp(DATA + 0x1000), "lguest-block-1"),
	       "block: GET_ID");

	/* Discard and write-zeroes: one range each, after the header. */
	memset(gp(DATA + 0x1000), 0x5a, 8192);
	block_request(&d, VIRTIO_BLK_T_OUT, 0, 8192, false);
	set_range(8, 8, 0);
	block_request(&d, VIRTIO_BLK_T_DISCARD, 0, 16, false);
	expect(*status == VIRTIO_BLK_S_OK && file_is(fd, 4096, 4096, 0) &&
	       file_is(fd, 0, 4096, 0x5a), "block: a discarded range reads as zeros");
	set_range(1, 2, 0);
	block_request(&d, VIRTIO_BLK_T_WRITE_ZEROES, 0, 16, false);
	expect(*status == VIRTIO_BLK_S_OK && file_is(fd, 512, 1024, 0) &&
	       file_is(fd, 0, 512, 0x5a) && file_is(fd, 1536, 512, 0x5a),
	       "block: write-zeroes zeroes just its range");
	set_range(0, 1, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP);
	block_request(&d, VIRTIO_BLK_T_WRITE_ZEROES, 0, 16, false);
	expect(*status == VIRTIO_BLK_S_OK && file_is(fd, 0, 512, 0),
	       "block: write-zeroes with unmap");
	set_range(0, 1, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP);
	block_request(&d, VIRTIO_BLK_T_DISCARD, 0, 16, false);
	expect(*status == VIRTIO_BLK_S_UNSUPP, "block: discard with a flag is UNSUPP");
	set_range(12, 8, 0);
	block_request(&d, VIRTIO_BLK_T_DISCARD, 0, 16, false);
	expect(*status == VIRTIO_BLK_S_IOERR, "block: a discard past the end is IOERR");
	set_range(~0ULL - 2, 8, 0);
	block_request(&d, VIRTIO_BLK_T_WRITE_ZEROES, 0, 16, false);
	expect(*status == VIRTIO_BLK_S_IOERR, "block: a range that wraps is IOERR");
	block_request(&d, VIRTIO_BLK_T_DISCARD, 0, 10, false);
	expect(*status == VIRTIO_BLK_S_IOERR, "block: a discard of 10 bytes is IOERR");

	d.read_only = true;
	block_request(&d, VIRTIO_BLK_T_OUT, 0, 512, false);
	expect(*status == VIRTIO_BLK_S_IOERR, "block: write to read-only is IOERR");
	set_range(0, 1, 0);
	block_request(&d, VIRTIO_BLK_T_DISCARD, 0, 16, false);
	expect(*status == VIRTIO_BLK_S_IOERR, "block: discard on read-only is IOERR");
	expect(!guest_is_bad(), "block: the guest stayed good");

	/* Rule breakers. */
	for (i = 0; i < 4; i++) {
		static const char *const why[4] = { "loops", "outside guest memory",
						     "beyond", "avail index jumped" };
		bring_up(&d);
		set_desc(0, 0, DATA, 16, VRING_DESC_F_NEXT, 1);
		set_desc(0, 1, DATA, 16, VRING_DESC_F_NEXT, 0);
		if (i == 1)
			set_desc(0, 1, MEM_SIZE - 8, 16, VRING_DESC_F_WRITE, 0);
		if (i == 2)
			set_desc(0, 1, DATA, 16, VRING_DESC_F_NEXT, QSIZE);
		offer(0, 0);
		if (i == 3)
			((struct vring_avail *)gp(RING(0) + 0x1000))->idx = QSIZE + 1;
		wr(&d, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
		expect(strstr(guest_fault, why[i]), why[i]);
		printf("    (%s)\n", guest_fault);
	}
	bring_up(&d);
	wr(&d, VIRTIO_MMIO_STATUS, 0);
	wr(&d, VIRTIO_MMIO_QUEUE_SEL, 0);
	wr(&d, VIRTIO_MMIO_QUEUE_NUM, 6);
	wr(&d, VIRTIO_MMIO_QUEUE_READY, 1);
	expect(strstr(guest_fault, "power of 2"), "queue size 6 refused");
	guest_fault[0] = '\0';
	vdev_mmio_read(&d, VIRTIO_MMIO_STATUS, 2, &v);
	expect(strstr(guest_fault, "2-byte read"), "16-bit register read refused");
	close(fd);
}

static void check_console_and_net(void)
{
	static struct vdev con, net;
	static const uint8_t mac[6] = { 2, 1, 2, 3, 4, 5 };
	int out[2], in[2], sp[2];
	char buf[64];
	uint32_t v;
	ssize_t n;

	if (pipe(out) || pipe(in) || socketpair(AF_UNIX, SOCK_DGRAM, 0, sp))
		exit(2);
	vdev_init(&con, &console_type, &mem, &env, 0);
	console_setup(&con, in[0], out[1], -1);
	bring_up(&con);
	memcpy(gp(DATA), "hello", 5);
	set_desc(1, 0, DATA, 5, 0, 0);
	offer(1, 0);
	wr(&con, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	n = read(out[0], buf, sizeof(buf));
	expect(n == 5 && !memcmp(buf, "hello", 5), "console: output reaches stdout");
	set_desc(0, 0, DATA + 0x100, 64, VRING_DESC_F_WRITE, 0);
	offer(0, 0);
	wr(&con, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	expect(vdev_wants_input(&con), "console: wants input with a buffer offered");
	if (write(in[1], "typed", 5) != 5)
		exit(2);
	vdev_input(&con);
	expect(used(0, 0)->len == 5 && !memcmp(gp(DATA + 0x100), "typed", 5),
	       "console: input reaches the guest");
	if (write(in[1], "more", 4) != 4)
		exit(2);
	vdev_input(&con);
	expect(con.input_stalled && !vdev_wants_input(&con),
	       "console: no buffer left: input waits");

	vdev_init(&net, &net_type, &mem, &env, 2);
	net_setup(&net, sp[0], mac);
	bring_up(&net);
	vdev_mmio_read(&net, VIRTIO_MMIO_CONFIG + 5, 1, &v);
	expect(v == 5, "net: MAC in config space");
	memset(gp(DATA), 0, 12);
	memcpy(gp(DATA + 12), "packet!", 7);
	set_desc(1, 0, DATA, 12, VRING_DESC_F_NEXT, 1);
	set_desc(1, 1, DATA + 12, 7, 0, 0);
	offer(1, 0);
	wr(&net, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	n = recv(sp[1], buf, sizeof(buf), MSG_DONTWAIT);
	expect(n == 7 && !memcmp(buf, "packet!", 7), "net: transmit strips the header");
	set_desc(0, 0, DATA + 0x100, 1526, VRING_DESC_F_WRITE, 0);
	offer(0, 0);
	wr(&net, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	if (send(sp[1], "reply", 5, 0) != 5)
		exit(2);
	vdev_input(&net);
	expect(used(0, 0)->len == 17 && !memcmp(gp(DATA + 0x100 + 12), "reply", 5) &&
	       *(uint16_t *)gp(DATA + 0x100 + 10) == 1,
	       "net: receive adds a header with num_buffers 1");
}

/*
 * The same disk served by an I/O thread: QueueNotify only kicks it, the
 * answer and the interrupt come a moment later from the thread, and a
 * reset waits for it.
 */
static void check_block_thread(void)
{
	static struct vdev d;
	char path[] = "/tmp/vq_check.XXXXXX";
	uint8_t *status = gp(DATA + 0x3000);
	struct vring_used *u = gp(RING(0) + 0x2000);
	int fd = mkstemp(path), i;
	unsigned int before;

	unlink(path);
	if (fd < 0 || ftruncate(fd, 8192))
		exit(2);
	vdev_init(&d, &block_type, &mem, &env, 1);
	block_setup(&d, fd, 8192, false, false);
	expect(vdev_start_io(&d), "block thread: starts");
	bring_up(&d);
	before = __atomic_load_n(&irqs, __ATOMIC_ACQUIRE);
	memset(gp(DATA + 0x1000), 0x6b, 512);
	block_request(&d, VIRTIO_BLK_T_OUT, 5, 512, false);
	for (i = 0; i < 2000 && !__atomic_load_n(&u->idx, __ATOMIC_ACQUIRE); i++)
		usleep(1000);
	expect(u->idx == 1 && *status == VIRTIO_BLK_S_OK && file_is(fd, 5 * 512, 512, 0x6b) &&
	       __atomic_load_n(&irqs, __ATOMIC_ACQUIRE) == before + 1,
	       "block thread: a write is answered, with one interrupt, from the thread");
	wr(&d, VIRTIO_MMIO_STATUS, 0);
	expect(!d.vq[0].ready && !d.busy, "block thread: a reset waits for it and stops the queue");
	expect(!guest_is_bad(), "block thread: the guest stayed good");
}

static unsigned int quits;

static void count_quit(const char *why)
{
	(void)why;
	quits++;
}

/*
 * The escape key (Ctrl-a): doubled it is sent once, after it x quits and
 * other keys vanish; ^C is the guest's.  And the terminal's size.
 */
static void check_console_escape(void)
{
	static const struct vdev_env quit_env = { .raise_irq = count_irq, .quit = count_quit };
	static struct vdev con;
	int out[2], in[2];
	uint32_t v, gen, before;
	struct vring_used *u = gp(RING(0) + 0x2000);

	if (pipe(out) || pipe(in))
		exit(2);
	vdev_init(&con, &console_type, &mem, &quit_env, 0);
	console_setup(&con, in[0], out[1], 1);
	bring_up(&con);
	set_desc(0, 0, DATA + 0x100, 64, VRING_DESC_F_WRITE, 0);
	offer(0, 0);
	wr(&con, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	if (write(in[1], "a\001\001b\001zc\003", 8) != 8)
		exit(2);
	vdev_input(&con);
	expect(used(0, 0)->len == 5 && !memcmp(gp(DATA + 0x100), "a\001bc\003", 5) &&
	       !quits, "console: Ctrl-a Ctrl-a sends Ctrl-a, Ctrl-a z is dropped, ^C passes");
	set_desc(0, 1, DATA + 0x200, 64, VRING_DESC_F_WRITE, 0);
	offer(0, 1);
	before = u->idx;
	if (write(in[1], "\x01x", 2) != 2)
		exit(2);
	vdev_input(&con);
	expect(quits == 1 && u->idx == before, "console: Ctrl-a x quits, and the guest gets nothing");

	vdev_mmio_read(&con, VIRTIO_MMIO_CONFIG_GENERATION, 4, &gen);
	before = irqs;
	console_resize(&con, 100, 40);
	vdev_mmio_read(&con, VIRTIO_MMIO_CONFIG, 2, &v);
	expect(v == 100 && irqs == before + 1 && (con.isr & VIRTIO_MMIO_INT_CONFIG) &&
	       (con.features & (1ULL << VIRTIO_CONSOLE_F_SIZE)),
	       "console: a new size is in config space, with a config interrupt");
	vdev_mmio_read(&con, VIRTIO_MMIO_CONFIG + 2, 2, &v);
	expect(v == 40, "console: rows after cols");
	vdev_mmio_read(&con, VIRTIO_MMIO_CONFIG_GENERATION, 4, &v);
	expect(v != gen, "console: the config generation moved");
	before = irqs;
	console_resize(&con, 100, 40);
	expect(irqs == before, "console: the same size again is no news");
	close(in[0]);
	close(in[1]);
	close(out[0]);
	close(out[1]);
}

/*
 * Keys typed before the guest takes input: read ahead, so that Ctrl-a x
 * works in early boot, and the rest given once the guest has buffers.
 */
static void check_console_read_ahead(void)
{
	static const struct vdev_env quit_env = { .raise_irq = count_irq, .quit = count_quit };
	static struct vdev con;
	int out[2], in[2];

	if (pipe(out) || pipe(in))
		exit(2);
	quits = 0;
	vdev_init(&con, &console_type, &mem, &quit_env, 0);
	console_setup(&con, in[0], out[1], 1);
	if (write(in[1], "ab", 2) != 2)
		exit(2);
	expect(vdev_wants_input(&con), "console: wants keys before the guest is ready");
	vdev_input(&con);
	expect(con.ahead_len == 2, "console: the keys wait for the guest");
	if (write(in[1], "\001x", 2) != 2)
		exit(2);
	vdev_input(&con);
	expect(quits == 1, "console: Ctrl-a x quits before the guest takes input");
	bring_up(&con);
	set_desc(0, 0, DATA + 0x100, 64, VRING_DESC_F_WRITE, 0);
	offer(0, 0);
	wr(&con, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	expect(used(0, 0)->len == 2 && !memcmp(gp(DATA + 0x100), "ab", 2) && !con.ahead_len,
	       "console: and reach it once it has a buffer");
	close(in[0]);
	close(in[1]);
	close(out[0]);
	close(out[1]);
}

/* Wait up to 2 s for an I/O thread to move a used index to want. */
static bool used_reaches(unsigned int q, uint16_t want)
{
	struct vring_used *u = gp(RING(q) + 0x2000);
	int i;

	for (i = 0; i < 2000 && __atomic_load_n(&u->idx, __ATOMIC_ACQUIRE) != want; i++)
		usleep(1000);
	return u->idx == want;
}

/*
 * The network card with its I/O thread: a kick of the transmit queue and
 * a packet from the tap are both served by the thread, the guest is never
 * stopped for them, and the input thread is not asked to watch the tap.
 */
static void check_net_thread(void)
{
	static const uint8_t mac[6] = { 2, 1, 2, 3, 4, 6 };
	static struct vdev net;
	unsigned int before;
	char buf[64];
	ssize_t n = -1;
	int sp[2], i;

	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sp))
		exit(2);
	vdev_init(&net, &net_type, &mem, &env, 3);
	net_setup(&net, sp[0], mac);
	expect(vdev_start_io(&net), "net thread: starts");
	bring_up(&net);
	expect(!vdev_wants_input(&net), "net thread: watches the tap itself");
	memset(gp(DATA), 0, 12);
	memcpy(gp(DATA + 12), "threaded", 8);
	set_desc(1, 0, DATA, 12, VRING_DESC_F_NEXT, 1);
	set_desc(1, 1, DATA + 12, 8, 0, 0);
	before = __atomic_load_n(&irqs, __ATOMIC_ACQUIRE);
	offer(1, 0);
	wr(&net, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	for (i = 0; i < 2000 && n < 0; i++) {
		n = recv(sp[1], buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0)
			usleep(1000);
	}
	expect(n == 8 && !memcmp(buf, "threaded", 8) && used_reaches(1, 1),
	       "net thread: a kick sends the packet, from the thread");
	set_desc(0, 0, DATA + 0x100, 1526, VRING_DESC_F_WRITE, 0);
	offer(0, 0);
	wr(&net, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	if (send(sp[1], "incoming", 8, 0) != 8)
		exit(2);
	expect(used_reaches(0, 1) && used(0, 0)->len == 20 &&
	       !memcmp(gp(DATA + 0x100 + 12), "incoming", 8) &&
	       __atomic_load_n(&irqs, __ATOMIC_ACQUIRE) >= before + 2,
	       "net thread: a packet from the tap reaches the guest, with an interrupt");
	/* No buffer left: the next packet waits until the guest gives one. */
	if (send(sp[1], "later", 5, 0) != 5)
		exit(2);
	usleep(50000);
	set_desc(0, 1, DATA + 0x800, 1526, VRING_DESC_F_WRITE, 0);
	offer(0, 1);
	wr(&net, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	expect(used_reaches(0, 2) && !memcmp(gp(DATA + 0x800 + 12), "later", 5),
	       "net thread: a packet that waited for a buffer arrives once there is one");
	wr(&net, VIRTIO_MMIO_STATUS, 0);
	expect(!net.vq[0].ready && !guest_is_bad(), "net thread: reset, the guest stayed good");
}

int main(void)
{
	mem.size = MEM_SIZE;
	mem.base = calloc(1, MEM_SIZE);
	check_block();
	check_console_and_net();
	check_console_escape();
	check_console_read_ahead();
	check_block_thread();
	check_net_thread();
	printf("vq_check: %u failures\n", failures);
	return failures ? 1 : 0;
}
