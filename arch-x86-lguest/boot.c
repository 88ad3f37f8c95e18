// SPDX-License-Identifier: GPL-2.0
/*
 * G:010 An lguest guest: this kernel, running in ring 1 under an lguest host.
 *
 * The same vmlinux boots on bare metal.  What makes it a guest is where
 * it starts: the Launcher reads the vmlinux's "lguest" ELF note and
 * starts it at lguest_entry (head_32.S) instead of startup_32, which
 * brings us to lguest_init() below.
 *
 * From there the story is one of substitution.  Whatever the kernel would
 * do with a privileged instruction it does through a paravirt op, and we
 * fill the ops with hypercalls or with plain memory accesses to the page
 * we share with the host, struct lguest_data:
 *
 *  - the interrupt flag is lguest_data.irq_enabled, and the host delivers
 *    an interrupt only when it is set (lguest_iret in head_32.S restores
 *    it on the way out of an interrupt);
 *  - descriptor tables are copied to the host entry by entry, which checks
 *    them; we adjust ours first so that they pass (ring 1, and nothing
 *    reaching the host's Switcher at the top of memory);
 *  - page tables are ours to write as we like.  The host builds its own
 *    shadow of them on demand and treats them like a TLB: we tell it when
 *    we flush.  Kernel mappings are "global", user ones are not, just as
 *    the kernel arranges on a CPU with PGE: see lg_write_cr3();
 *  - time comes from the TSC and the host's one-shot timer, which raises
 *    IRQ 0;
 *  - devices are virtio-mmio, emulated by the Launcher; their interrupts
 *    are lguest IRQs like the timer's.
 */
#define pr_fmt(fmt) "lguest: " fmt

#include <linux/kernel.h>
#include <linux/init.h>
#include <linux/irq.h>
#include <linux/interrupt.h>
#include <linux/clockchips.h>
#include <linux/console.h>
#include <linux/reboot.h>
#include <linux/panic_notifier.h>
#include <linux/start_kernel.h>
#include <linux/pgtable.h>
#include <linux/cpufeature.h>
#include <asm/lguest_hcall.h>
#include <asm/lguest.h>
#include <asm/paravirt.h>
#include <asm/debugreg.h>
#include <asm/desc.h>
#include <asm/sections.h>
#include <asm/setup.h>
#include <asm/tlbflush.h>
#include <asm/x86_init.h>
#include <asm/irq_vectors.h>
#include <asm/hw_irq.h>
#include <asm/tsc.h>
#include <asm/traps.h>
#include <asm/bootparam.h>
#include <asm/reboot.h>

/* The page we share with the host.  irq_enabled must come first: see head_32.S. */
struct lguest_data lguest_data __aligned(64);
static_assert(offsetof(struct lguest_data, irq_enabled) == 0);

/*
 * The IRQs our virtio-mmio devices may use.  The host numbers up to
 * LGUEST_IRQS, but a 32-bit kernel without an IO-APIC has only the
 * legacy range of descriptors to spare, and the Launcher needs few.
 */
#define LGUEST_GUEST_IRQS	NR_IRQS_LEGACY

/*
 * G:060 Hypercalls.  The host takes "int $LGUEST_HCALL_VECTOR" from ring 1 with
 * the call in %eax and its arguments in %ebx, %ecx, %edx and %esi.
 */
static unsigned long hcall(unsigned long call, unsigned long arg1,
			   unsigned long arg2, unsigned long arg3,
			   unsigned long arg4)
{
	asm volatile("int $" __stringify(LGUEST_HCALL_VECTOR)
		     : "+a" (call)
		     : "b" (arg1), "c" (arg2), "d" (arg3), "S" (arg4)
		     : "memory");
	return call;
}

/*
 * G:070 Calls whose result we do not need can wait in the ring inside
 * lguest_data while we are batching (loading a whole descriptor table,
 * switching tasks); the host runs them, in order, before the next
 * synchronous call or whenever we next enter it anyway.
 */
static unsigned int batch_depth;

static void start_batch(void)
{
	batch_depth++;
}

static void end_batch(void)
{
	if (!--batch_depth)
		hcall(LHCALL_FLUSH_ASYNC, 0, 0, 0, 0);
}

static void async_hcall(u32 call, u32 arg1, u32 arg2, u32 arg3, u32 arg4)
{
	unsigned long flags;
	u32 next;

	if (!batch_depth) {
		hcall(call, arg1, arg2, arg3, arg4);
		return;
	}
	local_irq_save(flags);
	next = lguest_data.hcall_next;
	/* The ring is full: let the host empty it. */
	if (READ_ONCE(lguest_data.hcall_status[next]) != LHCALL_SLOT_FREE)
		hcall(LHCALL_FLUSH_ASYNC, 0, 0, 0, 0);
	lguest_data.hcalls[next] = (struct lguest_hcall_args) {
		.nr = call, .arg1 = arg1, .arg2 = arg2, .arg3 = arg3, .arg4 = arg4,
	};
	/* The host must not see the slot ready before its arguments. */
	wmb();
	WRITE_ONCE(lguest_data.hcall_status[next], LHCALL_SLOT_READY);
	lguest_data.hcall_next = (next + 1) % LHCALL_RING_SIZE;
	local_irq_restore(flags);
}

/*
 * G:080 The interrupt flag.  These three are called in place of pushf, cli and
 * sti, from places that expect no register but %eax to change, hence the
 * callee-save thunks.
 */
static __used unsigned long lg_save_fl(void)
{
	return READ_ONCE(lguest_data.irq_enabled);
}

PV_CALLEE_SAVE_REGS_THUNK(lg_save_fl);

static __used void lg_irq_disable(void)
{
	WRITE_ONCE(lguest_data.irq_enabled, 0);
}

PV_CALLEE_SAVE_REGS_THUNK(lg_irq_disable);

/*
 * G:100 An interrupt that came while the flag was clear waits in the host,
 * which sets irq_pending; once interrupts are back on we ask for it.
 */
static __used void lg_irq_enable(void)
{
	WRITE_ONCE(lguest_data.irq_enabled, X86_EFLAGS_IF);
	barrier();
	if (READ_ONCE(lguest_data.irq_pending))
		hcall(LHCALL_SEND_INTERRUPTS, 0, 0, 0, 0);
}

PV_CALLEE_SAVE_REGS_THUNK(lg_irq_enable);

/*
 * G:110 Idle.  The host wakes a halted guest when an interrupt is pending, even
 * with interrupts off, so halting before enabling them cannot miss one
 * that arrives in between (which "sti; hlt" solves with the instruction
 * shadow); enabling them afterwards takes it.
 */
static void lg_safe_halt(void)
{
	hcall(LHCALL_HALT, 0, 0, 0, 0);
	lg_irq_enable();
}

static void lg_halt(void)
{
	hcall(LHCALL_HALT, 0, 0, 0, 0);
}

/*
 * G:120 Descriptor tables.  The host keeps its own checked copies; the CPU
 * never reads ours.  It accepts only ring-1 and ring-3 code and data segments
 * that end below the Switcher, and the entries it reserves for itself (its code
 * and data, the TSS, the LDT and the double-fault TSS) are not ours to send.
 */
#define DESC_S		BIT(12)
#define DESC_PRESENT	BIT(15)
#define DESC_DPL_SHIFT	13
#define DESC_DPL_MASK	(3U << DESC_DPL_SHIFT)
#define DESC_DIR	BIT(10)		/* conforming code, expand-down data */
#define DESC_CODE	BIT(11)
#define DESC_G		BIT(23)

/*
 * Where the host's Switcher starts: a 32-bit host reserves the top of our
 * 4 GiB for it, a 64-bit one nothing (reserve_top 0, the end is 4 GiB).
 */
static u64 switcher_base(void)
{
	return (1ULL << 32) - lguest_data.reserve_top;
}

static bool host_gdt_entry(unsigned int idx)
{
	return idx == LGUEST_GDT_ENTRY_SWITCHER_CS || idx == LGUEST_GDT_ENTRY_SWITCHER_DS ||
		idx == LGUEST_GDT_ENTRY_SWITCHER64_CS || idx == LGUEST_GDT_ENTRY_SWITCHER64_DS ||
		idx == GDT_ENTRY_TSS || idx == GDT_ENTRY_LDT || idx == GDT_ENTRY_DOUBLEFAULT_TSS;
}

/*
 * G:130 Make a descriptor acceptable: ring 0 becomes ring 1, a flat segment
 * stops short of the Switcher, and whatever cannot be fixed (a system
 * descriptor, a conforming code segment, one starting beyond the limit)
 * is sent as not present.  An expand-down data segment would reach the
 * top of memory, the Switcher: the kernel's only one, GDT_ENTRY_CPUNODE,
 * carries the CPU and node number in its limit for the vDSO's lsl, which
 * reads the same limit from an expand-up segment, so it becomes one.
 */
static void fix_descriptor(u32 *lo, u32 *hi)
{
	u32 base = (*lo >> 16) | ((*hi & 0xff) << 16) | (*hi & 0xff000000);
	u32 limit = (*lo & 0xffff) | (*hi & 0x000f0000);
	u64 top = switcher_base();
	u64 end;

	if (!(*hi & DESC_PRESENT))
		return;
	if (!(*hi & DESC_S) || ((*hi & DESC_DIR) && (*hi & DESC_CODE)) || base >= top)
		goto drop;
	*hi &= ~DESC_DIR;
	if (!(*hi & DESC_DPL_MASK))
		*hi |= 1U << DESC_DPL_SHIFT;

	end = (u64)base + ((*hi & DESC_G) ? ((u64)limit << PAGE_SHIFT) | ~PAGE_MASK : limit);
	if (end < top)
		return;
	if (!(*hi & DESC_G) || top - base < PAGE_SIZE)
		goto drop;
	limit = ((top - base) >> PAGE_SHIFT) - 1;
	*lo = (*lo & 0xffff0000) | (limit & 0xffff);
	*hi = (*hi & ~0x000f0000) | (limit & 0x000f0000);
	return;
drop:
	*lo = 0;
	*hi = 0;
}

static void send_gdt_entry(unsigned int idx, const struct desc_struct *desc)
{
	u32 w[2];

	if (host_gdt_entry(idx))
		return;
	memcpy(w, desc, sizeof(w));
	fix_descriptor(&w[0], &w[1]);
	async_hcall(LHCALL_LOAD_GDT_ENTRY, idx, w[0], w[1], 0);
}

static void lg_load_gdt(const struct desc_ptr *desc)
{
	const struct desc_struct *gdt = (const struct desc_struct *)desc->address;
	unsigned int i, n = min_t(unsigned int, (desc->size + 1) / 8, GDT_ENTRIES);

	start_batch();
	for (i = 0; i < n; i++)
		send_gdt_entry(i, &gdt[i]);
	end_batch();
}

static void lg_write_gdt_entry(struct desc_struct *dt, int entry,
			       const void *desc, int type)
{
	native_write_gdt_entry(dt, entry, desc, type);
	send_gdt_entry(entry, &dt[entry]);
}

/*
 * G:140 The three thread-local-storage entries change at every task switch.
 * The host reads them from memory, so they go through a buffer of ours
 * in the state the host accepts.
 */
static struct desc_struct lg_tls[GDT_ENTRY_TLS_ENTRIES];

static void lg_load_tls(struct thread_struct *t, unsigned int cpu)
{
	unsigned int i;
	u32 w[2];

	native_load_tls(t, cpu);
	for (i = 0; i < GDT_ENTRY_TLS_ENTRIES; i++) {
		memcpy(w, &t->tls_array[i], sizeof(w));
		fix_descriptor(&w[0], &w[1]);
		memcpy(&lg_tls[i], w, sizeof(w));
	}
	async_hcall(LHCALL_LOAD_TLS, __pa(lg_tls), 0, 0, 0);
}

/*
 * G:150 Gates: ours point at ring-1 code, so a ring-0 gate becomes ring 1.  The
 * 32-bit kernel's double-fault task gate has no equivalent; a double
 * fault kills the guest instead.  The hypercall vector is the host's.
 */
static void send_idt_entry(unsigned int vector, const gate_desc *gate)
{
	u32 w[2];

	if (vector == LGUEST_HCALL_VECTOR)
		return;
	memcpy(w, gate, sizeof(w));
	if ((w[1] & DESC_PRESENT) && ((w[1] >> 8) & 0x1f) == GATE_TASK) {
		w[0] = 0;
		w[1] = 0;
	}
	/*
	 * The system call vector gets a trap gate into our own entry, which
	 * the host lets the CPU take without it (see lguest_entry_INT80).
	 */
	if ((w[1] & DESC_PRESENT) && vector == IA32_SYSCALL_VECTOR) {
		u32 entry = (u32)lguest_entry_INT80;

		w[0] = (w[0] & 0xffff0000) | (entry & 0xffff);
		w[1] = (entry & 0xffff0000) | DESC_PRESENT | (3U << DESC_DPL_SHIFT) |
			(GATE_TRAP << 8);
	}
	if ((w[1] & DESC_PRESENT) && !(w[1] & DESC_DPL_MASK))
		w[1] |= 1U << DESC_DPL_SHIFT;
	async_hcall(LHCALL_LOAD_IDT_ENTRY, vector, w[0], w[1], 0);
}

static void lg_load_idt(const struct desc_ptr *desc)
{
	const gate_desc *idt = (const gate_desc *)desc->address;
	unsigned int i, n = min_t(unsigned int, (desc->size + 1) / sizeof(gate_desc),
				  IDT_ENTRIES);

	start_batch();
	for (i = 0; i < n; i++)
		send_idt_entry(i, &idt[i]);
	end_batch();
}

static void lg_write_idt_entry(gate_desc *dt, int entrynum, const gate_desc *g)
{
	native_write_idt_entry(dt, entrynum, g);
	send_idt_entry(entrynum, g);
}

/* The host has the only TSS and LDT; we have nothing to load into them. */
static void lg_load_tr_desc(void)
{
}

static unsigned long lg_store_tr(void)
{
	return GDT_ENTRY_TSS * 8;
}

/*
 * The host gives a guest no LDT, and modify_ldt() says so with ENOSYS
 * (arch/x86/kernel/ldt.c), as a kernel without MODIFY_LDT_SYSCALL would:
 * nothing should ever ask us to load one.
 */
static void lg_set_ldt(const void *addr, unsigned int entries)
{
	if (entries)
		pr_warn_once("no local descriptor tables in a guest (%s)\n", current->comm);
}

/*
 * G:170 The stack the host switches to when user mode traps.  The entry code
 * reads it back from the TSS, so it goes there too.
 */
static void lg_load_sp0(unsigned long sp0)
{
	native_load_sp0(sp0);
	async_hcall(LHCALL_SET_STACK, __KERNEL_DS | 1, sp0, 0, 0);
}

/* Task switches batch their hypercalls: CR3, TLS. */
static void lg_start_context_switch(struct task_struct *prev)
{
	start_batch();
}

static void lg_end_context_switch(struct task_struct *next)
{
	end_batch();
}

/*
 * G:180 CPUID.  Ring 1 cannot stop the instruction from seeing the real CPU, so
 * the kernel asks the host, which hides what a guest must not use
 * (SEP, PGE, MCE, the APIC, XSAVE...).
 */
static void lg_cpuid(unsigned int *ax, unsigned int *bx,
		     unsigned int *cx, unsigned int *dx)
{
	unsigned int leaf = *ax, subleaf = *cx;

	asm volatile("int $" __stringify(LGUEST_HCALL_VECTOR)
		     : "=a" (*ax), "=b" (*bx), "=c" (*cx), "=d" (*dx)
		     : "0" (LHCALL_CPUID), "1" (leaf), "2" (subleaf)
		     : "memory");
}

/*
 * G:190 Control and debug registers.  CR0 and CR4 are remembered but mean
 * nothing to the host: paging, write protection and the FPU are its
 * business.  CR2 is written by the host into lguest_data for each page
 * fault it hands us.  CR3 is the top of our page tables.
 */
static unsigned long current_cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET |
				   X86_CR0_NE | X86_CR0_WP | X86_CR0_AM | X86_CR0_PG;
static unsigned long current_cr3;

static unsigned long lg_read_cr0(void)
{
	return current_cr0;
}

static void lg_write_cr0(unsigned long val)
{
	current_cr0 = val;
}

static void lg_write_cr4(unsigned long val)
{
}

static __used unsigned long lg_read_cr2(void)
{
	return READ_ONCE(lguest_data.cr2);
}

PV_CALLEE_SAVE_REGS_THUNK(lg_read_cr2);

static void lg_write_cr2(unsigned long val)
{
}

static unsigned long lg_read_cr3(void)
{
	return current_cr3;
}

/*
 * G:200 Loading CR3 flushes every non-global TLB entry: the kernel relies on it
 * when it changes the page tables of an address space that is not loaded.
 * The host keeps the shadows of a few recent page tables, and it may keep
 * the user half of the one we switch to if nothing of that address space
 * has needed a flush since it last ran: we tell it which address space
 * this is and its TLB generation, as switch_mm_irqs_off() has just noted
 * them (without PCID, always in slot 0) for the CR3 it loads.  The kernel
 * bumps the generation whenever it changes the page tables of an address
 * space in a way that needs a flush, loaded or not: the same bookkeeping
 * that lets it keep a PCID's TLB entries.  The kernel half is what the
 * kernel maps global (we claim PGE for that): it is the same in every
 * page table, and the kernel flushes it explicitly when it changes.
 */
static void lg_write_cr3(unsigned long cr3)
{
	u64 ctx = this_cpu_read(cpu_tlbstate.ctxs[0].ctx_id);
	u64 gen = this_cpu_read(cpu_tlbstate.ctxs[0].tlb_gen);

	current_cr3 = cr3;
	async_hcall(LHCALL_NEW_PGTABLE, cr3, (u32)ctx, ctx >> 32, (u32)gen);
}

/*
 * G:195 The debug registers: DR7 is the host's, so there are no breakpoints to
 * set, but a single step or int1 traps, and the #DB handler reads DR6 to
 * learn why: the host wrote it into lguest_data.dr6 first.  Reads of the
 * others give 0 (no breakpoint is armed), writes vanish.
 */
static unsigned long lg_get_debugreg(int regno)
{
	return regno == 6 ? READ_ONCE(lguest_data.dr6) : 0;
}

static void lg_set_debugreg(int regno, unsigned long value)
{
	if (regno == 6)
		WRITE_ONCE(lguest_data.dr6, value);
}

/*
 * No MSR is ours: reads give 0, writes vanish, and the safe variants say
 * so, which is what the kernel does with an MSR that does not exist.
 */
static u64 lg_read_msr(u32 msr)
{
	return 0;
}

static void lg_write_msr(u32 msr, u64 val)
{
}

static int lg_read_msr_safe(u32 msr, u64 *val)
{
	*val = 0;
	return -EIO;
}

static int lg_write_msr_safe(u32 msr, u64 val)
{
	return -EIO;
}

static u64 lg_read_pmc(int counter)
{
	return 0;
}

/*
 * G:210 TLB flushes, the only page-table news the host needs.  A local flush
 * drops the non-global entries, our user half; a global one (the kernel
 * changed its own mappings) drops everything the host shadows.  Dropping
 * one address is LHCALL_SET_PTE with a not-present entry, which the host
 * applies to every page table it shadows, as a kernel address needs.
 */
static void lg_flush_tlb_user(void)
{
	async_hcall(LHCALL_FLUSH_TLB, 0, 0, 0, 0);
}

static void lg_flush_tlb_kernel(void)
{
	async_hcall(LHCALL_FLUSH_TLB, 1, 0, 0, 0);
}

/*
 * G:220 The host drops its shadow of the page of each user fault it gives us,
 * and says so in cr2_unshadowed until it maps that page again: then the
 * flush that follows the fault's copy-on-write or the like needs no
 * hypercall.  Not inside a batch, whose queued calls (a page-table load,
 * say) the host has not seen yet; and with interrupts off no fault of
 * ours can change the two words between our reads.
 */
static void lg_flush_tlb_one_user(unsigned long addr)
{
	unsigned long flags;
	bool unshadowed;

	local_irq_save(flags);
	unshadowed = !batch_depth && READ_ONCE(lguest_data.cr2_unshadowed) &&
		     !((READ_ONCE(lguest_data.cr2) ^ addr) & PAGE_MASK);
	local_irq_restore(flags);
	if (!unshadowed)
		async_hcall(LHCALL_SET_PTE, current_cr3, addr & PAGE_MASK, 0, 0);
}

static void lg_flush_tlb_multi(const struct cpumask *cpus,
			       const struct flush_tlb_info *info)
{
	lg_flush_tlb_kernel();
}

/*
 * G:230 Interrupts.  IRQ n arrives on vector LGUEST_FIRST_IRQ_VECTOR + n
 * through the kernel's ordinary external-interrupt entry, which looks up
 * vector_irq[]; masking one is a bit in lguest_data the host honours.
 */
static void lg_irq_mask(struct irq_data *data)
{
	set_bit(data->irq, (unsigned long *)lguest_data.blocked_interrupts);
}

static void lg_irq_unmask(struct irq_data *data)
{
	clear_bit(data->irq, (unsigned long *)lguest_data.blocked_interrupts);
}

static struct irq_chip lg_irq_chip = {
	.name		= "lguest",
	.irq_mask	= lg_irq_mask,
	.irq_unmask	= lg_irq_unmask,
};

static void __init lg_init_IRQ(void)
{
	unsigned int irq, vector;

	for (irq = 0; irq < LGUEST_GUEST_IRQS; irq++) {
		vector = LGUEST_FIRST_IRQ_VECTOR + irq;
		if (vector == IA32_SYSCALL_VECTOR)
			continue;
		if (!irq_to_desc(irq) && irq_alloc_desc_at(irq, 0) != irq)
			panic("lguest: no descriptor for IRQ %u\n", irq);
		irq_set_chip_and_handler_name(irq, &lg_irq_chip,
					      handle_level_irq, "level");
		per_cpu(vector_irq, 0)[vector] = irq_to_desc(irq);
	}
}

/*
 * G:240 Time.  The TSC runs at the rate the host measured (the host only tells
 * us one if its own TSC is trustworthy); the clock event is the host's
 * one-shot timer, set in nanoseconds, which raises IRQ 0.
 */
static unsigned long lg_tsc_khz(void)
{
	return lguest_data.tsc_khz;
}

static void lg_get_wallclock(struct timespec64 *now)
{
	now->tv_sec = lguest_data.boot_sec;
	now->tv_nsec = lguest_data.boot_nsec;
}

static int lg_clockevent_set_next_event(unsigned long delta,
					struct clock_event_device *evt)
{
	hcall(LHCALL_SET_CLOCKEVENT, delta, 0, 0, 0);
	return 0;
}

static int lg_clockevent_shutdown(struct clock_event_device *evt)
{
	hcall(LHCALL_SET_CLOCKEVENT, 0, 0, 0, 0);
	return 0;
}

static struct clock_event_device lg_clockevent = {
	.name			= "lguest",
	.features		= CLOCK_EVT_FEAT_ONESHOT,
	.set_next_event		= lg_clockevent_set_next_event,
	.set_state_shutdown	= lg_clockevent_shutdown,
	.rating			= INT_MAX,
	.mult			= 1,
	.shift			= 0,
	.min_delta_ns		= NSEC_PER_USEC,
	.min_delta_ticks	= NSEC_PER_USEC,
	.max_delta_ns		= U32_MAX,
	.max_delta_ticks	= U32_MAX,
};

static irqreturn_t lg_timer_interrupt(int irq, void *dev)
{
	lg_clockevent.event_handler(&lg_clockevent);
	return IRQ_HANDLED;
}

static void __init lg_time_init(void)
{
	if (request_irq(LGUEST_TIMER_IRQ, lg_timer_interrupt,
			IRQF_TIMER | IRQF_NOBALANCING, "timer", NULL))
		panic("lguest: cannot have the timer interrupt\n");
	lg_clockevent.cpumask = cpumask_of(0);
	clockevents_register_device(&lg_clockevent);
}

/*
 * G:250 The early console: LHCALL_CONSOLE_WRITE hands the Launcher up to a page
 * of text at a guest-physical address, so the text is copied into a
 * buffer of ours first (printk's own may be anywhere).  It serves until
 * the virtio console takes over.
 */
static char lg_console_buf[256];
static DEFINE_RAW_SPINLOCK(lg_console_lock);

static void lg_console_write(struct console *con, const char *s, unsigned int n)
{
	unsigned long flags;
	unsigned int chunk;

	raw_spin_lock_irqsave(&lg_console_lock, flags);
	while (n) {
		chunk = min_t(unsigned int, n, sizeof(lg_console_buf));
		memcpy(lg_console_buf, s, chunk);
		hcall(LHCALL_CONSOLE_WRITE, __pa(lg_console_buf), chunk, 0, 0);
		s += chunk;
		n -= chunk;
	}
	raw_spin_unlock_irqrestore(&lg_console_lock, flags);
}

static struct console lg_boot_console = {
	.name	= "lguest",
	.write	= lg_console_write,
	.flags	= CON_PRINTBUFFER | CON_BOOT,
	.index	= -1,
};

/*
 * G:260 Power.  Every way out is a hypercall with a reason the Launcher prints;
 * a restart is the Launcher starting us afresh.  A panic says so, with
 * its message, rather than spin or try to reset a machine we do not have.
 */
static int lg_power_off(struct sys_off_data *data)
{
	hcall(LHCALL_SHUTDOWN, LGUEST_SHUTDOWN_POWEROFF, __pa("power off"), 0, 0);
	return NOTIFY_DONE;
}

static int lg_restart(struct sys_off_data *data)
{
	hcall(LHCALL_SHUTDOWN, LGUEST_SHUTDOWN_RESTART, __pa("restart"), 0, 0);
	return NOTIFY_DONE;
}

static void lg_emergency_restart(void)
{
	hcall(LHCALL_SHUTDOWN, LGUEST_SHUTDOWN_RESTART, __pa("emergency restart"), 0, 0);
}

static int lg_panic(struct notifier_block *nb, unsigned long event, void *msg)
{
	hcall(LHCALL_SHUTDOWN, LGUEST_SHUTDOWN_CRASH, __pa(msg), 0, 0);
	return NOTIFY_DONE;
}

static struct notifier_block lg_panic_nb = {
	.notifier_call	= lg_panic,
	.priority	= INT_MIN,	/* after everyone else had their say */
};

static int __init lg_power_init(void)
{
	if (!boot_cpu_has(X86_FEATURE_LGUEST))
		return 0;
	machine_ops.emergency_restart = lg_emergency_restart;
	atomic_notifier_chain_register(&panic_notifier_list, &lg_panic_nb);
	register_sys_off_handler(SYS_OFF_MODE_POWER_OFF, SYS_OFF_PRIO_FIRMWARE,
				 lg_power_off, NULL);
	register_sys_off_handler(SYS_OFF_MODE_RESTART, SYS_OFF_PRIO_FIRMWARE,
				 lg_restart, NULL);
	return 0;
}
early_initcall(lg_power_init);

/*
 * G:040 Filling in the paravirt ops.  Everything not named here keeps its
 * native version, which is right at ring 1: page-table entries are plain
 * memory to us.
 */
static void __init lg_set_pv_ops(void)
{
	pv_info.name = "lguest";

	pv_ops.irq.save_fl = PV_CALLEE_SAVE(lg_save_fl);
	pv_ops.irq.irq_disable = PV_CALLEE_SAVE(lg_irq_disable);
	pv_ops.irq.irq_enable = PV_CALLEE_SAVE(lg_irq_enable);
	pv_ops.irq.safe_halt = lg_safe_halt;
	pv_ops.irq.halt = lg_halt;

	pv_ops.cpu.cpuid = lg_cpuid;
	pv_ops.cpu.get_debugreg = lg_get_debugreg;
	pv_ops.cpu.set_debugreg = lg_set_debugreg;
	pv_ops.cpu.read_cr0 = lg_read_cr0;
	pv_ops.cpu.write_cr0 = lg_write_cr0;
	pv_ops.cpu.write_cr4 = lg_write_cr4;
	pv_ops.cpu.load_tr_desc = lg_load_tr_desc;
	pv_ops.cpu.store_tr = lg_store_tr;
	pv_ops.cpu.load_gdt = lg_load_gdt;
	pv_ops.cpu.load_idt = lg_load_idt;
	pv_ops.cpu.set_ldt = lg_set_ldt;
	pv_ops.cpu.load_tls = lg_load_tls;
	pv_ops.cpu.write_gdt_entry = lg_write_gdt_entry;
	pv_ops.cpu.write_idt_entry = lg_write_idt_entry;
	pv_ops.cpu.load_sp0 = lg_load_sp0;
	pv_ops.cpu.read_msr = lg_read_msr;
	pv_ops.cpu.write_msr = lg_write_msr;
	pv_ops.cpu.read_msr_safe = lg_read_msr_safe;
	pv_ops.cpu.write_msr_safe = lg_write_msr_safe;
	pv_ops.cpu.read_pmc = lg_read_pmc;
	pv_ops.cpu.start_context_switch = lg_start_context_switch;
	pv_ops.cpu.end_context_switch = lg_end_context_switch;

	pv_ops.mmu.read_cr2 = PV_CALLEE_SAVE(lg_read_cr2);
	pv_ops.mmu.write_cr2 = lg_write_cr2;
	pv_ops.mmu.read_cr3 = lg_read_cr3;
	pv_ops.mmu.write_cr3 = lg_write_cr3;
	pv_ops.mmu.flush_tlb_user = lg_flush_tlb_user;
	pv_ops.mmu.flush_tlb_kernel = lg_flush_tlb_kernel;
	pv_ops.mmu.flush_tlb_one_user = lg_flush_tlb_one_user;
	pv_ops.mmu.flush_tlb_multi = lg_flush_tlb_multi;
}

/*
 * No legacy PC device either: the guest runs in ring 1 without I/O
 * permission, so a port access only faults.  The early platform quirks
 * set the PC's defaults from the boot subarch and then call this, as they
 * do for a Xen PV guest.
 */
static void __init lg_set_legacy_features(void)
{
	x86_platform.legacy.devices.pnpbios = 0;
	x86_platform.legacy.rtc = 0;
	x86_platform.legacy.warm_reset = 0;
	x86_platform.legacy.i8042 = X86_LEGACY_I8042_PLATFORM_ABSENT;
}

/* The platform: no firmware tables, no legacy timer or interrupt controller. */
static void __init lg_set_platform(void)
{
	x86_init.resources.probe_roms = x86_init_noop;
	x86_init.mpparse.find_mptable = x86_init_noop;
	x86_init.mpparse.early_parse_smp_cfg = x86_init_noop;
	x86_init.mpparse.parse_smp_cfg = x86_init_noop;
	x86_init.irqs.pre_vector_init = lg_init_IRQ;
	x86_init.irqs.intr_mode_select = x86_init_noop;
	x86_init.irqs.intr_mode_init = x86_init_noop;
	x86_init.timers.timer_init = lg_time_init;
	x86_init.timers.setup_percpu_clockev = x86_init_noop;
	x86_cpuinit.setup_percpu_clockev = x86_init_noop;
	x86_platform.calibrate_tsc = lg_tsc_khz;
	x86_platform.calibrate_cpu = lg_tsc_khz;
	x86_platform.get_wallclock = lg_get_wallclock;
	x86_platform.set_legacy_features = lg_set_legacy_features;
}

/* What our CPU does not have, whatever CPUID says. */
static void __init lg_set_cpu_caps(void)
{
	setup_force_cpu_cap(X86_FEATURE_LGUEST);
	setup_force_cpu_cap(X86_FEATURE_HYPERVISOR);
	/*
	 * The host hides PGE, and its shadows never hold a global page, but
	 * the kernel with PGE keeps exactly our split: its own mappings are
	 * global and flushed on purpose when they change, user ones go with
	 * every CR3 load.  So we claim it: the bits it sets are only hints.
	 */
	setup_force_cpu_cap(X86_FEATURE_PGE);
	setup_clear_cpu_cap(X86_FEATURE_SEP);
	setup_clear_cpu_cap(X86_FEATURE_PSE);
	setup_clear_cpu_cap(X86_FEATURE_APIC);
	setup_clear_cpu_cap(X86_FEATURE_MCE);
	setup_clear_cpu_cap(X86_FEATURE_MTRR);
	setup_clear_cpu_cap(X86_FEATURE_PCID);
	setup_clear_cpu_cap(X86_FEATURE_XSAVE);
	setup_clear_cpu_cap(X86_FEATURE_SMEP);
	setup_clear_cpu_cap(X86_FEATURE_SMAP);
	setup_clear_cpu_cap(X86_FEATURE_UMIP);
	/*
	 * ESPFIX returns to a 16-bit LDT stack through a ring-0 stack segment
	 * it rewrites in the GDT: we have no LDT to return to, the CPU never
	 * reads our GDT, and ring 1 cannot load a ring-0 stack.  Without it,
	 * a return to an LDT stack faults in iret, as it should.
	 */
	setup_clear_cpu_cap(X86_BUG_ESPFIX);
	/*
	 * Without a rate from the host the TSC is useless to us (there is
	 * nothing to calibrate it against); time then comes from jiffies.
	 */
	if (!lguest_data.tsc_khz) {
		setup_clear_cpu_cap(X86_FEATURE_TSC);
	} else {
		setup_force_cpu_cap(X86_FEATURE_TSC_KNOWN_FREQ);
		setup_force_cpu_cap(X86_FEATURE_CONSTANT_TSC);
		setup_force_cpu_cap(X86_FEATURE_NONSTOP_TSC);
		setup_force_cpu_cap(X86_FEATURE_TSC_RELIABLE);
	}
}

/*
 * M:030 One CPU.  The host runs one virtual CPU per /dev/lguest, in its
 * Launcher's thread.  A second would want its own register page (the
 * Switcher has a slot per host CPU already, not per vCPU), IPIs as
 * hypercalls, and a TLB shootdown that reaches the shadows of every vCPU
 * before the guest's flush returns.
 */

/*
 * G:050 Our segments: the boot GDT, with ring 1 in place of ring 0, then the
 * selectors the kernel expects: user data in %ds and %es, this CPU's
 * per-CPU area in %fs.  A ring-1 stack segment must have RPL 1.
 */
static void __init lg_load_segments(void)
{
	lg_load_gdt(&early_gdt_descr);
	asm volatile("movl %0, %%ss\n\t"
		     "movl %1, %%ds\n\t"
		     "movl %1, %%es\n\t"
		     "movl %2, %%fs\n\t"
		     "movl %3, %%gs"
		     : : "r" (__KERNEL_DS | 1), "r" (__USER_DS),
		       "r" (__KERNEL_PERCPU), "r" (0) : "memory");
}

/* Stop before doing anything the host would kill us for, and say why. */
static void __init __noreturn lg_refuse(const char *why)
{
	hcall(LHCALL_CONSOLE_WRITE, __pa(why), strlen(why), 0, 0);
	hcall(LHCALL_SHUTDOWN, LGUEST_SHUTDOWN_POWEROFF, __pa(why), 0, 0);
	for (;;)
		hcall(LHCALL_HALT, 0, 0, 0, 0);
}

/*
 * G:025 What startup_32 does first on bare metal, and we must do before
 * anything else: clear BSS (the boot protocol leaves that to the kernel,
 * whatever memory its loader hands over) and keep the boot parameters and
 * the command line, which lie in memory the kernel will soon reuse.
 * boot_params itself is in BSS: the barrier keeps the compiler from
 * moving the copy above the clearing, which it may think unrelated.
 */
static void __init __no_stack_protector lg_take_boot_data(unsigned long params_pa)
{
	const struct boot_params *params = __va(params_pa);

	memset(__bss_start, 0, __bss_stop - __bss_start);
	barrier();
	boot_params = *params;
	if (boot_params.hdr.cmd_line_ptr) {
		memcpy(boot_command_line, __va(boot_params.hdr.cmd_line_ptr),
		       COMMAND_LINE_SIZE);
		boot_command_line[COMMAND_LINE_SIZE - 1] = '\0';
	}
}

/*
 * G:030 lguest_entry calls this, on the boot stack, at our linked address,
 * with the boot parameters' physical address.  Until LHCALL_INIT the host
 * knows nothing of us; until we load page tables it maps our memory at 0
 * and PAGE_OFFSET; until our GDT is loaded %fs holds nothing, so nothing
 * here may use per-CPU data or the stack protector.
 */
asmlinkage __visible void __init __noreturn __no_stack_protector
lguest_init(unsigned long params_pa)
{
	lg_take_boot_data(params_pa);
	hcall(LHCALL_INIT, __pa(&lguest_data), 0, 0, 0);
	if (lguest_data.paging_levels != CONFIG_PGTABLE_LEVELS)
		lg_refuse(IS_ENABLED(CONFIG_X86_PAE) ?
			      "lguest: this kernel needs a PAE host\n" :
			      "lguest: this kernel needs a host without PAE\n");

	lguest_data.noirq_iret_start = (unsigned long)lguest_noirq_iret;
	lguest_data.noirq_iret_end = (unsigned long)lguest_noirq_iret_end;
	lguest_data.noirq_syscall_start = (unsigned long)lguest_entry_INT80;
	lguest_data.noirq_syscall_end = (unsigned long)lguest_entry_INT80_irqs_off;
	/* Every IRQ masked until a driver asks for it (the timer included). */
	memset(lguest_data.blocked_interrupts, 0xff, sizeof(lguest_data.blocked_interrupts));
	lguest_data.dr6 = DR6_RESERVED;		/* as after a reset */

	lg_set_pv_ops();
	lg_load_segments();
	register_console(&lg_boot_console);

	lg_set_cpu_caps();
	lg_set_platform();
	reserve_top_address(lguest_data.reserve_top);

	/* The native early page tables, built while our memory is still at 0. */
	mk_early_pgtbl_32();
	write_cr3(__pa(initial_page_table));

	i386_start_kernel();
}
