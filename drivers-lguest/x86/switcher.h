/* SPDX-License-Identifier: GPL-2.0 */
/*
 * S:020 The layout of the Switcher's memory, shared by its assembly and the C
 * code that fills it in.  Everything here is private to drivers/lguest.
 *
 * The Switcher lives at lguest_switcher_addr in the host's vmalloc area, and at
 * the same address in every guest's shadow page tables:
 *
 *	pages 0-1			the code (switcher_32.S or _64.S), read-only
 *	LG_CPU_REGS_PAGE(cpu)		registers of the guest on that CPU
 *	the next LG_STATE_PAGES		that CPU's state, read-only for guests
 *
 * A guest sees the code and the pair of the CPU it runs on, nothing else;
 * its register page there is really the vCPU's own page, so the trap frame
 * the CPU pushes on the way out lands straight in struct lguest_regs.  In
 * the host's own mapping the register slot holds a per-CPU page of its
 * own (struct lguest_host_page): what of the host's state a guest need
 * not see, and the Switcher's stack for the moments it runs on the host's
 * page tables with the guest's IDT.
 *
 * None of it can be reached through a guest's segments, which all end
 * below lguest_switcher_addr on a 32-bit host, and on a 64-bit one cannot
 * reach above 4 GiB, so on hardware only the CPU itself and the Switcher
 * touch it.  QEMU's TCG checks no segment limits: there a guest
 * can read the code and the state page and write its register page, and
 * the host trusts nothing in the register page but what the Switcher
 * wrote into it after the guest stopped.
 */
#ifndef _LGUEST_SWITCHER_H
#define _LGUEST_SWITCHER_H

#include <asm/lguest_hcall.h>

/*
 * S:030 Two descriptors belong to the Switcher, in the GDT slots the ABI
 * keeps for it.  Both slots are free in Linux's GDT, and the host puts the
 * same two descriptors in its own GDT as in every guest's: the Switcher's
 * code segment must be valid whichever of the two tables is loaded when an
 * NMI interrupts it.
 */
#define SWITCHER_CODE_PAGES	2	/* the entry, 256 trap stubs, the exit */
#define LGUEST_STUB_SIZE	16	/* bytes per trap stub in the code page */

/* A trap inside the Switcher itself, as the host is told of it. */
#define LGUEST_TRAP_IN_SWITCHER	0x100	/* never a vector: the host IDT has 256 */

#ifdef CONFIG_X86_64
#include "switcher_64.h"
#else
#define LGUEST_CS		(LGUEST_GDT_ENTRY_SWITCHER_CS << 3)
#define LGUEST_DS		(LGUEST_GDT_ENTRY_SWITCHER_DS << 3)
#define LG_STATE_PAGES		1

/*
 * Offsets from the start of a CPU's register page.  struct lguest_regs
 * ends exactly at the end of that page: the TSS's ring-0 stack starts
 * there, so the CPU's pushes and the stubs' fill it from the top down.
 */
#define LGUEST_REGS_SIZE	(18 * 4)
#define LGP_REGS		(PAGE_SIZE - LGUEST_REGS_SIZE)
#define LGP_REGS_TRAPNUM	(LGP_REGS + 11 * 4)

/*
 * The host's own page in the register slot (struct lguest_host_page):
 * only on the host's page tables, so read only before the guest's CR3 is
 * loaded or after the host's is back.
 */
#define LGP_HOST_CR4		0
#define LGP_HOST_SP		4
#define LGP_HOST_GDT		10	/* limit; base at +12 */
#define LGP_HOST_GDT_RW		18	/* the writable alias */
#define LGP_HOST_GDT_RW_BASE	20
#define LGP_HOST_IDT		26
#define LGP_HOST_IDT_BASE	28
#define LGP_TO_KERNEL_CS	32	/* a far pointer for ljmp */
#define LGP_HOST_LDT		40
#define LGP_IBPB		44	/* non-zero: a barrier on every exit */

/* Offsets of struct lguest_ro_state, in the page after the registers. */
#define LGP_HOST_CR3		(PAGE_SIZE + 0)
#define LGP_GUEST_CR4		(PAGE_SIZE + 4)
#define LGP_GUEST_GDT		(PAGE_SIZE + 10)
#define LGP_GUEST_IDT		(PAGE_SIZE + 18)
#define LGP_TO_SWITCHER_CS	(PAGE_SIZE + 24)
#define LGP_VERW_SEL		(PAGE_SIZE + 32)
#define LGP_NMI_COUNT		(PAGE_SIZE + 36)
#define LGP_FAULT		(PAGE_SIZE + 40)
#define LGP_FAULT_EIP		(PAGE_SIZE + 44)
#define LGP_GUEST_GDT_TABLE	(PAGE_SIZE + 48)

#ifndef __ASSEMBLER__
#include <linux/types.h>
#include <asm/desc_defs.h>
#include <linux/processor.h>

/* The guest's registers, in the order the stubs push them (reversed). */
struct lguest_regs {
	u32 ebx, ecx, edx, esi, edi, ebp, eax;
	u32 gs, fs, ds, es;
	u32 trapnum, errcode;
	/* pushed by the CPU */
	u32 eip, cs, eflags, esp, ss;
};

/* A descriptor-table pointer, padded so that lgdt/lidt can use it. */
struct lguest_dt_ptr {
	u16 pad;
	u16 limit;
	u32 base;
};

/* A far pointer, as "ljmp *mem" reads it. */
struct lguest_far_ptr {
	u32 offset;
	u16 sel;
	u16 pad;
};

/* The host's page in a CPU's register slot. */
struct lguest_host_page {
	u32 host_cr4, host_sp;
	struct lguest_dt_ptr host_gdt, host_gdt_rw, host_idt;
	struct lguest_far_ptr to_kernel_cs;
	u32 host_ldt;
	u32 ibpb;
	u8 stack[PAGE_SIZE - 48 - sizeof(struct lguest_regs)];
	struct lguest_regs unused;	/* the guest's, in the guest's page */
};

/*
 * S:035 A CPU's state page, which guests see read-only: only what the
 * Switcher must read while the guest's page tables are loaded.
 */
struct lguest_ro_state {
	u32 host_cr3, guest_cr4;
	struct lguest_dt_ptr guest_gdt, guest_idt;
	struct lguest_far_ptr to_switcher_cs;
	u32 verw_sel;
	/*
	 * What the Switcher tells the host besides the guest's registers:
	 * NMIs that arrived while it ran, and another trap inside it (its
	 * vector ORed with LGUEST_TRAP_IN_SWITCHER, and where).  They are
	 * here, where only the host's page tables let it write, because a
	 * guest can write its register page: not through its segments on
	 * real hardware, but under QEMU's TCG, which checks no segment
	 * limits.
	 */
	u32 nmi_count;
	u32 fault, fault_eip;
	struct desc_struct guest_gdt_table[LGUEST_GDT_ENTRIES];
	struct x86_hw_tss guest_tss;
	gate_desc guest_idt_table[IDT_ENTRIES];
};

struct lguest_pages {
	u8 spare[PAGE_SIZE - sizeof(struct lguest_regs)];
	struct lguest_regs regs;
	struct lguest_ro_state state;
} __aligned(PAGE_SIZE);

#endif /* !__ASSEMBLER__ */
#endif /* !CONFIG_X86_64 */

/* A CPU's pages: its register slot, then its state. */
#define LG_CPU_PAGES		(1 + LG_STATE_PAGES)
#define LG_CPU_REGS_PAGE(cpu)	(SWITCHER_CODE_PAGES + LG_CPU_PAGES * (cpu))

#ifndef __ASSEMBLER__
struct page;

/* x86/switcher_32.S or _64.S: its bounds, and the places in it the host finds. */
extern char lguest_switcher_start[], lguest_switcher_end[], lguest_switch_to_guest[],
	lguest_trap_stubs[];
#ifdef CONFIG_X86_32
extern char lguest_on_switcher_cs[], lguest_on_kernel_cs[];
#endif

/**
 * struct lguest_switcher - The Switcher's mapping, as lg finds it.
 * @addr: where it starts, in the host and in every guest.
 * @pages: its pages: the code, then each CPU's register and state pages.
 * @switch_to_guest: the entry run_guest_once() calls.
 * @trap_stubs: the first of the trap stubs, LGUEST_STUB_SIZE bytes each.
 * @on_switcher_cs: (32-bit) where the far jump onto the Switcher's code
 *	segment lands.
 * @on_kernel_cs: (32-bit) where the far jump back onto the host's lands.
 *
 * Filled by lguest_switcher_map() (x86/switcher_map.c), which is built
 * into the kernel: the code of the Switcher is kernel text, and the
 * module never maps anything executable itself.
 */
struct lguest_switcher {
	unsigned long addr;
	struct page **pages;
	unsigned long switch_to_guest;
	unsigned long trap_stubs;
#ifdef CONFIG_X86_32
	unsigned long on_switcher_cs;
	unsigned long on_kernel_cs;
#endif
};

int lguest_switcher_map(struct lguest_switcher *sw);
void lguest_switcher_unmap(void);
#endif /* !__ASSEMBLER__ */

#endif /* _LGUEST_SWITCHER_H */
