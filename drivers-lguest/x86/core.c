// SPDX-License-Identifier: GPL-2.0
/*
 * H:050 The x86 half of the host: preparing a CPU's Switcher pages, the switch
 * itself, and sorting out why the guest came back.
 */
#define pr_fmt(fmt) "lguest: " fmt

#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/cpu.h>
#include <asm/apic.h>
#include <asm/cpuid/api.h>
#include <asm/debugreg.h>
#include <asm/desc.h>
#include <asm/fpu/api.h>
#include <asm/mce.h>
#include <asm/msr.h>
#include <asm/nospec-branch.h>
#include <linux/pgtable.h>
#include <asm/segment.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>
#include <asm/trapnr.h>
#include <asm/irq_vectors.h>
#ifdef CONFIG_X86_64
#include <asm/fsgsbase.h>
#include <asm/gsseg.h>
#endif
#include "../lg.h"
#include "../trace.h"

/* The guest last set up on each CPU's pages: if it is us, they are current. */
/*
 * H:052 Both kinds of host run the same 32-bit guest.  On x86-64 it runs in
 * ring 1 in compatibility mode, as Xen runs 32-bit PV guests on a 64-bit
 * hypervisor: its code segment a 32-bit one in the GDT the Switcher
 * loads, its shadows PAE tables under a 4-level top, and the Switcher
 * above the 4 GiB it can address.  What differs is here, in the Switcher
 * and in the pages they share: the shape of the trap frame, the IST
 * stacks every gate takes, and the host state a 64-bit kernel keeps in
 * segment bases.
 */
static DEFINE_PER_CPU(struct lguest *, lg_last_guest);

/* An absolute target for "call *": see run_guest_once(). */
static unsigned long switcher_entry;

/* A CPU's pages, at their Switcher address and at their writable one. */
static unsigned long cpu_pages_addr(int cpu)
{
	return lguest_switcher_addr + LG_CPU_REGS_PAGE(cpu) * PAGE_SIZE;
}

/* The Switcher's pages come from GFP_KERNEL: lowmem, always mapped. */
static struct lguest_ro_state *cpu_state(int cpu)
{
	return lowmem_page_address(lguest_switcher_pages[LG_CPU_REGS_PAGE(cpu) + 1]);
}

/* The host's own page in a CPU's register slot. */
static struct lguest_host_page *cpu_host_page(int cpu)
{
	return lowmem_page_address(lguest_switcher_pages[LG_CPU_REGS_PAGE(cpu)]);
}

/*
 * H:080 A guest kernel in ring 1 is "supervisor" to the branch predictors, as
 * the host kernel is, so enhanced IBRS does not keep the guest's training
 * from the host.  A host whose indirect branches are not retpolines, on a
 * CPU open to Spectre v2, gets a barrier on every exit (unless it asked
 * for no mitigations).
 */
static bool ibpb_on_exit(void)
{
	return boot_cpu_has(X86_FEATURE_IBPB) && boot_cpu_has_bug(X86_BUG_SPECTRE_V2) &&
		!boot_cpu_has(X86_FEATURE_RETPOLINE) && !cpu_mitigations_off();
}

/*
 * What never changes in a CPU's pages: the guest's table pointers and
 * TSS, and the far pointers the Switcher changes %cs with.
 */
static void init_cpu_state(int cpu)
{
	struct lguest_ro_state *st = cpu_state(cpu);
	struct lguest_host_page *hp = cpu_host_page(cpu);
	unsigned long base = cpu_pages_addr(cpu) + PAGE_SIZE;

	/*
	 * base is the state page at its Switcher address, where the host's page
	 * tables map it, and so does the shadow of a running guest: lgdt and
	 * lidt run on the former, and the CPU goes on reading the tables
	 * through either.
	 */
	st->guest_gdt.limit = LGUEST_GDT_ENTRIES * 8 - 1;
	st->guest_gdt.base = base + offsetof(struct lguest_ro_state, guest_gdt_table);
	st->guest_idt.limit = IDT_ENTRIES * sizeof(gate_desc) - 1;
	st->guest_idt.base = base + offsetof(struct lguest_ro_state, guest_idt_table);
	hp->ibpb = ibpb_on_exit();
	/* No I/O bitmap: every port access from the guest faults. */
	st->guest_tss.io_bitmap_base = sizeof(struct x86_hw_tss);
#ifdef CONFIG_X86_64
	/*
	 * The host's own verw names __KERNEL_DS, which is the Switcher's
	 * data segment in both GDTs here.  Every gate takes an IST stack
	 * (switcher_64.h); rsp0 is never used, as nothing enters through a
	 * ring change without one.
	 */
	st->verw_sel = LGUEST_DS;
	st->guest_tss.ist[LG_IST_DF - 1] = cpu_pages_addr(cpu) + LGP_STACK_DF;
	st->guest_tss.ist[LG_IST_NMI - 1] = cpu_pages_addr(cpu) + LGP_STACK_NMI;
	st->guest_tss.ist[LG_IST_DB - 1] = cpu_pages_addr(cpu) + LGP_STACK_DB;
	st->guest_tss.ist[LG_IST_MCE - 1] = cpu_pages_addr(cpu) + LGP_STACK_MCE;
	st->guest_tss.ist[LG_IST_TRAP - 1] = cpu_pages_addr(cpu) + PAGE_SIZE;
#else
	st->to_switcher_cs.offset = lguest_sw.on_switcher_cs;
	st->to_switcher_cs.sel = LGUEST_CS;
	/*
	 * The host's own verw names __KERNEL_DS.  This one runs with the
	 * guest's GDT loaded, whose __KERNEL_DS is the guest's to define, so it
	 * names the Switcher's data segment instead.
	 */
	st->verw_sel = LGUEST_DS;
	hp->to_kernel_cs.offset = lguest_sw.on_kernel_cs;
	hp->to_kernel_cs.sel = __KERNEL_CS;

	/* Traps to ring 0 push their frame at the top of the register page. */
	st->guest_tss.sp0 = cpu_pages_addr(cpu) + PAGE_SIZE;
	st->guest_tss.ss0 = LGUEST_DS;
#endif
}

/*
 * The Switcher's segments go into every CPU's GDT as well as into each
 * guest's (lguest_copy_gdt()).  An NMI may interrupt the Switcher while
 * either table is loaded, and its iret must find the code segment it
 * came from; the slots are free in Linux's GDT.
 */
static void set_host_gdt(struct desc_struct cs, struct desc_struct ds)
{
	int cpu;

	/* A 64-bit host's own kernel segments are the Switcher's. */
	if (IS_ENABLED(CONFIG_X86_64))
		return;
	for_each_possible_cpu(cpu) {
		struct desc_struct *gdt = get_cpu_gdt_rw(cpu);

		write_gdt_entry(gdt, LGUEST_GDT_ENTRY_SWITCHER_CS, &cs, DESCTYPE_S);
		write_gdt_entry(gdt, LGUEST_GDT_ENTRY_SWITCHER_DS, &ds, DESCTYPE_S);
	}
}

/*
 * The Switcher knows its structures only by the LGP_* offsets in
 * switcher.h and switcher_64.h: the build fails if C and assembly
 * disagree.
 */
#ifdef CONFIG_X86_64
static void check_layout(void)
{
	BUILD_BUG_ON(offsetof(struct lguest_pages, regs) != LGP_REGS);
	BUILD_BUG_ON(offsetof(struct lguest_pages, regs.trapnum) != LGP_REGS_TRAPNUM);
	BUILD_BUG_ON(sizeof(struct lguest_regs) != LGUEST_REGS_SIZE);
	BUILD_BUG_ON(offsetof(struct lguest_regs, ebx) != LGR_EBX);
	BUILD_BUG_ON(offsetof(struct lguest_regs, ecx) != LGR_ECX);
	BUILD_BUG_ON(offsetof(struct lguest_regs, edx) != LGR_EDX);
	BUILD_BUG_ON(offsetof(struct lguest_regs, esi) != LGR_ESI);
	BUILD_BUG_ON(offsetof(struct lguest_regs, edi) != LGR_EDI);
	BUILD_BUG_ON(offsetof(struct lguest_regs, ebp) != LGR_EBP);
	BUILD_BUG_ON(offsetof(struct lguest_regs, eax) != LGR_EAX);
	BUILD_BUG_ON(offsetof(struct lguest_regs, gs) != LGR_GS);
	BUILD_BUG_ON(offsetof(struct lguest_regs, fs) != LGR_FS);
	BUILD_BUG_ON(offsetof(struct lguest_regs, ds) != LGR_DS);
	BUILD_BUG_ON(offsetof(struct lguest_regs, es) != LGR_ES);
	BUILD_BUG_ON(offsetof(struct lguest_regs, trapnum) != LGR_TRAPNUM);
	BUILD_BUG_ON(offsetof(struct lguest_regs, eip) != LGR_EIP);
	BUILD_BUG_ON(offsetof(struct lguest_host_page, host_cr4) != LGP_HOST_CR4);
	BUILD_BUG_ON(offsetof(struct lguest_host_page, host_sp) != LGP_HOST_SP);
	BUILD_BUG_ON(offsetof(struct lguest_host_page, host_gdt.limit) != LGP_HOST_GDT);
	BUILD_BUG_ON(offsetof(struct lguest_host_page, host_gdt_rw.limit) != LGP_HOST_GDT_RW);
	BUILD_BUG_ON(offsetof(struct lguest_host_page, host_gdt_rw.base) !=
		     LGP_HOST_GDT_RW_BASE);
	BUILD_BUG_ON(offsetof(struct lguest_host_page, host_idt.limit) != LGP_HOST_IDT);
	BUILD_BUG_ON(offsetof(struct lguest_host_page, host_gs_base) != LGP_HOST_GS_BASE);
	BUILD_BUG_ON(offsetof(struct lguest_host_page, host_ldt) != LGP_HOST_LDT);
	BUILD_BUG_ON(offsetof(struct lguest_host_page, ibpb) != LGP_IBPB);
	BUILD_BUG_ON(offsetof(struct lguest_host_page, stack) > LGP_STACK_DF - 512);
	BUILD_BUG_ON(offsetof(struct lguest_host_page, unused) != LGP_REGS);
	BUILD_BUG_ON(LGP_STACK_MCE + 512 > LGP_REGS);
	/* The frame that lguest_trap_common moves up from those stacks. */
	BUILD_BUG_ON(sizeof(struct lguest_regs) - LGR_TRAPNUM != 7 * 8);
	BUILD_BUG_ON(sizeof(struct lguest_host_page) != PAGE_SIZE);
	BUILD_BUG_ON(offsetof(struct lguest_pages, state.host_cr3) != LGP_HOST_CR3);
	BUILD_BUG_ON(offsetof(struct lguest_pages, state.guest_cr4) != LGP_GUEST_CR4);
	BUILD_BUG_ON(offsetof(struct lguest_pages, state.guest_gdt.limit) != LGP_GUEST_GDT);
	BUILD_BUG_ON(offsetof(struct lguest_pages, state.guest_idt.limit) != LGP_GUEST_IDT);
	BUILD_BUG_ON(offsetof(struct lguest_pages, state.verw_sel) != LGP_VERW_SEL);
	BUILD_BUG_ON(offsetof(struct lguest_pages, state.nmi_count) != LGP_NMI_COUNT);
	BUILD_BUG_ON(offsetof(struct lguest_pages, state.fault) != LGP_FAULT);
	BUILD_BUG_ON(offsetof(struct lguest_pages, state.fault_eip) != LGP_FAULT_EIP);
	BUILD_BUG_ON(offsetof(struct lguest_pages, state.guest_gdt_table) !=
		     LGP_GUEST_GDT_TABLE);
	BUILD_BUG_ON(sizeof(struct lguest_pages) > LG_CPU_PAGES * PAGE_SIZE);
	/* lguest_switch_to_guest's "sidt" finds the slot from the IDT's page. */
	BUILD_BUG_ON(offsetof(struct lguest_ro_state, guest_idt_table) >= PAGE_SIZE);
}

/*
 * H:054 What a 64-bit host must not have for a ring-1 guest in
 * compatibility mode.  FRED delivers events without the IDT, which the
 * Switcher relies on, and 5-level paging cannot be left for the 4-level
 * shadows without leaving long mode.  The rest of what conflicts with the
 * guest (SMEP, SMAP, UMIP, PKE, CET, FSGSBASE, global pages) is off in
 * the CR4 it runs with; PCIDs and page-table isolation are fine.
 */
static bool host_cpu_ok(void)
{
	if (cpu_feature_enabled(X86_FEATURE_FRED)) {
		pr_err("the host uses FRED, which leaves the Switcher's IDT aside: boot with fred=off\n");
		return false;
	}
	if (pgtable_l5_enabled()) {
		pr_err("the host uses 5-level paging: boot with no5lvl\n");
		return false;
	}
	return true;
}
#else
static void check_layout(void)
{
	BUILD_BUG_ON(offsetof(struct lguest_pages, regs) != LGP_REGS);
	BUILD_BUG_ON(offsetof(struct lguest_pages, regs.trapnum) != LGP_REGS_TRAPNUM);
	BUILD_BUG_ON(sizeof(struct lguest_regs) != LGUEST_REGS_SIZE);
	BUILD_BUG_ON(offsetof(struct lguest_host_page, host_cr4) != LGP_HOST_CR4);
	BUILD_BUG_ON(offsetof(struct lguest_host_page, host_sp) != LGP_HOST_SP);
	BUILD_BUG_ON(offsetof(struct lguest_host_page, host_gdt.limit) != LGP_HOST_GDT);
	BUILD_BUG_ON(offsetof(struct lguest_host_page, host_gdt_rw.limit) != LGP_HOST_GDT_RW);
	BUILD_BUG_ON(offsetof(struct lguest_host_page, host_gdt_rw.base) !=
		     LGP_HOST_GDT_RW_BASE);
	BUILD_BUG_ON(offsetof(struct lguest_host_page, host_idt.limit) != LGP_HOST_IDT);
	BUILD_BUG_ON(offsetof(struct lguest_host_page, host_idt.base) != LGP_HOST_IDT_BASE);
	BUILD_BUG_ON(offsetof(struct lguest_host_page, to_kernel_cs) != LGP_TO_KERNEL_CS);
	BUILD_BUG_ON(offsetof(struct lguest_host_page, host_ldt) != LGP_HOST_LDT);
	BUILD_BUG_ON(offsetof(struct lguest_host_page, ibpb) != LGP_IBPB);
	BUILD_BUG_ON(offsetof(struct lguest_host_page, unused) != LGP_REGS);
	BUILD_BUG_ON(sizeof(struct lguest_host_page) != PAGE_SIZE);
	BUILD_BUG_ON(offsetof(struct lguest_pages, state.host_cr3) != LGP_HOST_CR3);
	BUILD_BUG_ON(offsetof(struct lguest_pages, state.guest_cr4) != LGP_GUEST_CR4);
	BUILD_BUG_ON(offsetof(struct lguest_pages, state.guest_gdt.limit) != LGP_GUEST_GDT);
	BUILD_BUG_ON(offsetof(struct lguest_pages, state.guest_idt.limit) != LGP_GUEST_IDT);
	BUILD_BUG_ON(offsetof(struct lguest_pages, state.to_switcher_cs) != LGP_TO_SWITCHER_CS);
	BUILD_BUG_ON(offsetof(struct lguest_pages, state.verw_sel) != LGP_VERW_SEL);
	BUILD_BUG_ON(offsetof(struct lguest_pages, state.nmi_count) != LGP_NMI_COUNT);
	BUILD_BUG_ON(offsetof(struct lguest_pages, state.fault) != LGP_FAULT);
	BUILD_BUG_ON(offsetof(struct lguest_pages, state.fault_eip) != LGP_FAULT_EIP);
	BUILD_BUG_ON(offsetof(struct lguest_pages, state.guest_gdt_table) !=
		     LGP_GUEST_GDT_TABLE);
	BUILD_BUG_ON(sizeof(struct lguest_pages) != 2 * PAGE_SIZE);
	BUILD_BUG_ON(offsetof(struct lguest_ro_state, guest_idt_table) +
		     sizeof(gate_desc) * IDT_ENTRIES > PAGE_SIZE);
}

static bool host_cpu_ok(void)
{
	u64 efer;

	/*
	 * A 32-bit kernel never uses syscall, but firmware may leave
	 * EFER.SCE on: an AMD CPU would then take a guest's syscall into
	 * ring 0, wherever MSR_STAR points.
	 */
	if (boot_cpu_has(X86_FEATURE_SYSCALL) && !rdmsrq_safe(MSR_EFER, &efer) &&
	    (efer & EFER_SCE)) {
		pr_err("EFER.SCE is set: a guest's syscall would enter ring 0\n");
		return false;
	}
	return true;
}
#endif

/**
 * lguest_arch_host_init() - Prepare every CPU for running guests.
 *
 * Refuses a host the Switcher cannot run guests on.  Otherwise fills in the
 * parts of each CPU's Switcher pages that never change, and puts the
 * Switcher's segments into each CPU's GDT.
 *
 * Context: Module initialisation, after lguest_switcher_init().
 *
 * Return: 0, or -EPERM for a host CPU set up in a way guests conflict
 * with (the log says how).
 */
int lguest_arch_host_init(void)
{
	struct desc_struct cs, ds;
	int cpu;

	check_layout();
	if (!host_cpu_ok())
		return -EPERM;

	/*
	 * The Switcher runs from its own mapping, never from the kernel's copy
	 * of the code: only that address is mapped in the guest as well.
	 */
	switcher_entry = lguest_sw.switch_to_guest;
	for_each_possible_cpu(cpu)
		init_cpu_state(cpu);
	lguest_switcher_descs(&cs, &ds);
	set_host_gdt(cs, ds);
	return 0;
}

/**
 * lguest_arch_host_fini() - Undo lguest_arch_host_init().
 *
 * Empties the Switcher's slots in each CPU's GDT, and forgets which guest
 * each CPU last ran.
 *
 * Context: Module exit, or a failed initialisation; no guest exists.
 */
void lguest_arch_host_fini(void)
{
	struct desc_struct none = { };
	int cpu;

	set_host_gdt(none, none);
	for_each_possible_cpu(cpu)
		per_cpu(lg_last_guest, cpu) = NULL;
}

/*
 * H:045 A new guest starts in ring 1 at its entry point, on flat segments that
 * stop below the Switcher, with interrupts (virtually) off.  It has no
 * stack yet: its first instructions set one up.
 */
/**
 * lguest_arch_setup_guest() - Give a guest its first registers, GDT and FPU.
 * @lg: the guest, with its register page.
 * @entry: the guest-physical address to start at.
 * @boot_params: the guest-physical address of the boot parameters, for
 *	%esi.
 *
 * Context: Process context, the guest's lock held.  May sleep.
 *
 * Return: 0, or -ENOMEM if the FPU state cannot be allocated.
 */
int lguest_arch_setup_guest(struct lguest *lg, u32 entry, u32 boot_params)
{
	struct lguest_regs *r = lg->regs;

	lockdep_assert_held(&lg->lock);

	lg->fpu = kzalloc_obj(*lg->fpu, GFP_KERNEL);
	if (!lg->fpu)
		return -ENOMEM;
	/*
	 * The FPU as fninit leaves it.  Zeroes would unmask every x87 and SSE
	 * exception at the guest's first fxrstor.
	 */
	lg->fpu->cwd = 0x37f;
	lg->fpu->mxcsr = MXCSR_DEFAULT;

	lguest_init_gdt(lg);
	memset(r, 0, sizeof(*r));
	/*
	 * The guest kernel's selectors with RPL 1, for ring 1: iret takes the
	 * new ring from %cs, and %ss must match it (lguest_iret_ok()).
	 */
	r->cs = LG_KERNEL_CS | 1;
	r->ss = LG_KERNEL_DS | 1;
	r->ds = LG_KERNEL_DS | 1;
	r->es = LG_KERNEL_DS | 1;
	/*
	 * The CPU's IF, on as sanitize_regs() would force it: a host interrupt
	 * must always be able to end the run.
	 */
	r->eflags = X86_EFLAGS_IF | X86_EFLAGS_FIXED;
	r->eip = entry;
	/* The 32-bit boot protocol passes boot_params in %esi. */
	r->esi = boot_params;
	/*
	 * No CPU holds this boot's tables.  After a reboot on the same file,
	 * lg_last_guest may still point at us: last_cpu makes copy_in_tables()
	 * copy them all anyway.
	 */
	lg->last_cpu = -1;
	return 0;
}

/* The flags a guest may hold: arithmetic, direction, trap, AC and ID. */
#define LG_EFLAGS_GUEST	(X86_EFLAGS_CF | X86_EFLAGS_PF | X86_EFLAGS_AF | \
			 X86_EFLAGS_ZF | X86_EFLAGS_SF | X86_EFLAGS_TF | \
			 X86_EFLAGS_DF | X86_EFLAGS_OF | X86_EFLAGS_AC | \
			 X86_EFLAGS_ID | X86_EFLAGS_RF)

/*
 * H:072 The segment registers seldom change from one entry to the next in the
 * same ring, and checking them is a fair part of what an exit costs: the
 * last ones found good in the guest's kernel and in its user mode are
 * remembered, with their code segment's limit, until a GDT or TLS entry
 * changes (set_entry() forgets them).
 */
static bool segs_known_ok(const struct lguest *lg, const struct lguest_regs *r)
{
	const typeof(lg->segs_ok[0]) *k = &lg->segs_ok[(r->cs & 3) == 3];

	/*
	 * Slot 1 is user mode's.  Selectors equal to those checked last pass
	 * again, but eip changes on every exit: it is held against the limit
	 * each time.
	 */
	return k->valid && r->cs == k->cs && r->ss == k->ss && r->ds == k->ds &&
	       r->es == k->es && r->fs == k->fs && r->gs == k->gs && r->eip <= k->cs_limit;
}

static void remember_segs(struct lguest *lg, const struct lguest_regs *r)
{
	typeof(lg->segs_ok[0]) *k = &lg->segs_ok[(r->cs & 3) == 3];

	k->cs = r->cs;
	k->ss = r->ss;
	k->ds = r->ds;
	k->es = r->es;
	k->fs = r->fs;
	k->gs = r->gs;
	k->cs_limit = lguest_segment_limit(lg, r->cs);
	k->valid = true;
}

/*
 * H:075 The Switcher loads these registers in ring 0, where a fault would hit
 * the host: cs:eip and ss must be what iret takes (lguest_iret_ok()); a
 * data selector that no longer fits is cleared, as a real CPU would refuse
 * to reload it.  The real interrupt flag is always on: the guest's own
 * lives in lguest_data.
 */
static void sanitize_regs(struct lguest *lg)
{
	struct lguest_regs *r = lg->regs;
	int rpl = r->cs & SEGMENT_RPL_MASK;

	if (segs_known_ok(lg, r))
		goto flags;
	/*
	 * The CPU saved good registers, but they may be good no longer: the
	 * guest may have changed its GDT since, and a trap delivered to it puts
	 * eip wherever its gate says.
	 */
	if (!lguest_iret_ok(lg, r->cs, r->ss, r->eip)) {
		lguest_kill(lg, "cannot resume at %#x:%#x: bad segment or beyond its code segment",
			    r->cs, r->eip);
		return;
	}
	if (!lguest_selector_ok(lg, r->ds, rpl, false))
		r->ds = 0;
	if (!lguest_selector_ok(lg, r->es, rpl, false))
		r->es = 0;
	if (!lguest_selector_ok(lg, r->fs, rpl, false))
		r->fs = 0;
	if (!lguest_selector_ok(lg, r->gs, rpl, false))
		r->gs = 0;
	remember_segs(lg, r);
flags:
	/*
	 * On every entry, checked segments or not: the Launcher may set any
	 * flags (LGUEST_SET_REGS).  Of those that go, IOPL above 0 would let
	 * ring 1 run cli and reach every port, and VM would make the Switcher's
	 * iret enter virtual-8086 mode.
	 */
	r->eflags = (r->eflags & LG_EFLAGS_GUEST) | X86_EFLAGS_IF | X86_EFLAGS_FIXED;
#ifdef CONFIG_X86_64
	/*
	 * The upper halves of the frame the Switcher's iretq pops: whatever the
	 * CPU pushed there, a compatibility-mode guest has none.
	 */
	r->eip_hi = 0;
	r->cs_hi = 0;
	r->eflags_hi = 0;
	r->esp_hi = 0;
	r->ss_hi = 0;
#endif
}

/*
 * H:070 Put this guest's tables into the CPU's state page, if they are not
 * there.  A different guest on this CPU also gets a fresh branch
 * predictor, as KVM gives a different vCPU: one guest must not steer
 * another's indirect branches.
 */
static void copy_in_tables(struct lguest *lg, int cpu)
{
	struct lguest_ro_state *st = cpu_state(cpu);
	unsigned long tss = cpu_pages_addr(cpu) + PAGE_SIZE +
		offsetof(struct lguest_ro_state, guest_tss);
	struct desc_struct *gdt = st->guest_gdt_table;
	unsigned int changed = lg->changed;

	/*
	 * lg->changed says what changed since the last copy, wherever that
	 * went.  If another guest has used this CPU's pages since, or our last
	 * copy went to another CPU (this one's may be older), all is copied.
	 */
	if (__this_cpu_read(lg_last_guest) != lg || lg->last_cpu != cpu) {
		if (__this_cpu_read(lg_last_guest) != lg && boot_cpu_has(X86_FEATURE_IBPB))
			wrmsrq(MSR_IA32_PRED_CMD, PRED_CMD_IBPB);
		changed = LG_CHANGED_GDT | LG_CHANGED_IDT | LG_CHANGED_STACK;
	}
	if (!changed)
		return;

	if (changed & LG_CHANGED_GDT) {
		lguest_copy_gdt(lg, gdt);
		/*
		 * The TSS slot is the host's (the guest may not write it): it
		 * names this CPU's guest TSS, at its Switcher address.
		 */
		set_tssldt_descriptor(&gdt[LGUEST_GDT_ENTRY_TSS], tss, DESC_TSS,
				      sizeof(struct x86_hw_tss) - 1);
	} else if (changed & LG_CHANGED_TLS) {
		memcpy(&gdt[LGUEST_GDT_ENTRY_TLS_MIN], &lg->gdt[LGUEST_GDT_ENTRY_TLS_MIN],
		       LGUEST_GDT_ENTRY_TLS_ENTRIES * sizeof(*gdt));
	}
	if (changed & LG_CHANGED_IDT)
		lguest_real_idt(lg, st->guest_idt_table);
	if (changed & LG_CHANGED_STACK) {
		/*
		 * Only the direct system call gate uses it: that trap goes from
		 * ring 3 to ring 1, and the CPU takes the ring-1 stack from the
		 * TSS.
		 */
#ifdef CONFIG_X86_32
		st->guest_tss.sp1 = lg->stack_esp;
		st->guest_tss.ss1 = lg->stack_ss;
#endif
	}

	/* Interrupts are off: we are still on the CPU we looked at. */
	__this_cpu_write(lg_last_guest, lg);
	lg->last_cpu = cpu;
	lg->changed = 0;
}

/**
 * lguest_arch_forget() - Make the CPUs forget a guest that goes away.
 * @lg: the guest, about to be freed.
 *
 * A CPU whose pages last held this guest's tables forgets it, so that a
 * later guest at the same address is not mistaken for it.
 */
void lguest_arch_forget(struct lguest *lg)
{
	int cpu;

	/*
	 * A new guest allocated at this address would otherwise pass for us,
	 * and miss the IBPB that copy_in_tables() gives a different guest.  The
	 * cmpxchg leaves a CPU that has moved on to another guest alone.
	 */
	for_each_possible_cpu(cpu)
		cmpxchg(per_cpu_ptr(&lg_last_guest, cpu), lg, NULL);
}

/*
 * H:085 The CR4 a guest runs with: the host's, less everything a ring-1
 * kernel on shadow page tables must not have.  In particular no global
 * pages (the host's would stay in the TLB), no SMEP or SMAP (ring 1 is a
 * supervisor ring to them, and the guest kernel uses its user pages), no
 * UMIP (a guest's kernel, and its user code, may read its descriptor
 * tables' addresses with sgdt and sidt, which the host does not emulate),
 * no XSAVE (the guest gets only the legacy FPU state switched, so the
 * host's extended registers must stay out of its reach) and no user-mode
 * rdpmc.  VMX and SMX stay as the host has them (clearing them in that
 * operation faults), and so does TSD: a Launcher kept from the TSC
 * (PR_SET_TSC) keeps its guest from it too, and the host tells that guest
 * it has no TSC.  A 64-bit host keeps PCIDE, which cannot come back on
 * while its CR3 names a PCID: the guest runs in PCID 0, which Linux leaves
 * unused, and its CR3 load flushes it.  CET, PKE and FSGSBASE go with the
 * rest.
 */
#define LG_CR4_GUEST (X86_CR4_DE | X86_CR4_PSE | X86_CR4_PAE | X86_CR4_MCE | \
		      X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT | X86_CR4_VMXE | X86_CR4_SMXE | \
		      X86_CR4_TSD | X86_CR4_PCIDE)

#ifdef CONFIG_X86_64
/*
 * H:087 The guest's segment loads replace the host's %ds, %es, %fs and %gs
 * with their bases.  The Switcher restores the kernel's GS base before
 * anything of the host can run; the Launcher's selectors, its FS base and
 * its inactive GS base come back here, as KVM restores them after a
 * VM exit.
 */
struct lg_host_segs {
	u16 ds, es, fs, gs;
	unsigned long fsbase, kgsbase;
};

static void call_switcher(struct lguest_host_page *hp, unsigned long pages, unsigned long cr3)
{
	struct lg_host_segs h;

	savesegment(ds, h.ds);
	savesegment(es, h.es);
	savesegment(fs, h.fs);
	savesegment(gs, h.gs);
	h.fsbase = x86_fsbase_read_cpu();
	rdmsrq(MSR_KERNEL_GS_BASE, h.kgsbase);
	rdmsrq(MSR_GS_BASE, hp->host_gs_base);

	/* The Switcher keeps only the callee-saved registers. */
	asm volatile(CALL_NOSPEC
		     : ASM_CALL_CONSTRAINT, "+D"(pages), "+S"(cr3)
		     : [thunk_target] "r"(switcher_entry)
		     : "memory", "cc", "rax", "rcx", "rdx", "r8", "r9", "r10", "r11");

	loadsegment(ds, h.ds);
	loadsegment(es, h.es);
	loadsegment(fs, h.fs);
	x86_fsbase_write_cpu(h.fsbase);
	load_gs_index(h.gs);
	wrmsrq(MSR_KERNEL_GS_BASE, h.kgsbase);
}

/*
 * H:092 An interrupt that stopped the guest is the host's: call the handler
 * its IDT names for the vector, as the CPU would have.
 */
static void host_irq(unsigned int vector)
{
	struct desc_ptr dt;

	store_idt(&dt);
	lguest_host_irq(gate_offset((gate_desc *)dt.address + vector));
}
#else
static void call_switcher(struct lguest_host_page *hp, unsigned long pages, unsigned long cr3)
{
	unsigned long clobber_a, clobber_b;

	/*
	 * Flags, %cs and the return address make an interrupt frame, so the
	 * Switcher returns with iret, or through the host's handler for an
	 * interrupt that arrived while the guest ran.
	 */
	asm volatile("pushfl\n\t"
		     "pushl %%cs\n\t"
		     "call *%[entry]\n\t"
		     : "=a"(clobber_a), "=b"(clobber_b)
		     : "0"(pages), "1"(cr3), [entry] "m"(switcher_entry)
		     : "memory", "cc", "ecx", "edx", "esi", "edi");
	/*
	 * Back on the host's tables and stack.  The Switcher kept only the
	 * host's %ebp, %esp and segment registers, hence the clobbers; the
	 * guest's registers and the Switcher's notes came back through memory.
	 */
}

/* The 32-bit Switcher went through the host's handler itself (S:090). */
static void host_irq(unsigned int vector)
{
}
#endif

static void run_guest_once(struct lguest *lg, int cpu)
{
	struct lguest_ro_state *st = cpu_state(cpu);
	struct lguest_host_page *hp = cpu_host_page(cpu);
	unsigned long pages = cpu_pages_addr(cpu);
	unsigned long cr3 = lguest_map_switcher(lg, cpu);
	struct desc_ptr dt;
	u64 sysenter_cs = 0;

	/*
	 * The host's state as it is now, on this CPU and for this task (CR4's
	 * TSD bit follows the task).  CR3 goes in the state page, which the
	 * Switcher reads with the guest's tables loaded; the rest waits in the
	 * host page, which only the host's tables map.
	 */
	st->host_cr3 = __read_cr3();
	hp->host_cr4 = __read_cr4();
	st->guest_cr4 = hp->host_cr4 & LG_CR4_GUEST;
	/*
	 * The GDT loaded now (the cpu_entry_area alias), to go back to, and the
	 * per-CPU table itself, writable: ltr marks the TSS busy in the GDT, so
	 * the Switcher loads that one around it, as native_load_tr_desc() does.
	 */
	native_store_gdt(&dt);
	hp->host_gdt.limit = dt.size;
	hp->host_gdt.base = dt.address;
	hp->host_gdt_rw.limit = dt.size;
	hp->host_gdt_rw.base = (unsigned long)get_cpu_gdt_rw(cpu);
	store_idt(&dt);
	hp->host_idt.limit = dt.size;
	hp->host_idt.base = dt.address;

	/*
	 * A sysenter in the guest would enter the host's kernel entry point
	 * in ring 0 on the guest's page tables: with SYSENTER_CS zero, it
	 * faults instead.
	 */
	if (boot_cpu_has(X86_FEATURE_SEP)) {
		rdmsrq(MSR_IA32_SYSENTER_CS, sysenter_cs);
		wrmsrq(MSR_IA32_SYSENTER_CS, 0);
	}

	call_switcher(hp, pages, cr3);
	if (boot_cpu_has(X86_FEATURE_SEP))
		wrmsrq(MSR_IA32_SYSENTER_CS, sysenter_cs);
	lguest_unmap_switcher(lg, cpu);
}

/*
 * H:095 The host's NMI handler, for an NMI that stopped the guest.  The
 * Switcher went back to the host without an iret, so NMIs are still
 * blocked, as the CPU left them: the handler is entered through its gate
 * as the CPU would enter it, and its iret ends the block.
 */
static void host_nmi(void)
{
	asm volatile("int $2" : : : "memory");
}

/*
 * H:097 NMIs that hit the Switcher itself were counted, and the Switcher's
 * iret ended their block.  A 32-bit host enters its handler through the
 * gate once for each (Linux's nmi_state copes with an NMI meanwhile).  A
 * 64-bit host's NMI gate switches to the top of the NMI stack whatever
 * runs there, and the entry code survives a nested NMI only once it runs
 * with NMIs blocked, which "int $2" does not give it: there the local
 * APIC sends this CPU a real NMI instead.  One is enough: the handlers
 * look at every source, and NMIs that come while one is pending merge.
 */
static void host_replay_nmis(u32 nmis)
{
#ifdef CONFIG_X86_64
	if (nmis)
		__apic_send_IPI_mask(cpumask_of(smp_processor_id()), NMI_VECTOR);
#else
	while (nmis--)
		host_nmi();
#endif
}

/*
 * H:096 A machine check in the guest is the host's to handle: as KVM does,
 * call the host's handler as if it had come from user mode, so that at
 * worst the Launcher is killed rather than the host.  One that hit the
 * Switcher hit the host's kernel, and says so.
 */
static void host_machine_check(struct lguest *lg, bool in_switcher)
{
#ifdef CONFIG_X86_MCE
	struct pt_regs regs = {
		.cs = 3,
		.flags = X86_EFLAGS_IF,
	};

	if (in_switcher) {
		regs.cs = __KERNEL_CS;
		regs.ip = lg->switcher_fault_eip;
		regs.flags = 0;
	}
	do_machine_check(&regs);
#endif
}

/* Collect what the Switcher noted for this run, in the CPU's state page. */
static void take_switcher_notes(struct lguest *lg, int cpu, u32 *nmis)
{
	struct lguest_ro_state *st = cpu_state(cpu);

	*nmis = st->nmi_count;
	/*
	 * A trap inside the Switcher leaves no frame in the register page that
	 * could be trusted: its vector and eip are only in the state page,
	 * which the guest cannot write.
	 */
	if (st->fault) {
		lg->regs->trapnum = st->fault;
		lg->switcher_fault_eip = st->fault_eip;
	}
	/*
	 * The state page is the CPU's, not the guest's: the next guest to run
	 * here must not inherit these.
	 */
	st->nmi_count = 0;
	st->fault = 0;
	st->fault_eip = 0;
}

/* DR6 as the CPU left it, and then as it is after a reset. */
static u32 debug_read_clear_dr6(void)
{
	unsigned long dr6;

	get_debugreg(dr6, 6);
	set_debugreg(DR6_RESERVED, 6);
	return dr6;
}

/*
 * H:090 After the run, with interrupts still off: what the host itself must
 * handle first.  An NMI that stopped the guest, then those taken inside
 * the Switcher, go to the host's handler, as does a machine check.  The
 * guest's single steps and breakpoints leave their marks in DR6, which
 * the host's own debug handler would misread: keep them for the guest,
 * whose #DB handler reads them (lguest_data.dr6), and clear them.
 */
static void after_run(struct lguest *lg, int cpu)
{
	unsigned int trap;
	u32 nmis;

	take_switcher_notes(lg, cpu, &nmis);
	lg->stats.switcher_nmis += nmis;

	/*
	 * An NMI that hit the Switcher was counted above, and is never reported
	 * as a trap inside it; a machine check or a debug trap may have hit the
	 * guest or the Switcher.
	 */
	trap = lg->regs->trapnum;
	if (trap >= FIRST_EXTERNAL_VECTOR && trap < IDT_ENTRIES && trap != IA32_SYSCALL_VECTOR)
		host_irq(trap);
	else if (trap == X86_TRAP_NMI)
		host_nmi();
	else if ((trap & ~LGUEST_TRAP_IN_SWITCHER) == X86_TRAP_MC)
		host_machine_check(lg, trap & LGUEST_TRAP_IN_SWITCHER);
	else if ((trap & ~LGUEST_TRAP_IN_SWITCHER) == X86_TRAP_DB)
		lg->dr6 = debug_read_clear_dr6();
	/*
	 * The handler that has just run looked at every source: a 64-bit
	 * host's self-NMI after it would most likely find none, and an
	 * unknown NMI can panic a host (unknown_nmi_panic).
	 */
	if (!(IS_ENABLED(CONFIG_X86_64) && trap == X86_TRAP_NMI))
		host_replay_nmis(nmis);
}

/**
 * lguest_arch_enter() - Run the guest until it traps.
 * @lg: the guest.
 *
 * Checks the registers first, and kills a guest whose registers cannot be
 * resumed.  The switch is made with interrupts disabled and the guest's
 * FPU state loaded; while the guest runs, an interrupt for the host ends
 * the run.
 *
 * Context: Process context, the guest's lock held.
 *
 * Return: true once the guest has run and exited, false if it may not run
 * (it died).
 */
bool lguest_arch_enter(struct lguest *lg)
{
	unsigned long dr7;
	int cpu;

	lockdep_assert_held(&lg->lock);

	/*
	 * The registers come from the last exit, changed since by trap
	 * delivery, hypercalls or the Launcher: they are checked every time.
	 */
	sanitize_regs(lg);
	if (lg->dead)
		return false;

	/*
	 * The guest's FPU state is its own; kernel_fpu_begin() saves the
	 * Launcher's.  Guests see no XSAVE (nor can they use it: CR4 has no
	 * OSXSAVE in the guest), so fxsave covers all of theirs.
	 */
	kernel_fpu_begin();
	asm volatile("fxrstor %0" : : "m"(*lg->fpu));

	/*
	 * Interrupts stay off until the host's state is whole again.  The CPU's
	 * pages are picked by its number and mapped into the shadow, and the
	 * Switcher runs on the guest's IDT for a while.  An interrupt that
	 * comes while the guest runs ends the run, and the Switcher hands it to
	 * the host's handler.
	 */
	local_irq_disable();
	cpu = smp_processor_id();
	copy_in_tables(lg, cpu);
	/* The host's hardware breakpoints are for the host, not the guest. */
	dr7 = local_db_save();
	lg->stats.runs++;
	run_guest_once(lg, cpu);
	/* Read before anything can take another page fault. */
	lg->cr2 = read_cr2();
	local_db_restore(dr7);
	after_run(lg, cpu);
	local_irq_enable();

	asm volatile("fxsave %0" : "=m"(*lg->fpu));
	kernel_fpu_end();
	return true;
}

/*
 * The bytes of the instruction at the guest's eip, as far as they are
 * mapped: the instruction may end on a page that is not.
 */
static void copy_insn(struct lguest *lg, u8 *insn, u32 len)
{
	u32 va = lg->regs->eip, gpa, n;

	while (len) {
		n = min(len, (u32)(PAGE_SIZE - (va & ~PAGE_MASK)));
		/*
		 * Stop at a page that is not mapped, or not its memory, rather
		 * than let lguest_read() kill the guest: the bytes are only for
		 * decoding, and what is missing stays zero.
		 */
		if (!lguest_va_to_pa(lg, va, &gpa) || !lguest_address_ok(lg, gpa, n))
			return;
		lguest_read(lg, insn, gpa, n);
		insn += n;
		va += n;
		len -= n;
	}
}

/*
 * H:175 A ring-1 kernel's port I/O faults.  Linux probes for legacy hardware
 * that a guest does not have, so in the guest kernel an in reads all ones
 * and an out is dropped.
 */
static bool emulate_port_io(struct lguest_regs *r, const u8 *insn)
{
	unsigned int len = 1, size = 4;
	u8 op = insn[0];

	/* An operand-size prefix makes the access 16 bits wide. */
	if (op == 0x66) {
		size = 2;
		op = insn[1];
		len = 2;
	}
	/*
	 * in and out with the port in the instruction (e4-e7) are a byte longer
	 * than with the port in %dx (ec-ef).  Anything else, string I/O
	 * included, is left to the guest as its #GP.
	 */
	switch (op) {
	case 0xe4: case 0xe5: case 0xe6: case 0xe7:
		len++;
		fallthrough;
	case 0xec: case 0xed: case 0xee: case 0xef:
		break;
	default:
		return false;
	}
	/*
	 * Bit 0 of the opcode clear: one byte.  Bit 1 clear: an in, which reads
	 * all ones, as a port with nothing behind it does; a narrow in leaves
	 * the rest of %eax alone, as on a CPU.
	 */
	if (!(op & 1))
		size = 1;
	if (!(op & 2)) {
		if (size == 4)
			r->eax = ~0U;
		else
			r->eax |= (1U << (size * 8)) - 1;
	}
	/* A #GP leaves eip at the instruction: step over it. */
	r->eip += len;
	return true;
}

/*
 * A few MSR accesses are native instructions outside the paravirt ops
 * (early Intel setup reads the microcode revision).  A guest has no MSRs:
 * a read gives 0 and a write is dropped, as its paravirt ops do.
 */
static bool emulate_msr(struct lguest_regs *r, const u8 *insn)
{
	/* 0f 30 is wrmsr, 0f 32 is rdmsr. */
	if (insn[0] != 0x0f || (insn[1] != 0x30 && insn[1] != 0x32))
		return false;
	if (insn[1] == 0x32) {
		r->eax = 0;
		r->edx = 0;
	}
	r->eip += 2;
	return true;
}

/* A #GP from the guest kernel that is only a privileged instruction. */
static bool emulate_insn(struct lguest *lg)
{
	struct lguest_regs *r = lg->regs;
	u8 insn[2] = { };

	/*
	 * The guest kernel's only, and only a #GP with error code 0, which is
	 * what a privileged instruction raises: a non-zero one names a segment.
	 * In user mode, port I/O must fault as it would on a CPU.
	 */
	if ((r->cs & SEGMENT_RPL_MASK) != 1 || r->errcode)
		return false;
	copy_insn(lg, insn, sizeof(insn));
	return emulate_port_io(r, insn) || emulate_msr(r, insn);
}

/*
 * H:185 A guest that takes the same page fault at the same place over and over,
 * and does nothing else in between, gets nowhere.  What counts as doing
 * something: any hypercall, or a fault we could resolve by filling in a
 * shadow entry (lguest_progress()).  A process that maps, touches and
 * unmaps one page in a loop faults at one place forever, but each round
 * also makes hypercalls and has a fault resolved, so it lives.  (Other
 * traps may well repeat: a system call in a loop comes from one address.)
 */
static bool fault_loop(struct lguest *lg)
{
	struct lguest_regs *r = lg->regs;

	if (r->trapnum != X86_TRAP_PF)
		return false;
	/*
	 * Only faults going back to the guest get here: one we resolved
	 * returned earlier, and reset the count (lguest_progress()).
	 */
	if (r->eip == lg->fault_eip && lg->cr2 == lg->fault_cr2) {
		if (++lg->fault_count >= LG_FAULT_LOOP_LIMIT) {
			lguest_kill(lg, "stuck in a loop of trap %u at %#x", r->trapnum, r->eip);
			return true;
		}
	} else {
		lg->fault_eip = r->eip;
		lg->fault_cr2 = lg->cr2;
		lg->fault_count = 0;
	}
	return false;
}

/*
 * H:180 The Launcher decodes the access from the instruction itself, so it gets
 * the bytes at eip: it cannot walk the guest's page tables, and the
 * instruction may be in a module.
 */
static void mmio_exit(struct lguest *lg, u32 gpa)
{
	memset(&lg->exit, 0, sizeof(lg->exit));
	lg->exit.reason = LGUEST_EXIT_MMIO;
	lg->exit.trapnum = X86_TRAP_PF;
	/* The error code tells the Launcher a read from a write. */
	lg->exit.errcode = lg->regs->errcode;
	lg->exit.addr = gpa;
	copy_insn(lg, (u8 *)lg->exit.arg, sizeof(lg->exit.arg));
	lg->exit_ready = true;
}

static void count_exit(struct lguest *lg, unsigned int trap)
{
	if (trap < ARRAY_SIZE(lg->stats.exits))
		lg->stats.exits[trap]++;
	else if (trap == IA32_SYSCALL_VECTOR)
		lg->stats.exits_syscall++;
	else if (!(trap & LGUEST_TRAP_IN_SWITCHER))
		lg->stats.exits_irq++;
}

/**
 * lguest_arch_exit() - Handle why the guest stopped running.
 * @lg: the guest, just back from lguest_arch_enter().
 *
 * A page fault the guest's tables allow is resolved, and an access to the
 * MMIO window becomes an exit for the Launcher.  Port I/O and MSR
 * instructions of the guest kernel are emulated, and hypercalls run.
 * Interrupts, NMIs and machine checks were the host's.  Anything else is
 * the guest's own trap and is delivered to it; a trap it cannot take, a
 * double fault, a trap inside the Switcher or a page fault repeated with
 * no progress kills it.
 *
 * Context: Process context, the guest's lock held.  May sleep.
 */
void lguest_arch_exit(struct lguest *lg)
{
	struct lguest_regs *r = lg->regs;
	unsigned int trap = r->trapnum;
	u32 mmio;
	int ret;

	count_exit(lg, trap);
	trace_lguest_exit(trap, r->eip, r->errcode);
	if (trap & LGUEST_TRAP_IN_SWITCHER) {
		/*
		 * after_run() gave the host what it needed.  The guest cannot
		 * go on: the register page holds no reliable frame from this
		 * run.
		 */
		unsigned long off = lg->switcher_fault_eip - lguest_switcher_addr;

		/*
		 * Outside the Switcher's code, ring 0 can only have been reached
		 * through SYSCALL or SYSENTER: that address is the host's, and
		 * not for the Launcher to learn.
		 */
		if (off >= SWITCHER_CODE_PAGES * PAGE_SIZE)
			lguest_kill(lg, "trap %u in ring 0 outside the Switcher (SYSCALL?)",
				    trap & ~LGUEST_TRAP_IN_SWITCHER);
		else
			lguest_kill(lg, "%s inside the Switcher at +%#lx",
				    trap == (LGUEST_TRAP_IN_SWITCHER | X86_TRAP_MC) ?
				    "machine check" : "trap", off);
		return;
	}

	switch (trap) {
	case X86_TRAP_PF:
		ret = lguest_demand_page(lg, lg->cr2, r->errcode, &mmio);
		trace_lguest_fault(lg->cr2, r->errcode, ret);
		if (ret > 0) {
			lg->stats.faults_fixed++;
			if (lg->page_offset && lg->cr2 >= lg->page_offset)
				lg->stats.faults_fixed_kernel++;
			lguest_progress(lg);
		}
		if (ret > 0 || lg->dead)
			return;
		if (ret < 0) {
			lg->stats.mmio_exits++;
			mmio_exit(lg, mmio);
			return;
		}
		lg->stats.faults_reflected++;
		/* The guest's own fault: it finds the address in lguest_data. */
		if (lg->data_gpa) {
			u32 fault[2] = { lg->cr2, lguest_unshadow_fault(lg, lg->cr2) };

			lguest_write(lg, LG_DATA(lg, cr2), fault, sizeof(fault));
		}
		break;
	case X86_TRAP_GP:
		if (emulate_insn(lg))
			return;
		break;
	case X86_TRAP_DB:
		/* Why it trapped: the guest's #DB handler reads DR6 there. */
		if (lg->data_gpa)
			lguest_write_u32(lg, LG_DATA(lg, dr6), lg->dr6);
		break;
	case LGUEST_HCALL_VECTOR:
		/*
		 * The saved eip is already past the int: the guest resumes
		 * after its call.
		 */
		lguest_do_hcall_trap(lg);
		return;
	case X86_TRAP_NMI:
	case X86_TRAP_MC:
		return;			/* the host's, and after_run() handled it */
	case X86_TRAP_DF:
		lguest_kill(lg, "double fault at %#x", r->eip);
		return;
	default:
		/* Interrupts were the host's, and it has handled them. */
		if (trap >= FIRST_EXTERNAL_VECTOR && trap != IA32_SYSCALL_VECTOR)
			return;
		break;
	}

	/*
	 * The trap is the guest's own: deliver it as the CPU would have.  A
	 * guest with no handler for it cannot go on: a CPU would end in a
	 * triple fault.
	 */
	if (fault_loop(lg))
		return;
	if (!lguest_deliver_trap(lg, trap, lguest_trap_has_errcode(trap)))
		lguest_kill(lg, "no way to deliver trap %u at %#x (errcode %#x)",
			    trap, r->eip, r->errcode);
}
