/* SPDX-License-Identifier: GPL-2.0 */
/*
 * G:020 The pieces of an lguest guest that must be assembler.
 *
 * lguest_entry is where the Launcher starts this kernel: the ELF note
 * below gives its physical address, as PVH's note gives Xen the
 * entry of a PVH guest, so startup_32, written for bare metal and
 * bootloaders, never runs in a guest.  We arrive in ring 1 at the
 * physical address of the code, on the flat segments the host gave us,
 * with no stack, and %esi holding the boot parameters' physical address.
 * Until we install page tables the host maps our memory both at 0 and
 * at PAGE_OFFSET, so all we need is a stack and a call to the address we
 * were linked at; the rest of the start is C (lguest_init()).
 *
 * lguest_iret replaces iret on the way out of the kernel: see below.
 */
#include <linux/elfnote.h>
#include <linux/init.h>
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/lguest_hcall.h>
#include <asm/page_types.h>
#include <asm/processor-flags.h>

	ELFNOTE(lguest, LGUEST_ELFNOTE_ENTRY, .long lguest_entry - __PAGE_OFFSET)

	__INIT
SYM_CODE_START(lguest_entry)
	movl	$__top_init_kernel_stack, %esp
	pushl	%esi
	movl	$lguest_init, %eax
	call	*%eax
	ud2
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
