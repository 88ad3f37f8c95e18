// SPDX-License-Identifier: GPL-2.0
/*
 * H:018 The Switcher's pages.  This part of the host is built into the kernel
 * even when the rest is the module lg: the Switcher's code is kernel text,
 * and only the kernel maps it executable, in pages of its own, at the one
 * address every guest shares with the host.  The module asks for that
 * mapping when it loads and gives it back when it goes; a kernel that never
 * loads lg pays for nothing but the code.
 */
#define pr_fmt(fmt) "lguest: " fmt

#include <linux/export.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/set_memory.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include "switcher.h"

static DEFINE_MUTEX(switcher_lock);
static struct page **switcher_pages;
static unsigned int switcher_nr_pages;
static struct vm_struct *switcher_vma;

/*
 * The code pages have a second mapping, in the kernel's map of all memory,
 * and a host bug that wrote through it would plant code that runs in ring 0
 * on every guest entry and exit: once the code is in, that mapping is made
 * read-only too.  The pages go back to the allocator writable; one that
 * cannot be made writable again is better lost than freed.
 */
static int protect_code_pages(void)
{
	unsigned int i;
	int err;

	for (i = 0; i < SWITCHER_CODE_PAGES; i++) {
		err = set_memory_ro((unsigned long)page_address(switcher_pages[i]), 1);
		if (err)
			return err;
	}
	return 0;
}

static void unprotect_code_pages(void)
{
	unsigned int i;

	for (i = 0; i < SWITCHER_CODE_PAGES; i++) {
		struct page *page = switcher_pages[i];

		if (page && WARN_ON(set_memory_rw((unsigned long)page_address(page), 1)))
			switcher_pages[i] = NULL;
	}
}

/*
 * Unmapping leaves the TLB flush to vmalloc's lazy purge, but these pages
 * go back to the allocator at once, and global TLB entries at the
 * Switcher's address must not outlive them: flush before freeing.
 */
static void unmap_switcher_area(void)
{
	unsigned long start = (unsigned long)switcher_vma->addr;

	vunmap_range(start, start + switcher_nr_pages * PAGE_SIZE);
	free_vm_area(switcher_vma);
	switcher_vma = NULL;
}

/* A page that starts an allocation of its own (all but a CPU's state). */
static bool single_page(unsigned int i)
{
	return i < SWITCHER_CODE_PAGES || (i - SWITCHER_CODE_PAGES) % LG_CPU_PAGES == 0;
}

/*
 * The C code reads a CPU's state as one structure, so its state pages
 * are one allocation; everything else is a page of its own.
 */
static int alloc_switcher_pages(void)
{
	unsigned int i, order = get_order(LG_STATE_PAGES * PAGE_SIZE), k;
	struct page *p;

	for (i = 0; i < switcher_nr_pages; i++) {
		if (single_page(i)) {
			p = alloc_page(GFP_KERNEL | __GFP_ZERO);
			if (!p)
				return -ENOMEM;
			switcher_pages[i] = p;
			continue;
		}
		p = alloc_pages(GFP_KERNEL | __GFP_ZERO, order);
		if (!p)
			return -ENOMEM;
		for (k = 0; k < LG_STATE_PAGES; k++)
			switcher_pages[i + k] = p + k;
		i += LG_STATE_PAGES - 1;
	}
	return 0;
}

static void free_switcher_pages(void)
{
	unsigned int i, order = get_order(LG_STATE_PAGES * PAGE_SIZE);

	for (i = 0; i < switcher_nr_pages; i++) {
		if (!switcher_pages[i])
			continue;
		if (single_page(i)) {
			__free_page(switcher_pages[i]);
			continue;
		}
		__free_pages(switcher_pages[i], order);
		i += LG_STATE_PAGES - 1;
	}
	kfree(switcher_pages);
	switcher_pages = NULL;
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
static int map_switcher_pages(void)
{
	unsigned long start, size = switcher_nr_pages * PAGE_SIZE;
	unsigned int i;
	int err;

	start = round_down(VMALLOC_END - size - PAGE_SIZE, PMD_SIZE);
	switcher_vma = __get_vm_area_caller(size, VM_MAP | VM_NO_GUARD, start,
					    start + size, __builtin_return_address(0));
	if (!switcher_vma)
		goto busy;
	if ((unsigned long)switcher_vma->addr != start) {
		free_vm_area(switcher_vma);
		switcher_vma = NULL;
		goto busy;
	}

	/* Code read-only and executable, the per-CPU pages data. */
	err = vmap_pages_range(start, start + SWITCHER_CODE_PAGES * PAGE_SIZE,
			       PAGE_KERNEL_ROX, switcher_pages, PAGE_SHIFT);
	if (!err)
		err = vmap_pages_range(start + SWITCHER_CODE_PAGES * PAGE_SIZE,
				       start + size, PAGE_KERNEL,
				       switcher_pages + SWITCHER_CODE_PAGES, PAGE_SHIFT);
	if (err)
		goto unmap;

	/*
	 * Write the code through the pages' own (writable) mappings: the
	 * Switcher and nothing else, since guests can read these pages and
	 * whatever follows it in the kernel's text would tell where that is.
	 */
	for (i = 0; i < SWITCHER_CODE_PAGES; i++) {
		long left = lguest_switcher_end - lguest_switcher_start - i * PAGE_SIZE;

		if (left > 0)
			memcpy(page_address(switcher_pages[i]),
			       lguest_switcher_start + i * PAGE_SIZE,
			       min_t(long, left, PAGE_SIZE));
	}
	err = protect_code_pages();
	if (!err)
		return 0;
	unprotect_code_pages();
unmap:
	unmap_switcher_area();
	return err;
busy:
	pr_err("the top of the vmalloc area is in use\n");
	return -EBUSY;
}

/* Where a label of the Switcher's code is in the mapping at @start. */
static unsigned long switcher_label(unsigned long start, const char *label)
{
	return start + (label - lguest_switcher_start);
}

/**
 * lguest_switcher_map() - Allocate and map the Switcher's pages.
 * @sw: filled with the mapping's address, its pages and its labels.
 *
 * The code pages get a copy of the Switcher, and each CPU has pages of
 * its own, LG_CPU_REGS_PAGE(nr_cpu_ids) pages in all; all of them are
 * mapped at the top of the vmalloc area.  One mapping at a time: lg asks
 * for it when it loads.
 *
 * Context: Process context; may sleep.
 *
 * Return: 0; -E2BIG if the pages need more room than one page-table page
 * maps, or the code more than its pages; -EBUSY if the Switcher is mapped
 * already or that part of the vmalloc area is in use; -ENOMEM; or the
 * error from mapping the pages.  Nothing is left allocated on failure.
 */
int lguest_switcher_map(struct lguest_switcher *sw)
{
	unsigned int nr_pages = LG_CPU_REGS_PAGE(nr_cpu_ids);
	int err;

	if (nr_pages * PAGE_SIZE > PMD_SIZE) {
		pr_err("%u CPUs need more Switcher pages than fit in one page table\n",
		       nr_cpu_ids);
		return -E2BIG;
	}
	if (lguest_switcher_end - lguest_switcher_start > SWITCHER_CODE_PAGES * PAGE_SIZE) {
		pr_err("the Switcher's code is too big\n");
		return -E2BIG;
	}

	guard(mutex)(&switcher_lock);
	if (switcher_pages)
		return -EBUSY;
	switcher_nr_pages = nr_pages;
	switcher_pages = kcalloc(nr_pages, sizeof(*switcher_pages), GFP_KERNEL);
	if (!switcher_pages)
		return -ENOMEM;
	err = alloc_switcher_pages();
	if (!err)
		err = map_switcher_pages();
	if (err) {
		free_switcher_pages();
		return err;
	}

	sw->addr = (unsigned long)switcher_vma->addr;
	sw->pages = switcher_pages;
	sw->switch_to_guest = switcher_label(sw->addr, lguest_switch_to_guest);
	sw->trap_stubs = switcher_label(sw->addr, lguest_trap_stubs);
#ifdef CONFIG_X86_32
	sw->on_switcher_cs = switcher_label(sw->addr, lguest_on_switcher_cs);
	sw->on_kernel_cs = switcher_label(sw->addr, lguest_on_kernel_cs);
#endif
	/* No address: on x86-64 that would tell where KASLR put vmalloc. */
	pr_info("Switcher mapped, %u pages\n", switcher_nr_pages);
	return 0;
}
EXPORT_SYMBOL_FOR_MODULES(lguest_switcher_map, "lg");

/**
 * lguest_switcher_unmap() - Undo lguest_switcher_map().
 *
 * Only after lguest_switcher_map() succeeded, and once nothing uses the
 * Switcher any more.
 *
 * Context: Process context; may sleep.
 */
void lguest_switcher_unmap(void)
{
	guard(mutex)(&switcher_lock);
	if (WARN_ON_ONCE(!switcher_vma))
		return;
	unmap_switcher_area();
	unprotect_code_pages();
	free_switcher_pages();
}
EXPORT_SYMBOL_FOR_MODULES(lguest_switcher_unmap, "lg");
