// SPDX-License-Identifier: GPL-2.0
/*
 * H:012 What every room of the host stands on: reaching into the guest, and
 * giving up on it.
 *
 * The guest's memory is ordinary memory of the Launcher process, mapped at
 * lg->mem_base.  Every access the host makes on the guest's behalf goes
 * through the Launcher's address space with the usual user-copy checks,
 * after checking the guest-physical range against the guest's size: a
 * guest can name any address it likes, and a bad one only kills it.  The
 * user copies need the Launcher's mm, which is current: everything here
 * runs in the thread that called LGUEST_RUN or LGUEST_SETUP.
 */
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include "lg.h"

/**
 * lguest_address_ok() - Check that a guest-physical range is guest memory.
 * @lg: the guest.
 * @gpa: the guest-physical address the range starts at.
 * @len: the length of the range, in bytes.
 *
 * The end is worked out in 64 bits: a range that would wrap around past
 * 4 GiB counts as outside.
 *
 * Return: true if [@gpa, @gpa + @len) lies inside the guest's memory.
 */
bool lguest_address_ok(const struct lguest *lg, u32 gpa, u32 len)
{
	u64 end = (u64)gpa + len;

	return end <= (u64)lg->mem_pages << PAGE_SHIFT;
}

/*
 * H:150 Read and write guest memory.  A bad address kills the guest, and a read
 * then returns zeroes, so callers can carry on and notice later.
 */
/**
 * lguest_read() - Copy bytes out of guest memory.
 * @lg: the guest.
 * @dst: where to copy them, in the host.
 * @gpa: the guest-physical address to read from.
 * @len: how many bytes to copy.
 *
 * A range outside the guest's memory, or one the Launcher no longer has
 * mapped, kills the guest and fills @dst with zeroes.
 *
 * Context: Process context, in the Launcher's thread (its mm holds the
 * guest's memory), with the guest's lock held.  May sleep.
 */
void lguest_read(struct lguest *lg, void *dst, u32 gpa, u32 len)
{
	void __user *src = (void __user *)(lg->mem_base + gpa);

	/*
	 * src is used only once the range check has passed, and then lies in
	 * the memory LGUEST_SETUP checked against TASK_SIZE.  The Launcher may
	 * have unmapped or protected that memory since: copy_from_user() then
	 * fails, and the guest dies, not the host.
	 */
	if (!lguest_address_ok(lg, gpa, len) || copy_from_user(dst, src, len)) {
		/*
		 * Even what was copied is cleared: some callers use the value
		 * before they look at lg->dead.
		 */
		memset(dst, 0, len);
		lguest_kill(lg, "bad read of %u bytes at guest-physical %#x", len, gpa);
	}
}

/**
 * lguest_write() - Copy bytes into guest memory.
 * @lg: the guest.
 * @gpa: the guest-physical address to write to.
 * @src: the bytes to copy, in the host.
 * @len: how many bytes to copy.
 *
 * A range outside the guest's memory, or one the Launcher no longer has
 * mapped, kills the guest; part of the bytes may have been stored.
 *
 * Context: Process context, in the Launcher's thread, with the guest's
 * lock held.  May sleep.
 */
void lguest_write(struct lguest *lg, u32 gpa, const void *src, u32 len)
{
	void __user *dst = (void __user *)(lg->mem_base + gpa);

	/*
	 * Checked as for a read.  A write that fails halfway has stored some of
	 * the bytes, which no longer matters: the guest is dead.
	 */
	if (!lguest_address_ok(lg, gpa, len) || copy_to_user(dst, src, len))
		lguest_kill(lg, "bad write of %u bytes at guest-physical %#x", len, gpa);
}

/**
 * lguest_read_u32() - Read one 32-bit word of guest memory.
 * @lg: the guest.
 * @gpa: the guest-physical address of the word.
 *
 * As lguest_read(): a bad address kills the guest.
 *
 * Context: As for lguest_read().
 *
 * Return: the word, or 0 if it could not be read.
 */
u32 lguest_read_u32(struct lguest *lg, u32 gpa)
{
	u32 val;

	lguest_read(lg, &val, gpa, sizeof(val));
	return val;
}

/**
 * lguest_write_u32() - Write one 32-bit word of guest memory.
 * @lg: the guest.
 * @gpa: the guest-physical address of the word.
 * @val: the value to store there.
 *
 * As lguest_write(): a bad address kills the guest.
 *
 * Context: As for lguest_write().
 */
void lguest_write_u32(struct lguest *lg, u32 gpa, u32 val)
{
	lguest_write(lg, gpa, &val, sizeof(val));
}

/**
 * lguest_kill() - Mark the guest dead, and say why.
 * @lg: the guest.
 * @fmt: a printf-style format for the reason.
 * @...: the arguments @fmt names.
 *
 * Only the first reason is kept: later ones tend to be its consequences.
 * The guest does not run again unless the Launcher sets it up afresh, and
 * lguest_run_guest() hands the reason to the Launcher.  The caller goes on
 * and unwinds as usual.
 *
 * Context: The guest's lock held.
 */
void lguest_kill(struct lguest *lg, const char *fmt, ...)
{
	va_list args;

	lockdep_assert_held(&lg->lock);
	if (lg->dead)
		return;
	va_start(args, fmt);
	vscnprintf(lg->dead_reason, sizeof(lg->dead_reason), fmt, args);
	va_end(args);
	/*
	 * Only a flag: the caller may be deep in a walk or a delivery, and
	 * unwinds as usual.  lguest_run_guest() sees it before the guest could
	 * run again; what the guest holds is freed at the next LGUEST_SETUP or
	 * when the file is closed.
	 */
	lg->dead = true;
}
