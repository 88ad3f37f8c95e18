// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>
#include "virtq.h"

/*
 * L:230 The network device.  With VIRTIO_F_VERSION_1 every packet starts
 * with a 12-byte struct virtio_net_hdr_mrg_rxbuf.  We offer no checksum
 * or segmentation offloads, so that header carries nothing for us: we
 * drop it on the way out and write a blank one (one buffer, no flags) on
 * the way in, and the tap needs no header of its own.
 */
#define NET_HDR_LEN	sizeof(struct virtio_net_hdr_mrg_rxbuf)
#define NET_MAX_PACKET	65536

/*
 * M:040 Without offloads a guest's TCP stream crosses in packets of at
 * most the MTU, each a kick, an exit and a write to the tap: sending to
 * the host is still many times slower than natively (README).  Checksum
 * and segmentation offloads (VIRTIO_NET_F_CSUM and the GSO features,
 * with the tap's TUNSETOFFLOAD and a virtio-net header of its own) would
 * let one kick carry 64 KiB; VIRTIO_RING_F_EVENT_IDX would let the guest
 * skip kicks while this thread is still busy.
 */

/* What one thread serving the device works with. */
struct net_io {
	struct vq_chain chain;
	uint8_t packet[NET_HDR_LEN + NET_MAX_PACKET];
};

static void net_transmit(struct vdev *d, struct virtq *q, struct net_io *io)
{
	struct vq_chain *c = &io->chain;
	size_t len;

	if (c->out_len < NET_HDR_LEN) {
		guest_bad("virtio-net: packet %u shorter than its header", c->head);
		return;
	}
	/* Anything bigger than a tap takes is dropped, as a wire would. */
	if (c->out_len <= sizeof(io->packet)) {
		len = iov_to_buf(c->out, c->n_out, 0, io->packet, c->out_len);
		if (write(d->out_fd, io->packet + NET_HDR_LEN, len - NET_HDR_LEN) < 0 &&
		    errno != EAGAIN && errno != EIO)
			perror("lguest: writing to the tap");
	}
	vq_push(q, c->head, 0);
}

static void net_send(struct vdev *d, struct net_io *io)
{
	struct virtq *q = &d->vq[1];

	while (!guest_is_bad() && q->ready && vq_pop(d, q, &io->chain) == 1)
		net_transmit(d, q, io);
	if (q->ready)
		vq_interrupt(d, q);
}

/*
 * Each packet from the tap fills one receive buffer.  A packet too big
 * for the buffer is dropped and the buffer kept for the next one.
 */
static void net_receive(struct vdev *d, struct net_io *io)
{
	struct virtio_net_hdr_mrg_rxbuf hdr;
	struct vq_chain *c = &io->chain;
	struct virtq *q = &d->vq[0];
	ssize_t n;

	/* (The tap is non-blocking; asking first keeps us safe if not.) */
	while (d->in_fd >= 0 && fd_readable(d->in_fd)) {
		if (vq_pop(d, q, c) != 1) {
			d->input_stalled = !guest_is_bad();
			break;
		}
		n = read(d->in_fd, io->packet + NET_HDR_LEN, NET_MAX_PACKET);
		if (n <= 0) {
			vq_unpop(q);
			/* A tap that is gone (or ends) is no input any more. */
			if (!n || (errno != EAGAIN && errno != EINTR)) {
				fprintf(stderr, "lguest: reading from the tap: %s\n",
					n ? strerror(errno) : "end of file");
				d->in_fd = -1;
			}
			break;
		}
		if (NET_HDR_LEN + (size_t)n > c->in_len) {
			vq_unpop(q);
			continue;
		}
		memset(&hdr, 0, sizeof(hdr));
		hdr.num_buffers = 1;
		memcpy(io->packet, &hdr, NET_HDR_LEN);
		vq_push(q, c->head, buf_to_iov(c->in, c->n_in, 0, io->packet, NET_HDR_LEN + n));
	}
	vq_interrupt(d, q);
}

/* Without a thread of its own (a harness): the main thread's. */
static struct net_io main_io;

static void net_notify(struct vdev *d, unsigned int q)
{
	(void)q;
	net_send(d, &main_io);
}

static void net_input(struct vdev *d)
{
	net_receive(d, &main_io);
}

static bool net_can_receive(const struct vdev *d)
{
	return d->in_fd >= 0 && !d->input_stalled && vdev_driver_ok(d) && d->vq[0].ready;
}

/*
 * L:232 The network's I/O thread: it waits in poll() for a packet from
 * the tap (while the guest has buffers for one) or a kick, and serves
 * both queues, so that the guest runs on while packets come and go.  It
 * holds the device's lock whenever it touches the queues, and drops it
 * only to wait; the main thread's register writes take the same lock.
 */
static void *net_thread(void *arg)
{
	struct pollfd p[2];
	struct vdev *d = arg;
	struct net_io *io;
	uint64_t kicks;

	io = malloc(sizeof(*io));
	vdev_thread_started(d);
	if (!io && guest_bad("virtio-net: no memory for the I/O thread") && d->env->wake)
		d->env->wake();
	for (;;) {
		p[0] = (struct pollfd){ .fd = d->kick_fd, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = d->in_fd, .events = POLLIN };
		if (!io || guest_is_bad() || !net_can_receive(d))
			p[1].fd = -1;
		pthread_mutex_unlock(&d->lock);
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			perror("lguest: the network's I/O thread");
		if ((p[0].revents & POLLIN) && read(d->kick_fd, &kicks, sizeof(kicks)) < 0)
			kicks = 0;
		pthread_mutex_lock(&d->lock);
		if (!io || guest_is_bad())
			continue;
		d->kicked = false;
		net_send(d, io);
		if (net_can_receive(d))
			net_receive(d, io);
		if (guest_is_bad() && d->env && d->env->wake)
			d->env->wake();
	}
	return NULL;
}

const struct vdev_type net_type = {
	.name = "net",
	.device_id = VIRTIO_ID_NET,
	.nqueues = 2,
	.input_queue = 0,
	.notify = net_notify,
	.input = net_input,
	.thread = net_thread,
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
