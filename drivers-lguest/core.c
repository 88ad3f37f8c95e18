// SPDX-License-Identifier: GPL-2.0
/*
 * H:010 lguest host core: where the Switcher lives, how the host reaches guest
 * memory, and the loop that runs a guest until its Launcher is needed.
 *
 * The guest's memory is ordinary memory of the Launcher process, mapped at
 * lg->mem_base.  Every access the host makes on the guest's behalf goes
 * through the Launcher's address space with the usual user-copy checks,
 * after checking the guest-physical range against the guest's size: a
 * guest can name any address it likes, and a bad one only kills it.
 */
#define pr_fmt(fmt) "lguest: " fmt

#include <linux/module.h>
#include <linux/vmalloc.h>
#include <linux/mm.h>
#include <linux/uaccess.h>
#include <linux/sched/signal.h>
#include <linux/freezer.h>
#include <linux/cpu.h>
#include "lg.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

unsigned long lguest_switcher_addr;
struct page **lguest_switcher_pages;
static unsigned int switcher_nr_pages;
static struct vm_struct *switcher_vma;

/*
 * H:020 The Switcher must sit at the same virtual address in the host and in
 * every guest, and guests have to keep that part of their address space
 * free.  The top of the host's vmalloc area is the highest place the host
 * lets us have: just below the kmap window, the LDT remap, the
 * cpu_entry_area and the fixmap.  The whole Switcher fits in one
 * page-directory (or PAE page-middle-directory) slot, so a single PTE page
 * per CPU maps it into a guest.
 */
static int __init map_switcher(void)
{
	unsigned int i, size;
	unsigned long start;
	int err;

	switcher_nr_pages = SWITCHER_CODE_PAGES + 2 * nr_cpu_ids;
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
	for (i = 0; i < switcher_nr_pages; i++) {
		lguest_switcher_pages[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		if (!lguest_switcher_pages[i]) {
			err = -ENOMEM;
			goto free_pages;
		}
	}

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
	for (i = 0; i < switcher_nr_pages; i++)
		if (lguest_switcher_pages[i])
			__free_page(lguest_switcher_pages[i]);
	kfree(lguest_switcher_pages);
	lguest_switcher_pages = NULL;
	return err;
}

static void unmap_switcher(void)
{
	unsigned int i;

	free_vm_area(switcher_vma);
	switcher_vma = NULL;
	lguest_switcher_addr = 0;
	for (i = 0; i < switcher_nr_pages; i++)
		__free_page(lguest_switcher_pages[i]);
	kfree(lguest_switcher_pages);
	lguest_switcher_pages = NULL;
}

/* Is [gpa, gpa + len) inside the guest's memory?  Overflow counts as no. */
bool lguest_address_ok(const struct lguest *lg, u32 gpa, u32 len)
{
	u64 end = (u64)gpa + len;

	return end <= (u64)lg->mem_pages << PAGE_SHIFT;
}

/*
 * H:150 Read and write guest memory.  A bad address kills the guest, and a read
 * then returns zeroes, so callers can carry on and notice later.
 */
void lguest_read(struct lguest *lg, void *dst, u32 gpa, u32 len)
{
	void __user *src = (void __user *)(lg->mem_base + gpa);

	if (!lguest_address_ok(lg, gpa, len) || copy_from_user(dst, src, len)) {
		memset(dst, 0, len);
		lguest_kill(lg, "bad read of %u bytes at guest-physical %#x", len, gpa);
	}
}

void lguest_write(struct lguest *lg, u32 gpa, const void *src, u32 len)
{
	void __user *dst = (void __user *)(lg->mem_base + gpa);

	if (!lguest_address_ok(lg, gpa, len) || copy_to_user(dst, src, len))
		lguest_kill(lg, "bad write of %u bytes at guest-physical %#x", len, gpa);
}

u32 lguest_read_u32(struct lguest *lg, u32 gpa)
{
	u32 val;

	lguest_read(lg, &val, gpa, sizeof(val));
	return val;
}

void lguest_write_u32(struct lguest *lg, u32 gpa, u32 val)
{
	lguest_write(lg, gpa, &val, sizeof(val));
}

/* The first reason wins: it is usually the real one. */
void lguest_kill(struct lguest *lg, const char *fmt, ...)
{
	va_list args;

	if (lg->dead)
		return;
	va_start(args, fmt);
	vscnprintf(lg->dead_reason, sizeof(lg->dead_reason), fmt, args);
	va_end(args);
	lg->dead = true;
}

/*
 * H:060 The heart of LGUEST_RUN: run the guest, handle what brought it back,
 * and return only when the Launcher has to act.  Being a normal process, the
 * Launcher's thread must stay killable, freezable and preemptible.
 */
int lguest_run_guest(struct lguest *lg, struct lguest_exit *exit)
{
	for (;;) {
		if (lg->dead) {
			memset(exit, 0, sizeof(*exit));
			exit->reason = LGUEST_EXIT_DEAD;
			strscpy(exit->message, lg->dead_reason, sizeof(exit->message));
			return 0;
		}
		if (lg->exit_ready) {
			*exit = lg->exit;
			lg->exit_ready = false;
			return 0;
		}
		if (READ_ONCE(lg->break_out)) {
			WRITE_ONCE(lg->break_out, false);
			memset(exit, 0, sizeof(*exit));
			exit->reason = LGUEST_EXIT_BREAK;
			return 0;
		}
		if (signal_pending(current))
			return -ERESTARTSYS;
		try_to_freeze();
		cond_resched();

		/* Queued hypercalls first: they may change what we run on. */
		if (lg->data_gpa)
			lguest_do_hypercalls(lg);
		if (lg->dead || lg->exit_ready)
			continue;

		lguest_maybe_deliver_irq(lg);
		if (lg->dead)
			continue;
		if (lg->halted) {
			lguest_halt(lg);
			continue;
		}

		if (lguest_arch_enter(lg))
			lguest_arch_exit(lg);
	}
}

static int __init lguest_init(void)
{
	int err;

	if (boot_cpu_has(X86_FEATURE_LGUEST)) {
		pr_err("cannot run guests inside a guest\n");
		return -EPERM;
	}
	err = map_switcher();
	if (err)
		return err;
	err = lguest_switcher_pte_init();
	if (err)
		goto unmap;
	err = lguest_arch_host_init();
	if (err)
		goto free_ptes;
	err = lguest_device_init();
	if (err)
		goto arch_fini;
	return 0;

arch_fini:
	lguest_arch_host_fini();
free_ptes:
	lguest_switcher_pte_fini();
unmap:
	unmap_switcher();
	return err;
}

static void __exit lguest_exit(void)
{
	lguest_device_remove();
	lguest_arch_host_fini();
	lguest_switcher_pte_fini();
	unmap_switcher();
}

module_init(lguest_init);
module_exit(lguest_exit);
MODULE_DESCRIPTION("lguest: a hypervisor for 32-bit paravirtualized Linux guests");
MODULE_LICENSE("GPL");
