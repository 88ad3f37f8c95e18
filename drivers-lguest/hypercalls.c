// SPDX-License-Identifier: GPL-2.0
/*
 * H:100 Hypercalls: what a guest asks of its host.
 *
 * A synchronous call arrives as the trap LGUEST_HCALL_VECTOR with its
 * number and arguments in the guest's registers.  Calls that need no
 * answer may instead wait in the ring in lguest_data; we run those first,
 * before any synchronous call and whenever the guest comes back to us,
 * so their order is kept.
 */
#include <linux/kernel.h>
#include <linux/nospec.h>
#include <linux/timekeeping.h>
#include <asm/tsc.h>
#include <asm/trapnr.h>
#include "lg.h"
#include "trace.h"

#define LG_CONSOLE_MAX	4096

static void guest_exit(struct lguest *lg, u32 reason, u32 arg0, u32 arg1)
{
	/*
	 * lg->exit is copied out to the Launcher whole: nothing of an earlier exit
	 * may be left in it.
	 */
	memset(&lg->exit, 0, sizeof(lg->exit));
	lg->exit.reason = reason;
	lg->exit.arg[0] = arg0;
	lg->exit.arg[1] = arg1;
	lg->exit_ready = true;
}

static void do_shutdown(struct lguest *lg, u32 how, u32 msg_gpa)
{
	char *msg = lg->exit.message;
	u32 len = LGUEST_MESSAGE_LEN - 1;

	if (how != LGUEST_SHUTDOWN_POWEROFF && how != LGUEST_SHUTDOWN_RESTART &&
	    how != LGUEST_SHUTDOWN_CRASH) {
		lguest_kill(lg, "unknown shutdown request %u", how);
		return;
	}
	/*
	 * guest_exit() clears the message, so it goes first.  LGUEST_RUN refuses
	 * a stopped guest until the next LGUEST_SETUP.
	 */
	guest_exit(lg, LGUEST_EXIT_SHUTDOWN, how, 0);
	lg->stopped = true;
	/* The reason may end near the end of memory: read what there is. */
	if (msg_gpa < (u64)lg->mem_pages << PAGE_SHIFT)
		len = min_t(u64, len, ((u64)lg->mem_pages << PAGE_SHIFT) - msg_gpa);
	/*
	 * A reason that starts outside memory kills the guest here instead, and
	 * the Launcher is told of that.
	 */
	lguest_read(lg, msg, msg_gpa, len);
	/* Terminated, whatever the guest put there. */
	msg[len] = '\0';
}

/* LHCALL_INIT: the guest tells us where lguest_data is; we fill our part. */
static void do_init(struct lguest *lg, u32 gpa)
{
	struct timespec64 now;

	if (lg->data_gpa) {
		lguest_kill(lg, "LHCALL_INIT made twice");
		return;
	}
	if ((gpa & 3) || !lguest_address_ok(lg, gpa, sizeof(struct lguest_data))) {
		lguest_kill(lg, "lguest_data at %#x is not in its memory", gpa);
		return;
	}
	/*
	 * From here on LG_DATA() points into the page.  The host reads the ring
	 * from slot 0, where the guest starts to fill it.
	 */
	lg->data_gpa = gpa;
	lg->hcall_next = 0;
	ktime_get_real_ts64(&now);
	/*
	 * Everything from the Switcher to 4 GiB: the guest keeps it free, and
	 * makes its descriptors end below it.
	 */
	lguest_write_u32(lg, LG_DATA(lg, reserve_top), (u32)((1ULL << 32) - lguest_guest_top()));
	/*
	 * The guest's clock is our TSC: only if we trust it ourselves, and
	 * if the Launcher may read it (PR_SET_TSC keeps CR4.TSD for it).
	 */
	lguest_write_u32(lg, LG_DATA(lg, tsc_khz),
			 boot_cpu_has(X86_FEATURE_TSC) && !check_tsc_unstable() &&
			 !test_thread_flag(TIF_NOTSC) ? tsc_khz : 0);
	lguest_write(lg, LG_DATA(lg, boot_sec), &now.tv_sec, sizeof(s64));
	lguest_write_u32(lg, LG_DATA(lg, boot_nsec), now.tv_nsec);
	lguest_write_u32(lg, LG_DATA(lg, mem_pages), lg->mem_pages);
	/*
	 * The shadows have the host's format, and the guest's page tables must
	 * too: a guest that does not match stops itself.
	 */
	lguest_write_u32(lg, LG_DATA(lg, paging_levels), LG_PAE ? 3 : 2);
}

static void do_hcall(struct lguest *lg, const struct lguest_hcall_args *a, u32 *ret,
		     bool queued)
{
	*ret = 0;
	trace_lguest_hcall(a->nr, a->arg1, a->arg2, a->arg3, a->arg4, queued);
	/* Any hypercall counts as progress for fault_loop() in x86/core.c. */
	lguest_progress(lg);
	/*
	 * a->nr is the guest's: clamp it as an index under speculation too.
	 * Unknown numbers are counted in slot 0.
	 */
	lg->stats.hcalls[a->nr < LGUEST_STAT_HCALLS ?
			 array_index_nospec(a->nr, LGUEST_STAT_HCALLS) : 0]++;
	/*
	 * Before LHCALL_INIT a guest may only make it, or say why it cannot run
	 * and stop (lg_refuse() on the guest side).
	 */
	if (!lg->data_gpa && a->nr != LHCALL_INIT && a->nr != LHCALL_CONSOLE_WRITE &&
	    a->nr != LHCALL_SHUTDOWN) {
		lguest_kill(lg, "hypercall %u before LHCALL_INIT", a->nr);
		return;
	}
	switch (a->nr) {
	case LHCALL_INIT:
		do_init(lg, a->arg1);
		break;
	case LHCALL_FLUSH_ASYNC:
		break;
	case LHCALL_SHUTDOWN:
		do_shutdown(lg, a->arg1, a->arg2);
		break;
	case LHCALL_CONSOLE_WRITE:
		/*
		 * The Launcher reads the text from guest memory itself: the host only
		 * makes sure it lies there, and is not too long.
		 */
		if (a->arg2 > LG_CONSOLE_MAX || !lguest_address_ok(lg, a->arg1, a->arg2))
			lguest_kill(lg, "console write of %u bytes at %#x", a->arg2, a->arg1);
		else
			guest_exit(lg, LGUEST_EXIT_CONSOLE, a->arg1, a->arg2);
		break;
	case LHCALL_LOAD_IDT_ENTRY:
		lguest_load_idt_entry(lg, a->arg1, a->arg2, a->arg3);
		break;
	case LHCALL_LOAD_GDT_ENTRY:
		lguest_load_gdt_entry(lg, a->arg1, a->arg2, a->arg3);
		break;
	case LHCALL_LOAD_TLS:
		lguest_load_tls(lg, a->arg1);
		break;
	case LHCALL_SET_STACK:
		/*
		 * The CPU takes this stack from the TSS on a trap from ring 3 into
		 * ring 1, and raises #TS for a null selector or an RPL other than 1.
		 * esp needs no check: the host writes through it only in
		 * lguest_deliver_trap(), which checks what it writes to, and the
		 * CPU's own pushes fault like any access of the guest.
		 */
		if ((a->arg1 & 3) != 1 || !(a->arg1 & ~3) ||
		    !lguest_selector_ok(lg, a->arg1, 1, false)) {
			lguest_kill(lg, "bad kernel stack segment %#x", a->arg1);
			break;
		}
		/* Direct system calls need a stack: the IDT may change. */
		lg->changed |= LG_CHANGED_STACK | (lg->stack_ss != a->arg1 ? LG_CHANGED_IDT : 0);
		lg->stack_ss = a->arg1;
		lg->stack_esp = a->arg2;
		break;
	/* 64-bit values come in two registers, the low half first. */
	case LHCALL_NEW_PGTABLE:
		lguest_new_pagetable(lg, a->arg1, a->arg2 | (u64)a->arg3 << 32, a->arg4);
		break;
	case LHCALL_FLUSH_TLB:
		lguest_flush_pagetables(lg, a->arg1);
		break;
	case LHCALL_SET_PTE:
		lguest_set_pte(lg, a->arg1, a->arg2, a->arg3 | (u64)a->arg4 << 32);
		break;
	case LHCALL_SET_PMD:
		lguest_set_pmd(lg, a->arg1, a->arg2, a->arg3 | (u64)a->arg4 << 32);
		break;
	case LHCALL_SET_PGD:
		lguest_set_pgd(lg, a->arg1, a->arg2);
		break;
	case LHCALL_SET_CLOCKEVENT:
		lguest_set_timer(lg, a->arg1);
		break;
	case LHCALL_HALT:
		/*
		 * The run loop sleeps in lguest_halt(), unless an interrupt the
		 * guest has not blocked is already pending.
		 */
		lg->halted = true;
		break;
	case LHCALL_SEND_INTERRUPTS:
		break;			/* the run loop delivers them */
	case LHCALL_CPUID:
		break;			/* answered in lguest_do_hcall_trap() */
	default:
		lguest_kill(lg, "unknown hypercall %u", a->nr);
		*ret = -EINVAL;
		break;
	}
}

/*
 * H:105 The queued calls.  While batching, the guest writes a call into
 * the next slot of the ring in lguest_data and marks it ready instead of
 * trapping; we run them in order from where we stopped, until a slot that
 * is not ready, whenever the guest next enters the host (before any
 * synchronous call, so the order holds).  The guest can rewrite a slot
 * while we read it: each is copied once and only the copy is used.  INIT,
 * HALT and CPUID may not wait in the ring: they answer, or sleep.
 */
/**
 * lguest_do_hypercalls() - Run the hypercalls the guest has queued.
 * @lg: the guest, which has made LHCALL_INIT.
 *
 * Goes once round the ring at most, starting from the host's own position,
 * and stops at a slot that is not ready, when the guest dies, or after a
 * call that needs the Launcher.  Each call run is marked free again.
 *
 * Context: Process context, the guest's lock held.
 */
void lguest_do_hypercalls(struct lguest *lg)
{
	struct lguest_hcall_args a;
	unsigned int n;
	u8 status;
	u32 ret;

	lockdep_assert_held(&lg->lock);

	/*
	 * The ring is in the Launcher's memory, which its other threads can write
	 * while we run: at most one lap per call, so a slot turned ready again
	 * behind us cannot keep us here.  lg->exit holds one exit, so stop at the
	 * first call that needs the Launcher; the next run goes on from the slot
	 * after it.
	 */
	for (n = 0; n < LHCALL_RING_SIZE && !lg->dead && !lg->exit_ready; n++) {
		/*
		 * The host's own position, never lguest_data.hcall_next: slot is always
		 * inside the ring.
		 */
		u32 slot = lg->hcall_next;

		lguest_read(lg, &status, LG_DATA(lg, hcall_status[slot]), 1);
		if (status != LHCALL_SLOT_READY)
			break;
		lguest_read(lg, &a, LG_DATA(lg, hcalls[slot]), sizeof(a));
		if (a.nr == LHCALL_INIT || a.nr == LHCALL_HALT || a.nr == LHCALL_CPUID) {
			lguest_kill(lg, "hypercall %u may not be queued", a.nr);
			break;
		}
		do_hcall(lg, &a, &ret, true);
		/* The guest reuses a slot only once it reads free again. */
		status = LHCALL_SLOT_FREE;
		lguest_write(lg, LG_DATA(lg, hcall_status[slot]), &status, 1);
		lg->hcall_next = (slot + 1) % LHCALL_RING_SIZE;
	}
}

/**
 * lguest_do_hcall_trap() - Handle a synchronous hypercall.
 * @lg: the guest, which trapped with "int $LGUEST_HCALL_VECTOR".
 *
 * The call number and arguments are in the guest's registers, and the
 * result goes back in %eax (LHCALL_CPUID fills %eax to %edx).  The queued
 * calls run first.  From user mode the call is refused with a #GP for the
 * guest instead.
 *
 * Context: Process context, the guest's lock held.
 */
void lguest_do_hcall_trap(struct lguest *lg)
{
	struct lguest_regs *r = lg->regs;
	struct lguest_hcall_args a = {
		.nr = r->eax, .arg1 = r->ebx, .arg2 = r->ecx,
		.arg3 = r->edx, .arg4 = r->esi,
	};
	u32 ret;

	lockdep_assert_held(&lg->lock);

	/* Only the guest kernel may call; to user mode it is a #GP. */
	/*
	 * The real gate's DPL of 1 already makes the CPU answer a user-mode "int"
	 * with this #GP; anything else that arrives here from user mode gets the
	 * same.  The error code is the one a CPU gives: the vector's IDT index,
	 * with bit 1 (IDT) set.
	 */
	if ((r->cs & SEGMENT_RPL_MASK) != 1) {
		r->errcode = LGUEST_HCALL_VECTOR * 8 + 2;
		if (!lguest_deliver_trap(lg, X86_TRAP_GP, true))
			lguest_kill(lg, "hypercall from user mode, and no #GP handler");
		return;
	}
	/* The queued calls were made before this one, so they run first. */
	if (lg->data_gpa)
		lguest_do_hypercalls(lg);
	if (lg->dead)
		return;
	/*
	 * One of them stopped for the Launcher, and lg->exit holds only that
	 * exit: this call, which could need one too, runs again afterwards,
	 * from its "int" (cd 1f).
	 */
	if (lg->exit_ready) {
		r->eip -= 2;
		return;
	}
	/* CPUID answers in four registers, not in %eax alone. */
	if (a.nr == LHCALL_CPUID) {
		u32 out[4];

		lguest_arch_cpuid(a.arg1, a.arg2, out);
		r->eax = out[0];
		r->ebx = out[1];
		r->ecx = out[2];
		r->edx = out[3];
		return;
	}
	do_hcall(lg, &a, &ret, false);
	r->eax = ret;
}
