// SPDX-License-Identifier: GPL-2.0
/*
 * H:010 The core of the host is one loop: run the guest, see to what brought
 * it back, and do it again, until the Launcher has to act.  It stands on
 * every room of the host and nothing stands on it but /dev/lguest
 * (lg.h draws the floors).
 */
#include <linux/sched/signal.h>
#include <linux/freezer.h>
#include <linux/string.h>
#include "lg.h"
#include "trace.h"

/*
 * H:060 The heart of LGUEST_RUN: run the guest, handle what brought it back,
 * and return only when the Launcher has to act.  Being a normal process, the
 * Launcher's thread must stay killable, freezable and preemptible.
 */
/**
 * lguest_run_guest() - Run the guest until the Launcher is needed.
 * @lg: the guest.
 * @exit: filled with why the run ended, when it ends in 0.
 *
 * Each round runs the queued hypercalls, delivers an interrupt if one is
 * due, sleeps while the guest is halted, and otherwise enters the guest
 * and handles the exit.  It returns for a dead guest, an exit prepared for
 * the Launcher, LGUEST_BREAK, or a pending signal.
 *
 * Context: Process context, in the Launcher's thread, with the guest's
 * lock held.  May sleep.
 *
 * Return: 0 with @exit filled in, or -ERESTARTSYS if a signal is pending.
 */
int lguest_run_guest(struct lguest *lg, struct lguest_exit *exit)
{
	lockdep_assert_held(&lg->lock);
	for (;;) {
		/*
		 * What the Launcher must hear of comes first, and death before
		 * all: nothing a dead guest asked for matters any more.
		 */
		if (lg->dead) {
			/*
			 * exit is copied to user space whole: no stale stack
			 * bytes in it.
			 */
			memset(exit, 0, sizeof(*exit));
			exit->reason = LGUEST_EXIT_DEAD;
			strscpy(exit->message, lg->dead_reason, sizeof(exit->message));
			return 0;
		}
		if (lg->exit_ready) {
			/*
			 * Handed out once: the guest goes on at the next
			 * LGUEST_RUN, unless it has shut down.
			 */
			*exit = lg->exit;
			lg->exit_ready = false;
			return 0;
		}
		/*
		 * Set by LGUEST_BREAK from any thread, without our lock.  One
		 * break makes one return.
		 */
		if (READ_ONCE(lg->break_out)) {
			WRITE_ONCE(lg->break_out, false);
			memset(exit, 0, sizeof(*exit));
			exit->reason = LGUEST_EXIT_BREAK;
			return 0;
		}
		/*
		 * The guest's state stays in its register page: a restarted
		 * LGUEST_RUN goes on from there.
		 */
		if (signal_pending(current))
			return -ERESTARTSYS;
		try_to_freeze();
		cond_resched();

		/* Queued hypercalls first: they may change what we run on. */
		if (lg->data_gpa)
			lguest_do_hypercalls(lg);
		/*
		 * A queued call may have killed the guest, or need the Launcher
		 * (a console write, a shutdown).
		 */
		if (lg->dead || lg->exit_ready)
			continue;

		/*
		 * Before the halt check: an interrupt the guest has not blocked
		 * ends a halt (lguest_maybe_deliver_irq() clears halted),
		 * whether or not it can be delivered yet.
		 */
		lguest_maybe_deliver_irq(lg);
		if (lg->dead)
			continue;
		if (lg->halted) {
			/*
			 * Sleep, then go round again: what woke us may be a
			 * signal, a break or an interrupt.
			 */
			lguest_halt(lg);
			continue;
		}

		/*
		 * lguest_arch_enter() fails only for a guest that died on the
		 * way in (its registers failed the checks): the top of the loop
		 * says so.
		 */
		if (lguest_arch_enter(lg))
			lguest_arch_exit(lg);
	}
}
