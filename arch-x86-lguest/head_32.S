/* SPDX-License-Identifier: GPL-2.0 */
/*
 * G:020 The two pieces of an lguest guest that must be assembler.
 *
 * lguest_entry is where startup_32 sends a kernel whose boot parameters
 * name the lguest subarch.  We arrive in ring 1 at the physical address
 * of the code, on the flat segments the host gave us, with no stack.
 * Until we install page tables the host maps our memory both at 0 and
 * at PAGE_OFFSET, so all we need is a stack and a jump to the address
 * we were linked at; the rest of the start is C (lguest_init()).
 *
 * lguest_iret replaces iret on the way out of the kernel: see below.
 */
#include <linux/init.h>
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/page_types.h>
#include <asm/processor-flags.h>

	__INIT
SYM_CODE_START(lguest_entry)
	movl	$__top_init_kernel_stack, %esp
	movl	$lguest_init, %eax
	jmp	*%eax
SYM_CODE_END(lguest_entry)

	.text
/*
 * G:160 A system call comes here straight from user mode: the host gives its
 * vector a trap gate into this code, so the call costs no trip through
 * the host.  A trap gate leaves interrupts as they were, and ours (the
 * word in lguest_data) were on in user mode, where entry_INT80_32 wants
 * them off: the first instruction turns them off.  Until it has, the host
 * delivers no interrupt (lguest_init() tells it where this is).
 */
SYM_CODE_START(lguest_entry_INT80)
	movl	$0, %ss:lguest_data
SYM_INNER_LABEL(lguest_entry_INT80_irqs_off, SYM_L_GLOBAL)
	jmp	entry_INT80_32
SYM_CODE_END(lguest_entry_INT80)

/*
 * G:090 In ring 1 iret leaves EFLAGS.IF alone, and ours is a word in
 * lguest_data anyway, so the flag in the frame we return through is
 * copied there first.  The copy and the iret itself form a window in
 * which the host must not deliver an interrupt: with interrupts now
 * virtually on, one arriving here would push another frame before this
 * one is gone, and a steady stream of them could grow the stack without
 * end.  lguest_init() tells the host where the window is.
 *
 * %ss is the only segment we can trust here: the others already hold
 * what we return to.  irq_enabled is the first word of lguest_data
 * (boot.c checks).
 */
SYM_CODE_START(lguest_iret)
	pushl	%eax
	movl	12(%esp), %eax			/* the EFLAGS in the frame */
	andl	$X86_EFLAGS_IF, %eax
SYM_INNER_LABEL(lguest_noirq_iret, SYM_L_GLOBAL)
	movl	%eax, %ss:lguest_data
	popl	%eax
.Llguest_iret:
	iret
SYM_INNER_LABEL(lguest_noirq_iret_end, SYM_L_GLOBAL)
	/* A bad frame faults like the native iret, and is handled the same. */
	_ASM_EXTABLE(.Llguest_iret, asm_iret_error)
SYM_CODE_END(lguest_iret)
