// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-mmio and split virtqueues, from the device's side.
 *
 * L:100 The guest finds each device as a page of registers in the window
 * the Launcher declared above its memory (one virtio_mmio.device= argument
 * on its command line per page).  Every access to that page stops the
 * guest and comes to us as an exit; lguest.c decodes the instruction and
 * ends up in vdev_mmio_read() or vdev_mmio_write() below.  That is the
 * whole transport: the version 2 register set of the virtio spec, which
 * is what drivers/virtio/virtio_mmio.c uses when it sees version 2.
 *
 * The data itself never goes through registers.  The guest puts buffers
 * in rings in its own memory and writes QueueNotify; we walk the rings,
 * do the work, put the buffers on the used ring and raise the device's
 * interrupt.  Because the guest has one CPU and is stopped while we run,
 * nothing changes under our feet, but nothing in those rings is trusted
 * either: each index and address is checked before it is used, and any
 * nonsense ends the guest (guest_bad()).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <linux/virtio_config.h>
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
}

/*
 * L:135 I/O threads.  A device that may block for long (a disk) serves its
 * queue in a thread of its own, so that the guest runs on meanwhile: the
 * main thread's QueueNotify only kicks it, and the thread raises the
 * interrupt itself (LGUEST_IRQ may come from any thread).  The thread
 * holds the device's lock except during the I/O of one request, and a
 * register write that could change the queue under that request waits
 * for it: that is all the two threads share.
 */
bool vdev_start_io(struct vdev *d, void *(*fn)(void *))
{
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->kick, NULL);
	pthread_cond_init(&d->idle, NULL);
	d->threaded = true;
	if (pthread_create(&d->thread, NULL, fn, d)) {
		d->threaded = false;
		return false;
	}
	/*
	 * Until the thread is in fn, the C library may still be setting it
	 * up (robust futexes, rseq) with every signal blocked: the sandbox
	 * must not come down on it before then.
	 */
	pthread_mutex_lock(&d->lock);
	while (!d->started)
		pthread_cond_wait(&d->idle, &d->lock);
	pthread_mutex_unlock(&d->lock);
	return true;
}

/* First thing in the thread: say so, and keep the lock. */
void vdev_io_thread_begin(struct vdev *d)
{
	pthread_mutex_lock(&d->lock);
	d->started = true;
	pthread_cond_broadcast(&d->idle);
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
	vdev_kick_io(d);
}

void vdev_kick_io(struct vdev *d)
{
	d->kicked = true;
	pthread_cond_signal(&d->kick);
}

/* The I/O thread, with the lock: sleep until kicked. */
void vdev_wait_kick(struct vdev *d)
{
	while (!d->kicked)
		pthread_cond_wait(&d->kick, &d->lock);
	d->kicked = false;
}

void vdev_io_begin(struct vdev *d)
{
	if (!d->threaded)
		return;
	d->busy = true;
	pthread_mutex_unlock(&d->lock);
}

void vdev_io_end(struct vdev *d)
{
	if (!d->threaded)
		return;
	pthread_mutex_lock(&d->lock);
	d->busy = false;
	pthread_cond_broadcast(&d->idle);
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
	if (d->in_fd < 0 || !d->type->input)
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
	if ((int)q_nr == d->type->input_queue) {
		d->input_stalled = false;
		vdev_input(d);
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
