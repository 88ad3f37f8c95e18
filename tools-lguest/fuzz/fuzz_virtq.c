// SPDX-License-Identifier: GPL-2.0
/*
 * A libFuzzer harness for the Launcher's device side: the virtio-mmio
 * registers, the virtqueue walker and the console, block, net, rng and
 * 9p request handlers, all fed from one fuzz input that plays the guest.
 *
 * An input is:
 *	byte 0		which device (console, block, net, rng or 9p) and
 *			flags (block: read-only, O_DIRECT's bounce path)
 *	bytes 1-28	for two queues: size (u16), desc, avail, used (u32)
 *	bytes 29-284	32 operations of 8 bytes: kind, size, offset (u16),
 *			value (u32)
 *	the rest	the start of guest memory (64 KiB, zero-filled)
 *
 * The harness first does what a driver does (reset, features, queues,
 * DRIVER_OK) with the queue parameters from the input, then runs the
 * operations: kicks, register reads and writes, input arriving, and
 * stores into guest memory between them.  Whatever the guest does, the
 * code must not touch memory outside the guest's (AddressSanitizer
 * watches), loop forever, or crash; a guest it calls bad just ends the
 * run.  The instruction decoder gets the first bytes of memory too.
 * The 9p device shares a small read-only tree of its own (a file, a
 * directory, a symlink), or a read-write folder that is emptied every
 * 256 inputs, so that any message may reach any operation without the
 * fuzzer filling the disk.  Each device is served on the
 * calling thread: vq_check tests the I/O threads.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include "../insn.h"
#include "../virtq.h"

#define MEM_SIZE	0x10000
#define HDR_SIZE	29
#define NOPS		32
#define OPS_SIZE	(NOPS * 8)

static struct guest_mem mem;
static int block_fd = -1, null_fd, zero_fd, pipe_fd[2];
static char share_dir[64], rw_dir[64];
static unsigned long irqs;

static void count_irq(struct vdev *d)
{
	(void)d;
	irqs++;
}

static void no_quit(const char *why)
{
	(void)why;
	abort();	/* only a terminal can ask for this */
}

static const struct vdev_env env = { .raise_irq = count_irq, .quit = no_quit };

static uint32_t get32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	if (ftw->level)
		remove(path);
	return 0;
}

/* The read-write share starts empty, and is emptied now and then. */
static void empty_rw_share(void)
{
	nftw(rw_dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int remove_all(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	remove(path);
	return 0;
}

static void remove_shares(void)
{
	nftw(share_dir, remove_all, 16, FTW_DEPTH | FTW_PHYS);
	nftw(rw_dir, remove_all, 16, FTW_DEPTH | FTW_PHYS);
}

static void make_share(void)
{
	char path[sizeof(share_dir) + 16];
	int fd;

	strcpy(share_dir, "/tmp/fuzz-virtq-share.XXXXXX");
	strcpy(rw_dir, "/tmp/fuzz-virtq-rw.XXXXXX");
	if (!mkdtemp(share_dir) || !mkdtemp(rw_dir))
		abort();
	atexit(remove_shares);
	snprintf(path, sizeof(path), "%s/file", share_dir);
	fd = open(path, O_CREAT | O_WRONLY, 0644);
	if (fd < 0 || write(fd, "fuzz", 4) != 4)
		abort();
	close(fd);
	snprintf(path, sizeof(path), "%s/dir", share_dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/link", share_dir);
	if (symlink("file", path))
		abort();
}

static void init_once(void)
{
	if (block_fd >= 0)
		return;
	mem.size = MEM_SIZE;
	mem.base = malloc(MEM_SIZE);
	block_fd = memfd_create("fuzz-block", 0);
	if (block_fd < 0 || ftruncate(block_fd, 64 * 1024))
		abort();
	null_fd = open("/dev/null", O_WRONLY);
	zero_fd = open("/dev/zero", O_RDONLY);
	if (null_fd < 0 || zero_fd < 0 || pipe2(pipe_fd, O_NONBLOCK))
		abort();
	make_share();
}

static void drain_pipe(void)
{
	char buf[4096];

	while (read(pipe_fd[0], buf, sizeof(buf)) > 0)
		;
}

/* Play the driver's part of bringing the device up. */
static void bring_up(struct vdev *d, const uint8_t *hdr)
{
	uint32_t lo, hi;
	unsigned int q;

	vdev_mmio_write(d, VIRTIO_MMIO_STATUS, 4, 0);
	vdev_mmio_write(d, VIRTIO_MMIO_STATUS, 4, VIRTIO_CONFIG_S_ACKNOWLEDGE |
			VIRTIO_CONFIG_S_DRIVER);
	vdev_mmio_write(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 4, 0);
	vdev_mmio_read(d, VIRTIO_MMIO_DEVICE_FEATURES, 4, &lo);
	vdev_mmio_write(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 4, 1);
	vdev_mmio_read(d, VIRTIO_MMIO_DEVICE_FEATURES, 4, &hi);
	vdev_mmio_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 4, 0);
	vdev_mmio_write(d, VIRTIO_MMIO_DRIVER_FEATURES, 4, lo);
	vdev_mmio_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 4, 1);
	vdev_mmio_write(d, VIRTIO_MMIO_DRIVER_FEATURES, 4, hi);
	vdev_mmio_write(d, VIRTIO_MMIO_STATUS, 4, VIRTIO_CONFIG_S_ACKNOWLEDGE |
			VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
	for (q = 0; q < 2 && !guest_is_bad(); q++, hdr += 14) {
		/* Mostly inside memory, sometimes just past it. */
		uint32_t num = (hdr[0] | hdr[1] << 8) % 300;
		uint32_t desc = get32(hdr + 2) % (MEM_SIZE + 0x1000);
		uint32_t avail = get32(hdr + 6) % (MEM_SIZE + 0x1000);
		uint32_t used = get32(hdr + 10) % (MEM_SIZE + 0x1000);

		vdev_mmio_write(d, VIRTIO_MMIO_QUEUE_SEL, 4, q);
		vdev_mmio_write(d, VIRTIO_MMIO_QUEUE_NUM, 4, num);
		vdev_mmio_write(d, VIRTIO_MMIO_QUEUE_DESC_LOW, 4, desc);
		vdev_mmio_write(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, 4, 0);
		vdev_mmio_write(d, VIRTIO_MMIO_QUEUE_AVAIL_LOW, 4, avail);
		vdev_mmio_write(d, VIRTIO_MMIO_QUEUE_AVAIL_HIGH, 4, 0);
		vdev_mmio_write(d, VIRTIO_MMIO_QUEUE_USED_LOW, 4, used);
		vdev_mmio_write(d, VIRTIO_MMIO_QUEUE_USED_HIGH, 4, 0);
		vdev_mmio_write(d, VIRTIO_MMIO_QUEUE_READY, 4, 1);
	}
	vdev_mmio_write(d, VIRTIO_MMIO_STATUS, 4, VIRTIO_CONFIG_S_ACKNOWLEDGE |
			VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK |
			VIRTIO_CONFIG_S_DRIVER_OK);
}

static void make_device(struct vdev *d, uint8_t kind)
{
	static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 1 };

	switch (kind & 3) {
	case 0:
		vdev_init(d, &console_type, &mem, &env, 0);
		console_setup(d, pipe_fd[0], null_fd, -1);
		break;
	case 1:
		/* (A memfd has no O_DIRECT; the bounce path runs all the same.) */
		vdev_init(d, &block_type, &mem, &env, 0);
		block_setup(d, block_fd, 64 * 1024 + (kind >> 4) * 100, kind & 4, kind & 8);
		break;
	case 2:
		vdev_init(d, &net_type, &mem, &env, 0);
		net_setup(d, pipe_fd[0], mac);
		d->out_fd = null_fd;
		break;
	default:
		if (kind & 8) {
			static unsigned int rw_runs;
			bool rw = kind & 4;

			if (rw && !(rw_runs++ % 256))
				empty_rw_share();
			vdev_init(d, &p9_type, &mem, &env, 0);
			if (!p9_setup(d, open(rw ? rw_dir : share_dir, O_PATH | O_DIRECTORY), "fuzz",
				      !rw))
				abort();
			break;
		}
		vdev_init(d, &rng_type, &mem, &env, 0);
		rng_setup(d, zero_fd);
		break;
	}
}

/*
 * The 9p device also gets the memory image as a string of messages, each
 * starting with its own size, after a Tversion and a Tattach of fid 0:
 * through the ring alone, one input would reach one message.
 */
static void p9_messages(struct vdev *d, const uint8_t *data, size_t len)
{
	static const uint8_t version[21] = { 21, 0, 0, 0, 100, 1, 0, 0, 32, 0, 0, 8, 0,
					     '9', 'P', '2', '0', '0', '0', '.', 'L' };
	static const uint8_t attach[23] = { 23, 0, 0, 0, 104, 2, 0, 0, 0, 0, 0,
					    0xff, 0xff, 0xff, 0xff };
	uint8_t *req, *rep;
	size_t n;

	req = p9_buffers(d->share, &rep);
	memcpy(req, version, sizeof(version));
	p9_handle(d->share, sizeof(version), 8192);
	memcpy(req, attach, sizeof(attach));
	p9_handle(d->share, sizeof(attach), 8192);
	while (len >= 7) {
		n = get32(data);
		if (n < 7 || n > len)
			n = len;
		if (n > 8192)
			n = 8192;
		memcpy(req, data, n);
		p9_handle(d->share, n, 8192);
		data += n;
		len -= n;
	}
}

static void run_op(struct vdev *d, const uint8_t *op)
{
	static const unsigned int sizes[4] = { 1, 2, 4, 4 };
	uint32_t off = (op[2] | op[3] << 8), val = get32(op + 4), out;
	unsigned int size = sizes[op[1] & 3];
	char packet[2048];

	switch (op[0] % 6) {
	case 0:
		vdev_mmio_write(d, VIRTIO_MMIO_QUEUE_NOTIFY, 4, val % 3);
		break;
	case 1:
		vdev_mmio_read(d, off % 0x140, size, &out);
		break;
	case 2:
		vdev_mmio_write(d, off % 0x140, size, val);
		break;
	case 3:
		/* Some input arrives and the Launcher offers it. */
		memset(packet, op[1], sizeof(packet));
		if (write(pipe_fd[1], packet, 1 + val % sizeof(packet)) < 0)
			break;
		vdev_input(d);
		drain_pipe();
		break;
	case 4:
		/* The guest writes its memory between two kicks. */
		memcpy(mem.base + (off * 4) % (MEM_SIZE - 3), &val, 4);
		break;
	default:
		vdev_mmio_write(d, VIRTIO_MMIO_INTERRUPT_ACK, 4, val);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vdev dev;
	struct mmio_insn insn;
	size_t img;
	int i;

	init_once();
	if (size < HDR_SIZE + OPS_SIZE)
		return 0;
	guest_fault[0] = '\0';
	img = size - HDR_SIZE - OPS_SIZE;
	if (img > MEM_SIZE)
		img = MEM_SIZE;
	memset(mem.base, 0, MEM_SIZE);
	memcpy(mem.base, data + HDR_SIZE + OPS_SIZE, img);
	mmio_decode(mem.base, 16, &insn);

	make_device(&dev, data[0]);
	bring_up(&dev, data + 1);
	for (i = 0; i < NOPS && !guest_is_bad(); i++)
		run_op(&dev, data + HDR_SIZE + i * 8);
	drain_pipe();
	if (dev.type == &p9_type && !guest_is_bad())
		p9_messages(&dev, data + HDR_SIZE + OPS_SIZE, img);
	p9_release(&dev);
	return 0;
}
