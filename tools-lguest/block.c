// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE		/* fallocate() */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/falloc.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include "virtq.h"

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
 * L:228 One request, its status byte written last (vdev_type.request:
 * virtq.c serves them in order, in the disk's I/O thread).
 */
static bool block_request(struct vdev *d, const struct vq_chain *c, uint32_t *used)
{
	struct virtio_blk_outhdr hdr;
	size_t data_len;
	uint32_t written = 0;
	uint8_t status;

	if (c->out_len < sizeof(hdr) || c->in_len < 1)
		return guest_bad("virtio-blk: request %u without a header or a status byte",
				 c->head);
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

const struct vdev_type block_type = {
	.name = "block",
	.device_id = VIRTIO_ID_BLOCK,
	.nqueues = 1,
	.input_queue = -1,
	.request = block_request,
};

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
