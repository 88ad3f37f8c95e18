// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's accesses to the device window: the host stops the guest on
 * each and hands us the instruction; insn.c decodes it, and here we do
 * it on the guest's registers, as the CPU would have.
 */
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include "insn.h"
#include "lguest.h"

/* A register by ModRM number, at the width the instruction used. */
static uint32_t *reg_ptr(struct lguest_vcpu_regs *r, unsigned int n)
{
	uint32_t *order[8] = { &r->eax, &r->ecx, &r->edx, &r->ebx,
			       &r->esp, &r->ebp, &r->esi, &r->edi };

	return order[n & 7];
}

static uint32_t get_reg(struct lguest_vcpu_regs *r, unsigned int n, unsigned int size)
{
	/* Byte registers 4-7 are %ah, %ch, %dh and %bh. */
	if (size == 1)
		return n < 4 ? *reg_ptr(r, n) & 0xff : (*reg_ptr(r, n - 4) >> 8) & 0xff;
	if (size == 2)
		return *reg_ptr(r, n) & 0xffff;
	return *reg_ptr(r, n);
}

static void set_reg(struct lguest_vcpu_regs *r, unsigned int n, unsigned int size, uint32_t v)
{
	uint32_t *p;

	if (size == 1) {
		p = reg_ptr(r, n < 4 ? n : n - 4);
		if (n < 4)
			*p = (*p & ~0xffU) | (v & 0xff);
		else
			*p = (*p & ~0xff00U) | ((v & 0xff) << 8);
	} else if (size == 2) {
		p = reg_ptr(r, n);
		*p = (*p & ~0xffffU) | (v & 0xffff);
	} else {
		*reg_ptr(r, n) = v;
	}
}

/* What a read of size bytes leaves in a register of reg_size bytes. */
static uint32_t extend(const struct mmio_insn *m, uint32_t v)
{
	uint32_t sign = 1U << (8 * m->size - 1);

	if (m->size < 4)
		v &= (1U << (8 * m->size)) - 1;
	if (m->sign_extend && (v & sign))
		v |= ~((sign << 1) - 1);
	return v;
}

/*
 * L:160 An access to the device window.  The host gave us the address,
 * whether it was a write, and the instruction's bytes; the instruction
 * tells us the width and which register (or immediate) is involved.  We
 * do the access, put the result in the register and step %eip past the
 * instruction, as the CPU would have.
 */
void handle_mmio(const struct lguest_exit *e)
{
	struct lguest_vcpu_regs r;
	struct mmio_insn m;
	uint8_t code[16];
	uint32_t off = e->addr - setup.mmio_base, val;
	struct vdev *d;
	char why[160];

	memcpy(code, e->arg, sizeof(code));
	if (ioctl(lguest_fd, LGUEST_GET_REGS, &r))
		fail("LGUEST_GET_REGS failed: %m");
	if (mmio_decode(code, sizeof(code), &m)) {
		snprintf(why, sizeof(why), "device access at %#x from eip %#x by an instruction lguest does not emulate (%02x %02x %02x %02x %02x %02x)", e->addr, r.eip,
			 code[0], code[1], code[2], code[3], code[4], code[5]);
		guest_died(why);
	}
	if (m.write != !!(e->errcode & 2)) {
		snprintf(why, sizeof(why), "device access at %#x from eip %#x: the instruction does not match the fault", e->addr, r.eip);
		guest_died(why);
	}
	if (e->addr < setup.mmio_base || off / VDEV_PAGE >= ndevices ||
	    off % VDEV_PAGE + m.size > VDEV_PAGE) {
		snprintf(why, sizeof(why), "%u-byte access at %#x is outside the device window",
			 m.size, e->addr);
		guest_died(why);
	}
	d = &devices[off / VDEV_PAGE];
	off %= VDEV_PAGE;
	if (m.write) {
		val = m.has_imm ? m.imm : get_reg(&r, m.reg, m.size);
		vdev_mmio_write(d, off, m.size, val);
	} else if (vdev_mmio_read(d, off, m.size, &val)) {
		set_reg(&r, m.reg, m.reg_size, extend(&m, val));
	}
	if (guest_is_bad())
		guest_died(guest_fault);
	r.eip += m.len;
	if (ioctl(lguest_fd, LGUEST_SET_REGS, &r))
		fail("LGUEST_SET_REGS failed: %m");
}
