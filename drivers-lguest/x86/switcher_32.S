/* SPDX-License-Identifier: GPL-2.0 */
/*
 * S:010 The Switcher: the code that moves a CPU from the host into a guest and
 * back.  It is copied to the top of the host's vmalloc area and mapped at
 * the same address in every guest, because for a few instructions it runs
 * with the guest's page tables but still as the host, and on the way back
 * it starts as the guest and ends as the host.
 *
 * So it has to be position independent: jumps are relative, and data is
 * found through the per-CPU pages (struct lguest_pages, in switcher.h),
 * never through an absolute address.  %eax holds the address of this
 * CPU's register slot throughout; the state page is the next one.
 *
 * An NMI cannot be held off, so every instruction here has to be one an
 * NMI may interrupt.  The order of the loads below makes sure of three
 * things at each of them:
 *
 *  - the IDT and the GDT agree.  The guest's IDT is loaded while the
 *    host's GDT still is (and left last), and the Switcher's segments are
 *    in both GDTs, so the gates of the guest's IDT always find their code
 *    segment; the host's IDT is never loaded with the guest's GDT, whose
 *    ring-0 slots the host's gates would not find;
 *  - with the guest's IDT loaded, the stack is one that the address
 *    space in use maps: the register slot, or the host's own stack on the
 *    host's page tables;
 *  - with the host's IDT loaded, the stack is the host's.
 *
 * An NMI that comes through the guest's IDT while the Switcher itself
 * runs (rather than the guest) is only counted, and the Switcher goes on
 * where it was; the host runs its NMI handler for it afterwards.
 */
#include <linux/linkage.h>
#include <linux/stringify.h>
#include <asm/alternative.h>
#include <asm/cpufeatures.h>
#include <asm/msr-index.h>
#include <asm/nospec-branch.h>
#include <asm/page_types.h>
#include <asm/segment.h>
#include <asm/irq_vectors.h>
#include <asm/trapnr.h>
#include "switcher.h"

/*
 * Kernel text, but never run where it is linked: lguest_switcher_map()
 * copies it to the start of the Switcher's first page.  Aligning it to a
 * stub's size keeps the stubs aligned in the copy.
 */
	.text
	.balign LGUEST_STUB_SIZE
SYM_CODE_START(lguest_switcher_start)

/*
 * S:040 Entered from run_guest_once() with interrupts off, after
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
	sldt	LGP_HOST_LDT(%eax)

	/*
	 * S:045 Onto the Switcher's own code segment, then the guest's IDT (the
	 * host's stack is fine with it, see above), then onto our data
	 * segment and the stack in the register slot.
	 */
	ljmp	*LGP_TO_SWITCHER_CS(%eax)
SYM_INNER_LABEL(lguest_on_switcher_cs, SYM_L_GLOBAL)
	lidt	LGP_GUEST_IDT(%eax)
	movl	$LGUEST_DS, %edx
	movl	%edx, %ss
	leal	LGP_REGS(%eax), %esp
	movl	%edx, %ds
	movl	%edx, %es

	/*
	 * S:050 The guest's GDT and TSS.  The guest has no LDT: whatever the
	 * Launcher's process has must not be reachable through the selectors
	 * a guest loads.  The guest TSS was busy when this CPU last ran a
	 * guest; ltr wants it available.
	 */
	lgdt	LGP_GUEST_GDT(%eax)
	xorl	%edx, %edx
	lldt	%dx
	andb	$~0x02, (LGP_GUEST_GDT_TABLE + LGUEST_GDT_ENTRY_TSS * 8 + 5)(%eax)
	movl	$(LGUEST_GDT_ENTRY_TSS * 8), %edx
	ltr	%dx

	/*
	 * S:055 The guest's CR4 (the host's without what a ring-1 guest must
	 * not have; clearing PGE also drops the host's global TLB entries),
	 * then the guest's address space.  We keep running because the Switcher
	 * is mapped at the same place there, and so is the register slot, which
	 * from now on is the vCPU's own page.
	 */
	movl	LGP_GUEST_CR4(%eax), %edx
	movl	%edx, %cr4
	movl	%ebx, %cr3

	/* Clear the CPU's buffers of the host's data, where the host does. */
#define LG_VERW	verw LGP_VERW_SEL(%eax)
	ALTERNATIVE "", __stringify(LG_VERW), X86_FEATURE_CLEAR_CPU_BUF_VM

	/* Load the guest's registers from its register page and go. */
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
 * S:060 Every vector of the guest IDT lands in one of these stubs, in ring 0,
 * with the CPU's part of the frame already pushed.  Each stub makes the
 * frame uniform (a zero error code where the CPU pushes none) and
 * records its vector.
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
	jmp	lguest_trap_common
vector = vector + 1
	.endr

/*
 * S:070 The stack now holds: vector, error code, eip, cs, eflags, and, from
 * the guest, esp and ss.  A trap from the guest came through the TSS onto
 * the top of the register page; one with a ring-0 %cs interrupted the
 * Switcher itself.
 */
SYM_INNER_LABEL(lguest_trap_common, SYM_L_LOCAL)
	testb	$3, 12(%esp)
	jz	.Lin_switcher

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

/* %eax: this CPU's register slot; %ebx: what to tell the host (the vector). */
.Lback_to_host:
	/*
	 * S:075 The guest's values must not steer what the host runs next (the
	 * host's %ebp comes back from its stack below).
	 */
	xorl	%ecx, %ecx
	xorl	%esi, %esi
	xorl	%edi, %edi
	xorl	%ebp, %ebp

	/*
	 * S:080 The host's address space first: from here the register slot is
	 * the host's own page again, which holds the rest of what we need
	 * (and which no guest ever sees).  Then CR4 and the host's TSS,
	 * through the writable alias of its GDT as native_load_tr_desc()
	 * does, its GDT and LDT, its stack, and only then its IDT.
	 */
	movl	LGP_HOST_CR3(%eax), %edx
	movl	%edx, %cr3
	movl	LGP_HOST_CR4(%eax), %edx
	movl	%edx, %cr4
	lgdt	LGP_HOST_GDT_RW(%eax)
	movl	LGP_HOST_GDT_RW_BASE(%eax), %edx
	andb	$~0x02, (GDT_ENTRY_TSS * 8 + 5)(%edx)
	movl	$(GDT_ENTRY_TSS * 8), %edx
	ltr	%dx
	lgdt	LGP_HOST_GDT(%eax)
	lldt	LGP_HOST_LDT(%eax)
	movl	LGP_HOST_SP(%eax), %esp
	lidt	LGP_HOST_IDT(%eax)

	/* The host's code segment: nothing of the host runs on ours. */
	ljmp	*LGP_TO_KERNEL_CS(%eax)
SYM_INNER_LABEL(lguest_on_kernel_cs, SYM_L_GLOBAL)
	/*
	 * S:085 A ring-1 guest is "supervisor" to the branch predictors, as the
	 * host is: enhanced IBRS does not keep its training from the host.
	 * Where the host relies on IBRS rather than retpolines, a barrier
	 * (see lguest_arch_host_init()).  And the guest may have filled the
	 * return stack buffer with targets of its own: refill it before the
	 * host's first "ret", whatever the host does on its own VM exits.
	 */
	cmpl	$0, LGP_IBPB(%eax)
	je	1f
	pushl	%eax
	movl	$MSR_IA32_PRED_CMD, %ecx
	movl	$PRED_CMD_IBPB, %eax
	xorl	%edx, %edx
	wrmsr
	popl	%eax
1:	__FILL_RETURN_BUFFER(%edx, RSB_CLEAR_LOOPS)

	popl	%ebp
	popl	%fs
	popl	%gs
	popl	%ds
	popl	%es
	popl	%ss

	/*
	 * S:090 An external interrupt came in while the guest ran: the host has
	 * to handle it, so go to the host's own handler for that vector,
	 * through a retpoline: the guest may have trained an indirect jump
	 * at this address.  The frame the host pushed before calling us is a
	 * kernel interrupt frame, and the handler's iret returns to the
	 * caller.  Everything else (an NMI too) is the C code's, after we
	 * return.
	 */
	cmpl	$FIRST_EXTERNAL_VECTOR, %ebx
	jb	2f
	cmpl	$IA32_SYSCALL_VECTOR, %ebx
	je	2f
	cmpl	$(IDT_ENTRIES - 1), %ebx
	ja	2f
	movl	LGP_HOST_IDT_BASE(%eax), %edx
	leal	(%edx, %ebx, 8), %edx
	movzwl	(%edx), %ecx
	movl	4(%edx), %edx
	andl	$0xffff0000, %edx
	orl	%ecx, %edx
	call	4f
3:	pause
	lfence
	jmp	3b
4:	movl	%edx, (%esp)
	ret
2:	iret

/*
 * S:095 A trap inside the Switcher.  The guest IDT's base lies in this CPU's
 * state page, which only the host's page tables let us write: so we note
 * what happened there, on the host's page tables for a moment, and go
 * back to the ones we had.  The stack is in the register slot or the
 * host's stack, and only touched on the page tables it was pushed on;
 * only %ss is sure to be ours at every instruction.  An NMI is counted,
 * and we go on where it hit us.
 */
.Lin_switcher:
	pushl	%eax
	pushl	%ecx
	pushl	%edx
	subl	$8, %esp
	sidt	2(%esp)
	movl	4(%esp), %eax
	addl	$8, %esp
	andl	$PAGE_MASK, %eax
	subl	$PAGE_SIZE, %eax	/* the register slot, as everywhere */
	cmpl	$X86_TRAP_NMI, 12(%esp)
	jne	.Lswitcher_fault
	movl	%cr3, %ecx
	movl	%ss:LGP_HOST_CR3(%eax), %edx
	movl	%edx, %cr3
	incl	%ss:LGP_NMI_COUNT(%eax)
	movl	%ecx, %cr3
	popl	%edx
	popl	%ecx
	popl	%eax
	addl	$8, %esp		/* vector and error code */
	iret

/*
 * S:099 Anything else means the Switcher went wrong (or a machine check hit
 * it).  Say so, and give up on this entry: the host's state is all in its
 * own pages, so going back to the host works from anywhere here.
 */
.Lswitcher_fault:
	movl	12(%esp), %ebx
	orl	$LGUEST_TRAP_IN_SWITCHER, %ebx
	movl	20(%esp), %esi
	movl	%ss:LGP_HOST_CR3(%eax), %edx
	movl	%edx, %cr3
	movl	%ebx, %ss:LGP_FAULT(%eax)
	movl	%esi, %ss:LGP_FAULT_EIP(%eax)
	movl	$LGUEST_DS, %edx
	movl	%edx, %ds
	movl	%edx, %es
	jmp	.Lback_to_host

SYM_INNER_LABEL(lguest_switcher_end, SYM_L_GLOBAL)
SYM_CODE_END(lguest_switcher_start)
