/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bad-kernel: the smallest guest the host must kill.  The Launcher loads
 * it like a vmlinux (an i386 ELF at 16 MiB); its first instruction makes
 * a hypercall no host knows.  tests/launcher-errors checks that lguest
 * says the guest died, shows its registers (%eax holds the number) and
 * exits with status 4.  Like a vmlinux built for lguest it names its
 * entry in an "lguest" ELF note (LGUEST_ELFNOTE_ENTRY, 1); built with
 * -DNO_ENTRY_NOTE it has none, and the Launcher must refuse it.
 */
#ifndef NO_ENTRY_NOTE
	.section .note.lguest, "a", @note
	.balign	4
	.long	7			/* namesz: "lguest" and its NUL */
	.long	4			/* descsz */
	.long	1			/* type: LGUEST_ELFNOTE_ENTRY */
	.asciz	"lguest"
	.balign	4
	.long	_start
	.balign	4
#endif

	.text
	.globl	_start
_start:
	movl	$0x7ead, %eax
	int	$0x1f
1:	hlt
	jmp	1b
