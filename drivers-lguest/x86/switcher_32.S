/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Switcher: the code that moves a CPU from the host into a guest and
 * back.  It is copied to the top of the host's vmalloc area and mapped at
 * the same address in every guest, because for a few instructions it runs
 * with the guest's page tables but still as the host, and on the way back
 * it starts as the guest and ends as the host.
 *
 * So it has to be position independent: jumps are relative, and data is
 * found through the per-CPU pages (struct lguest_pages, in switcher.h),
 * never through an absolute address.
 */
#include <linux/linkage.h>
#include <asm/page_types.h>
#include <asm/segment.h>
#include <asm/irq_vectors.h>
#include <asm/trapnr.h>
#include "switcher.h"

	.text
	.balign PAGE_SIZE
SYM_CODE_START(lguest_switcher_start)

/*
 * Entered from run_guest_once() with interrupts off, after
 * "pushfl; pushl %cs; call", so the stack holds a frame that iret can
 * return through.  %eax: this CPU's struct lguest_pages (Switcher
 * address); %ebx: the physical address of the guest's shadow page table.
 */
SYM_INNER_LABEL(lguest_switch_to_guest, SYM_L_GLOBAL)
	/* Everything the host's C code may not see clobbered. */
	pushl	%ss
	pushl	%es
	pushl	%ds
	pushl	%gs
	pushl	%fs
	pushl	%ebp
	movl	%esp, LGP_HOST_SP(%eax)

	/*
	 * The guest's descriptor tables.  The guest TSS was busy when this
	 * CPU last ran a guest; ltr wants it available.
	 */
	lgdt	LGP_GUEST_GDT(%eax)
	lidt	LGP_GUEST_IDT(%eax)
	andb	$~0x02, (LGP_GUEST_GDT_TABLE + GDT_ENTRY_TSS * 8 + 5)(%eax)
	movl	$(GDT_ENTRY_TSS * 8), %edx
	ltr	%dx

	/*
	 * CR4 without global pages (clearing PGE also drops the host's
	 * global TLB entries, which must not be visible to the guest) and
	 * without what a ring-1 kernel cannot live with.  Then the guest's
	 * address space: we keep running because the Switcher is mapped at
	 * the same place there.
	 */
	movl	LGP_GUEST_CR4(%eax), %edx
	movl	%edx, %cr4
	movl	%ebx, %cr3

	/* Load the guest's registers from its register page and go. */
	leal	LGP_REGS(%eax), %esp
	popl	%ebx
	popl	%ecx
	popl	%edx
	popl	%esi
	popl	%edi
	popl	%ebp
	popl	%eax
	popl	%gs
	popl	%fs
	popl	%ds
	popl	%es
	addl	$8, %esp		/* trapnum and errcode */
	iret

/*
 * Every vector of the guest IDT lands in one of these stubs, in ring 0 on
 * the stack at the end of the register page, with the CPU's part of the
 * frame already pushed.  Each stub makes the frame uniform (a zero error
 * code where the CPU pushes none) and records its vector.
 */
	.balign LGUEST_STUB_SIZE
SYM_INNER_LABEL(lguest_trap_stubs, SYM_L_GLOBAL)
vector = 0
	.rept IDT_ENTRIES
	.balign LGUEST_STUB_SIZE
	has_errcode = (vector == X86_TRAP_DF) || (vector == X86_TRAP_AC) || \
		      (vector >= X86_TRAP_TS && vector <= X86_TRAP_PF)
	.if !has_errcode
	pushl	$0
	.endif
	pushl	$vector
	jmp	lguest_return_to_host
vector = vector + 1
	.endr

SYM_INNER_LABEL(lguest_return_to_host, SYM_L_LOCAL)
	pushl	%es
	pushl	%ds
	pushl	%fs
	pushl	%gs
	pushl	%eax
	pushl	%ebp
	pushl	%edi
	pushl	%esi
	pushl	%edx
	pushl	%ecx
	pushl	%ebx

	/* The guest's data segments may be anything: use our own. */
	movl	$LGUEST_DS, %eax
	movl	%eax, %ds
	movl	%eax, %es

	/* %esp is in the register page: that finds this CPU's pages. */
	movl	%esp, %eax
	andl	$PAGE_MASK, %eax
	movl	LGP_REGS_TRAPNUM(%eax), %ebx

	/* The host's address space and CR4 first, then its tables. */
	movl	LGP_HOST_CR3(%eax), %edx
	movl	%edx, %cr3
	movl	LGP_HOST_CR4(%eax), %edx
	movl	%edx, %cr4

	/*
	 * Reload the host's TSS through the writable alias of its GDT, the
	 * way native_load_tr_desc() does, then put its own GDT back.
	 */
	lgdt	LGP_HOST_GDT_RW(%eax)
	movl	LGP_HOST_GDT_RW_BASE(%eax), %edx
	andb	$~0x02, (GDT_ENTRY_TSS * 8 + 5)(%edx)
	movl	$(GDT_ENTRY_TSS * 8), %edx
	ltr	%dx
	lgdt	LGP_HOST_GDT(%eax)
	lidt	LGP_HOST_IDT(%eax)

	movl	LGP_HOST_SP(%eax), %esp
	popl	%ebp
	popl	%fs
	popl	%gs
	popl	%ds
	popl	%es
	popl	%ss

	/*
	 * An external interrupt or an NMI came in while the guest ran: the
	 * host has to handle it, so go to the host's own handler for that
	 * vector.  The frame the host pushed before calling us is a kernel
	 * interrupt frame, and the handler's iret returns to the caller.
	 */
	cmpl	$X86_TRAP_NMI, %ebx
	je	1f
	cmpl	$FIRST_EXTERNAL_VECTOR, %ebx
	jb	2f
	cmpl	$IA32_SYSCALL_VECTOR, %ebx
	je	2f
1:	movl	LGP_HOST_IDT_BASE(%eax), %edx
	leal	(%edx, %ebx, 8), %edx
	movzwl	(%edx), %ecx
	movl	4(%edx), %edx
	andl	$0xffff0000, %edx
	orl	%ecx, %edx
	jmp	*%edx

2:	iret

SYM_INNER_LABEL(lguest_switcher_end, SYM_L_GLOBAL)
SYM_CODE_END(lguest_switcher_start)
