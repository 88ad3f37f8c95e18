// SPDX-License-Identifier: GPL-2.0
/*
 * Split virtqueues, from the device's side.
 *
 * L:105 The data never goes through registers.  The guest puts buffers
 * in rings in its own memory and writes QueueNotify; we walk the rings,
 * do the work, put the buffers on the used ring and raise the device's
 * interrupt.  Nothing in those rings is trusted: the guest may change
 * them while we look (it runs on while an I/O thread works), so each
 * index and descriptor is read once, checked, and only then used, and
 * any nonsense ends the guest (guest_bad()).
 */
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>
#include "virtq.h"

char guest_fault[256];

bool guest_bad(const char *fmt, ...)
{
	static pthread_mutex_t once = PTHREAD_MUTEX_INITIALIZER;
	char why[sizeof(guest_fault)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (!why[0])
		strcpy(why, "unknown fault");
	/*
	 * Only the first reason counts: the rest are its consequences.  An
	 * I/O thread may say so while the main thread looks: the first byte
	 * goes in last, so a reason is whole once guest_is_bad() sees it.
	 */
	pthread_mutex_lock(&once);
	if (!guest_is_bad()) {
		memcpy(guest_fault + 1, why + 1, sizeof(guest_fault) - 1);
		__atomic_store_n(&guest_fault[0], why[0], __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&once);
	return false;
}

void *gpa_to_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len)
{
	/* Both are at most 2^32-ish, so the sum cannot wrap a u64. */
	if (gpa > mem->size || len > mem->size - gpa)
		return NULL;
	return mem->base + gpa;
}

/*
 * Copy between a flat buffer and a scatter list, starting skip bytes into
 * the list.  Both return how much was copied.
 */
size_t iov_to_buf(const struct iovec *iov, unsigned int n, size_t skip, void *buf, size_t len)
{
	size_t done = 0, chunk;
	unsigned int i;

	for (i = 0; i < n && done < len; i++) {
		if (skip >= iov[i].iov_len) {
			skip -= iov[i].iov_len;
			continue;
		}
		chunk = iov[i].iov_len - skip;
		if (chunk > len - done)
			chunk = len - done;
		memcpy((uint8_t *)buf + done, (uint8_t *)iov[i].iov_base + skip, chunk);
		done += chunk;
		skip = 0;
	}
	return done;
}

size_t buf_to_iov(const struct iovec *iov, unsigned int n, size_t skip, const void *buf, size_t len)
{
	size_t done = 0, chunk;
	unsigned int i;

	for (i = 0; i < n && done < len; i++) {
		if (skip >= iov[i].iov_len) {
			skip -= iov[i].iov_len;
			continue;
		}
		chunk = iov[i].iov_len - skip;
		if (chunk > len - done)
			chunk = len - done;
		memcpy((uint8_t *)iov[i].iov_base + skip, (const uint8_t *)buf + done, chunk);
		done += chunk;
		skip = 0;
	}
	return done;
}

/*
 * L:110 Taking a buffer.  The guest bumped avail->idx for each chain it
 * offers; the difference to our last_avail says how many wait, and can
 * never honestly be more than the queue holds.  A chain is followed
 * through the descriptor table by its "next" fields: each index must be
 * in the table, each buffer inside guest memory, and a chain longer than
 * the table must be going round in circles.  We offer neither indirect
 * descriptors nor event indexes, so a guest using them is confused.
 *
 * Returns 1 with a chain in *c, 0 if the queue is empty, -1 if the guest
 * broke the rules.
 */
/* Record why the guest is wrong and fail the walk. */
#define chain_bad(...) (guest_bad(__VA_ARGS__), -1)

int vq_pop(struct vdev *d, struct virtq *q, struct vq_chain *c)
{
	unsigned int q_nr = q - d->vq, count = 0;
	uint16_t avail_idx, waiting, i;
	struct vring_desc desc;
	struct iovec *iov;
	void *ptr;

	if (!q->ready)
		return 0;
	/* The guest may run meanwhile (an I/O thread): its entries first. */
	avail_idx = __atomic_load_n(&q->avail->idx, __ATOMIC_ACQUIRE);
	waiting = (uint16_t)(avail_idx - q->last_avail);
	if (!waiting)
		return 0;
	if (waiting > q->num)
		return chain_bad("virtqueue %s:%u: avail index jumped from %u to %u",
				 d->type->name, q_nr, q->last_avail, avail_idx);

	i = q->avail->ring[q->last_avail & (q->num - 1)];
	if (i >= q->num)
		return chain_bad("virtqueue %s:%u: chain head %u is beyond its %u descriptors",
				 d->type->name, q_nr, i, q->num);
	memset(c, 0, offsetof(struct vq_chain, out));
	c->head = i;
	for (;;) {
		if (++count > q->num)
			return chain_bad("virtqueue %s:%u: chain at %u loops or is longer than the queue",
					 d->type->name, q_nr, c->head);
		desc = q->desc[i];	/* one copy: check what we use */
		if (desc.flags & VRING_DESC_F_INDIRECT)
			return chain_bad("virtqueue %s:%u: indirect descriptor %u was not offered",
					 d->type->name, q_nr, i);
		ptr = gpa_to_ptr(d->mem, desc.addr, desc.len);
		if (!ptr)
			return chain_bad("virtqueue %s:%u: descriptor %u (%#llx, %u bytes) is outside guest memory",
					 d->type->name, q_nr, i,
					 (unsigned long long)desc.addr, desc.len);
		if (desc.flags & VRING_DESC_F_WRITE) {
			iov = &c->in[c->n_in];
			c->in_len += desc.len;
			if (desc.len)
				c->n_in++;
		} else {
			if (c->n_in)
				return chain_bad("virtqueue %s:%u: readable descriptor %u after a writable one",
						 d->type->name, q_nr, i);
			iov = &c->out[c->n_out];
			c->out_len += desc.len;
			if (desc.len)
				c->n_out++;
		}
		iov->iov_base = ptr;
		iov->iov_len = desc.len;
		if (!(desc.flags & VRING_DESC_F_NEXT))
			break;
		i = desc.next;
		if (i >= q->num)
			return chain_bad("virtqueue %s:%u: descriptor %u chains to %u, beyond %u",
					 d->type->name, q_nr, c->head, i, q->num);
	}
	q->last_avail++;
	return 1;
}

/* Give back the chain we just took, untouched: we could not use it yet. */
void vq_unpop(struct virtq *q)
{
	q->last_avail--;
}

/* L:120 Handing a buffer back: the used ring says which, and how much we wrote. */
void vq_push(struct virtq *q, uint16_t head, uint32_t len)
{
	struct vring_used_elem *e = &q->used->ring[q->used_idx & (q->num - 1)];

	e->id = head;
	e->len = len;
	q->used_idx++;
	/* The entry before the index, as the guest will read them. */
	__atomic_store_n(&q->used->idx, q->used_idx, __ATOMIC_RELEASE);
	q->pushed = true;
}

/*
 * Tell the guest, unless it asked not to be told.  (We do not offer
 * VIRTIO_RING_F_EVENT_IDX, so the avail ring's flag is all there is.)
 */
void vq_interrupt(struct vdev *d, struct virtq *q)
{
	if (!q->pushed)
		return;
	q->pushed = false;
	/*
	 * With the guest running (an I/O thread), our used->idx store and
	 * this load of its flag must not pass each other, or we could miss
	 * its clearing NO_INTERRUPT after it found nothing new: a full
	 * barrier, as the guest has between the two on its side.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&q->avail->flags, __ATOMIC_RELAXED) & VRING_AVAIL_F_NO_INTERRUPT)
		return;
	d->isr |= VIRTIO_MMIO_INT_VRING;
	if (d->env && d->env->raise_irq)
		d->env->raise_irq(d);
}

/* Is there something to read on fd right now?  (Devices with input.) */
bool fd_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}
