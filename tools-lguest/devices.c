// SPDX-License-Identifier: GPL-2.0
/*
 * L:200 The four devices.  Each is a vdev_type: a virtio device ID, its
 * queues, and what to do when the guest kicks one of them or when input
 * arrives.  They see the guest's requests only as chains of checked
 * buffers (vq_pop()), and what they find inside a request is checked
 * again here: a block request is a header, data and a status byte only if
 * the guest says so.
 *
 *   console  id 3: queue 0 takes input (stdin), queue 1 gives output (stdout)
 *   block    id 2: queue 0 carries requests against a file
 *   net      id 1: queue 0 takes packets from the tap, queue 1 sends to it
 *   rng      id 4: queue 0 is filled from /dev/urandom
 */
#define _GNU_SOURCE		/* fallocate() */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/falloc.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_console.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>
#include "virtq.h"

/*
 * Shared by the devices the main thread serves: the guest is stopped
 * while we use it.  A device with an I/O thread has its own.
 */
static struct vq_chain chain;

/* Is there something to read on fd right now? */
static bool readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}

/* Write all of it, or give up on a broken output. */
static void write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		p += n;
		len -= n;
	}
}

/*
 * L:210 The console.  Output is easy: whatever the guest hands us goes to
 * stdout, and the buffer comes straight back.
 */
static void console_notify(struct vdev *d, unsigned int q)
{
	unsigned int i;

	while (vq_pop(d, &d->vq[q], &chain) == 1) {
		for (i = 0; i < chain.n_out; i++) {
			write_all(d->out_fd, chain.out[i].iov_base, chain.out[i].iov_len);
			if (d->env && d->env->console_output)
				d->env->console_output(chain.out[i].iov_base,
						       chain.out[i].iov_len);
		}
		vq_push(&d->vq[q], chain.head, 0);
	}
}

/* "Ctrl-a" for 1, "Ctrl-]" for 29: the escape key as the user types it. */
static const char *key_name(int key)
{
	static char name[8];

	snprintf(name, sizeof(name), "Ctrl-%c", key <= 26 ? key + 'a' - 1 : key + '@');
	return name;
}

static void escape_help(int key)
{
	const char *k = key_name(key);

	fprintf(stderr, "\r\nlguest: %s x quits, %s %s sends %s, %s h shows this\r\n",
		k, k, k, k, k);
}

/*
 * L:215 The escape key, on a terminal: Ctrl-a unless --escape says
 * otherwise, as QEMU and kvmtool have it.  After it, x stops lguest, h
 * says so, the escape key again sends it once, and anything else is
 * dropped.  Every other key, ^C included, is the guest's.  Filters buf
 * in place and returns how much of it is left for the guest.
 */
static size_t console_escape(struct vdev *d, uint8_t *buf, size_t len)
{
	size_t i, kept = 0;

	for (i = 0; i < len; i++) {
		if (!d->escaped && buf[i] == d->escape) {
			d->escaped = true;
			continue;
		}
		if (!d->escaped) {
			buf[kept++] = buf[i];
			continue;
		}
		d->escaped = false;
		if (buf[i] == d->escape)
			buf[kept++] = buf[i];
		else if (buf[i] == 'x' && d->env && d->env->quit)
			d->env->quit(d->escape == 1 ? "Ctrl-a x on the console" :
				     "the escape key and x on the console");
		else if (buf[i] == 'h' || buf[i] == '?')
			escape_help(d->escape);
	}
	return kept;
}

/* Can the guest take input now? */
static bool console_ready(const struct vdev *d)
{
	return vdev_driver_ok(d) && d->vq[0].ready && !d->input_stalled;
}

/*
 * On a terminal the keys are read even while the guest takes none (early
 * boot, a guest that hangs): the escape key must always work.  What is
 * for the guest waits in d->ahead, and once that is full we stop reading.
 */
static bool console_reads_ahead(const struct vdev *d)
{
	return d->escape >= 0 && d->ahead_len < sizeof(d->ahead);
}

static bool read_input(struct vdev *d, uint8_t *buf, size_t len, ssize_t *n)
{
	*n = read(d->in_fd, buf, len);
	if (*n > 0)
		return true;
	if (!(*n < 0 && (errno == EAGAIN || errno == EINTR)))
		d->in_fd = -1;		/* end of input */
	return false;
}

static void console_read_ahead(struct vdev *d)
{
	ssize_t n;

	if (!readable(d->in_fd) ||
	    !read_input(d, d->ahead + d->ahead_len, sizeof(d->ahead) - d->ahead_len, &n))
		return;
	d->ahead_len += console_escape(d, d->ahead + d->ahead_len, n);
}

/* The keys read ahead go first, as far as the guest's buffers take them. */
static void console_give_ahead(struct vdev *d, struct virtq *q)
{
	size_t n;

	while (d->ahead_len) {
		if (vq_pop(d, q, &chain) != 1) {
			d->input_stalled = !guest_is_bad();
			return;
		}
		n = buf_to_iov(chain.in, chain.n_in, 0, d->ahead, d->ahead_len);
		vq_push(q, chain.head, n);
		memmove(d->ahead, d->ahead + n, d->ahead_len - n);
		d->ahead_len -= n;
	}
}

/*
 * Input goes into the buffers the guest left on queue 0, as much as
 * each takes.  With no buffer left we stop watching stdin until the guest
 * kicks that queue (on a terminal: we read ahead); at end of file we stop
 * for good.
 */
static void console_input(struct vdev *d)
{
	struct virtq *q = &d->vq[0];
	uint8_t buf[4096];
	size_t len;
	ssize_t n;

	if (!console_ready(d)) {
		console_read_ahead(d);
		return;
	}
	console_give_ahead(d, q);
	while (!d->ahead_len && d->in_fd >= 0 && readable(d->in_fd)) {
		if (vq_pop(d, q, &chain) != 1) {
			d->input_stalled = !guest_is_bad();
			break;
		}
		len = chain.in_len < sizeof(buf) ? chain.in_len : sizeof(buf);
		if (!len) {
			vq_push(q, chain.head, 0);	/* a useless buffer */
			continue;
		}
		if (!read_input(d, buf, len, &n)) {
			vq_unpop(q);
			break;
		}
		if (d->escape >= 0)
			n = console_escape(d, buf, n);
		if (!n) {
			vq_unpop(q);		/* only the escape key: keep the buffer */
			continue;
		}
		vq_push(q, chain.head, buf_to_iov(chain.in, chain.n_in, 0, buf, n));
	}
	vq_interrupt(d, q);
}

const struct vdev_type console_type = {
	.name = "console",
	.device_id = VIRTIO_ID_CONSOLE,
	.nqueues = 2,
	.input_queue = 0,
	.notify = console_notify,
	.input = console_input,
	.reads_ahead = console_reads_ahead,
};

/*
 * escape is the escape key, or -1 for none (input that is not a terminal
 * passes as it is).  The config space is struct virtio_console_config:
 * the size (VIRTIO_CONSOLE_F_SIZE, offered once console_resize() gives
 * one), no ports, no emergency write.
 */
void console_setup(struct vdev *d, int in_fd, int out_fd, int escape)
{
	d->in_fd = in_fd;
	d->out_fd = out_fd;
	d->escape = escape;
	d->config_len = 12;
}

/* The terminal's size, now and on every SIGWINCH. */
void console_resize(struct vdev *d, uint16_t cols, uint16_t rows)
{
	struct virtio_console_config cfg = { .cols = cols, .rows = rows };

	d->features |= 1ULL << VIRTIO_CONSOLE_F_SIZE;
	if (!memcmp(d->config, &cfg, 4))
		return;
	memcpy(d->config, &cfg, 4);
	vdev_config_changed(d);
}

/*
 * L:220 The block device.  A request is a 16-byte header the device reads
 * (type, priority, sector), the data (read for a write request, written
 * for a read), and a status byte the device writes last.  A chain that
 * cannot be that is the guest's fault; a request we cannot do, or one
 * that reaches past the end of the file, gets an error status.
 */
/*
 * The part [skip, skip + len) of a scatter list, as a list of its own in
 * dst (which has room for n entries).  Returns the number of entries.
 */
static unsigned int iov_slice(const struct iovec *src, unsigned int n, size_t skip,
			      size_t len, struct iovec *dst)
{
	unsigned int i, out = 0;
	size_t chunk;

	for (i = 0; i < n && len; i++) {
		if (skip >= src[i].iov_len) {
			skip -= src[i].iov_len;
			continue;
		}
		chunk = src[i].iov_len - skip;
		if (chunk > len)
			chunk = len;
		dst[out].iov_base = (uint8_t *)src[i].iov_base + skip;
		dst[out].iov_len = chunk;
		out++;
		len -= chunk;
		skip = 0;
	}
	return out;
}

/*
 * With O_DIRECT the guest's buffers must be aligned to the file's blocks;
 * the rest of a request whose are not goes through an aligned copy, a
 * bounded chunk at a time (the guest chooses the length).  Returns 0 or
 * -1 with errno.
 */
#define BOUNCE_BYTES	(256 << 10)

static int block_bounce(struct vdev *d, bool is_read, const struct iovec *data,
			unsigned int n, size_t len, uint64_t off)
{
	size_t done = 0, chunk;
	void *buf;
	ssize_t r;

	if (posix_memalign(&buf, 4096, BOUNCE_BYTES))
		return -1;
	for (; done < len; done += chunk, off += chunk) {
		chunk = len - done < BOUNCE_BYTES ? len - done : BOUNCE_BYTES;
		if (!is_read)
			iov_to_buf(data, n, done, buf, chunk);
		r = is_read ? pread(d->out_fd, buf, chunk, off) : pwrite(d->out_fd, buf, chunk, off);
		if (r != (ssize_t)chunk)
			break;
		if (is_read)
			buf_to_iov(data, n, done, buf, chunk);
	}
	free(buf);
	return done == len ? 0 : -1;
}

static uint8_t block_rw(struct vdev *d, const struct vq_chain *c,
			const struct virtio_blk_outhdr *hdr, size_t len, uint32_t *written)
{
	struct iovec data[VQ_MAX_SIZE];
	bool is_read = hdr->type == VIRTIO_BLK_T_IN;
	uint64_t off = hdr->sector * 512;
	unsigned int n, i = 0;
	size_t done = 0;
	ssize_t r;

	if (hdr->sector > d->capacity || len % 512 ||
	    len / 512 > d->capacity - hdr->sector)
		return VIRTIO_BLK_S_IOERR;
	if (!is_read && d->read_only)
		return VIRTIO_BLK_S_IOERR;
	/* Reads fill all but the status byte; writes take all after the header. */
	if (is_read)
		n = iov_slice(c->in, c->n_in, 0, len, data);
	else
		n = iov_slice(c->out, c->n_out, sizeof(*hdr), len, data);

	while (i < n) {
		r = is_read ? preadv(d->out_fd, data + i, n - i, off)
			    : pwritev(d->out_fd, data + i, n - i, off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EINVAL && d->direct) {
			/* data[i..] is what is left, from off on. */
			if (block_bounce(d, is_read, data + i, n - i, len - done, off))
				return VIRTIO_BLK_S_IOERR;
			if (is_read)
				*written += len - done;
			return VIRTIO_BLK_S_OK;
		}
		if (r <= 0)
			return VIRTIO_BLK_S_IOERR;
		off += r;
		done += r;
		if (is_read)
			*written += r;
		/* Step over what was done: whole entries, then part of one. */
		while (i < n && (size_t)r >= data[i].iov_len)
			r -= data[i++].iov_len;
		if (i < n) {
			data[i].iov_base = (uint8_t *)data[i].iov_base + r;
			data[i].iov_len -= r;
		}
	}
	return VIRTIO_BLK_S_OK;
}

/*
 * L:225 Discard and write-zeroes: a list of ranges after the header.  A
 * discarded range becomes a hole in the file, so it reads as zeros (the
 * guest may rely on that: we do not offer it as a mere hint).  Zeroes are
 * written as a hole when the guest allows unmapping, else as an
 * allocated zero range; a file system that can do neither gets zeros
 * written the long way.
 */
#define BLOCK_MAX_RANGES	16
#define BLOCK_MAX_RANGE	4194304		/* sectors: 2 GiB */

static int write_zeros(int fd, uint64_t off, uint64_t len)
{
	/* Aligned, for a file opened with O_DIRECT. */
	static const uint8_t zeros[65536] __attribute__((aligned(4096)));
	ssize_t r;

	while (len) {
		r = pwrite(fd, zeros, len < sizeof(zeros) ? len : sizeof(zeros), off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		off += r;
		len -= r;
	}
	return 0;
}

static int zero_range(int fd, uint64_t off, uint64_t len, bool hole)
{
	if (hole && !fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len))
		return 0;
	if (!fallocate(fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, off, len))
		return 0;
	return write_zeros(fd, off, len);
}

static uint8_t block_discard(struct vdev *d, const struct vq_chain *c, bool discard)
{
	struct virtio_blk_discard_write_zeroes r[BLOCK_MAX_RANGES];
	size_t len = c->out_len - sizeof(struct virtio_blk_outhdr);
	unsigned int i, n = len / sizeof(r[0]);

	if (len % sizeof(r[0]) || !n || n > BLOCK_MAX_RANGES)
		return VIRTIO_BLK_S_IOERR;
	if (d->read_only)
		return VIRTIO_BLK_S_IOERR;
	iov_to_buf(c->out, c->n_out, sizeof(struct virtio_blk_outhdr), r, len);
	for (i = 0; i < n; i++) {
		uint64_t sector = r[i].sector, num = r[i].num_sectors;

		if (r[i].flags & ~(discard ? 0 : VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP))
			return VIRTIO_BLK_S_UNSUPP;
		if (num > BLOCK_MAX_RANGE || sector > d->capacity || num > d->capacity - sector)
			return VIRTIO_BLK_S_IOERR;
		if (zero_range(d->out_fd, sector * 512, num * 512,
			       discard || (r[i].flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP)))
			return VIRTIO_BLK_S_IOERR;
	}
	return VIRTIO_BLK_S_OK;
}

static uint8_t block_get_id(struct vdev *d, const struct vq_chain *c, uint32_t *written)
{
	char id[VIRTIO_BLK_ID_BYTES];
	size_t room = c->in_len - 1;

	memset(id, 0, sizeof(id));
	snprintf(id, sizeof(id), "lguest-block-%u", d->index);
	*written += buf_to_iov(c->in, c->n_in, 0, id,
			       room < sizeof(id) ? room : sizeof(id));
	return VIRTIO_BLK_S_OK;
}

/*
 * One request: its status byte written last.  Sets *used to what we
 * wrote into the guest's buffers; false for a chain that is the guest's
 * fault, which gets no answer.
 */
static bool block_request(struct vdev *d, const struct vq_chain *c, uint32_t *used)
{
	struct virtio_blk_outhdr hdr;
	size_t data_len;
	uint32_t written = 0;
	uint8_t status;

	if (c->out_len < sizeof(hdr) || c->in_len < 1) {
		guest_bad("virtio-blk: request %u without a header or a status byte", c->head);
		return false;
	}
	iov_to_buf(c->out, c->n_out, 0, &hdr, sizeof(hdr));
	switch (hdr.type) {
	case VIRTIO_BLK_T_IN:
		data_len = c->in_len - 1;
		status = block_rw(d, c, &hdr, data_len, &written);
		break;
	case VIRTIO_BLK_T_OUT:
		data_len = c->out_len - sizeof(hdr);
		status = block_rw(d, c, &hdr, data_len, &written);
		break;
	case VIRTIO_BLK_T_FLUSH:
		status = fdatasync(d->out_fd) ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
		break;
	case VIRTIO_BLK_T_GET_ID:
		status = block_get_id(d, c, &written);
		break;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		status = block_discard(d, c, hdr.type == VIRTIO_BLK_T_DISCARD);
		break;
	default:
		status = VIRTIO_BLK_S_UNSUPP;
		break;
	}
	/* The status byte is the last byte the guest let us write. */
	buf_to_iov(c->in, c->n_in, c->in_len - 1, &status, 1);
	*used = written + 1;
	return true;
}

/*
 * L:228 Every request the guest queued, in order.  With an I/O thread
 * (vdev_start_io()) we hold the device's lock, and drop it for the I/O
 * itself: the guest goes on running meanwhile, and a register write of
 * the main thread that would change the queue under us (a reset) waits
 * for the request in flight (vdev_wait_idle()).
 */
static void block_serve(struct vdev *d, struct vq_chain *c)
{
	struct virtq *q = &d->vq[0];
	uint32_t used;
	bool ok;

	/* Not while the main thread holds us (a register write waits). */
	while (!guest_is_bad() && q->ready && !d->hold && vq_pop(d, q, c) == 1) {
		vdev_io_begin(d);
		ok = block_request(d, c, &used);
		vdev_io_end(d);
		if (!ok)
			break;
		vq_push(q, c->head, used);
		vq_interrupt(d, q);
	}
	if (guest_is_bad() && d->env && d->env->wake)
		d->env->wake();
}

static void block_notify(struct vdev *d, unsigned int q)
{
	(void)q;
	if (d->threaded)
		vdev_kick_io(d);
	else
		block_serve(d, &chain);
}

const struct vdev_type block_type = {
	.name = "block",
	.device_id = VIRTIO_ID_BLOCK,
	.nqueues = 1,
	.input_queue = -1,
	.notify = block_notify,
};

/* The block device's I/O thread: serve whenever the guest kicks. */
static void *block_thread(void *arg)
{
	static __thread struct vq_chain c;
	struct vdev *d = arg;

	vdev_io_thread_begin(d);
	for (;;) {
		vdev_wait_kick(d);
		block_serve(d, &c);
	}
	return NULL;
}

bool block_start_thread(struct vdev *d)
{
	return vdev_start_io(d, block_thread);
}

void block_setup(struct vdev *d, int fd, uint64_t bytes, bool read_only, bool direct)
{
	struct virtio_blk_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	d->out_fd = fd;
	d->capacity = bytes / 512;
	d->read_only = read_only;
	d->direct = direct;
	d->features |= 1ULL << VIRTIO_BLK_F_FLUSH | 1ULL << VIRTIO_BLK_F_SEG_MAX;
	if (read_only)
		d->features |= 1ULL << VIRTIO_BLK_F_RO;
	else
		d->features |= 1ULL << VIRTIO_BLK_F_DISCARD | 1ULL << VIRTIO_BLK_F_WRITE_ZEROES;
	/* O_DIRECT on a disk of 4 KiB sectors wants whole ones: say so. */
	if (direct) {
		d->features |= 1ULL << VIRTIO_BLK_F_BLK_SIZE;
		cfg.blk_size = 4096;
	}
	cfg.capacity = d->capacity;
	/* Header and status take two descriptors of a chain. */
	cfg.seg_max = VQ_MAX_SIZE - 2;
	cfg.max_discard_sectors = BLOCK_MAX_RANGE;
	cfg.max_discard_seg = BLOCK_MAX_RANGES;
	cfg.discard_sector_alignment = 8;	/* 4 KiB, a page of a file system */
	cfg.max_write_zeroes_sectors = BLOCK_MAX_RANGE;
	cfg.max_write_zeroes_seg = BLOCK_MAX_RANGES;
	cfg.write_zeroes_may_unmap = 1;
	d->config_len = offsetof(struct virtio_blk_config, unused1);
	memcpy(d->config, &cfg, d->config_len);
}

/*
 * L:230 The network device.  With VIRTIO_F_VERSION_1 every packet starts
 * with a 12-byte struct virtio_net_hdr_mrg_rxbuf.  We offer no checksum
 * or segmentation offloads, so that header carries nothing for us: we
 * drop it on the way out and write a blank one (one buffer, no flags) on
 * the way in, and the tap needs no header of its own.
 */
#define NET_HDR_LEN	sizeof(struct virtio_net_hdr_mrg_rxbuf)
#define NET_MAX_PACKET	65536

static uint8_t packet[NET_HDR_LEN + NET_MAX_PACKET];

static void net_transmit(struct vdev *d, struct virtq *q)
{
	size_t len;

	if (chain.out_len < NET_HDR_LEN) {
		guest_bad("virtio-net: packet %u shorter than its header", chain.head);
		return;
	}
	/* Anything bigger than a tap takes is dropped, as a wire would. */
	if (chain.out_len <= sizeof(packet)) {
		len = iov_to_buf(chain.out, chain.n_out, 0, packet, chain.out_len);
		if (write(d->out_fd, packet + NET_HDR_LEN, len - NET_HDR_LEN) < 0 &&
		    errno != EAGAIN && errno != EIO)
			perror("lguest: writing to the tap");
	}
	vq_push(q, chain.head, 0);
}

static void net_notify(struct vdev *d, unsigned int q)
{
	while (!guest_is_bad() && vq_pop(d, &d->vq[q], &chain) == 1)
		net_transmit(d, &d->vq[q]);
}

/*
 * Each packet from the tap fills one receive buffer.  A packet too big
 * for the buffer is dropped and the buffer kept for the next one.
 */
static void net_input(struct vdev *d)
{
	struct virtq *q = &d->vq[0];
	struct virtio_net_hdr_mrg_rxbuf hdr;
	ssize_t n;

	/* (The tap is non-blocking; asking first keeps us safe if not.) */
	while (d->in_fd >= 0 && readable(d->in_fd)) {
		if (vq_pop(d, q, &chain) != 1) {
			d->input_stalled = !guest_is_bad();
			break;
		}
		n = read(d->in_fd, packet + NET_HDR_LEN, NET_MAX_PACKET);
		if (n < 0) {
			vq_unpop(q);
			if (errno != EAGAIN && errno != EINTR) {
				perror("lguest: reading from the tap");
				d->in_fd = -1;
			}
			break;
		}
		if (NET_HDR_LEN + (size_t)n > chain.in_len) {
			vq_unpop(q);
			continue;
		}
		memset(&hdr, 0, sizeof(hdr));
		hdr.num_buffers = 1;
		memcpy(packet, &hdr, NET_HDR_LEN);
		vq_push(q, chain.head,
			buf_to_iov(chain.in, chain.n_in, 0, packet, NET_HDR_LEN + n));
	}
	vq_interrupt(d, q);
}

const struct vdev_type net_type = {
	.name = "net",
	.device_id = VIRTIO_ID_NET,
	.nqueues = 2,
	.input_queue = 0,
	.notify = net_notify,
	.input = net_input,
};

void net_setup(struct vdev *d, int tap_fd, const uint8_t mac[6])
{
	d->in_fd = tap_fd;
	d->out_fd = tap_fd;
	d->features |= 1ULL << VIRTIO_NET_F_MAC;
	/* mac[6], then status (only with VIRTIO_NET_F_STATUS: link is up). */
	memcpy(d->config, mac, 6);
	d->config_len = 8;
}

/*
 * L:240 The random number generator: fill every buffer the guest offers,
 * up to 64 KiB a time, and say how much we filled.
 */
#define RNG_MAX_CHUNK	65536

static void rng_fill(struct vdev *d, struct virtq *q)
{
	static uint8_t buf[RNG_MAX_CHUNK];
	size_t want = chain.in_len < sizeof(buf) ? chain.in_len : sizeof(buf);
	size_t got = 0;
	ssize_t n;

	while (got < want) {
		n = read(d->in_fd, buf + got, want - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
	}
	vq_push(q, chain.head, buf_to_iov(chain.in, chain.n_in, 0, buf, got));
}

static void rng_notify(struct vdev *d, unsigned int q)
{
	while (!guest_is_bad() && vq_pop(d, &d->vq[q], &chain) == 1)
		rng_fill(d, &d->vq[q]);
}

const struct vdev_type rng_type = {
	.name = "rng",
	.device_id = VIRTIO_ID_RNG,
	.nqueues = 1,
	.input_queue = -1,
	.notify = rng_notify,
};

/* The entropy source is read in rng_fill(), not watched: in_fd holds it. */
void rng_setup(struct vdev *d, int fd)
{
	d->in_fd = fd;
}
