/* SPDX-License-Identifier: GPL-2.0 */
/*
 * S:200 The Switcher's pages on a 64-bit host, where the guest still is a
 * 32-bit kernel, in compatibility mode.  The layout is the 32-bit host's
 * with wider fields, and two state pages per CPU: a long-mode IDT of 256
 * gates fills a page by itself.
 *
 * Every gate of the guest's IDT takes its stack from an IST slot of the
 * guest's TSS, never from the stack in use: a guest can reach ring 0 with
 * its own %rsp through SYSCALL, which long mode allows from compatibility
 * mode on AMD CPUs (and QEMU), so a fault or NMI in ring 0 must never push
 * onto the stack it finds.  Traps from the guest land at the top of the
 * register page, as on the 32-bit host.  NMIs, #DB, #MC and #DF have small
 * stacks of their own lower in the register slot, in the host's IST slot
 * numbers, so that they find a stack at every instruction of the
 * Switcher, whichever TSS is loaded.
 */
#ifndef _LGUEST_SWITCHER_64_H
#define _LGUEST_SWITCHER_64_H

#include <asm/page_64_types.h>

/*
 * The host's own kernel segments, in the slots of a 64-bit kernel's GDT:
 * the same in the guest's table, so both IDTs work with both GDTs.
 */
#define LGUEST_CS		(LGUEST_GDT_ENTRY_SWITCHER64_CS << 3)
#define LGUEST_DS		(LGUEST_GDT_ENTRY_SWITCHER64_DS << 3)
#define LG_STATE_PAGES		2

/* IST slots of the guest's TSS: the host's four, and one for the rest. */
#define LG_IST_DF		(IST_INDEX_DF + 1)
#define LG_IST_NMI		(IST_INDEX_NMI + 1)
#define LG_IST_DB		(IST_INDEX_DB + 1)
#define LG_IST_MCE		(IST_INDEX_MCE + 1)
#define LG_IST_TRAP		7

/* Tops of those stacks, offsets in the register slot. */
#define LGP_STACK_DF		1024
#define LGP_STACK_NMI		1536
#define LGP_STACK_DB		2048
#define LGP_STACK_MCE		2560

/* struct lguest_regs: 32-bit registers, then the CPU's 64-bit frame. */
#define LGUEST_REGS_SIZE	104
#define LGP_REGS		(PAGE_SIZE - LGUEST_REGS_SIZE)
#define LGR_EBX			0
#define LGR_ECX			4
#define LGR_EDX			8
#define LGR_ESI			12
#define LGR_EDI			16
#define LGR_EBP			20
#define LGR_EAX			24
#define LGR_GS			28
#define LGR_FS			32
#define LGR_DS			36
#define LGR_ES			40
#define LGR_TRAPNUM		48
#define LGR_EIP			64
#define LGP_REGS_TRAPNUM	(LGP_REGS + LGR_TRAPNUM)

/* struct lguest_host_page */
#define LGP_HOST_CR4		0
#define LGP_HOST_SP		8
#define LGP_HOST_GDT		22	/* limit; base at +24 */
#define LGP_HOST_GDT_RW		38
#define LGP_HOST_GDT_RW_BASE	40
#define LGP_HOST_IDT		54
#define LGP_HOST_GS_BASE	64
#define LGP_HOST_LDT		72
#define LGP_IBPB		76

/* struct lguest_ro_state, from the page after the registers */
#define LGP_HOST_CR3		(PAGE_SIZE + 0)
#define LGP_GUEST_CR4		(PAGE_SIZE + 8)
#define LGP_GUEST_GDT		(PAGE_SIZE + 22)
#define LGP_GUEST_IDT		(PAGE_SIZE + 38)
#define LGP_VERW_SEL		(PAGE_SIZE + 48)
#define LGP_NMI_COUNT		(PAGE_SIZE + 52)
#define LGP_FAULT		(PAGE_SIZE + 56)
#define LGP_FAULT_EIP		(PAGE_SIZE + 64)
#define LGP_GUEST_GDT_TABLE	(PAGE_SIZE + 72)

#ifndef __ASSEMBLER__
#include <linux/types.h>
#include <asm/desc_defs.h>
#include <linux/processor.h>

/*
 * The guest's registers.  The stubs store the 32-bit ones; the CPU pushes
 * the vector's frame in 64-bit slots, whose upper halves the host clears
 * before each entry.
 */
struct lguest_regs {
	u32 ebx, ecx, edx, esi, edi, ebp, eax;
	u32 gs, fs, ds, es;
	u32 pad;
	u32 trapnum, trapnum_hi;
	u32 errcode, errcode_hi;
	/* pushed by the CPU */
	u32 eip, eip_hi;
	u32 cs, cs_hi;
	u32 eflags, eflags_hi;
	u32 esp, esp_hi;
	u32 ss, ss_hi;
};

/* A descriptor-table pointer, padded so that lgdt/lidt can use it. */
struct lguest_dt_ptr {
	u16 pad[3];
	u16 limit;
	u64 base;
};

/* The host's page in a CPU's register slot. */
struct lguest_host_page {
	u64 host_cr4, host_sp;
	struct lguest_dt_ptr host_gdt, host_gdt_rw, host_idt;
	u64 host_gs_base;
	u32 host_ldt;
	u32 ibpb;
	u8 stack[PAGE_SIZE - 80 - sizeof(struct lguest_regs)];
	struct lguest_regs unused;	/* the guest's, in the guest's page */
};

/* A CPU's state pages, which guests see read-only. */
struct lguest_ro_state {
	u64 host_cr3, guest_cr4;
	struct lguest_dt_ptr guest_gdt, guest_idt;
	u32 verw_sel;
	/* What the Switcher tells the host, as on a 32-bit host. */
	u32 nmi_count;
	u32 fault, pad;
	u64 fault_eip;
	struct desc_struct guest_gdt_table[LGUEST_GDT_ENTRIES];
	struct x86_hw_tss guest_tss;
	gate_desc guest_idt_table[IDT_ENTRIES] __aligned(16);
};

struct lguest_pages {
	u8 spare[PAGE_SIZE - sizeof(struct lguest_regs)];
	struct lguest_regs regs;
	struct lguest_ro_state state;
} __aligned(PAGE_SIZE);

#endif /* !__ASSEMBLER__ */
#endif /* _LGUEST_SWITCHER_64_H */
