// SPDX-License-Identifier: GPL-2.0
/*
 * The x86 half of the host: preparing a CPU's Switcher pages, the switch
 * itself, and sorting out why the guest came back.
 */
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <asm/cpuid/api.h>
#include <asm/desc.h>
#include <asm/fpu/api.h>
#include <asm/msr.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>
#include <asm/trapnr.h>
#include <asm/irq_vectors.h>
#include "../lg.h"

extern char lguest_switcher_start[], lguest_switch_to_guest[], lguest_trap_stubs[];

/* The guest last set up on each CPU's pages: if it is us, they are current. */
static DEFINE_PER_CPU(struct lguest *, lg_last_guest);

/* An absolute target for "call *": see run_guest_once(). */
static unsigned long switcher_entry;

/* A CPU's pages, at their Switcher address and at their writable one. */
static unsigned long cpu_pages_addr(int cpu)
{
	return switcher_addr + (SWITCHER_CODE_PAGES + 2 * cpu) * PAGE_SIZE;
}

static struct lguest_ro_state *cpu_state(int cpu)
{
	return page_address(switcher_pages[SWITCHER_CODE_PAGES + 2 * cpu + 1]);
}

unsigned long lguest_stub_addr(unsigned int vector)
{
	return switcher_addr + (lguest_trap_stubs - lguest_switcher_start) +
		vector * LGUEST_STUB_SIZE;
}

/* What never changes in a CPU's state page: the guest's table pointers and TSS. */
static void init_cpu_state(int cpu)
{
	struct lguest_ro_state *st = cpu_state(cpu);
	unsigned long base = cpu_pages_addr(cpu) + PAGE_SIZE;

	st->guest_gdt.limit = GDT_ENTRIES * 8 - 1;
	st->guest_gdt.base = base + offsetof(struct lguest_ro_state, guest_gdt_table);
	st->guest_idt.limit = IDT_ENTRIES * sizeof(gate_desc) - 1;
	st->guest_idt.base = base + offsetof(struct lguest_ro_state, guest_idt_table);

	/* Traps to ring 0 push their frame at the top of the register page. */
	st->guest_tss.sp0 = cpu_pages_addr(cpu) + PAGE_SIZE;
	st->guest_tss.ss0 = LGUEST_DS;
	/* No I/O bitmap: every port access from the guest faults. */
	st->guest_tss.io_bitmap_base = sizeof(struct x86_hw_tss);
}

int lguest_arch_host_init(void)
{
	int cpu;

	BUILD_BUG_ON(offsetof(struct lguest_pages, regs) != LGP_REGS);
	BUILD_BUG_ON(offsetof(struct lguest_pages, regs.trapnum) != LGP_REGS_TRAPNUM);
	BUILD_BUG_ON(sizeof(struct lguest_regs) != LGUEST_REGS_SIZE);
	BUILD_BUG_ON(offsetof(struct lguest_pages, state.host_cr3) != LGP_HOST_CR3);
	BUILD_BUG_ON(offsetof(struct lguest_pages, state.host_cr4) != LGP_HOST_CR4);
	BUILD_BUG_ON(offsetof(struct lguest_pages, state.host_sp) != LGP_HOST_SP);
	BUILD_BUG_ON(offsetof(struct lguest_pages, state.guest_cr4) != LGP_GUEST_CR4);
	BUILD_BUG_ON(offsetof(struct lguest_pages, state.host_gdt.limit) != LGP_HOST_GDT);
	BUILD_BUG_ON(offsetof(struct lguest_pages, state.host_gdt_rw.limit) != LGP_HOST_GDT_RW);
	BUILD_BUG_ON(offsetof(struct lguest_pages, state.host_gdt_rw.base) !=
		     LGP_HOST_GDT_RW_BASE);
	BUILD_BUG_ON(offsetof(struct lguest_pages, state.host_idt.limit) != LGP_HOST_IDT);
	BUILD_BUG_ON(offsetof(struct lguest_pages, state.host_idt.base) != LGP_HOST_IDT_BASE);
	BUILD_BUG_ON(offsetof(struct lguest_pages, state.guest_gdt.limit) != LGP_GUEST_GDT);
	BUILD_BUG_ON(offsetof(struct lguest_pages, state.guest_idt.limit) != LGP_GUEST_IDT);
	BUILD_BUG_ON(offsetof(struct lguest_pages, state.guest_gdt_table) !=
		     LGP_GUEST_GDT_TABLE);
	BUILD_BUG_ON(sizeof(struct lguest_pages) != 2 * PAGE_SIZE);

	switcher_entry = switcher_addr + (lguest_switch_to_guest - lguest_switcher_start);
	for_each_possible_cpu(cpu)
		init_cpu_state(cpu);
	return 0;
}

void lguest_arch_host_fini(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
		per_cpu(lg_last_guest, cpu) = NULL;
}

/*
 * A new guest starts in ring 1 at its entry point, on flat segments that
 * stop below the Switcher, with interrupts (virtually) off.  It has no
 * stack yet: its first instructions set one up.
 */
int lguest_arch_setup_guest(struct lguest *lg, u32 entry, u32 boot_params)
{
	struct lguest_regs *r = lg->regs;

	lg->fpu = kzalloc_obj(*lg->fpu, GFP_KERNEL);
	if (!lg->fpu)
		return -ENOMEM;
	lg->fpu->cwd = 0x37f;
	lg->fpu->mxcsr = MXCSR_DEFAULT;

	lguest_init_gdt(lg);
	memset(r, 0, sizeof(*r));
	r->cs = __KERNEL_CS | 1;
	r->ss = __KERNEL_DS | 1;
	r->ds = __KERNEL_DS | 1;
	r->es = __KERNEL_DS | 1;
	r->eflags = X86_EFLAGS_IF | X86_EFLAGS_FIXED;
	r->eip = entry;
	r->esi = boot_params;
	lg->last_cpu = -1;
	return 0;
}

#define CPUID_BIT(feature)	BIT((feature) & 31)

/* Leaf 1, %edx: what a ring-1 kernel must not try to use. */
#define LG_CPUID1_EDX_HIDE (CPUID_BIT(X86_FEATURE_VME) | CPUID_BIT(X86_FEATURE_DE) | \
	CPUID_BIT(X86_FEATURE_PSE) | CPUID_BIT(X86_FEATURE_MCE) | CPUID_BIT(X86_FEATURE_APIC) | \
	CPUID_BIT(X86_FEATURE_SEP) | CPUID_BIT(X86_FEATURE_MTRR) | CPUID_BIT(X86_FEATURE_PGE) | \
	CPUID_BIT(X86_FEATURE_MCA) | CPUID_BIT(X86_FEATURE_PSE36) | CPUID_BIT(X86_FEATURE_DS) | \
	CPUID_BIT(X86_FEATURE_ACPI) | CPUID_BIT(X86_FEATURE_ACC) | CPUID_BIT(X86_FEATURE_PBE))

/* Leaf 1, %ecx: no monitor, no virtualization, no XSAVE state, no x2APIC. */
#define LG_CPUID1_ECX_HIDE (CPUID_BIT(X86_FEATURE_DTES64) | CPUID_BIT(X86_FEATURE_MWAIT) | \
	CPUID_BIT(X86_FEATURE_DSCPL) | CPUID_BIT(X86_FEATURE_VMX) | CPUID_BIT(X86_FEATURE_SMX) | \
	CPUID_BIT(X86_FEATURE_EST) | CPUID_BIT(X86_FEATURE_TM2) | CPUID_BIT(X86_FEATURE_PDCM) | \
	CPUID_BIT(X86_FEATURE_PCID) | CPUID_BIT(X86_FEATURE_X2APIC) | \
	CPUID_BIT(X86_FEATURE_TSC_DEADLINE_TIMER) | CPUID_BIT(X86_FEATURE_XSAVE) | \
	CPUID_BIT(X86_FEATURE_OSXSAVE) | CPUID_BIT(X86_FEATURE_AVX) | CPUID_BIT(X86_FEATURE_FMA) | \
	CPUID_BIT(X86_FEATURE_F16C))

/*
 * The CPU as a guest may see it.  Ring 1 cannot trap cpuid, so a guest
 * asks for this with LHCALL_CPUID instead; the host decides, knowing
 * what the Switcher and the shadow page tables give a guest: no large
 * or global pages, no local APIC, sysenter, machine checks or MTRRs, no
 * XSAVE (guests keep their FPU state with fxsave), no SMEP/SMAP/UMIP, no
 * hardware virtualization, and a hypervisor leaf that names lguest.
 */
void lguest_arch_cpuid(u32 leaf, u32 subleaf, u32 *r)
{
	if ((leaf & 0xffff0000) == LGUEST_CPUID_LEAF) {
		memset(r, 0, 4 * sizeof(*r));
		if (leaf == LGUEST_CPUID_LEAF) {
			r[0] = LGUEST_CPUID_LEAF;
			memcpy(&r[1], "LguestLguest", 12);
		}
		return;
	}
	cpuid_count(leaf, subleaf, &r[0], &r[1], &r[2], &r[3]);
	switch (leaf) {
	case 1:
		r[1] &= 0x0000ffff;		/* no APIC IDs */
		r[2] &= ~LG_CPUID1_ECX_HIDE;
		r[2] |= CPUID_BIT(X86_FEATURE_HYPERVISOR);
		r[3] &= ~LG_CPUID1_EDX_HIDE;
		break;
	case 7:
		/* Plain instruction-set extensions only. */
		if (subleaf == 0) {
			r[0] = 0;
			r[1] &= CPUID_BIT(X86_FEATURE_BMI1) | CPUID_BIT(X86_FEATURE_BMI2) |
				CPUID_BIT(X86_FEATURE_ERMS) | CPUID_BIT(X86_FEATURE_ADX);
			r[2] = 0;
			r[3] = 0;
			break;
		}
		fallthrough;
	case 5: case 6: case 0xa: case 0xb: case 0xd: case 0xf: case 0x10: case 0x1f:
		/* Power, performance counters, topology, XSAVE, QoS. */
		memset(r, 0, 4 * sizeof(*r));
		break;
	case 0x80000001:
		r[2] &= ~CPUID_BIT(X86_FEATURE_SVM);
		r[3] &= ~(CPUID_BIT(X86_FEATURE_SYSCALL) | CPUID_BIT(X86_FEATURE_GBPAGES) |
			  CPUID_BIT(X86_FEATURE_LM));
		if (!(__supported_pte_mask & _PAGE_NX))
			r[3] &= ~CPUID_BIT(X86_FEATURE_NX);
		break;
	}
}

/* The flags a guest may hold: arithmetic, direction, trap, AC and ID. */
#define LG_EFLAGS_GUEST	(X86_EFLAGS_CF | X86_EFLAGS_PF | X86_EFLAGS_AF | \
			 X86_EFLAGS_ZF | X86_EFLAGS_SF | X86_EFLAGS_TF | \
			 X86_EFLAGS_DF | X86_EFLAGS_OF | X86_EFLAGS_AC | \
			 X86_EFLAGS_ID | X86_EFLAGS_RF)

/*
 * The Switcher loads these registers in ring 0, where a fault would hit
 * the host: cs:eip and ss must be what iret takes (lguest_iret_ok()); a
 * data selector that no longer fits is cleared, as a real CPU would refuse
 * to reload it.  The real interrupt flag is always on: the guest's own
 * lives in lguest_data.
 */
static void sanitize_regs(struct lguest *lg)
{
	struct lguest_regs *r = lg->regs;
	int rpl = r->cs & SEGMENT_RPL_MASK;

	if (!lguest_iret_ok(lg, r->cs, r->ss, r->eip)) {
		kill_guest(lg, "cannot resume at %#x:%#x: bad segment or beyond its code segment",
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
	r->eflags = (r->eflags & LG_EFLAGS_GUEST) | X86_EFLAGS_IF | X86_EFLAGS_FIXED;
}

/* Put this guest's tables into the CPU's state page, if they are not there. */
static void copy_in_tables(struct lguest *lg, int cpu)
{
	struct lguest_ro_state *st = cpu_state(cpu);
	unsigned long tss = cpu_pages_addr(cpu) + PAGE_SIZE +
		offsetof(struct lguest_ro_state, guest_tss);
	struct desc_struct *gdt = st->guest_gdt_table;

	if (__this_cpu_read(lg_last_guest) == lg && lg->last_cpu == cpu &&
	    !lg->tables_changed)
		return;

	lguest_copy_gdt(lg, gdt);
	set_tssldt_descriptor(&gdt[GDT_ENTRY_TSS], tss, DESC_TSS,
			      sizeof(struct x86_hw_tss) - 1);
	lguest_real_idt(lg, st->guest_idt_table);
	st->guest_tss.sp1 = lg->stack_esp;
	st->guest_tss.ss1 = lg->stack_ss;

	__this_cpu_write(lg_last_guest, lg);
	lg->last_cpu = cpu;
	lg->tables_changed = false;
}

/* CR4 bits a ring-1 kernel cannot live with, or must not inherit. */
#define LG_CR4_HOST_ONLY (X86_CR4_PGE | X86_CR4_SMEP | X86_CR4_SMAP | \
			  X86_CR4_UMIP | X86_CR4_VME | X86_CR4_PVI)

static void run_guest_once(struct lguest *lg, int cpu)
{
	struct lguest_ro_state *st = cpu_state(cpu);
	unsigned long pages = cpu_pages_addr(cpu);
	unsigned long cr3 = lguest_shadow_cr3(lg, cpu);
	struct desc_ptr dt;
	u64 sysenter_cs = 0;
	unsigned long clobber_a, clobber_b;

	st->host_cr3 = __read_cr3();
	st->host_cr4 = __read_cr4();
	st->guest_cr4 = st->host_cr4 & ~LG_CR4_HOST_ONLY;
	native_store_gdt(&dt);
	st->host_gdt.limit = dt.size;
	st->host_gdt.base = dt.address;
	st->host_gdt_rw.limit = dt.size;
	st->host_gdt_rw.base = (unsigned long)get_cpu_gdt_rw(cpu);
	store_idt(&dt);
	st->host_idt.limit = dt.size;
	st->host_idt.base = dt.address;

	/*
	 * A sysenter in the guest would enter the host's kernel entry point
	 * in ring 0 on the guest's page tables: with SYSENTER_CS zero, it
	 * faults instead.
	 */
	if (boot_cpu_has(X86_FEATURE_SEP)) {
		rdmsrq(MSR_IA32_SYSENTER_CS, sysenter_cs);
		wrmsrq(MSR_IA32_SYSENTER_CS, 0);
	}

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

	if (boot_cpu_has(X86_FEATURE_SEP))
		wrmsrq(MSR_IA32_SYSENTER_CS, sysenter_cs);
}

void lguest_arch_enter(struct lguest *lg)
{
	int cpu;

	sanitize_regs(lg);
	if (lg->dead)
		return;

	/*
	 * The guest's FPU state is its own; kernel_fpu_begin() saves the
	 * Launcher's.  Guests see no XSAVE, so fxsave covers all of theirs.
	 */
	kernel_fpu_begin();
	asm volatile("fxrstor %0" : : "m"(*lg->fpu));

	local_irq_disable();
	cpu = smp_processor_id();
	copy_in_tables(lg, cpu);
	run_guest_once(lg, cpu);
	/* Read before anything can take another page fault. */
	lg->cr2 = read_cr2();
	local_irq_enable();

	asm volatile("fxsave %0" : "=m"(*lg->fpu));
	kernel_fpu_end();
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
		if (!lguest_va_to_pa(lg, va, &gpa) || !lguest_address_ok(lg, gpa, n))
			return;
		lgread(lg, insn, gpa, n);
		insn += n;
		va += n;
		len -= n;
	}
}

/*
 * A ring-1 kernel's port I/O faults.  Linux probes for legacy hardware
 * that a guest does not have, so in the guest kernel an in reads all ones
 * and an out is dropped.
 */
static bool emulate_port_io(struct lguest_regs *r, const u8 *insn)
{
	unsigned int len = 1, size = 4;
	u8 op = insn[0];

	if (op == 0x66) {
		size = 2;
		op = insn[1];
		len = 2;
	}
	switch (op) {
	case 0xe4: case 0xe5: case 0xe6: case 0xe7:
		len++;
		fallthrough;
	case 0xec: case 0xed: case 0xee: case 0xef:
		break;
	default:
		return false;
	}
	if (!(op & 1))
		size = 1;
	if (!(op & 2)) {
		if (size == 4)
			r->eax = ~0U;
		else
			r->eax |= (1U << (size * 8)) - 1;
	}
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

	if ((r->cs & SEGMENT_RPL_MASK) != 1 || r->errcode)
		return false;
	copy_insn(lg, insn, sizeof(insn));
	return emulate_port_io(r, insn) || emulate_msr(r, insn);
}

/*
 * The guest faulting on the same page at the same place over and over
 * gets nowhere.  (Other traps may well repeat: a system call in a loop
 * comes from one address.)
 */
static bool fault_loop(struct lguest *lg)
{
	struct lguest_regs *r = lg->regs;

	if (r->trapnum != X86_TRAP_PF)
		return false;
	if (r->eip == lg->fault_eip && lg->cr2 == lg->fault_cr2) {
		if (++lg->fault_count >= LG_FAULT_LOOP_LIMIT) {
			kill_guest(lg, "stuck in a loop of trap %u at %#x", r->trapnum, r->eip);
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
 * The Launcher decodes the access from the instruction itself, so it gets
 * the bytes at eip: it cannot walk the guest's page tables, and the
 * instruction may be in a module.
 */
static void mmio_exit(struct lguest *lg, u32 gpa)
{
	memset(&lg->exit, 0, sizeof(lg->exit));
	lg->exit.reason = LGUEST_EXIT_MMIO;
	lg->exit.trapnum = X86_TRAP_PF;
	lg->exit.errcode = lg->regs->errcode;
	lg->exit.addr = gpa;
	copy_insn(lg, (u8 *)lg->exit.arg, sizeof(lg->exit.arg));
	lg->exit_ready = true;
}

void lguest_arch_exit(struct lguest *lg)
{
	struct lguest_regs *r = lg->regs;
	unsigned int trap = r->trapnum;
	u32 mmio;
	int ret;

	switch (trap) {
	case X86_TRAP_PF:
		ret = lguest_demand_page(lg, lg->cr2, r->errcode, &mmio);
		if (ret > 0 || lg->dead)
			return;
		if (ret < 0) {
			mmio_exit(lg, mmio);
			return;
		}
		/* The guest's own fault: it finds the address in lguest_data. */
		if (lg->data_gpa)
			lgwrite_u32(lg, LG_DATA(lg, cr2), lg->cr2);
		break;
	case X86_TRAP_GP:
		if (emulate_insn(lg))
			return;
		break;
	case LGUEST_HCALL_VECTOR:
		lguest_do_hcall_trap(lg);
		return;
	case X86_TRAP_NMI:
		return;			/* the host's handler has run */
	case X86_TRAP_DF:
	case X86_TRAP_MC:
		kill_guest(lg, "trap %u at %#x", trap, r->eip);
		return;
	default:
		/* Interrupts were the host's, and it has handled them. */
		if (trap >= FIRST_EXTERNAL_VECTOR && trap != IA32_SYSCALL_VECTOR)
			return;
		break;
	}

	if (fault_loop(lg))
		return;
	if (!lguest_deliver_trap(lg, trap, lguest_trap_has_errcode(trap)))
		kill_guest(lg, "no way to deliver trap %u at %#x (errcode %#x)",
			   trap, r->eip, r->errcode);
}
