// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <unistd.h>
#include <linux/virtio_ids.h>
#include "virtq.h"

/* The chain in hand: the guest is stopped while the main thread serves us. */
static struct vq_chain chain;

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
