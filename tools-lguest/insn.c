// SPDX-License-Identifier: GPL-2.0
/*
 * L:150 Which mov was that?  A guest's readl() or writeb() on a device
 * page faults, and the host gives us the 16 bytes at the guest's %eip.
 * Drivers reach registers through the I/O accessors, which are single
 * movs between a register and memory; the compiler picks the encoding, so
 * we know the ones it can pick and refuse the rest.  The memory operand
 * does not interest us (the host already told us the address); only its
 * length does, to step over the instruction.
 *
 * Known forms, each with an optional 0x66 operand-size prefix where that
 * makes sense:
 *
 *	88 /r	mov r8, m8		8a /r	mov m8, r8
 *	89 /r	mov r16/32, m		8b /r	mov m, r16/32
 *	c6 /0 ib	mov imm8, m8	c7 /0 iw/id	mov imm16/32, m
 *	a0-a3	mov between %al/%ax/%eax and an absolute address
 *	0f b6/b7 movzx, 0f be/bf movsx, from m8/m16 to a register
 */
#include <string.h>
#include "insn.h"

/*
 * The length of a ModRM operand in 32-bit addressing (ModRM, SIB and
 * displacement), or 0 if it names a register rather than memory.
 */
static unsigned int modrm_len(const uint8_t *p, unsigned int avail)
{
	unsigned int mod, rm, len = 1;

	if (avail < 1)
		return 0;
	mod = p[0] >> 6;
	rm = p[0] & 7;
	if (mod == 3)
		return 0;
	if (rm == 4) {			/* a SIB byte follows */
		if (avail < 2)
			return 0;
		len++;
		if (mod == 0 && (p[1] & 7) == 5)
			len += 4;	/* no base: disp32 */
	} else if (mod == 0 && rm == 5) {
		len += 4;		/* absolute disp32 */
	}
	if (mod == 1)
		len += 1;
	else if (mod == 2)
		len += 4;
	return len;
}

static uint32_t get_imm(const uint8_t *p, unsigned int size)
{
	uint32_t v = 0;

	memcpy(&v, p, size);		/* little-endian, like the guest */
	return v;
}

/* Returns 0 with *m filled in, or -1 for anything we do not accept. */
int mmio_decode(const uint8_t *code, unsigned int avail, struct mmio_insn *m)
{
	unsigned int pos = 0, opsize = 4, mlen;
	uint8_t op;

	memset(m, 0, sizeof(*m));
	if (avail > INSN_MAX_LEN)
		avail = INSN_MAX_LEN;
	if (pos < avail && code[pos] == 0x66) {
		opsize = 2;
		pos++;
	}
	if (pos >= avail)
		return -1;
	op = code[pos++];

	switch (op) {
	case 0x88: case 0x89: case 0x8a: case 0x8b:
		m->size = (op & 1) ? opsize : 1;
		m->reg_size = m->size;
		m->write = !(op & 2);
		break;
	case 0xc6: case 0xc7:
		m->size = (op & 1) ? opsize : 1;
		m->write = true;
		m->has_imm = true;
		break;
	case 0xa0: case 0xa1: case 0xa2: case 0xa3:
		m->size = (op & 1) ? opsize : 1;
		m->reg_size = m->size;
		m->write = op & 2;
		m->reg = 0;			/* %al, %ax or %eax */
		if (pos + 4 > avail)
			return -1;
		m->len = pos + 4;
		return 0;
	case 0x0f:
		if (pos >= avail)
			return -1;
		op = code[pos++];
		if (op != 0xb6 && op != 0xb7 && op != 0xbe && op != 0xbf)
			return -1;
		m->size = (op & 1) ? 2 : 1;
		m->reg_size = opsize;
		m->sign_extend = op & 8;
		if (m->size >= m->reg_size)
			return -1;		/* 66 0f b7: not an extension */
		break;
	default:
		return -1;
	}

	mlen = modrm_len(code + pos, avail - pos);
	if (!mlen || pos + mlen > avail)
		return -1;			/* register operands do not fault */
	m->reg = (code[pos] >> 3) & 7;
	pos += mlen;
	if (m->has_imm) {
		if (m->reg != 0 || pos + m->size > avail)
			return -1;		/* c6/c7 /1-/7 are not movs */
		m->imm = get_imm(code + pos, m->size);
		pos += m->size;
	}
	m->len = pos;
	return 0;
}
