// SPDX-License-Identifier: GPL-2.0
/*
 * H:018 The Switcher's pages in the host: the code of x86/switcher_32.S or
 * switcher_64.S, copied out of the module into pages of its own, and
 * LG_CPU_PAGES for each CPU, at one address every guest shares with the
 * host.  The rooms of the
 * host find the Switcher's labels, trap stubs and segments here.
 */
#define pr_fmt(fmt) "lguest: " fmt

#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <asm/desc.h>
#include <asm/trapnr.h>
#include "../lg.h"

unsigned long lguest_switcher_addr;
struct page **lguest_switcher_pages;
static unsigned int switcher_nr_pages;
static struct vm_struct *switcher_vma;

/*
 * The C code reads a CPU's state as one structure, so its state pages
 * are one allocation; everything else is a page of its own.
 */
static int alloc_switcher_pages(void)
{
	unsigned int i, order = get_order(LG_STATE_PAGES * PAGE_SIZE), k;
	struct page *p;

	for (i = 0; i < switcher_nr_pages; i++) {
		if (i < SWITCHER_CODE_PAGES || (i - SWITCHER_CODE_PAGES) % LG_CPU_PAGES == 0) {
			p = alloc_page(GFP_KERNEL | __GFP_ZERO);
			if (!p)
				return -ENOMEM;
			lguest_switcher_pages[i] = p;
			continue;
		}
		p = alloc_pages(GFP_KERNEL | __GFP_ZERO, order);
		if (!p)
			return -ENOMEM;
		for (k = 0; k < LG_STATE_PAGES; k++)
			lguest_switcher_pages[i + k] = p + k;
		i += LG_STATE_PAGES - 1;
	}
	return 0;
}

static void free_switcher_pages(void)
{
	unsigned int i, order = get_order(LG_STATE_PAGES * PAGE_SIZE);

	for (i = 0; i < switcher_nr_pages; i++) {
		if (!lguest_switcher_pages[i])
			continue;
		if (i < SWITCHER_CODE_PAGES || (i - SWITCHER_CODE_PAGES) % LG_CPU_PAGES == 0) {
			__free_page(lguest_switcher_pages[i]);
			continue;
		}
		__free_pages(lguest_switcher_pages[i], order);
		i += LG_STATE_PAGES - 1;
	}
}

/*
 * H:020 The Switcher must sit at the same virtual address in the host and in
 * every guest, and guests have to keep that part of their address space
 * free.  The top of the host's vmalloc area is the highest place the host
 * lets us have: just below the kmap window, the LDT remap, the
 * cpu_entry_area and the fixmap.  The whole Switcher fits in one
 * page-directory (or PAE page-middle-directory) slot, so a single PTE page
 * per CPU maps it into a guest.
 */
/**
 * lguest_switcher_map() - Allocate and map the Switcher's pages.
 *
 * The code pages get a copy of the Switcher, and each CPU has two pages
 * of its own; all of them are mapped at the top of the vmalloc area, at
 * lguest_switcher_addr.
 *
 * Context: Module initialisation.
 *
 * Return: 0; -E2BIG if the pages need more room than one page-table page
 * maps, or the code more than its pages; -ENOMEM; -EBUSY if that part of
 * the vmalloc area is in use; or the error from mapping the pages.
 * Nothing is left allocated on failure.
 */
int __init lguest_switcher_map(void)
{
	unsigned int i, size;
	unsigned long start;
	int err;

	switcher_nr_pages = LG_CPU_REGS_PAGE(nr_cpu_ids);
	size = switcher_nr_pages * PAGE_SIZE;
	if (size > PMD_SIZE) {
		pr_err("%u CPUs need more Switcher pages than fit in one page table\n",
		       nr_cpu_ids);
		return -E2BIG;
	}
	if (lguest_switcher_end - lguest_switcher_start > SWITCHER_CODE_PAGES * PAGE_SIZE) {
		pr_err("the Switcher's code is too big\n");
		return -E2BIG;
	}

	lguest_switcher_pages = kcalloc(switcher_nr_pages, sizeof(*lguest_switcher_pages),
					GFP_KERNEL);
	if (!lguest_switcher_pages)
		return -ENOMEM;
	err = alloc_switcher_pages();
	if (err)
		goto free_pages;

	start = round_down(VMALLOC_END - size - PAGE_SIZE, PMD_SIZE);
	switcher_vma = __get_vm_area_caller(size, VM_ALLOC | VM_NO_GUARD, start,
					    start + size, __builtin_return_address(0));
	if (!switcher_vma || (unsigned long)switcher_vma->addr != start) {
		pr_err("the top of vmalloc space (%#lx) is in use\n", start);
		err = -EBUSY;
		goto free_area;
	}
	lguest_switcher_addr = start;

	/* Code read-only and executable, the per-CPU pages data. */
	err = vmap_pages_range(start, start + SWITCHER_CODE_PAGES * PAGE_SIZE,
			       PAGE_KERNEL_ROX, lguest_switcher_pages, PAGE_SHIFT);
	if (!err)
		err = vmap_pages_range(start + SWITCHER_CODE_PAGES * PAGE_SIZE,
				       start + size, PAGE_KERNEL,
				       lguest_switcher_pages + SWITCHER_CODE_PAGES, PAGE_SHIFT);
	if (err)
		goto free_area;

	/*
	 * Write the code through the pages' own (writable) mappings: the
	 * Switcher and nothing else, since guests can read these pages and
	 * whatever follows it in the kernel's or module's text would tell
	 * where that is.
	 */
	for (i = 0; i < SWITCHER_CODE_PAGES; i++) {
		long left = lguest_switcher_end - lguest_switcher_start - i * PAGE_SIZE;

		if (left > 0)
			memcpy(page_address(lguest_switcher_pages[i]),
			       lguest_switcher_start + i * PAGE_SIZE,
			       min_t(long, left, PAGE_SIZE));
	}

	pr_info("Switcher at %#lx-%#lx\n", start, start + size - 1);
	return 0;

free_area:
	if (switcher_vma)
		free_vm_area(switcher_vma);
	switcher_vma = NULL;
	lguest_switcher_addr = 0;
free_pages:
	free_switcher_pages();
	kfree(lguest_switcher_pages);
	lguest_switcher_pages = NULL;
	return err;
}

/**
 * lguest_switcher_unmap() - Undo lguest_switcher_map().
 *
 * Only after lguest_switcher_map() succeeded, and once nothing uses the
 * Switcher any more.
 */
void lguest_switcher_unmap(void)
{
	free_vm_area(switcher_vma);
	switcher_vma = NULL;
	lguest_switcher_addr = 0;
	free_switcher_pages();
	kfree(lguest_switcher_pages);
	lguest_switcher_pages = NULL;
}

/**
 * lguest_switcher_label() - Find a label of switcher_32.S in the Switcher's mapping.
 * @label: the label, in the module's copy of the code.
 *
 * Return: the label's address in the Switcher's own mapping.
 */
unsigned long lguest_switcher_label(const char *label)
{
	return lguest_switcher_addr + (label - lguest_switcher_start);
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
	return lguest_switcher_label(lguest_trap_stubs) + vector * LGUEST_STUB_SIZE;
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
