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
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>
#include "virtq.h"

/* Shared by all devices: the guest is stopped while we use it. */
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

/*
 * Three ^C in a row on a terminal stop the Launcher; single ones belong
 * to the guest, since the terminal is in raw mode.
 */
static void count_ctrl_c(struct vdev *d, const uint8_t *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		d->ctrl_c = buf[i] == 3 ? d->ctrl_c + 1 : 0;
		if (d->ctrl_c == 3 && d->env && d->env->quit)
			d->env->quit("three ^C on the console");
	}
}

/*
 * Input goes into the buffers the guest left on queue 0, as much as
 * each takes.  With no buffer left we stop watching stdin until the guest
 * kicks that queue; at end of file we stop for good.
 */
static void console_input(struct vdev *d)
{
	struct virtq *q = &d->vq[0];
	uint8_t buf[4096];
	size_t len;
	ssize_t n;

	while (d->in_fd >= 0 && readable(d->in_fd)) {
		if (vq_pop(d, q, &chain) != 1) {
			d->input_stalled = !guest_is_bad();
			break;
		}
		len = chain.in_len < sizeof(buf) ? chain.in_len : sizeof(buf);
		if (!len) {
			vq_push(q, chain.head, 0);	/* a useless buffer */
			continue;
		}
		n = read(d->in_fd, buf, len);
		if (n <= 0) {
			vq_unpop(q);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				break;
			d->in_fd = -1;		/* end of input */
			break;
		}
		if (d->is_tty)
			count_ctrl_c(d, buf, n);
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
};

void console_setup(struct vdev *d, int in_fd, int out_fd, bool is_tty)
{
	d->in_fd = in_fd;
	d->out_fd = out_fd;
	d->is_tty = is_tty;
	/* No size, no ports, no emergency write: the config stays zero. */
	d->config_len = 12;
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

static uint8_t block_rw(struct vdev *d, const struct virtio_blk_outhdr *hdr,
			size_t len, uint32_t *written)
{
	static struct iovec data[VQ_MAX_SIZE];
	bool is_read = hdr->type == VIRTIO_BLK_T_IN;
	uint64_t off = hdr->sector * 512;
	unsigned int n, i = 0;
	ssize_t r;

	if (hdr->sector > d->capacity || len % 512 ||
	    len / 512 > d->capacity - hdr->sector)
		return VIRTIO_BLK_S_IOERR;
	if (!is_read && d->read_only)
		return VIRTIO_BLK_S_IOERR;
	/* Reads fill all but the status byte; writes take all after the header. */
	if (is_read)
		n = iov_slice(chain.in, chain.n_in, 0, len, data);
	else
		n = iov_slice(chain.out, chain.n_out, sizeof(*hdr), len, data);

	while (i < n) {
		r = is_read ? preadv(d->out_fd, data + i, n - i, off)
			    : pwritev(d->out_fd, data + i, n - i, off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return VIRTIO_BLK_S_IOERR;
		off += r;
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

static uint8_t block_get_id(struct vdev *d, uint32_t *written)
{
	char id[VIRTIO_BLK_ID_BYTES];
	size_t room = chain.in_len - 1;

	memset(id, 0, sizeof(id));
	snprintf(id, sizeof(id), "lguest-block-%u", d->index);
	*written += buf_to_iov(chain.in, chain.n_in, 0, id,
			       room < sizeof(id) ? room : sizeof(id));
	return VIRTIO_BLK_S_OK;
}

static void block_request(struct vdev *d, struct virtq *q)
{
	struct virtio_blk_outhdr hdr;
	size_t data_len;
	uint32_t written = 0;
	uint8_t status;

	if (chain.out_len < sizeof(hdr) || chain.in_len < 1) {
		guest_bad("virtio-blk: request %u without a header or a status byte", chain.head);
		return;
	}
	iov_to_buf(chain.out, chain.n_out, 0, &hdr, sizeof(hdr));
	switch (hdr.type) {
	case VIRTIO_BLK_T_IN:
		data_len = chain.in_len - 1;
		status = block_rw(d, &hdr, data_len, &written);
		break;
	case VIRTIO_BLK_T_OUT:
		data_len = chain.out_len - sizeof(hdr);
		status = block_rw(d, &hdr, data_len, &written);
		break;
	case VIRTIO_BLK_T_FLUSH:
		status = fdatasync(d->out_fd) ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
		break;
	case VIRTIO_BLK_T_GET_ID:
		status = block_get_id(d, &written);
		break;
	default:
		status = VIRTIO_BLK_S_UNSUPP;
		break;
	}
	/* The status byte is the last byte the guest let us write. */
	buf_to_iov(chain.in, chain.n_in, chain.in_len - 1, &status, 1);
	vq_push(q, chain.head, written + 1);
}

static void block_notify(struct vdev *d, unsigned int q)
{
	while (!guest_is_bad() && vq_pop(d, &d->vq[q], &chain) == 1)
		block_request(d, &d->vq[q]);
}

const struct vdev_type block_type = {
	.name = "block",
	.device_id = VIRTIO_ID_BLOCK,
	.nqueues = 1,
	.input_queue = -1,
	.notify = block_notify,
};

void block_setup(struct vdev *d, int fd, uint64_t bytes, bool read_only)
{
	struct virtio_blk_config cfg;

	d->out_fd = fd;
	d->capacity = bytes / 512;
	d->read_only = read_only;
	d->features |= 1ULL << VIRTIO_BLK_F_FLUSH | 1ULL << VIRTIO_BLK_F_SEG_MAX;
	if (read_only)
		d->features |= 1ULL << VIRTIO_BLK_F_RO;
	memset(&cfg, 0, sizeof(cfg));
	cfg.capacity = d->capacity;
	/* Header and status take two descriptors of a chain. */
	cfg.seg_max = VQ_MAX_SIZE - 2;
	d->config_len = offsetof(struct virtio_blk_config, blk_size) + 4;
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
