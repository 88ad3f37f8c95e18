// SPDX-License-Identifier: GPL-2.0
/*
 * H:019 The Switcher as the rest of the host sees it: the kernel maps it
 * for us (x86/switcher_map.c), and the rooms of the host find its address,
 * pages, trap stubs and segments here.
 */
#define pr_fmt(fmt) "lguest: " fmt

#include <linux/kernel.h>
#include <asm/desc.h>
#include <asm/trapnr.h>
#include "../lg.h"

/* The Switcher's mapping, made by the kernel for us (x86/switcher_map.c). */
struct lguest_switcher lguest_sw;
unsigned long lguest_switcher_addr;
struct page **lguest_switcher_pages;

/**
 * lguest_switcher_init() - Have the Switcher mapped.
 *
 * Context: Module initialisation.
 *
 * Return: 0, or the error of lguest_switcher_map().
 */
int __init lguest_switcher_init(void)
{
	int err = lguest_switcher_map(&lguest_sw);

	if (err)
		return err;
	lguest_switcher_addr = lguest_sw.addr;
	lguest_switcher_pages = lguest_sw.pages;
	return 0;
}

/**
 * lguest_switcher_fini() - Give the Switcher's mapping back.
 *
 * Only after lguest_switcher_init() succeeded, and once nothing uses the
 * Switcher any more.
 */
void lguest_switcher_fini(void)
{
	lguest_switcher_unmap();
	lguest_switcher_addr = 0;
	lguest_switcher_pages = NULL;
}

/**
 * lguest_stub_addr() - Find the Switcher's trap stub for a vector.
 * @vector: the vector.
 *
 * Return: the address of @vector's stub in the Switcher, for a gate of the
 * IDT the CPU uses while a guest runs.
 */
unsigned long lguest_stub_addr(unsigned int vector)
{
	return lguest_sw.trap_stubs + vector * LGUEST_STUB_SIZE;
}

/**
 * lguest_switcher_descs() - Make the Switcher's segment descriptors.
 * @cs: filled with its code segment.
 * @ds: filled with its data segment.
 *
 * Both flat and ring 0, for the slots the ABI keeps for them in the host's
 * GDTs and in every guest's.
 */
void lguest_switcher_descs(struct desc_struct *cs, struct desc_struct *ds)
{
	if (IS_ENABLED(CONFIG_X86_64)) {
		/* The host's own __KERNEL_CS and __KERNEL_DS. */
		*cs = (struct desc_struct)GDT_ENTRY_INIT(DESC_CODE64, 0, 0xfffff);
		*ds = (struct desc_struct)GDT_ENTRY_INIT(DESC_DATA64, 0, 0xfffff);
		return;
	}
	*cs = (struct desc_struct)GDT_ENTRY_INIT(DESC_CODE32, 0, 0xfffff);
	*ds = (struct desc_struct)GDT_ENTRY_INIT(DESC_DATA32, 0, 0xfffff);
}

/**
 * lguest_stub_ist() - Find the IST slot of a vector's gate.
 * @vector: the vector.
 *
 * Return: 0 on a 32-bit host, which has no IST; on a 64-bit one, the slot
 * of the guest's TSS whose stack the vector's gate switches to.
 */
unsigned int lguest_stub_ist(unsigned int vector)
{
#ifdef CONFIG_X86_64
	switch (vector) {
	case X86_TRAP_DF:
		return LG_IST_DF;
	case X86_TRAP_NMI:
		return LG_IST_NMI;
	case X86_TRAP_DB:
		return LG_IST_DB;
	case X86_TRAP_MC:
		return LG_IST_MCE;
	default:
		return LG_IST_TRAP;
	}
#else
	return 0;
#endif
}

/**
 * lguest_guest_top() - Find the end of what a guest may address.
 *
 * Return: the Switcher's address on a 32-bit host, which takes the top of
 * the guest's 4 GiB; 4 GiB on a 64-bit host, whose Switcher lies above.
 */
u64 lguest_guest_top(void)
{
	return IS_ENABLED(CONFIG_X86_64) ? 1ULL << 32 : lguest_switcher_addr;
}
