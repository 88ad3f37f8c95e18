// SPDX-License-Identifier: GPL-2.0
/*
 * H:200 Shadow page tables.
 *
 * A guest writes page tables like any kernel, in its own memory, in
 * guest-physical terms.  The CPU cannot use them: their frames are guest
 * frames, and nothing would stop the guest mapping memory that is not its
 * own.  So the CPU runs on shadow page tables that we build, an entry at
 * a time, when the guest faults on an address its own tables do map.  Each
 * shadow entry points at the host page that backs the guest frame, with
 * no more rights than the guest entry gives and none at all beyond the
 * guest's memory.
 *
 * The host page behind a guest frame is pinned the first time a shadow
 * entry needs it (with its neighbours, LG_PIN_CHUNK frames at a time, when
 * none of them is pinned yet), and stays pinned until the guest is set up
 * afresh or goes away: a shadow entry never holds a pin of its own, so
 * forgetting one is just clearing it.  The pins count against the
 * Launcher's RLIMIT_MEMLOCK, as long-term pins of user memory do elsewhere.
 *
 * The shadows behave like a TLB: the guest tells us (by hypercall) when it
 * changes an entry or flushes, and we simply forget shadow entries then;
 * they come back on the next fault.  The guest's accessed and dirty bits
 * stay right because we only map a page on a fault, and only writable
 * once the guest entry is dirty; a fault also maps the neighbours the
 * guest has already used (fault_around()), which a TLB may hold too.
 * The kernel half (from page_offset up) is the same in every page table
 * of the guest, so its PTE pages are shared by all the shadows, like
 * global TLB entries.  Like a TLB, the shadows have a size:
 * a guest that makes us hold more than max_shadow_pages table pages has
 * all of them forgotten and starts filling again.
 *
 * The same code serves two-level paging and PAE; the guest uses whichever
 * the host was built with.  The Switcher's directory slot at the top of
 * every shadow belongs to us.  It is filled only while the guest runs,
 * with the per-CPU PTE page that maps the Switcher (lguest_map_switcher())
 * and emptied as soon as the guest stops, so the code that walks shadows
 * for the guest's sake never finds anything there; it does not look
 * anyway, and the guest can neither map anything at those addresses nor
 * reach those pages from user mode.
 */
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/gfp.h>
#include <linux/moduleparam.h>
#include <linux/nospec.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <asm/trap_pf.h>
#include "lg.h"
#include "trace.h"

#if LG_PAE
typedef u64 lg_pte_t;
#define LG_PTRS		512			/* entries per table page */
#define LG_PDE_SHIFT	21
#define LG_PFN_MASK	0x000ffffffffff000ULL
/*
 * Only if the host turned NX on (EFER.NXE): otherwise bit 63 is reserved, and
 * an entry with it set faults.
 */
#define LG_NX		(__supported_pte_mask & _PAGE_NX)
#else
typedef u32 lg_pte_t;
#define LG_PTRS		1024
#define LG_PDE_SHIFT	22
#define LG_PFN_MASK	0xfffff000U
#define LG_NX		0
#endif

/*
 * What of a guest entry its shadow keeps.  Not the caching bits (PWT, PCD,
 * PAT): a page mapped with two memory types at once is undefined on x86, and
 * the host maps these pages write-back.  Nor the global bit, which means
 * nothing without CR4.PGE, nor the bits left for software to use.
 */
#define LG_PTE_KEEP	(_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED | \
			 _PAGE_DIRTY | LG_NX)
#define LG_TABLE_FLAGS	(_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED)
static_assert(LG_DIR_ENTRIES == 1U << (32 - LG_PDE_SHIFT));
#define LG_PIN_CHUNK	16	/* frames pinned at once */
#define LG_AROUND	16	/* entries fault_around() looks at */

static unsigned int max_shadow_pages = 4096;
module_param(max_shadow_pages, uint, 0644);
MODULE_PARM_DESC(max_shadow_pages,
		 "page-table pages a guest's shadows may hold before they are flushed");

/* Each CPU's PTE page mapping the Switcher code and that CPU's pages. */
static DEFINE_PER_CPU(lg_pte_t *, switcher_ptes);

#ifdef CONFIG_X86_64
/*
 * H:205 On a 64-bit host the Switcher lies far above the 4 GiB a guest in
 * compatibility mode can address, so the shadows never hold it.  Each CPU
 * has a 4-level top of its own instead, whose first entry takes the
 * current shadow for a run (its PAE-format directory pointers are the
 * first four entries of a page-directory-pointer table) and whose
 * Switcher entry leads, through a middle and a directory page of that
 * CPU's, to its PTE page.
 */
static DEFINE_PER_CPU(lg_pte_t *, switcher_top);
#define LG_PDPTE_FLAGS	LG_TABLE_FLAGS
#else
/* A PAE directory pointer has no rights bits: they are reserved. */
#define LG_PDPTE_FLAGS	_PAGE_PRESENT
#endif

/*
 * Is the Switcher's directory slot in the guest's 4 GiB?  On a 32-bit host
 * it is, at the top, and the guest's tables must leave it alone.
 */
static bool switcher_in_guest_space(void)
{
	return IS_ENABLED(CONFIG_X86_32);
}

/* Is va in the Switcher's directory slot? */
static bool switcher_va(u64 va)
{
	return switcher_in_guest_space() && va >= lguest_switcher_addr &&
		va - lguest_switcher_addr < (1U << LG_PDE_SHIFT);
}

/*
 * Is va in the kernel half, whose PTE pages all the shadows share?  From
 * the first whole directory entry at or above page_offset, but for the
 * Switcher's.  Without a page_offset, everything is the page table's own.
 */
static bool shared_va(struct lguest *lg, u64 va)
{
	return lg->page_offset && va >= ALIGN((u64)lg->page_offset, 1ULL << LG_PDE_SHIFT) &&
		!switcher_va(va);
}

static void *table_va(lg_pte_t entry)
{
	/* Only for our own table pages: lowmem, from get_zeroed_page(). */
	return __va((unsigned long)(entry & LG_PFN_MASK));
}

static void *alloc_table(struct lguest *lg)
{
	/*
	 * Charged to the Launcher's memory cgroup: the guest decides how many
	 * of these we make.
	 */
	void *page = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);

	if (page)
		lg->shadow_pages++;
	return page;
}

static void free_table(struct lguest *lg, void *page)
{
	free_page((unsigned long)page);
	lg->shadow_pages--;
}

/*
 * The shadow directory entry that covers va (PAE: allocating the middle
 * level).  The one PAE middle level that covers the Switcher is made with
 * the shadow and kept: lguest_map_switcher() runs with interrupts off.
 */
static lg_pte_t *shadow_dir_entry(struct lguest *lg, struct lg_pgdir *pg, u32 va,
				  bool alloc)
{
	lg_pte_t *dir = (lg_pte_t *)pg->top;
#if LG_PAE
	lg_pte_t *pdpte = &dir[va >> 30];

	/*
	 * The CPU reads the four PDPT entries when CR3 is loaded, not on each
	 * walk.  The Switcher loads CR3 on every entry, and the guest is not
	 * running while we change them.
	 */
	if (!(*pdpte & _PAGE_PRESENT)) {
		void *pmd;

		if (!alloc)
			return NULL;
		pmd = alloc_table(lg);
		if (!pmd)
			return NULL;
		*pdpte = __pa(pmd) | LG_PDPTE_FLAGS;
	}
	dir = table_va(*pdpte);
#endif
	return &dir[(va >> LG_PDE_SHIFT) & (LG_PTRS - 1)];
}

/* The same, for the guest's addresses: never the Switcher's slot. */
static lg_pte_t *shadow_pde(struct lguest *lg, struct lg_pgdir *pg, u32 va, bool alloc)
{
	if (switcher_va(va))
		return NULL;
	return shadow_dir_entry(lg, pg, va, alloc);
}

/* The shared PTE page for kernel address va, made if there is none yet. */
static lg_pte_t *kernel_pte_page(struct lguest *lg, u32 va)
{
	void **ptes = &lg->kernel_ptes[va >> LG_PDE_SHIFT];

	/*
	 * The other shadows learn of a new page through the generation:
	 * give_kernel_half() adds it to each when it is next loaded.
	 */
	if (!*ptes) {
		*ptes = alloc_table(lg);
		if (*ptes)
			lg->kernel_gen++;
	}
	return *ptes;
}

static lg_pte_t *shadow_pte(struct lguest *lg, struct lg_pgdir *pg, u32 va, bool alloc)
{
	lg_pte_t *pde = shadow_pde(lg, pg, va, alloc);
	lg_pte_t *ptes;

	if (!pde)
		return NULL;
	if (!(*pde & _PAGE_PRESENT)) {
		if (!alloc)
			return NULL;
		ptes = shared_va(lg, va) ? kernel_pte_page(lg, va) : alloc_table(lg);
		if (!ptes)
			return NULL;
		/* The PTE decides the rights; this level allows everything. */
		*pde = __pa(ptes) | LG_TABLE_FLAGS;
		__set_bit(va >> LG_PDE_SHIFT, pg->used);
	}
	ptes = table_va(*pde);
	return &ptes[(va >> PAGE_SHIFT) & (LG_PTRS - 1)];
}

/* Forget a whole PTE page of a guest address range. */
static void release_pte_page(struct lguest *lg, lg_pte_t *pde)
{
	if (!(*pde & _PAGE_PRESENT))
		return;
	free_table(lg, table_va(*pde));
	*pde = 0;
}

/* Point pg's kernel half at the shared PTE pages it lacks. */
static void give_kernel_half(struct lguest *lg, struct lg_pgdir *pg)
{
	unsigned int i;
	lg_pte_t *pde;

	if (pg->kernel_gen == lg->kernel_gen)
		return;
	for (i = 0; i < LG_DIR_ENTRIES; i++) {
		if (!lg->kernel_ptes[i])
			continue;
		/*
		 * A present entry in the kernel half can only be the shared
		 * page already.  If the PAE middle level cannot be had now, a
		 * fault fills the entry later (shadow_pte()).
		 */
		pde = shadow_pde(lg, pg, i << LG_PDE_SHIFT, true);
		if (pde && !(*pde & _PAGE_PRESENT)) {
			*pde = __pa(lg->kernel_ptes[i]) | LG_TABLE_FLAGS;
			__set_bit(i, pg->used);
		}
	}
	pg->kernel_gen = lg->kernel_gen;
}

/*
 * PAE: a middle-level page goes when all it covered goes, but for the
 * Switcher's gigabyte, which keeps its own for good.
 */
static void release_middle(struct lguest *lg, struct lg_pgdir *pg, u64 start, u64 end)
{
#if LG_PAE
	lg_pte_t *pdpte;
	u64 va;

	/*
	 * Only gigabytes the range covers whole: one cut short still holds
	 * entries outside it.
	 */
	for (va = ALIGN(start, 1ULL << 30); va + (1ULL << 30) <= end; va += 1ULL << 30) {
		pdpte = &((lg_pte_t *)pg->top)[va >> 30];
		if ((switcher_in_guest_space() && va >> 30 == lguest_switcher_addr >> 30) ||
		    !(*pdpte & _PAGE_PRESENT))
			continue;
		free_table(lg, table_va(*pdpte));
		*pdpte = 0;
	}
#endif
}

/*
 * Forget every mapping of pg from start up to (not including) end.  The
 * Switcher's slot is skipped: it is empty outside a run anyway.  This
 * shadow only stops pointing at the shared kernel PTE pages:
 * release_everywhere() frees them.
 */
static void release_range(struct lguest *lg, struct lg_pgdir *pg, u64 start, u64 end)
{
	unsigned long i = start >> LG_PDE_SHIFT;
	lg_pte_t *pde;
	u32 va;

	/* Only the entries in use: a process maps a few of thousands. */
	for_each_set_bit_from(i, pg->used, DIV_ROUND_UP_ULL(end, 1ULL << LG_PDE_SHIFT)) {
		va = i << LG_PDE_SHIFT;
		__clear_bit(i, pg->used);
		pde = shadow_pde(lg, pg, va, false);
		if (!pde)
			continue;
		if (shared_va(lg, va))
			*pde = 0;
		else
			release_pte_page(lg, pde);
	}
	release_middle(lg, pg, start, end);
	/*
	 * A big flush frees many pages, and every caller runs in the Launcher's
	 * thread with interrupts on.
	 */
	cond_resched();
}

/* Forget start..end in every shadow, and the shared kernel pages there. */
static void release_everywhere(struct lguest *lg, u64 start, u64 end)
{
	unsigned int i;
	u64 va;

	for (i = 0; i < LG_PGDIRS; i++)
		if (lg->pgdirs[i].top)
			release_range(lg, &lg->pgdirs[i], start, end);
	/*
	 * Now that no shadow points at them, the shared pages of the range can
	 * go.  There is no array if lguest_init_pagetables() failed early.
	 */
	if (!lg->kernel_ptes)
		return;
	for (va = start; va < end; va += 1U << LG_PDE_SHIFT) {
		void **ptes = &lg->kernel_ptes[va >> LG_PDE_SHIFT];

		if (*ptes) {
			free_table(lg, *ptes);
			*ptes = NULL;
		}
	}
}

/* Forget the user half of a shadow: everything below page_offset. */
static void release_user(struct lguest *lg, struct lg_pgdir *pg)
{
	release_range(lg, pg, 0, lg->page_offset ? lg->page_offset : 1ULL << 32);
}

/*
 * What a walk of the guest's tables found for an address: its entry with
 * the rights of every level, where that entry is (0: the guest has no
 * page tables yet), and the rights the upper levels take away from every
 * entry of the same PTE page.
 */
struct lg_walk {
	lg_pte_t gpte;
	u32 gpte_gpa;
	lg_pte_t raw;		/* the guest's entry, as its memory holds it */
	lg_pte_t denied;	/* rights bits the upper levels clear ... */
	lg_pte_t nx;		/* ... and NX, which they may add */
};

/*
 * Read the guest's entries for va, starting at its top level gtop.
 * Returns false if va is not mapped; the guest may also die of a page
 * table outside its memory or a large page, which it was told it lacks.
 */
static bool walk_guest(struct lguest *lg, u32 gtop, u32 va, struct lg_walk *w)
{
	lg_pte_t pde;
	u32 gpa;

#if LG_PAE
	lg_pte_t pdpte;

	lguest_read(lg, &pdpte, gtop + (va >> 30) * sizeof(pdpte), sizeof(pdpte));
	/*
	 * A failed read (the Launcher may have unmapped the memory) has killed
	 * the guest and given zero.
	 */
	if (!(pdpte & _PAGE_PRESENT) || lg->dead)
		return false;
	/*
	 * The frame is checked while the entry is 64 bits wide: cut to the u32
	 * address below, a frame above 4 GiB would wrap around into the guest's
	 * memory, and the walk would go on at the wrong place.
	 */
	if ((pdpte & LG_PFN_MASK) >> PAGE_SHIFT >= lg->mem_pages) {
		lguest_kill(lg, "page directory for %#x is beyond its memory", va);
		return false;
	}
	gpa = (pdpte & LG_PFN_MASK) + ((va >> LG_PDE_SHIFT) & (LG_PTRS - 1)) * sizeof(pde);
#else
	gpa = gtop + (va >> LG_PDE_SHIFT) * sizeof(pde);
#endif
	lguest_read(lg, &pde, gpa, sizeof(pde));
	if (!(pde & _PAGE_PRESENT) || lg->dead)
		return false;
	if (pde & _PAGE_PSE) {
		lguest_kill(lg, "large page at %#x", va);
		return false;
	}
	/*
	 * The same for the PTE page (under PAE, before w->gpte_gpa cuts its
	 * address to 32 bits).
	 */
	if ((pde & LG_PFN_MASK) >> PAGE_SHIFT >= lg->mem_pages) {
		lguest_kill(lg, "page table for %#x is beyond its memory", va);
		return false;
	}
	w->gpte_gpa = (pde & LG_PFN_MASK) + ((va >> PAGE_SHIFT) & (LG_PTRS - 1)) * sizeof(w->gpte);
	lguest_read(lg, &w->gpte, w->gpte_gpa, sizeof(w->gpte));
	if (lg->dead)
		return false;
	/*
	 * Rights are those of both levels, as the CPU would combine them; the
	 * guest's own entry (raw) keeps what the guest wrote there.
	 */
	w->raw = w->gpte;
	w->denied = ~pde & (_PAGE_RW | _PAGE_USER);
	w->nx = pde & LG_NX;
	w->gpte = (w->gpte & ~w->denied) | w->nx;
	return true;
}

/* Before the guest has page tables: its memory at 0 and at page_offset. */
static bool unpaged_entry(struct lguest *lg, u32 va, struct lg_walk *w)
{
	u64 size = (u64)lg->mem_pages << PAGE_SHIFT;
	u32 gpa;

	if (va < size)
		gpa = va;
	else if (lg->page_offset && va >= lg->page_offset && va - lg->page_offset < size)
		gpa = va - lg->page_offset;
	else
		return false;
	/*
	 * There is no guest entry to set accessed and dirty in, so they are set
	 * from the start.  No _PAGE_USER: these are for the guest kernel.
	 */
	w->gpte = (gpa & PAGE_MASK) | _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY;
	return true;
}

static bool guest_entry(struct lguest *lg, u32 va, struct lg_walk *w)
{
	struct lg_pgdir *pg = &lg->pgdirs[lg->cur_pgdir];

	/*
	 * Unless a walk finds an entry, there is none to write accessed and
	 * dirty back to.
	 */
	w->gpte_gpa = 0;
	if (pg->gpgdir == LG_UNPAGED)
		return unpaged_entry(lg, va, w);
	return walk_guest(lg, pg->gpgdir, va, w);
}

/*
 * Pin n frames from pfn, none of them pinned yet, and charge them to the
 * Launcher like any long-term pin.  True if at least pfn's is pinned
 * (pin_user_pages_fast() may stop early); with complain, a failure kills
 * the guest with the reason.
 */
static bool pin_frames(struct lguest *lg, u32 pfn, unsigned int n, bool complain)
{
	long got;

	/*
	 * Charge first, and take the charge back if it is over: checking and
	 * then adding would let two pinners of one mm (another guest of this
	 * Launcher, say) pass the limit together.
	 */
	if (atomic64_add_return(n, &lg->mm->pinned_vm) > lg->pin_limit) {
		atomic64_sub(n, &lg->mm->pinned_vm);
		if (complain)
			lguest_kill(lg, "its memory would pin over RLIMIT_MEMLOCK (%lu pages)",
				    lg->pin_limit);
		return false;
	}
	/*
	 * FOLL_WRITE breaks any copy-on-write sharing now, so the page pinned
	 * is the one the Launcher's mapping keeps.  FOLL_LONGTERM, as the pin
	 * lasts as long as the guest: the page is first moved out of movable
	 * and CMA memory, where it would stand in the way of migration.
	 */
	got = pin_user_pages_fast(lg->mem_base + ((unsigned long)pfn << PAGE_SHIFT), n,
				  FOLL_WRITE | FOLL_LONGTERM, &lg->pinned[pfn]);
	/*
	 * An error counts as nothing pinned; the charge for what was not pinned
	 * goes back.
	 */
	got = max(got, 0L);
	atomic64_sub(n - got, &lg->mm->pinned_vm);
	lg->stats.pins += got;
	if (!got && complain)
		lguest_kill(lg, "cannot pin guest page %#x", pfn);
	return got;
}

/*
 * H:215 The host page behind guest frame pfn (< mem_pages), pinned on first
 * use. The LG_PIN_CHUNK frames around it come too if none is pinned yet and the
 * limit allows: a guest uses its memory in runs, and fault_around() only maps
 * pages that are pinned already.  NULL kills the guest with the reason.
 */
static struct page *guest_page(struct lguest *lg, u32 pfn)
{
	u32 base, n, i;

	/*
	 * pfn comes from a guest entry.  The caller's bound check must hold
	 * under speculation too, or the guest could steer this load of
	 * lg->pinned[] beyond the array.
	 */
	pfn = array_index_nospec(pfn, lg->mem_pages);
	if (lg->pinned[pfn])
		return lg->pinned[pfn];
	/*
	 * The chunk only if none of it is pinned: pin_frames() fills every slot
	 * it pins, and a frame pinned twice would be unpinned only once.
	 */
	base = pfn & ~(LG_PIN_CHUNK - 1);
	n = min_t(unsigned long, LG_PIN_CHUNK, lg->mem_pages - base);
	for (i = base; i < base + n && !lg->pinned[i]; i++)
		;
	/*
	 * The chunk is a guess, and may fail or stop short of pfn: then pfn is
	 * pinned alone, and only that failure kills the guest.
	 */
	if (i == base + n && pin_frames(lg, base, n, false) && lg->pinned[pfn])
		return lg->pinned[pfn];
	return pin_frames(lg, pfn, 1, true) ? lg->pinned[pfn] : NULL;
}

/*
 * A fault we gave back to the guest left its page unmapped in the current
 * shadow, and the guest knows (lguest_data.cr2_unshadowed): once we map
 * that page again, or another page table is loaded, it must flush the page
 * as usual.
 */
static void unshadowed_done(struct lguest *lg)
{
	lg->unshadowed = 0;
	lguest_write_u32(lg, LG_DATA(lg, cr2_unshadowed), 0);
}

static void shadowed_again(struct lguest *lg, u32 va)
{
	if (unlikely(lg->unshadowed == ((va & PAGE_MASK) | 1)))
		unshadowed_done(lg);
}

/*
 * H:225 We are giving the guest back its own fault at va.  It is about to
 * change that entry (a copy-on-write, say), and Linux flushes the page after
 * such a change: a world switch for a hypercall.  So drop our shadow of the
 * page now, as a TLB may drop any entry, and return 1 for the guest's
 * cr2_unshadowed, so that it knows the flush has nothing left to do.  Only the
 * user half, which is the current page table's own: the kernel half is shared,
 * and its flushes are rare.
 */
/**
 * lguest_unshadow_fault() - Drop the shadow of a page the guest faults on.
 * @lg: the guest.
 * @va: the address of the fault the guest is given back.
 *
 * Only for an address in the user half (below a non-zero page_offset) of
 * the current page table, once the guest has made LHCALL_INIT; otherwise
 * nothing is dropped.  Either way, the answer given for the previous fault
 * no longer holds.
 *
 * Return: the value for lguest_data.cr2_unshadowed: 1 if no shadow entry
 * maps @va's page any more, 0 if the guest must flush it as usual.
 */
u32 lguest_unshadow_fault(struct lguest *lg, u32 va)
{
	lg_pte_t *spte;

	/*
	 * A new fault ends what we said of the last one: the caller writes this
	 * answer next to cr2, in lguest_data.
	 */
	lg->unshadowed = 0;
	if (!lg->data_gpa || !lg->page_offset || va >= lg->page_offset || switcher_va(va))
		return 0;
	spte = shadow_pte(lg, &lg->pgdirs[lg->cur_pgdir], va, false);
	if (spte)
		*spte = 0;
	lg->unshadowed = (va & PAGE_MASK) | 1;
	return 1;
}

/* The shadow of guest entry gpte, whose frame is in the host's @page. */
static lg_pte_t shadow_entry(struct page *page, lg_pte_t gpte)
{
	gpte &= LG_PTE_KEEP;
	/*
	 * Not dirty yet: read-only, so that the first write faults and
	 * lguest_demand_page() sets the guest's dirty bit, as the CPU would.
	 */
	if (!(gpte & _PAGE_DIRTY))
		gpte &= ~(lg_pte_t)_PAGE_RW;
	/* Shifted as an entry: under PAE the host page may lie above 4 GiB. */
	return ((lg_pte_t)page_to_pfn(page) << PAGE_SHIFT) | gpte;
}

/*
 * H:220 Fault-around: with spte just filled for va, shadow the entries beside
 * it (LG_AROUND of them, aligned) that the guest has used already, as a
 * TLB could hold them too: present and accessed, with a page pinned
 * already, writable only if dirty.  A process going through its pages in
 * order, or the kernel through its direct map, then takes one exit for
 * LG_AROUND pages instead of one for each.
 */
static void fault_around(struct lguest *lg, lg_pte_t *spte, u32 va, const struct lg_walk *w)
{
	unsigned int i, at = (va >> PAGE_SHIFT) & (LG_AROUND - 1);
	lg_pte_t g[LG_AROUND], *sptes = spte - at;
	u32 pfn;

	/*
	 * An aligned group never crosses a PTE page, ours or the guest's, so
	 * both are reached by offset from the faulting entry.
	 */
	lguest_read(lg, g, w->gpte_gpa - at * sizeof(g[0]), sizeof(g));
	if (lg->dead)
		return;
	for (i = 0; i < LG_AROUND; i++) {
		/* The directory entry's rights go for the whole group. */
		g[i] = (g[i] & ~w->denied) | w->nx;
		/*
		 * Only what a TLB could hold: entries the guest has used
		 * already (accessed), since mapping one here sets no bit in it.
		 * A frame beyond its memory is left to a real fault to judge.
		 */
		if (sptes[i] || (g[i] & (_PAGE_PRESENT | _PAGE_ACCESSED)) !=
		    (_PAGE_PRESENT | _PAGE_ACCESSED) ||
		    (g[i] & LG_PFN_MASK) >> PAGE_SHIFT >= lg->mem_pages)
			continue;
		pfn = (g[i] & LG_PFN_MASK) >> PAGE_SHIFT;
		pfn = array_index_nospec(pfn, lg->mem_pages);
		/*
		 * No pinning here: a guess must not charge the Launcher nor
		 * kill the guest.
		 */
		if (!lg->pinned[pfn])
			continue;
		sptes[i] = shadow_entry(lg->pinned[pfn], g[i]);
		/* The unshadowed page may be among these. */
		shadowed_again(lg, va + ((int)i - (int)at) * PAGE_SIZE);
		lg->stats.faults_around++;
	}
}

/* Unpin everything guest_page() pinned, and uncharge it. */
static void unpin_guest_memory(struct lguest *lg)
{
	unsigned long i, n = 0;

	if (!lg->pinned)
		return;
	for (i = 0; i < lg->mem_pages; i++) {
		if (!lg->pinned[i])
			continue;
		/* The guest may have written anything it could map. */
		unpin_user_pages_dirty_lock(&lg->pinned[i], 1, true);
		lg->pinned[i] = NULL;
		n++;
		if (!(n % 512))
			cond_resched();
	}
	atomic64_sub(n, &lg->mm->pinned_vm);
	kvfree(lg->pinned);
	lg->pinned = NULL;
}

/*
 * M:020 A fault that the guest's own tables allow still costs a world
 * switch there and back before the guest sees its page: under QEMU, with
 * -icount, an anonymous fault in the guest takes about three times as
 * long as natively and copy-on-write a little more (README, scripts/bench
 * --only fault,cow).  fault_around() halves the exits of a process going
 * through its memory in order; what would remove the first one is the
 * guest telling us of a new entry as it writes it, at the price of a
 * hypercall per entry that is never touched.  Measure before choosing.
 */

/*
 * H:210 A page fault at va: map it if the guest's tables allow the access.
 * 1: mapped, retry; 0: the guest's own fault (or it died);
 * -1: an access to the Launcher's MMIO window, at *mmio.
 */
/**
 * lguest_demand_page() - Resolve a page fault from the guest's own tables.
 * @lg: the guest.
 * @va: the faulting address.
 * @errcode: the page-fault error code.
 * @mmio: set to the guest-physical address accessed, for -1.
 *
 * If the guest's entry for @va allows the access, sets the accessed bit in
 * it (and for a write, the dirty bit), pins the page behind it and
 * shadows it, with the neighbours the guest has used already and whose
 * pages are pinned.  An entry naming memory the guest does not have,
 * outside the MMIO window, kills the guest, as does failing to pin the
 * page or to allocate a shadow table.
 *
 * Context: Process context, the guest's lock held.  May sleep.
 *
 * Return: 1 if the fault is resolved and the guest can retry; 0 if the
 * fault is the guest's own, or the guest died; -1 for an access to the
 * Launcher's MMIO window, at *@mmio.
 */
int lguest_demand_page(struct lguest *lg, u32 va, u32 errcode, u32 *mmio)
{
	struct lg_pgdir *pg = &lg->pgdirs[lg->cur_pgdir];
	struct lg_walk w;
	lg_pte_t want, *spte;
	u64 pfn, gpa;
	struct page *page;

	lockdep_assert_held(&lg->lock);

	/*
	 * Nothing of the guest's is ever mapped in the Switcher's slot: a fault
	 * there is the guest's own.
	 */
	if (switcher_va(va) || !guest_entry(lg, va, &w))
		return 0;
	/*
	 * The access must be one the guest's entry allows, by the CPU's rules:
	 * a write needs RW (CR0.WP is set, so in ring 1 too), user mode needs
	 * USER, and an instruction fetch needs NX clear.  Otherwise the fault
	 * is the guest's.
	 */
	if (!(w.gpte & _PAGE_PRESENT))
		return 0;
	if ((errcode & X86_PF_WRITE) && !(w.gpte & _PAGE_RW))
		return 0;
	if ((errcode & X86_PF_USER) && !(w.gpte & _PAGE_USER))
		return 0;
	if ((errcode & X86_PF_INSTR) && (w.gpte & LG_NX))
		return 0;

	pfn = (w.gpte & LG_PFN_MASK) >> PAGE_SHIFT;
	/*
	 * Not its memory: the MMIO window, which the Launcher emulates, or an
	 * entry the guest had no business writing.
	 */
	if (pfn >= lg->mem_pages) {
		gpa = (pfn << PAGE_SHIFT) | (va & ~PAGE_MASK);
		if (gpa >= lg->mmio_base && gpa - lg->mmio_base < lg->mmio_size) {
			*mmio = gpa;
			return -1;
		}
		lguest_kill(lg, "page table entry for %#x maps %#llx, beyond its memory",
			    va, gpa);
		return 0;
	}

	/*
	 * Accessed, and dirty for a write, go into the guest's entry as the CPU
	 * would set them: Linux ages pages and writes them back by these bits.
	 * With one vCPU, the guest cannot change the entry between our read and
	 * this write.
	 */
	want = w.gpte | _PAGE_ACCESSED;
	if (errcode & X86_PF_WRITE)
		want |= _PAGE_DIRTY;
	if (w.gpte_gpa) {
		/* Only those two bits: the rights above are not the entry's. */
		lg_pte_t raw = w.raw | (want & (_PAGE_ACCESSED | _PAGE_DIRTY));

		if (raw != w.raw)
			lguest_write(lg, w.gpte_gpa, &raw, sizeof(raw));
	}
	if (lg->dead)
		return 0;

	page = guest_page(lg, pfn);
	if (!page)
		return 0;
	/*
	 * The shadows are a TLB of a fixed size: when full, start over.  (A
	 * floor keeps one instruction's few pages from evicting each other.)
	 */
	if (lg->shadow_pages >= max(max_shadow_pages, 64U))
		lguest_flush_pagetables(lg, true);
	/* Only after the flush: it would free the table spte points into. */
	spte = shadow_pte(lg, pg, va, true);
	if (!spte) {
		lguest_kill(lg, "out of memory for shadow page tables");
		return 0;
	}
	*spte = shadow_entry(page, want);
	shadowed_again(lg, va);
	/* Unpaged, there is no guest PTE page to look around in. */
	if (w.gpte_gpa)
		fault_around(lg, spte, va, &w);
	return 1;
}

/**
 * lguest_va_to_pa() - Translate a guest-virtual address.
 * @lg: the guest.
 * @va: the address, as the guest sees it.
 * @gpa: set to the guest-physical address, on success.
 *
 * Walks the guest's current page tables.  The entry's rights are not
 * checked, only that the frame is guest memory.
 *
 * Return: true if @va is mapped, outside the Switcher's area, to the
 * guest's own memory.
 */
bool lguest_va_to_pa(struct lguest *lg, u32 va, u32 *gpa)
{
	struct lg_walk w;

	if (switcher_va(va) || !guest_entry(lg, va, &w) || !(w.gpte & _PAGE_PRESENT))
		return false;
	/*
	 * Only the frame is checked, not the entry's rights: what the host
	 * reads or writes here is the guest's own memory either way.
	 */
	if ((w.gpte & LG_PFN_MASK) >> PAGE_SHIFT >= lg->mem_pages)
		return false;
	*gpa = (u32)(w.gpte & LG_PFN_MASK) | (va & ~PAGE_MASK);
	return true;
}

/* The guest may not put anything in the Switcher's directory slot. */
static bool check_switcher_slot(struct lguest *lg, u32 gtop)
{
	struct lg_walk w;

	if (!switcher_in_guest_space())
		return true;
	/*
	 * walk_guest() succeeds once a directory entry covers the slot, even
	 * with no page in it: that is already too much.  This is checked when a
	 * page table is first shadowed; after that, faults there are never
	 * shadowed (switcher_va()), and the hypercalls leave the slot alone or
	 * kill (guest_range()).
	 */
	if (!walk_guest(lg, gtop, lguest_switcher_addr, &w) && !lg->dead)
		return true;
	if (!lg->dead)
		lguest_kill(lg, "its page tables map the Switcher's area at %#lx",
			    lguest_switcher_addr);
	return false;
}

/*
 * H:230 The guest loads another page table.  Its user half is forgotten, as a
 * CR3 load flushes a TLB, unless the guest named the address space
 * (ctx, never 0 nor reused) and we last shadowed this page table for the
 * same one at the same TLB generation: a stale entry then is only the
 * guest's own memory, pinned, and the guest's promise that nothing
 * changed.  The kernel half stays in any case (see below).
 */
static void switch_user_half(struct lguest *lg, struct lg_pgdir *pg, u64 ctx, u32 gen)
{
	if (!ctx || pg->ctx != ctx || pg->gen != gen) {
		release_user(lg, pg);
		lg->stats.pgdir_dropped++;
	} else {
		lg->stats.pgdir_kept++;
	}
	pg->ctx = ctx;
	pg->gen = gen;
}

/**
 * lguest_new_pagetable() - Switch the guest to another page table.
 * @lg: the guest.
 * @gpgdir: the guest-physical address of the top level, as for CR3.
 * @ctx: the guest's id for the address space, or 0 for none.
 * @gen: the address space's TLB generation (a count of its flushes).
 *
 * Reuses the shadow of @gpgdir if one is kept, or takes over another slot.
 * The shadow's user half survives only for the same non-zero @ctx at the
 * same @gen.  A bad address, or a page table that maps the Switcher's
 * area, kills the guest.
 *
 * Context: Process context, the guest's lock held.  May sleep.
 */
void lguest_new_pagetable(struct lguest *lg, u32 gpgdir, u64 ctx, u32 gen)
{
	unsigned int i, align = LG_PAE ? 32 : PAGE_SIZE;

	lockdep_assert_held(&lg->lock);

	/*
	 * As CR3 would take it: under PAE a 32-byte aligned table of four
	 * entries, otherwise a page directory of a whole page; all of it in the
	 * guest's memory.
	 */
	if ((gpgdir & (align - 1)) || !lguest_address_ok(lg, gpgdir, align)) {
		lguest_kill(lg, "bad page table address %#x", gpgdir);
		return;
	}
	/* What cr2_unshadowed said was about the page table we leave. */
	if (lg->unshadowed)
		unshadowed_done(lg);
	/*
	 * The first page table of the guest's own: what we mapped of its
	 * kernel half before, from its memory's layout, goes.
	 */
	if (lg->pgdirs[lg->cur_pgdir].gpgdir == LG_UNPAGED) {
		release_everywhere(lg, 0, 1ULL << 32);
		lg->pgdirs[lg->cur_pgdir].gpgdir = LG_NO_PGDIR;
	}
	for (i = 0; i < LG_PGDIRS; i++) {
		if (lg->pgdirs[i].gpgdir == gpgdir) {
			switch_user_half(lg, &lg->pgdirs[i], ctx, gen);
			goto found;
		}
	}
	if (!check_switcher_slot(lg, gpgdir))
		return;
	/*
	 * Recycle a slot, never the current one.  Only its user half goes:
	 * the kernel half is the same in every page table of the guest, and
	 * each change to it reaches all the shadows (lguest_set_pte() and the
	 * like, or a flush of everything), as global TLB entries would.  A
	 * guest starting one process after another would otherwise fault its
	 * whole kernel in again each time.
	 */
	i = lg->next_evict++ % LG_PGDIRS;
	if (i == lg->cur_pgdir)
		i = lg->next_evict++ % LG_PGDIRS;
	release_user(lg, &lg->pgdirs[i]);
	lg->stats.pgdir_dropped++;
	lg->pgdirs[i].gpgdir = gpgdir;
	lg->pgdirs[i].ctx = ctx;
	lg->pgdirs[i].gen = gen;
found:
	/*
	 * This shadow may lack shared kernel pages made while another was
	 * loaded.
	 */
	lg->cur_pgdir = i;
	give_kernel_half(lg, &lg->pgdirs[i]);
}

/**
 * lguest_flush_pagetables() - Forget shadow entries, as a TLB flush would.
 * @lg: the guest.
 * @all: forget every mapping in every shadow, not only the user half.
 *
 * Without @all, only the user mappings (everything below page_offset) of
 * the current page table go.
 *
 * Context: Process context, the guest's lock held.  May sleep.
 */
void lguest_flush_pagetables(struct lguest *lg, bool all)
{
	lockdep_assert_held(&lg->lock);

	lg->stats.shadow_flushes++;
	trace_lguest_flush(all);
	if (all)
		release_everywhere(lg, 0, 1ULL << 32);
	else
		release_user(lg, &lg->pgdirs[lg->cur_pgdir]);
}

/*
 * H:240 The guest may tell us about its own addresses only: anything in the
 * Switcher's slot, present or not, is a guest gone wrong.
 */
static bool guest_range(struct lguest *lg, u32 vaddr, const char *what)
{
	if (!switcher_va(vaddr))
		return true;
	lguest_kill(lg, "%s for %#x in the Switcher's area", what, vaddr);
	return false;
}

/**
 * lguest_set_pte() - Forget the shadow of a page-table entry the guest changed.
 * @lg: the guest.
 * @gpgdir: the page table the entry is in (its top level, guest-physical).
 * @vaddr: the address the entry maps.
 * @val: the new entry; unused, as the next fault reads it.
 *
 * A kernel mapping is shared by all the guest's page tables, so its shadow
 * entry goes everywhere; a user mapping is only @gpgdir's.  An address in
 * the Switcher's area kills the guest.
 *
 * Context: Process context, the guest's lock held.
 */
void lguest_set_pte(struct lguest *lg, u32 gpgdir, u32 vaddr, u64 val)
{
	bool user = lg->page_offset && vaddr < lg->page_offset;
	lg_pte_t *spte;
	unsigned int i;

	lockdep_assert_held(&lg->lock);

	if (!guest_range(lg, vaddr, "page table entry"))
		return;
	/*
	 * val is not needed: like a TLB, we only forget the old entry, and the
	 * next fault reads the new one from the guest's table.  A kernel entry
	 * is in the shared page, so one store reaches every shadow.
	 */
	if (shared_va(lg, vaddr)) {
		spte = lg->kernel_ptes[vaddr >> LG_PDE_SHIFT];
		if (spte)
			spte[(vaddr >> PAGE_SHIFT) & (LG_PTRS - 1)] = 0;
		return;
	}
	/*
	 * A user entry can only be in the shadow of gpgdir; anything else may
	 * be in every shadow.
	 */
	for (i = 0; i < LG_PGDIRS; i++) {
		if (lg->pgdirs[i].gpgdir == LG_NO_PGDIR ||
		    (user && lg->pgdirs[i].gpgdir != gpgdir))
			continue;
		spte = shadow_pte(lg, &lg->pgdirs[i], vaddr, false);
		if (spte)
			*spte = 0;
	}
}

/**
 * lguest_set_pmd() - Forget what a changed directory entry covered.
 * @lg: the guest.
 * @gpgdir: the page table the entry is in; unused.
 * @vaddr: an address the entry covers.
 * @val: the new entry; unused.
 *
 * The range the entry covers goes from every shadow, with any shared
 * kernel PTE page for it.  A directory entry for the Switcher's area kills
 * the guest.
 *
 * Context: Process context, the guest's lock held.  May sleep.
 */
void lguest_set_pmd(struct lguest *lg, u32 gpgdir, u32 vaddr, u64 val)
{
	u32 start = vaddr & ~((1U << LG_PDE_SHIFT) - 1);

	lockdep_assert_held(&lg->lock);

	/*
	 * val is not needed either.  The range goes from every shadow: a kernel
	 * directory entry is in all of them, and its shared PTE page must go
	 * too.
	 */
	if (guest_range(lg, start, "page directory entry"))
		release_everywhere(lg, start, (u64)start + (1U << LG_PDE_SHIFT));
}

/**
 * lguest_set_pgd() - Forget what a changed PAE top-level entry covered.
 * @lg: the guest.
 * @gpgdir: the page table the entry is in; unused.
 * @vaddr: an address the entry covers.
 *
 * Everything under the entry goes from every shadow.  The top gigabyte
 * holds the guest's kernel as well as the Switcher's slot, which
 * release_range() leaves alone.  Without PAE there is no such entry, and
 * the call kills the guest.
 *
 * Context: Process context, the guest's lock held.  May sleep.
 */
void lguest_set_pgd(struct lguest *lg, u32 gpgdir, u32 vaddr)
{
	u32 start = vaddr & ~((1U << 30) - 1);

	lockdep_assert_held(&lg->lock);

	if (!LG_PAE) {
		lguest_kill(lg, "LHCALL_SET_PGD without PAE");
		return;
	}
	release_everywhere(lg, start, (u64)start + (1U << 30));
}

/*
 * H:250 Put the Switcher into the current shadow for this CPU, with the vCPU's
 * register page in the CPU's register slot, and return what goes in CR3.
 * Interrupts are off until lguest_unmap_switcher() takes it out again.
 */
/**
 * lguest_map_switcher() - Map the Switcher for a run of the guest.
 * @lg: the guest.
 * @cpu: the CPU it is about to run on.
 *
 * Points the Switcher's slot of the current shadow at @cpu's Switcher PTE
 * page, and puts the guest's register page into that page.
 *
 * Context: Interrupts disabled, on @cpu, until lguest_unmap_switcher().
 *
 * Return: the physical address of the current shadow's top level, for
 * CR3.
 */
unsigned long lguest_map_switcher(struct lguest *lg, int cpu)
{
	struct lg_pgdir *pg = &lg->pgdirs[lg->cur_pgdir];
	lg_pte_t *ptes = per_cpu(switcher_ptes, cpu);
	unsigned int regs = LG_CPU_REGS_PAGE(cpu);

	/*
	 * This CPU's PTE page maps the code and this CPU's state page; now it
	 * gets this vCPU's register page too: writable, for the trap frame the
	 * CPU pushes there, and never executable.
	 */
	ptes[regs] = ((lg_pte_t)page_to_pfn(lg->regs_page) << PAGE_SHIFT) |
		_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY | LG_NX;
#ifdef CONFIG_X86_64
	/* The shadow's 4 GiB under this CPU's own top; the Switcher is there. */
	per_cpu(switcher_top, cpu)[0] = __pa(pg->top) | LG_TABLE_FLAGS;
	return __pa(per_cpu(switcher_top, cpu));
#else
	/*
	 * No _PAGE_USER at this level: ring 3 reaches nothing in the slot,
	 * whatever the PTEs say.
	 */
	*shadow_dir_entry(lg, pg, lguest_switcher_addr, false) =
		__pa(ptes) | _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED;
	return __pa(pg->top);
#endif
}

/**
 * lguest_unmap_switcher() - Undo lguest_map_switcher() after a run.
 * @lg: the guest.
 * @cpu: the CPU it ran on.
 *
 * Neither the shadow nor @cpu's PTE page may keep a trace of the run.
 *
 * Context: Interrupts disabled, on @cpu.
 */
void lguest_unmap_switcher(struct lguest *lg, int cpu)
{
#ifdef CONFIG_X86_64
	per_cpu(switcher_top, cpu)[0] = 0;
#else
	struct lg_pgdir *pg = &lg->pgdirs[lg->cur_pgdir];

	*shadow_dir_entry(lg, pg, lguest_switcher_addr, false) = 0;
#endif
	per_cpu(switcher_ptes, cpu)[LG_CPU_REGS_PAGE(cpu)] = 0;
}

/**
 * lguest_init_pagetables() - Set up a guest's shadow page tables.
 * @lg: the guest, with its memory (mem_pages and the rest) already set.
 *
 * Allocates the shadows and the array of the guest's pinned pages.  The
 * pins will be charged to the calling Launcher, against its RLIMIT_MEMLOCK
 * as it is now (no limit with CAP_IPC_LOCK).  The guest starts with no
 * page tables of its own.
 *
 * Context: Process context, in the Launcher's thread, with the guest's
 * lock held.  May sleep.
 *
 * Return: 0, or -ENOMEM; after a failure the caller has nothing to undo
 * but lguest_free_pagetables().
 */
int lguest_init_pagetables(struct lguest *lg)
{
	unsigned int i;

	lockdep_assert_held(&lg->lock);

	/*
	 * Both charged to the Launcher's memory cgroup.  A pointer per guest
	 * frame comes to megabytes for a big guest, hence kvcalloc().
	 */
	lg->pinned = kvcalloc(lg->mem_pages, sizeof(*lg->pinned), GFP_KERNEL_ACCOUNT);
	lg->kernel_ptes = kcalloc(LG_DIR_ENTRIES, sizeof(*lg->kernel_ptes), GFP_KERNEL_ACCOUNT);
	if (!lg->pinned || !lg->kernel_ptes)
		return -ENOMEM;
	/*
	 * Taken once, at setup.  CAP_IPC_LOCK lifts the limit, as it does for
	 * mlock().
	 */
	lg->pin_limit = capable(CAP_IPC_LOCK) ? ULONG_MAX :
		rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	for (i = 0; i < LG_PGDIRS; i++) {
		lg->pgdirs[i].gpgdir = LG_NO_PGDIR;
		lg->pgdirs[i].top = (pteval_t *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
		if (!lg->pgdirs[i].top)
			return -ENOMEM;
		/* The Switcher slot's middle level (PAE), kept for good. */
		if (switcher_in_guest_space() &&
		    !shadow_dir_entry(lg, &lg->pgdirs[i], lguest_switcher_addr, true))
			return -ENOMEM;
	}
	/*
	 * The guest starts without page tables: unpaged_entry() maps its
	 * memory.
	 */
	lg->pgdirs[0].gpgdir = LG_UNPAGED;
	lg->cur_pgdir = 0;
	return 0;
}

/**
 * lguest_free_pagetables() - Free a guest's shadows and unpin its memory.
 * @lg: the guest.
 *
 * Also for a guest whose lguest_init_pagetables() failed part of the way,
 * or never ran.
 *
 * Context: Process context, with nobody else using @lg (the guest's lock
 * held, or the file being released).  May sleep.
 */
void lguest_free_pagetables(struct lguest *lg)
{
	unsigned int i;

	release_everywhere(lg, 0, 1ULL << 32);
	kfree(lg->kernel_ptes);
	lg->kernel_ptes = NULL;
	for (i = 0; i < LG_PGDIRS; i++) {
		lg_pte_t *top = (lg_pte_t *)lg->pgdirs[i].top;

		if (!top)
			continue;
		/* The one middle level release_range() keeps (PAE). */
		if (LG_PAE && switcher_in_guest_space() &&
		    (top[lguest_switcher_addr >> 30] & _PAGE_PRESENT))
			free_table(lg, table_va(top[lguest_switcher_addr >> 30]));
		free_page((unsigned long)top);
		lg->pgdirs[i].top = NULL;
		lg->pgdirs[i].gpgdir = LG_NO_PGDIR;
	}
	/* Last: no table we keep may still point at a page we unpin. */
	unpin_guest_memory(lg);
	WARN_ON_ONCE(lg->shadow_pages);
	lg->shadow_pages = 0;
}

#ifdef CONFIG_X86_64
/*
 * A CPU's 4-level top, and the middle and directory pages that lead from
 * its Switcher entry to the CPU's PTE page.  None has _PAGE_USER, so ring
 * 3 reaches nothing of the Switcher, and a compatibility-mode guest no
 * address above 4 GiB anyway.
 */
static int switcher_top_init(int cpu)
{
	unsigned long va = lguest_switcher_addr;
	lg_pte_t *top, *mid, *dir, flags = _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED;

	top = (lg_pte_t *)get_zeroed_page(GFP_KERNEL);
	mid = (lg_pte_t *)get_zeroed_page(GFP_KERNEL);
	dir = (lg_pte_t *)get_zeroed_page(GFP_KERNEL);
	if (!top || !mid || !dir) {
		free_page((unsigned long)top);
		free_page((unsigned long)mid);
		free_page((unsigned long)dir);
		return -ENOMEM;
	}
	dir[pmd_index(va)] = __pa(per_cpu(switcher_ptes, cpu)) | flags;
	mid[pud_index(va)] = __pa(dir) | flags;
	top[pgd_index(va)] = __pa(mid) | flags;
	per_cpu(switcher_top, cpu) = top;
	return 0;
}

static void switcher_top_fini(int cpu)
{
	unsigned long va = lguest_switcher_addr;
	lg_pte_t *top = per_cpu(switcher_top, cpu), *mid, *dir;

	if (!top)
		return;
	mid = table_va(top[pgd_index(va)]);
	dir = table_va(mid[pud_index(va)]);
	free_page((unsigned long)dir);
	free_page((unsigned long)mid);
	free_page((unsigned long)top);
	per_cpu(switcher_top, cpu) = NULL;
}
#else
static int switcher_top_init(int cpu)
{
	return 0;
}

static void switcher_top_fini(int cpu)
{
}
#endif

/**
 * lguest_switcher_pte_init() - Make each CPU's PTE page for the Switcher.
 *
 * Each possible CPU's page maps the Switcher's code and that CPU's state
 * page, read-only; its register slot is filled for each run.
 *
 * Context: Module initialisation, after lguest_switcher_init().
 *
 * Return: 0, or -ENOMEM with nothing left allocated.
 */
int lguest_switcher_pte_init(void)
{
	unsigned int i, cpu;
	lg_pte_t *ptes, ro = _PAGE_PRESENT | _PAGE_ACCESSED;

	for_each_possible_cpu(cpu) {
		ptes = (lg_pte_t *)get_zeroed_page(GFP_KERNEL);
		if (!ptes) {
			lguest_switcher_pte_fini();
			return -ENOMEM;
		}
		/*
		 * Read-only is enough while a guest's tables are loaded:
		 * nothing writes the state page then (the descriptors come with
		 * their accessed bits set, and ltr ran on the host's tables),
		 * and the Switcher writes its notes through the host's mapping.
		 */
		for (i = 0; i < SWITCHER_CODE_PAGES; i++)
			ptes[i] = ((lg_pte_t)page_to_pfn(lguest_switcher_pages[i]) << PAGE_SHIFT) |
				  ro;
		/*
		 * This CPU's state page.  The register slot before it is filled
		 * for each run, and no other CPU's pages appear here: a guest
		 * sees only the pair of the CPU it runs on.
		 */
		for (i = LG_CPU_REGS_PAGE(cpu) + 1; i < LG_CPU_REGS_PAGE(cpu + 1); i++)
			ptes[i] = ((lg_pte_t)page_to_pfn(lguest_switcher_pages[i]) << PAGE_SHIFT) |
				  ro | LG_NX;
		per_cpu(switcher_ptes, cpu) = ptes;
		if (switcher_top_init(cpu)) {
			lguest_switcher_pte_fini();
			return -ENOMEM;
		}
	}
	return 0;
}

/**
 * lguest_switcher_pte_fini() - Free each CPU's PTE page for the Switcher.
 *
 * Also for CPUs whose page was never made.
 */
void lguest_switcher_pte_fini(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		switcher_top_fini(cpu);
		free_page((unsigned long)per_cpu(switcher_ptes, cpu));
		per_cpu(switcher_ptes, cpu) = NULL;
	}
}
