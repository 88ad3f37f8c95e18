/* SPDX-License-Identifier: GPL-2.0 */
/*
 * H:093 Not part of the Switcher, and not copied: the host's own handler for
 * an interrupt that stopped the guest, called with a frame as the CPU would
 * have pushed it, so that its iretq comes back here.  %rdi: the handler.
 */
#include <linux/linkage.h>
#include <asm/nospec-branch.h>
#include <asm/segment.h>

	.text
SYM_FUNC_START(lguest_host_irq)
	pushq	%rbp
	movq	%rsp, %rbp
	andq	$-16, %rsp
	pushq	$__KERNEL_DS
	pushq	%rbp
	pushfq
	pushq	$__KERNEL_CS
	CALL_NOSPEC rdi
	leave
	RET
SYM_FUNC_END(lguest_host_irq)
