/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The test guest's assembly: its entry point, its trap stubs and the bits
 * of user-mode code it drops into.  The guest starts in ring 1 with its
 * memory mapped at 0, interrupts off and no stack.
 */
#define HCALL_VECTOR	0x1f

	.text
	.globl guest_start
guest_start:
	movl	$stack_top, %esp
	pushl	%ecx			/* the test's argument */
	pushl	%ebx			/* the test the Launcher asked for */
	call	guest_main
1:	jmp	1b

/* u32 hcall(u32 nr, u32 a1, u32 a2, u32 a3, u32 a4) */
	.globl hcall
hcall:
	pushl	%ebx
	pushl	%esi
	movl	12(%esp), %eax
	movl	16(%esp), %ebx
	movl	20(%esp), %ecx
	movl	24(%esp), %edx
	movl	28(%esp), %esi
	int	$HCALL_VECTOR
	popl	%esi
	popl	%ebx
	ret

/* void hcall_cpuid(u32 leaf, u32 subleaf, u32 out[4]) */
	.globl hcall_cpuid
hcall_cpuid:
	pushl	%ebx
	pushl	%esi
	pushl	%edi
	movl	$17, %eax		/* LHCALL_CPUID */
	movl	16(%esp), %ebx
	movl	20(%esp), %ecx
	movl	24(%esp), %edi
	int	$HCALL_VECTOR
	movl	%eax, 0(%edi)
	movl	%ebx, 4(%edi)
	movl	%ecx, 8(%edi)
	movl	%edx, 12(%edi)
	popl	%edi
	popl	%esi
	popl	%ebx
	ret

/*
 * Trap stubs: make every frame look the same (an error code, the vector),
 * save the registers and call trap(frame).  The C code may change the
 * frame, including where iret goes.
 */
.macro STUB vector, has_err
	.globl stub_\vector
stub_\vector:
	.if !\has_err
	pushl	$0
	.endif
	pushl	$\vector
	jmp	stub_common
.endm

	STUB 0, 0
	STUB 1, 0
	STUB 3, 0
	STUB 4, 0
	STUB 5, 0
	STUB 6, 0
	STUB 7, 0
	STUB 10, 1
	STUB 11, 1
	STUB 12, 1
	STUB 13, 1
	STUB 14, 1
	STUB 16, 0
	STUB 17, 1
	STUB 18, 0
	STUB 19, 0
	STUB 32, 0
	STUB 33, 0
	STUB 128, 0

stub_common:
	pushal
	pushl	%ds
	pushl	%es
	movl	$(13 * 8 + 1), %eax	/* from ring 3, %ds may be null */
	movl	%eax, %ds
	movl	%eax, %es
	leal	8(%esp), %eax
	pushl	%eax
	call	trap
	addl	$4, %esp
	popl	%es
	popl	%ds
	popal
	addl	$8, %esp		/* vector and error code */
	/* Where the frame says interrupts go back on, tell the host. */
	testl	$0x200, 8(%esp)
	jz	1f
	movl	$0x200, lguest_data
1:	iret

/* User mode: a system call, and then again forever. */
	.globl user_code
user_code:
	movl	$0x5eed, %eax
	int	$0x80
	jmp	user_code

/* User mode trying to make a hypercall, then going home. */
	.globl user_hcall
user_hcall:
	movl	$1, %eax		/* LHCALL_INIT, if it got through */
	int	$HCALL_VECTOR
	jmp	user_code

/* User mode that never comes back by itself: its faults and timers do. */
	.globl user_loop
user_loop:
	incl	%ebx
	jmp	user_loop

	.bss
	.balign 4096
	.globl stack_top
	.space 16384
stack_top:
	.space 8192
	.globl kstack_top
kstack_top:

/*
 * enter_user(code, esp, cs, ss): iret to ring 3.  The system call handler
 * comes back to user_return, still in ring 1 but on the handler's stack,
 * so we put back the stack we left with.
 */
	.text
	.globl enter_user
enter_user:
	pushl	%ebp
	pushl	%ebx
	pushl	%esi
	pushl	%edi
	movl	%esp, saved_esp
	movl	20(%esp), %eax		/* code */
	movl	24(%esp), %ecx		/* esp */
	movl	28(%esp), %edx		/* cs */
	movl	32(%esp), %ebx		/* ss */
	pushl	%ebx
	pushl	%ecx
	pushl	$0x202
	pushl	%edx
	pushl	%eax
	iret
	.globl user_return
user_return:
	movl	$(13 * 8 + 1), %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	saved_esp, %esp
	popl	%edi
	popl	%esi
	popl	%ebx
	popl	%ebp
	ret

	.data
saved_esp:
	.long 0

	.section .note.GNU-stack, "", @progbits
