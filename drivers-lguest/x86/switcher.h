/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The layout of the Switcher's memory, shared by its assembly and the C
 * code that fills it in.  Everything here is private to drivers/lguest.
 *
 * The Switcher lives at switcher_addr in the host's vmalloc area, and at
 * the same address in every guest's shadow page tables:
 *
 *	pages 0-1		the code (switcher_32.S), read-only
 *	page 2 + 2 * cpu	registers of the guest on that CPU
 *	page 3 + 2 * cpu	that CPU's state, read-only for guests
 *
 * A guest sees the code and the pair of the CPU it runs on, nothing else;
 * its register page there is really the vCPU's own page, so the trap frame
 * the CPU pushes on the way out lands straight in struct lguest_regs.
 */
#ifndef _LGUEST_SWITCHER_H
#define _LGUEST_SWITCHER_H

/* Two descriptors in the guest GDT belong to the Switcher (free in Linux's). */
#define GDT_ENTRY_LGUEST_CS	10
#define GDT_ENTRY_LGUEST_DS	11
#define LGUEST_CS		(GDT_ENTRY_LGUEST_CS << 3)
#define LGUEST_DS		(GDT_ENTRY_LGUEST_DS << 3)

#define SWITCHER_CODE_PAGES	2	/* the entry, 256 trap stubs, the exit */
#define LGUEST_STUB_SIZE	16	/* bytes per trap stub in the code page */

/*
 * Offsets from the start of a CPU's register page.  struct lguest_regs
 * ends exactly at the end of that page: the TSS's ring-0 stack starts
 * there, so the CPU's pushes and the stubs' fill it from the top down.
 */
#define LGUEST_REGS_SIZE	(18 * 4)
#define LGP_REGS		(PAGE_SIZE - LGUEST_REGS_SIZE)
#define LGP_REGS_TRAPNUM	(LGP_REGS + 11 * 4)

/* Offsets of struct lguest_ro_state, in the page after the registers. */
#define LGP_HOST_CR3		(PAGE_SIZE + 0)
#define LGP_HOST_CR4		(PAGE_SIZE + 4)
#define LGP_HOST_SP		(PAGE_SIZE + 8)
#define LGP_GUEST_CR4		(PAGE_SIZE + 12)
#define LGP_HOST_GDT		(PAGE_SIZE + 18)	/* limit; base at +20 */
#define LGP_HOST_GDT_RW		(PAGE_SIZE + 26)	/* the writable alias */
#define LGP_HOST_GDT_RW_BASE	(PAGE_SIZE + 28)
#define LGP_HOST_IDT		(PAGE_SIZE + 34)
#define LGP_HOST_IDT_BASE	(PAGE_SIZE + 36)
#define LGP_GUEST_GDT		(PAGE_SIZE + 42)
#define LGP_GUEST_IDT		(PAGE_SIZE + 50)
#define LGP_GUEST_GDT_TABLE	(PAGE_SIZE + 56)

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

struct lguest_ro_state {
	u32 host_cr3, host_cr4, host_sp, guest_cr4;
	struct lguest_dt_ptr host_gdt, host_gdt_rw, host_idt;
	struct lguest_dt_ptr guest_gdt, guest_idt;
	struct desc_struct guest_gdt_table[GDT_ENTRIES];
	struct x86_hw_tss guest_tss;
	gate_desc guest_idt_table[IDT_ENTRIES];
};

struct lguest_pages {
	u8 spare[PAGE_SIZE - sizeof(struct lguest_regs)];
	struct lguest_regs regs;
	struct lguest_ro_state state;
} __aligned(PAGE_SIZE);

#endif /* !__ASSEMBLER__ */
#endif /* _LGUEST_SWITCHER_H */
