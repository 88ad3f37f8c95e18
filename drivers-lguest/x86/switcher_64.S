/* SPDX-License-Identifier: GPL-2.0 */
/*
 * S:210 The 64-bit Switcher.  As on a 32-bit host it is copied to the top
 * of the vmalloc area, mapped at the same address under every run of a
 * guest, position independent, and finds its data through %rdi, the
 * address of this CPU's register slot.  The guest runs in compatibility
 * mode: it cannot form an address above 4 GiB, so nothing of this lies
 * within its reach, and its segments may cover all of its 4 GiB.
 *
 * The order of the loads keeps an NMI safe at every instruction:
 *
 *  - both GDTs hold the host's kernel code and data segments in the same
 *    slots, so the gates of either IDT find theirs with either table;
 *  - the guest's IDT is loaded only with the host's TSS or the guest's,
 *    and every one of its gates uses an IST stack: the host's TSS has
 *    stacks in the IST slots of NMIs, #DB, #MC and #DF, and so does the
 *    guest's (switcher_64.h), with the rest of the vectors in an IST slot
 *    the host leaves empty (only a broken Switcher faults here anyway);
 *  - the host's IDT is loaded only with the host's TSS, GDT, page tables
 *    and the kernel's GS base: Linux's NMI entry trusts that base unless
 *    the CPU has FSGSBASE, and then rebuilds it from the GDT (S:225).
 *
 * An NMI that arrives while the Switcher itself runs is counted, as on a
 * 32-bit host, and handed to the host's handler afterwards.
 */
#include <linux/linkage.h>
#include <linux/stringify.h>
#include <asm/alternative.h>
#include <asm/cpufeatures.h>
#include <asm/ibt.h>
#include <asm/msr-index.h>
#include <asm/nospec-branch.h>
#include <asm/page_types.h>
#include <asm/segment.h>
#include <asm/irq_vectors.h>
#include <asm/trapnr.h>
#include <asm/unwind_hints.h>
#include "switcher.h"

/*
 * Kernel text, but never run where it is linked: lguest_switcher_map()
 * copies it to the start of the Switcher's first page.  Aligning it to a
 * stub's size keeps the stubs aligned in the copy.  objtool checks it as
 * it checks entry code; each way in is marked as having no stack frame
 * to unwind, since no unwinder ever walks the Switcher's stacks.
 */
	.text
	.balign LGUEST_STUB_SIZE
SYM_CODE_START(lguest_switcher_start)

/*
 * S:220 Called from run_guest_once() like a function, with interrupts off:
 * %rdi is this CPU's register slot at its Switcher address, %rsi the CR3
 * to run the guest on.  Only the callee-saved registers survive.
 */
SYM_INNER_LABEL(lguest_switch_to_guest, SYM_L_GLOBAL)
	UNWIND_HINT_UNDEFINED
	ENDBR
	pushq	%rbx
	pushq	%rbp
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, LGP_HOST_SP(%rdi)
	sldt	LGP_HOST_LDT(%rdi)

	/*
	 * S:225 The guest's IDT first, whose gates name the host's kernel code
	 * segment, in the same slot of both GDTs; then its GDT, then its TSS
	 * (which ltr wants not busy), and no LDT.  Never the other way round:
	 * with FSGSBASE, Linux's NMI entry finds its CPU number through lsl
	 * of the GDT's CPUNODE slot, which in a guest's GDT is a flat user
	 * segment, and would take a GS base from far past __per_cpu_offset.
	 */
	lidt	LGP_GUEST_IDT(%rdi)
	lgdt	LGP_GUEST_GDT(%rdi)
	andb	$~0x02, (LGP_GUEST_GDT_TABLE + LGUEST_GDT_ENTRY_TSS * 8 + 5)(%rdi)
	movl	$(LGUEST_GDT_ENTRY_TSS * 8), %edx
	ltr	%dx
	xorl	%edx, %edx
	lldt	%dx

	/*
	 * S:230 The stack moves to the register slot, which on the guest's page
	 * tables is the vCPU's register page; then the guest's CR4 and page
	 * tables.
	 */
	leaq	LGP_REGS(%rdi), %rsp
	movq	LGP_GUEST_CR4(%rdi), %rax
	movq	%rax, %cr4
	movq	%rsi, %cr3

#define LG_VERW	verw LGP_VERW_SEL(%rdi)
	ALTERNATIVE "", __stringify(LG_VERW), X86_FEATURE_CLEAR_CPU_BUF_VM

	/*
	 * S:235 The guest's registers.  Loading %fs and %gs replaces the
	 * kernel's GS base and the Launcher's FS base with the guest's: the
	 * exit puts the first back, run_guest_once() the rest.  The registers
	 * a compatibility-mode guest cannot see are cleared all the same.
	 */
	movl	LGR_DS(%rsp), %eax
	movl	%eax, %ds
	movl	LGR_ES(%rsp), %eax
	movl	%eax, %es
	movl	LGR_FS(%rsp), %eax
	movl	%eax, %fs
	movl	LGR_GS(%rsp), %eax
	movl	%eax, %gs
	movl	LGR_EBX(%rsp), %ebx
	movl	LGR_ECX(%rsp), %ecx
	movl	LGR_EDX(%rsp), %edx
	movl	LGR_ESI(%rsp), %esi
	movl	LGR_EDI(%rsp), %edi
	movl	LGR_EBP(%rsp), %ebp
	movl	LGR_EAX(%rsp), %eax
	xorl	%r8d, %r8d
	xorl	%r9d, %r9d
	xorl	%r10d, %r10d
	xorl	%r11d, %r11d
	xorl	%r12d, %r12d
	xorl	%r13d, %r13d
	xorl	%r14d, %r14d
	xorl	%r15d, %r15d
	addq	$LGR_EIP, %rsp
	iretq

/*
 * S:240 The trap stubs, one per vector: a zero error code where the CPU
 * pushes none, and the vector.  An event through the IDT is an indirect
 * branch to a host with kernel IBT, whose CR4 is loaded while the
 * Switcher still or already has the guest's IDT: each stub begins with
 * ENDBR.  The jump is spelt out, five bytes, so that the assembler knows
 * each stub's size here: the worst, 4 + 2 + 5 + 5 bytes, just fits.
 */
	.balign LGUEST_STUB_SIZE
SYM_INNER_LABEL(lguest_trap_stubs, SYM_L_GLOBAL)
vector = 0
	.rept IDT_ENTRIES
	.balign LGUEST_STUB_SIZE
	UNWIND_HINT_UNDEFINED
1:	ENDBR
	has_errcode = (vector == X86_TRAP_DF) || (vector == X86_TRAP_AC) || \
		      (vector >= X86_TRAP_TS && vector <= X86_TRAP_PF)
	.if !has_errcode
	pushq	$0
	.endif
	pushq	$vector
	.byte	0xe9
	.long	lguest_trap_common - (. + 4)
	.if . - 1b > LGUEST_STUB_SIZE
	.error "a trap stub is larger than LGUEST_STUB_SIZE"
	.endif
vector = vector + 1
	.endr

/*
 * S:245 The stack holds the vector, the error code, and the CPU's frame:
 * %rip, %cs, %rflags, %rsp, %ss.  A ring-0 %cs means the Switcher itself
 * was interrupted; anything else came from the guest.
 */
SYM_INNER_LABEL(lguest_trap_common, SYM_L_LOCAL)
	testb	$3, 24(%rsp)
	jz	.Lin_switcher

	/*
	 * S:247 Most traps from the guest land at the top of its register page,
	 * where the host reads them.  NMIs, #DB, #MC and #DF land on their own
	 * stacks lower in that page: move those seven quadwords up.  %r8-%r11
	 * are free: a guest in compatibility mode cannot touch them.
	 */
	movq	%rsp, %r8
	andq	$PAGE_MASK, %r8
	addq	$LGP_REGS_TRAPNUM, %r8
	cmpq	%r8, %rsp
	je	.Lframe_in_place
	movl	$7, %r9d
1:	movq	-8(%rsp, %r9, 8), %r10
	movq	%r10, -8(%r8, %r9, 8)
	decl	%r9d
	jnz	1b
	movq	%r8, %rsp
.Lframe_in_place:
	movl	%eax, (LGR_EAX - LGR_TRAPNUM)(%rsp)
	movl	%ebx, (LGR_EBX - LGR_TRAPNUM)(%rsp)
	movl	%ecx, (LGR_ECX - LGR_TRAPNUM)(%rsp)
	movl	%edx, (LGR_EDX - LGR_TRAPNUM)(%rsp)
	movl	%esi, (LGR_ESI - LGR_TRAPNUM)(%rsp)
	movl	%edi, (LGR_EDI - LGR_TRAPNUM)(%rsp)
	movl	%ebp, (LGR_EBP - LGR_TRAPNUM)(%rsp)
	movl	%ds, %eax
	movl	%eax, (LGR_DS - LGR_TRAPNUM)(%rsp)
	movl	%es, %eax
	movl	%eax, (LGR_ES - LGR_TRAPNUM)(%rsp)
	movl	%fs, %eax
	movl	%eax, (LGR_FS - LGR_TRAPNUM)(%rsp)
	movl	%gs, %eax
	movl	%eax, (LGR_GS - LGR_TRAPNUM)(%rsp)
	movq	%rsp, %rdi
	andq	$PAGE_MASK, %rdi

/* %rdi: this CPU's register slot. */
.Lback_to_host:
	/*
	 * S:250 The host's page tables and CR4, then its GDT through the
	 * writable alias for ltr, its TSS, the read-only GDT and its LDT.  The
	 * guest's IDT is still loaded, with the host's TSS now: its IST slots
	 * hold the host's own stacks.  The kernel's GS base goes back before the
	 * host's IDT does.
	 */
	movq	LGP_HOST_CR3(%rdi), %rax
	movq	%rax, %cr3
	movq	LGP_HOST_CR4(%rdi), %rax
	movq	%rax, %cr4
	lgdt	LGP_HOST_GDT_RW(%rdi)
	movq	LGP_HOST_GDT_RW_BASE(%rdi), %rax
	andb	$~0x02, (GDT_ENTRY_TSS * 8 + 5)(%rax)
	movl	$(GDT_ENTRY_TSS * 8), %eax
	ltr	%ax
	lgdt	LGP_HOST_GDT(%rdi)
	lldt	LGP_HOST_LDT(%rdi)
	movl	$MSR_GS_BASE, %ecx
	movl	LGP_HOST_GS_BASE(%rdi), %eax
	movl	(LGP_HOST_GS_BASE + 4)(%rdi), %edx
	wrmsr
	movq	LGP_HOST_SP(%rdi), %rsp
	lidt	LGP_HOST_IDT(%rdi)

	/*
	 * S:255 The branch predictors, as on a 32-bit host (S:085): a barrier
	 * where the host wants one, and a return stack buffer the guest cannot
	 * have filled, before the "ret" below.
	 */
	cmpl	$0, LGP_IBPB(%rdi)
	je	1f
	movl	$MSR_IA32_PRED_CMD, %ecx
	movl	$PRED_CMD_IBPB, %eax
	xorl	%edx, %edx
	wrmsr
1:	movl	$(RSB_CLEAR_LOOPS / 2), %eax
2:	ANNOTATE_INTRA_FUNCTION_CALL
	call	3f
	int3
3:	ANNOTATE_INTRA_FUNCTION_CALL
	call	4f
	int3
4:	addq	$16, %rsp
	decl	%eax
	jnz	2b
	lfence

	xorl	%ecx, %ecx
	xorl	%edx, %edx
	xorl	%esi, %esi
	xorl	%edi, %edi
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbp
	popq	%rbx
	/*
	 * A plain "ret": the copy cannot reach the kernel's return thunk with
	 * a relative jump, and after the fill above the return stack holds
	 * only the Switcher's own entries, as kexec's relocate_kernel has it.
	 */
	ANNOTATE_UNRET_SAFE
	ret
	int3

/*
 * S:260 A trap inside the Switcher, on one of its IST stacks.  Which CPU's
 * slot this is follows from the IDT, which lies in the slot's first
 * state page.  An NMI is counted through the host's mapping of that page
 * (the guest's is read-only), and the Switcher goes on; the stack is not
 * touched while the host's page tables are loaded for that, since the
 * register slot is another page there.
 */
.Lin_switcher:
	pushq	%rax
	pushq	%rcx
	pushq	%rdx
	subq	$16, %rsp
	sidt	6(%rsp)
	movq	8(%rsp), %rax
	addq	$16, %rsp
	andq	$PAGE_MASK, %rax
	subq	$PAGE_SIZE, %rax
	cmpq	$X86_TRAP_NMI, 24(%rsp)
	jne	.Lswitcher_fault
	movq	%cr3, %rcx
	movq	LGP_HOST_CR3(%rax), %rdx
	movq	%rdx, %cr3
	incl	LGP_NMI_COUNT(%rax)
	movq	%rcx, %cr3
	popq	%rdx
	popq	%rcx
	popq	%rax
	addq	$16, %rsp
	iretq

/*
 * S:265 Anything else is a fault of the Switcher's own (or a machine check,
 * or a guest that reached ring 0 through SYSCALL or SYSENTER and found
 * nothing mapped there).  Note it, and go back to the host.
 */
.Lswitcher_fault:
	movl	24(%rsp), %ebx
	orl	$LGUEST_TRAP_IN_SWITCHER, %ebx
	movq	40(%rsp), %rsi
	movq	LGP_HOST_CR3(%rax), %rdx
	movq	%rdx, %cr3
	movl	%ebx, LGP_FAULT(%rax)
	movq	%rsi, LGP_FAULT_EIP(%rax)
	movq	%rax, %rdi
	jmp	.Lback_to_host

SYM_INNER_LABEL(lguest_switcher_end, SYM_L_GLOBAL)
SYM_CODE_END(lguest_switcher_start)
