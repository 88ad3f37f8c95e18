/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bad-kernel: the smallest guest the host must kill.  The Launcher loads
 * it like a vmlinux (an i386 ELF at 16 MiB); its first instruction makes
 * a hypercall no host knows.  tests/launcher-errors checks that lguest
 * says the guest died, shows its registers (%eax holds the number) and
 * exits with status 4.
 */
	.text
	.globl	_start
_start:
	movl	$0x7ead, %eax
	int	$0x1f
1:	hlt
	jmp	1b
