/* SPDX-License-Identifier: GPL-2.0 */
/*
 * L:155 Decoding the instruction a guest used to touch a device register.
 */
#ifndef LGUEST_INSN_H
#define LGUEST_INSN_H

#include <stdbool.h>
#include <stdint.h>

#define INSN_MAX_LEN	15	/* the longest an x86 instruction may be */

struct mmio_insn {
	unsigned int len;	/* bytes, to step %eip over it */
	unsigned int size;	/* bytes accessed: 1, 2 or 4 */
	bool write;		/* to the device, else from it */
	bool has_imm;		/* a write of imm, not of a register */
	uint32_t imm;
	unsigned int reg;	/* ModRM reg field (or 0 for %al/%ax/%eax) */
	unsigned int reg_size;	/* width of that register: 1, 2 or 4 */
	bool sign_extend;	/* movsx, else movzx when reg_size > size */
};

int mmio_decode(const uint8_t *code, unsigned int avail, struct mmio_insn *m);

#endif /* LGUEST_INSN_H */
