// SPDX-License-Identifier: GPL-2.0
/*
 * H:110 Traps and interrupts for the guest.
 *
 * The IDT the CPU uses while a guest runs is ours: every vector leads to
 * the Switcher and so back to the host.  The guest's own IDT is only a list
 * of where it wants each vector to go; when a trap or interrupt is the
 * guest's, we deliver it in software, by doing to the guest's registers
 * and stack what the CPU would have done.
 *
 * The guest's interrupt flag lives in lguest_data.irq_enabled.  An
 * interrupt for a guest that has it clear waits, and we set irq_pending so
 * the guest asks for it (LHCALL_SEND_INTERRUPTS) once it enables them.
 */
#include <linux/kernel.h>
#include <linux/nospec.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <asm/desc.h>
#include <asm/trapnr.h>
#include <asm/irq_vectors.h>
#include "lg.h"

#define GATE_PRESENT	0x8000
#define GATE_TYPE(hi)	(((hi) >> 8) & 0x1f)	/* includes the S bit: 0 */
#define GATE_DPL(hi)	(((hi) >> 13) & 3)

/**
 * lguest_trap_has_errcode() - Tell whether the CPU pushes an error code.
 * @vector: an exception vector.
 *
 * Return: true if the frame the CPU pushes for exception @vector holds an
 * error code.
 */
bool lguest_trap_has_errcode(unsigned int vector)
{
	/*
	 * #DF, #TS, #NP, #SS, #GP, #PF and #AC: the exceptions the CPU pushes an
	 * error code for, and the only ones whose Switcher stubs push none.
	 */
	return vector == X86_TRAP_DF || vector == X86_TRAP_AC ||
		(vector >= X86_TRAP_TS && vector <= X86_TRAP_PF);
}

/*
 * H:115 A guest gate must be a 32-bit interrupt or trap gate into the guest's
 * own ring-1 code.  Its DPL says who may raise it with "int": 1 for the
 * guest kernel, 3 for user code too, which only exceptions without an
 * error code (int3, into...) and the system call vector may allow: a
 * user "int" on any other vector would look like a host interrupt.
 */
/**
 * lguest_load_idt_entry() - Check and record one gate of the guest's IDT.
 * @lg: the guest.
 * @vector: the vector the gate is for.
 * @lo: the low word of the gate descriptor.
 * @hi: the high word of the gate descriptor.
 *
 * A gate that is not present empties the entry.  A vector that is not the
 * guest's (the hypercall vector, or one beyond the table), or a gate that
 * breaks the rules above, kills the guest.  The real IDT is built afresh
 * from the entries before the guest next runs.
 *
 * Context: Process context, the guest's lock held.
 */
void lguest_load_idt_entry(struct lguest *lg, u32 vector, u32 lo, u32 hi)
{
	u32 sel = lo >> 16, idx = sel >> 3, dhi;

	lockdep_assert_held(&lg->lock);

	if (vector >= IDT_ENTRIES || vector == LGUEST_HCALL_VECTOR) {
		lguest_kill(lg, "IDT entry %u is not the guest's", vector);
		return;
	}
	/* The guest picks the index: no speculating past the checks either. */
	vector = array_index_nospec(vector, IDT_ENTRIES);
	/*
	 * An empty gate: a vector that reaches it finds no handler, and that kills
	 * the guest.
	 */
	if (!(hi & GATE_PRESENT)) {
		lg->idt[vector].lo = 0;
		lg->idt[vector].hi = 0;
		lg->changed |= LG_CHANGED_IDT;
		return;
	}
	/*
	 * lguest_deliver_trap() builds the frame of a 32-bit interrupt or trap
	 * gate and no other: a 16-bit gate pushes another shape, and a task gate
	 * would be a task switch.
	 */
	if (GATE_TYPE(hi) != GATE_INTERRUPT && GATE_TYPE(hi) != GATE_TRAP) {
		lguest_kill(lg, "IDT entry %u: type %#x is not an interrupt or trap gate",
			    vector, GATE_TYPE(hi));
		return;
	}
	if (GATE_DPL(hi) == 0) {
		lguest_kill(lg, "IDT entry %u: DPL 0 gate", vector);
		return;
	}
	if (GATE_DPL(hi) == 3 &&
	    (lguest_trap_has_errcode(vector) ||
	     (vector >= FIRST_EXTERNAL_VECTOR && vector != IA32_SYSCALL_VECTOR))) {
		lguest_kill(lg, "IDT entry %u: user mode may not raise it", vector);
		return;
	}
	/* The code segment may come later, but it may not be ring 0's. */
	if (idx == 0 || idx >= LGUEST_GDT_ENTRIES || (sel & SEGMENT_TI_MASK) ||
	    idx == LGUEST_GDT_ENTRY_SWITCHER_CS || idx == LGUEST_GDT_ENTRY_SWITCHER_DS ||
	    idx == LGUEST_GDT_ENTRY_SWITCHER64_CS || idx == LGUEST_GDT_ENTRY_SWITCHER64_DS) {
		lguest_kill(lg, "IDT entry %u: gate into segment %#x", vector, sel);
		return;
	}
	idx = array_index_nospec(idx, LGUEST_GDT_ENTRIES);
	/*
	 * An entry already loaded must be ring 1's.  That it is code, and still
	 * present, is checked each time a trap is delivered through the gate.
	 */
	memcpy(&dhi, (char *)&lg->gdt[idx] + 4, 4);
	if ((dhi & GATE_PRESENT) && ((dhi >> 13) & 3) != 1) {
		lguest_kill(lg, "IDT entry %u: gate into ring-%u code", vector, (dhi >> 13) & 3);
		return;
	}
	/*
	 * The real IDT takes its system call gate and its DPLs from here: rebuild
	 * it before the guest runs again.
	 */
	lg->idt[vector].lo = lo;
	lg->idt[vector].hi = hi;
	lg->changed |= LG_CHANGED_IDT;
}

/*
 * H:120 May the guest raise vector v with "int"?  Not where the CPU pushes an
 * error code (the frame would be wrong), and not the vectors whose exits
 * the host handles itself: the NMI and the machine check, whose handlers
 * it runs, and the external interrupts, which the Switcher hands to the
 * host's own handlers.  The system call vector is the exception.
 */
static bool soft_int_ok(unsigned int v)
{
	if (v == IA32_SYSCALL_VECTOR)
		return true;
	return v < FIRST_EXTERNAL_VECTOR && v != X86_TRAP_NMI && v != X86_TRAP_MC &&
		!lguest_trap_has_errcode(v);
}

/*
 * H:125 A system call from the guest's user mode can go straight to the guest
 * kernel, without a trip through the host, when nothing about it needs
 * the host: a trap gate (an interrupt gate would clear the real
 * interrupt flag in ring 1, and the host would never get the CPU back),
 * into guest ring-1 code, with a kernel stack for the CPU to switch to.
 * Faults on the way in (a bad stack, a segment the guest has since
 * broken) still come to us through their own vectors.
 */
static bool direct_trap(struct lguest *lg, unsigned int v)
{
	u32 hi = lg->idt[v].hi, sel = ((lg->idt[v].lo >> 16) & ~SEGMENT_RPL_MASK) | 1;

	/*
	 * Not on a 64-bit host: a long-mode gate must lead to 64-bit code, so
	 * every vector goes through the Switcher there.
	 */
	if (IS_ENABLED(CONFIG_X86_64))
		return false;
	/*
	 * The real IDT is rebuilt when the GDT changes, but not for a TLS load,
	 * which comes with every context switch: a gate into a TLS slot would
	 * leave the CPU using a descriptor the host never saw with it.
	 */
	if (sel >> 3 >= LGUEST_GDT_ENTRY_TLS_MIN &&
	    sel >> 3 < LGUEST_GDT_ENTRY_TLS_MIN + LGUEST_GDT_ENTRY_TLS_ENTRIES)
		return false;
	return v == IA32_SYSCALL_VECTOR && (hi & GATE_PRESENT) &&
		GATE_TYPE(hi) == GATE_TRAP && GATE_DPL(hi) == 3 && lg->stack_ss &&
		lguest_selector_ok(lg, sel, 1, true);
}

/**
 * lguest_real_idt() - Build the IDT the CPU uses while the guest runs.
 * @lg: the guest.
 * @idt: the table to fill, IDT_ENTRIES gates.
 *
 * Every vector leads to its stub in the Switcher, with a DPL that lets the
 * guest raise it with "int" only where that is safe and its own gate
 * allows it; the hypercall vector is open to the guest kernel alone.  The
 * exception is a system call gate that direct_trap() accepts, which goes
 * straight to the guest's handler.
 */
void lguest_real_idt(struct lguest *lg, gate_desc *idt)
{
	unsigned int v, dpl;

	for (v = 0; v < IDT_ENTRIES; v++) {
		/*
		 * A system call gate direct_trap() passes: the CPU itself takes it
		 * from user mode into the guest's ring-1 handler, on the stack the
		 * TSS holds in ss1:esp1.
		 */
		if (direct_trap(lg, v)) {
			pack_gate(&idt[v], GATE_TRAP,
				  (lg->idt[v].lo & 0xffff) | (lg->idt[v].hi & 0xffff0000), 3, 0,
				  ((lg->idt[v].lo >> 16) & ~SEGMENT_RPL_MASK) | 1);
			continue;
		}
		/*
		 * Everything else goes to the vector's stub in the Switcher.  DPL 0 means
		 * only the CPU may raise the vector: a guest "int" on it gets #GP, which
		 * the host then sees as vector 13.
		 */
		dpl = 0;
		/* The hypercall gate: open to the guest kernel (CPL 1), not to user mode. */
		if (v == LGUEST_HCALL_VECTOR)
			dpl = 1;
		else if (soft_int_ok(v) && (lg->idt[v].hi & GATE_PRESENT))
			dpl = GATE_DPL(lg->idt[v].hi);
		/*
		 * Interrupt gates, so IF stays clear while the Switcher runs: an interrupt
		 * inside it would come back through these gates with a ring-0 %cs, and
		 * the Switcher takes anything there but an NMI for a fault of its own.
		 */
		pack_gate(&idt[v], GATE_INTERRUPT, lguest_stub_addr(v), dpl, lguest_stub_ist(v),
			  LGUEST_CS);
	}
}

/* Push one word on the guest's stack, as the CPU would. */
static bool push_guest(struct lguest *lg, u32 *esp, u32 val)
{
	u32 gpa;

	/*
	 * The guest's own page tables say where esp is, and the page they name
	 * must be in its memory.  An esp that is not 4-aligned may straddle two
	 * pages; the write then goes on into the next guest-physical page, which
	 * lguest_address_ok() covers too.
	 */
	*esp -= 4;
	if (!lguest_va_to_pa(lg, *esp, &gpa) || !lguest_address_ok(lg, gpa, 4)) {
		lguest_kill(lg, "trap %u: guest stack at %#x is not in its memory",
			    lg->regs->trapnum, *esp);
		return false;
	}
	lguest_write_u32(lg, gpa, val);
	/* A failed user copy has killed the guest. */
	return !lg->dead;
}

/*
 * Push the n words of a frame, words[0] the last one pushed (at the lowest
 * address).  A frame within one page of the guest's, which is nearly every
 * one, takes a single walk of its page tables and a single write, where
 * word by word it took one of each per word: that was most of what the
 * host spent on a system call bounced through it.
 */
static bool push_frame(struct lguest *lg, u32 *esp, const u32 *words, unsigned int n)
{
	u32 low = *esp - n * 4, gpa;

	if (low >> PAGE_SHIFT != (*esp - 1) >> PAGE_SHIFT) {
		while (n--)
			if (!push_guest(lg, esp, words[n]))
				return false;
		return true;
	}
	if (!lguest_va_to_pa(lg, low, &gpa) || !lguest_address_ok(lg, gpa, n * 4)) {
		lguest_kill(lg, "trap %u: guest stack at %#x is not in its memory",
			    lg->regs->trapnum, low);
		return false;
	}
	lguest_write(lg, gpa, words, n * 4);
	*esp = low;
	return !lg->dead;
}

/*
 * H:130 Deliver a vector to the guest's handler: switch to its kernel stack if
 * it was in user mode, push the frame, jump.  False if the guest has no
 * usable handler; the guest may also die here on a bad stack.
 */
/**
 * lguest_deliver_trap() - Make the guest take a trap or interrupt.
 * @lg: the guest.
 * @vector: the vector to deliver, below IDT_ENTRIES.
 * @has_err: whether to push the error code in lg->regs as well.
 *
 * Does to the guest's registers and stack what the CPU does through the
 * guest's gate for @vector.  A stack outside the guest's memory, or none to
 * switch to from user mode, kills the guest.
 *
 * Context: Process context, the guest's lock held.
 *
 * Return: false if the gate is empty or its code segment no longer
 * usable, and nothing was changed; true otherwise, even when the guest
 * died on the way.
 */
bool lguest_deliver_trap(struct lguest *lg, unsigned int vector, bool has_err)
{
	struct lguest_regs *r = lg->regs;
	u32 lo = lg->idt[vector].lo, hi = lg->idt[vector].hi;
	u32 sel = ((lo >> 16) & ~SEGMENT_RPL_MASK) | 1;
	u32 ss = r->ss, esp = r->esp, eflags = r->eflags & ~X86_EFLAGS_IF;
	u32 frame[6];
	unsigned int n = 0;

	lockdep_assert_held(&lg->lock);

	/*
	 * The handler must be in ring-1 code: sel is the gate's selector as %cs
	 * would hold it there.  The guest may have emptied the gate or broken its
	 * segment since loading it.
	 */
	if (!(hi & GATE_PRESENT) || !lguest_selector_ok(lg, sel, 1, true))
		return false;
	/*
	 * The real IF is always on while the guest runs, so the frame shows the
	 * guest's virtual flag instead: that is what its iret copies back.
	 */
	if (lg->data_gpa &&
	    (lguest_read_u32(lg, LG_DATA(lg, irq_enabled)) & X86_EFLAGS_IF))
		eflags |= X86_EFLAGS_IF;

	/*
	 * The frame, lowest word first: the error code if any, eip, cs and
	 * eflags.  From user mode the CPU would switch to the kernel stack
	 * (the one LHCALL_SET_STACK gave, ss1:esp1 in the TSS) and push the
	 * old ss:esp there first.  From here on, true means handled even when
	 * the guest has died: its reason is already recorded.
	 */
	if (has_err)
		frame[n++] = r->errcode;
	frame[n++] = r->eip;
	frame[n++] = r->cs;
	frame[n++] = eflags;
	if ((r->cs & SEGMENT_RPL_MASK) == 3) {
		if (!lg->stack_ss) {
			lguest_kill(lg, "trap %u from user mode, but no kernel stack", vector);
			return true;
		}
		frame[n++] = r->esp;
		frame[n++] = r->ss;
		ss = lg->stack_ss;
		esp = lg->stack_esp;
	}
	if (!push_frame(lg, &esp, frame, n))
		return true;

	/*
	 * No register changes until the whole frame is on the stack.  The new
	 * ss:esp and cs:eip are checked like any others before the guest next
	 * runs (sanitize_regs() in x86/core.c).
	 */
	r->ss = ss;
	r->esp = esp;
	r->cs = sel;
	r->eip = (lo & 0xffff) | (hi & 0xffff0000);
	/*
	 * As the CPU does through any gate; an interrupt gate also clears IF, and
	 * here that is the guest's flag in lguest_data.
	 */
	r->eflags &= ~(X86_EFLAGS_TF | X86_EFLAGS_RF | X86_EFLAGS_NT);
	if (GATE_TYPE(hi) == GATE_INTERRUPT && lg->data_gpa)
		lguest_write_u32(lg, LG_DATA(lg, irq_enabled), 0);
	return true;
}

/* The guest's mask of blocked interrupts; all of them before it set up. */
static void read_blocked(struct lguest *lg, u32 *blocked)
{
	if (!lg->data_gpa) {
		memset(blocked, 0xff, LGUEST_IRQS / 8);
		return;
	}
	lguest_read(lg, blocked, LG_DATA(lg, blocked_interrupts), LGUEST_IRQS / 8);
}

/* The first pending interrupt that blocked does not mask, or -1. */
static int first_unblocked(struct lguest *lg, const u32 *blocked)
{
	unsigned int irq;

	for_each_set_bit(irq, lg->irqs_pending, LGUEST_IRQS)
		if (!(blocked[irq / 32] & (1U << (irq % 32))))
			return irq;
	return -1;
}

static int next_irq(struct lguest *lg)
{
	u32 blocked[LGUEST_IRQS / 32];

	read_blocked(lg, blocked);
	return first_unblocked(lg, blocked);
}

/*
 * H:140 The guest halted: sleep until an interrupt it has not blocked, a signal
 * or LGUEST_BREAK wants us.  Reading the guest's mask may fault, and so
 * sleep, so it is read before the task state changes; a halted guest
 * cannot change it meanwhile.  The bits of irqs_pending are set before the
 * wake-up, so one that arrives after we look still wakes us.
 */
/**
 * lguest_halt() - Sleep while the guest is halted.
 * @lg: the guest, which made LHCALL_HALT.
 *
 * Sleeps until the thread is woken, unless an interrupt the guest has not
 * blocked, LGUEST_BREAK or a signal is pending already.  Whatever ends the
 * sleep, the guest is no longer halted: it carries on after its HALT.
 *
 * Context: Process context, in the Launcher's thread, with the guest's
 * lock held.  May sleep.
 */
void lguest_halt(struct lguest *lg)
{
	u32 blocked[LGUEST_IRQS / 32];

	read_blocked(lg, blocked);
	/*
	 * set_current_state() is a full barrier: a waker whose bit our check below
	 * misses has not yet woken us, and its wake-up makes schedule() return.
	 */
	set_current_state(TASK_INTERRUPTIBLE);
	if (first_unblocked(lg, blocked) < 0 && !READ_ONCE(lg->break_out) &&
	    !signal_pending(current))
		schedule();
	/*
	 * Whatever woke us, the guest carries on after its HALT; its idle loop
	 * halts again if it has nothing to do.
	 */
	__set_current_state(TASK_RUNNING);
	lg->halted = false;
}

/**
 * lguest_maybe_deliver_irq() - Deliver a pending interrupt, if the guest can take it.
 * @lg: the guest.
 *
 * Picks the first pending interrupt the guest has not blocked; any such
 * interrupt ends a halt.  With the guest's interrupts off, it sets
 * lguest_data.irq_pending instead; inside the guest's iret sequence or the
 * start of a direct system call, it stays pending for a later exit.  A
 * guest with no handler for the interrupt is killed.
 *
 * Context: Process context, the guest's lock held.
 */
void lguest_maybe_deliver_irq(struct lguest *lg)
{
	struct lguest_regs *r = lg->regs;
	u32 start, end;
	int irq;

	lockdep_assert_held(&lg->lock);

	/* Most exits have nothing to deliver: no need to read the guest's mask. */
	if (bitmap_empty(lg->irqs_pending, LGUEST_IRQS))
		return;
	irq = next_irq(lg);
	if (irq < 0)
		return;
	/*
	 * next_irq() finds nothing before LHCALL_INIT, so lguest_data exists from
	 * here on.  A halted guest wakes for any interrupt it has not blocked,
	 * even with its interrupts off: its idle code relies on that.
	 */
	lg->halted = false;
	if (!(lguest_read_u32(lg, LG_DATA(lg, irq_enabled)) & X86_EFLAGS_IF)) {
		/* The guest asks for it with LHCALL_SEND_INTERRUPTS once it enables them. */
		lguest_write_u32(lg, LG_DATA(lg, irq_pending), 1);
		return;
	}
	/*
	 * H:135 Not in the middle of the guest's return from an interrupt, nor
	 * in the first instructions of a system call that came straight from
	 * user mode: the CPU left the guest's interrupts as they were, on, and
	 * the guest turns them off there.
	 */
	start = lguest_read_u32(lg, LG_DATA(lg, noirq_iret_start));
	end = lguest_read_u32(lg, LG_DATA(lg, noirq_iret_end));
	if (r->eip >= start && r->eip < end)
		return;
	start = lguest_read_u32(lg, LG_DATA(lg, noirq_syscall_start));
	end = lguest_read_u32(lg, LG_DATA(lg, noirq_syscall_end));
	if (r->eip >= start && r->eip < end)
		return;

	clear_bit(irq, lg->irqs_pending);
	lguest_write_u32(lg, LG_DATA(lg, irq_pending), 0);
	/*
	 * trapnum still holds the last exit's vector; push_frame() names this one
	 * if the stack turns out bad.
	 */
	r->trapnum = LGUEST_FIRST_IRQ_VECTOR + irq;
	if (!lguest_deliver_trap(lg, LGUEST_FIRST_IRQ_VECTOR + irq, false))
		lguest_kill(lg, "no handler for interrupt %d", irq);
}

/* The guest's clock event is an hrtimer that raises its timer IRQ. */
static enum hrtimer_restart lguest_timer_fired(struct hrtimer *timer)
{
	struct lguest *lg = container_of(timer, struct lguest, timer);

	/*
	 * Interrupt context, without lg->lock: an atomic bit for the run loop
	 * and a wake-up in case the guest is halted.  lg->tsk was set before the
	 * guest could run, let alone arm the timer.
	 */
	set_bit(LGUEST_TIMER_IRQ, lg->irqs_pending);
	wake_up_process(lg->tsk);
	return HRTIMER_NORESTART;
}

/**
 * lguest_setup_timer() - Prepare the guest's clock event.
 * @lg: the guest.
 *
 * Sets up the hrtimer that raises the guest's timer IRQ and wakes the
 * Launcher's thread when it fires.  It is not started here.
 */
void lguest_setup_timer(struct lguest *lg)
{
	hrtimer_setup(&lg->timer, lguest_timer_fired, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
}

/**
 * lguest_set_timer() - Arm or stop the guest's clock event.
 * @lg: the guest.
 * @delta_ns: nanoseconds from now until the timer IRQ, or 0 to stop it.
 *
 * Delays under a microsecond are rounded up to one: a guest cannot have
 * more than one tick per microsecond.
 */
void lguest_set_timer(struct lguest *lg, u32 delta_ns)
{
	if (!delta_ns) {
		hrtimer_cancel(&lg->timer);
		return;
	}
	hrtimer_start(&lg->timer, ns_to_ktime(max_t(u32, delta_ns, NSEC_PER_USEC)),
		      HRTIMER_MODE_REL);
}
