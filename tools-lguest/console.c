// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/virtio_config.h>
#include <linux/virtio_console.h>
#include <linux/virtio_ids.h>
#include "virtq.h"

/* The chain in hand: the guest is stopped while the main thread serves us. */
static struct vq_chain chain;

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

	if (!fd_readable(d->in_fd) ||
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
	while (!d->ahead_len && d->in_fd >= 0 && fd_readable(d->in_fd)) {
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
