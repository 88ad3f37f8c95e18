/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The hostile guests: each case attacks one thing the host must hold.  The
 * test guest (hostile.c) carries out the attack; lguest_test.c has the
 * name of each case and what must come of it, runs it, checks the
 * outcome, and then runs a well-behaved guest to see that the host is
 * still whole.
 */
#ifndef _LGUEST_TEST_HOSTILE_H
#define _LGUEST_TEST_HOSTILE_H

/* What the Launcher does for a case, besides running it. */
#define HF_PREINIT	0x01	/* the guest attacks before LHCALL_INIT */
#define HF_LDT		0x02	/* the Launcher's process has an LDT */
#define HF_AVX		0x04	/* the Launcher's upper YMM halves hold a secret */
#define HF_BREAKPOINT	0x08	/* a host breakpoint watches a guest address */
#define HF_RING_RACE	0x10	/* a thread rewrites the ring while the guest runs */
#define HF_IRQ_FLOOD	0x20	/* a thread raises interrupts without pause */
#define HF_SMALL_TLB	0x40	/* the host may keep few shadow pages */
#define HF_USER		0x80	/* the attack comes from the guest's ring 3 */
#define HF_KERNEL_HALF	0x100	/* the guest's kernel half starts at 0xc0000000 */
#define HF_HOST32	0x200	/* attacks a Switcher in the guest's 4 GiB: 32-bit hosts */
#define HF_HOST64	0x400	/* only on a 64-bit host */

enum {
	HOSTILE_NONE,
	/* Page tables: the Switcher's slot by every level. */
	HOSTILE_PTE_BEYOND_MEMORY,
	HOSTILE_PTE_SWITCHER,
	HOSTILE_PTE_CLEAR_SWITCHER,
	HOSTILE_PTE_CLEAR_SWITCHER_ASYNC,
	HOSTILE_PMD_SWITCHER,
	HOSTILE_PMD_CLEAR_SWITCHER,
	HOSTILE_PGD_TOP,
	HOSTILE_TOP_MAPS_SWITCHER,
	HOSTILE_TOP_OF_4G,
	HOSTILE_SWITCHER_PAGES,
	HOSTILE_PTE_IGNORED_BITS,
	HOSTILE_PTE_ABOVE_4G,
	HOSTILE_PDE_LARGE,
	HOSTILE_PDE_BEYOND_MEMORY,
	HOSTILE_PDPTE_BEYOND_MEMORY,
	HOSTILE_TOP_MISALIGNED,
	HOSTILE_TOP_BEYOND_MEMORY,
	HOSTILE_TOP_AT_END,
	HOSTILE_SHADOW_FLOOD,
	HOSTILE_MAP_UNMAP_LOOP,
	/* The IDT. */
	HOSTILE_IDT_DPL0,
	HOSTILE_IDT_SWITCHER_CS,
	HOSTILE_IDT_HOST64_CS,
	HOSTILE_IDT_TASK_GATE,
	HOSTILE_IDT_VECTOR_RANGE,
	HOSTILE_IDT_HCALL_VECTOR,
	HOSTILE_IDT_USER_ERRCODE,
	HOSTILE_IDT_LDT_SELECTOR,
	HOSTILE_HANDLER_BEYOND_LIMIT,
	HOSTILE_INT_HOST_VECTOR,
	HOSTILE_INT_MC_VECTOR,
	/* The GDT, TLS and LDT. */
	HOSTILE_GDT_DPL0,
	HOSTILE_GDT_REACHES_SWITCHER,
	HOSTILE_GDT_WRAPS,
	HOSTILE_GDT_SYSTEM,
	HOSTILE_GDT_RESERVED,
	HOSTILE_GDT_TSS_SLOT,
	HOSTILE_GDT_INDEX_RANGE,
	HOSTILE_GDT_CONFORMING,
	HOSTILE_GDT_EXPAND_DOWN,
	HOSTILE_TLS_DPL0,
	HOSTILE_TLS_REACHES_SWITCHER,
	HOSTILE_TLS_BAD_ADDRESS,
	HOSTILE_TLS_PULLED,
	HOSTILE_UNSHADOWED_PROMISE,
	HOSTILE_LDT_SELECTOR,
	HOSTILE_SWITCHER_SELECTORS,
	HOSTILE_GDT_LONG_MODE,
	/* Stacks and frames. */
	HOSTILE_STACK_OUTSIDE,
	HOSTILE_STACK_SWITCHER,
	HOSTILE_STACK_BAD_SEGMENT,
	HOSTILE_IRET_SWITCHER,
	/* Hypercalls, synchronous and queued. */
	HOSTILE_HCALL_BAD_ADDRESS,
	HOSTILE_HCALL_BAD_LENGTH,
	HOSTILE_HCALL_WRAPS,
	HOSTILE_HCALL_UNKNOWN,
	HOSTILE_HCALL_BEFORE_INIT,
	HOSTILE_INIT_BAD_ADDRESS,
	HOSTILE_INIT_MISALIGNED,
	HOSTILE_INIT_TWICE,
	HOSTILE_HCALL_FROM_USER,
	HOSTILE_CONSOLE_AT_END,
	HOSTILE_SHUTDOWN_BAD,
	HOSTILE_SHUTDOWN_AT_END,
	HOSTILE_RING_FORBIDDEN,
	HOSTILE_RING_UNKNOWN,
	HOSTILE_RING_FULL,
	HOSTILE_RING_GUEST_INDEX,
	HOSTILE_RING_RACE,
	HOSTILE_CPUID_LEAVES,
	HOSTILE_CLOCK_EXTREMES,
	HOSTILE_HCALL_STORM,
	HOSTILE_IRQ_STORM,
	/* Privileged instructions and CPU state. */
	HOSTILE_PORT_MSR,
	HOSTILE_INSN_AT_END,
	HOSTILE_DEBUG_REGS,
	HOSTILE_HOST_BREAKPOINT,
	HOSTILE_AVX_STATE,
	HOSTILE_SYSENTER,
	HOSTILE_SYSCALL,
	HOSTILE_FAULT_LOOP,
	HOSTILE_SPIN,		/* runs until its Launcher is killed */
	HOSTILE_FUZZ,		/* random hypercalls and traps, seeded */
	HOSTILE_WORK,		/* system calls, faults and timers for a while */
	HOSTILE_MAX
};

/* The guest's address the host breakpoint watches (HF_BREAKPOINT). */
#define WATCHED_VA	0x200000

#endif
