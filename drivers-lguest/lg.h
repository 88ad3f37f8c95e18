/* SPDX-License-Identifier: GPL-2.0 */
/*
 * H:015 What the pieces of the lguest host share.  One struct lguest per open
 * /dev/lguest: a guest with a single virtual CPU, driven by the thread of
 * its Launcher that calls LGUEST_RUN.
 *
 * The host is built in floors, and a file calls only into the floors
 * below its own:
 *
 *   lguest_user.c            /dev/lguest and the module's init
 *   core.c                   the run loop
 *   x86/core.c               entering the guest, sorting out its exits
 *   hypercalls.c             what the guest asks for
 *   interrupts_and_traps.c   delivering to the guest
 *   page_tables.c, segments.c    its shadow page tables and descriptors
 *   access.c, trace.c, x86/switcher.c, x86/cpuid.c
 *                            guest memory, killing a guest; the tracepoints;
 *                            the Switcher's pages and labels; what the CPU
 *                            may be said to be
 *
 * Nearly everything runs in the Launcher's thread with lg->lock held, and
 * the functions that rely on it say so with lockdep_assert_held().  What
 * other threads touch without it says why where it is declared.
 */
#ifndef _LGUEST_LG_H
#define _LGUEST_LG_H

#include <linux/types.h>
#include <linux/stddef.h>
#include <linux/lockdep.h>
#include <linux/mutex.h>
#include <linux/hrtimer.h>
#include <linux/lguest_launcher.h>
#include <asm/lguest_hcall.h>
#include <asm/desc_defs.h>
#include <asm/pgtable_types.h>
#include "x86/switcher.h"

/* How many shadow page tables a guest keeps (one per recent process). */
#define LG_PGDIRS		4
#define LG_NO_PGDIR		(~0UL)	/* lg_pgdir.gpgdir: slot unused */
#define LG_UNPAGED		(~1UL)	/* ... the guest has no page tables yet */

/*
 * What of the guest's tables changed since they were put into a CPU's
 * state page: a context switch changes the TLS entries and the kernel
 * stack, and copying only those keeps it cheap.
 */
#define LG_CHANGED_GDT		BIT(0)
#define LG_CHANGED_TLS		BIT(1)
#define LG_CHANGED_IDT		BIT(2)
#define LG_CHANGED_STACK	BIT(3)

/* A guest stuck on the same fault this many times in a row is killed. */
#define LG_FAULT_LOOP_LIMIT	10000

/*
 * The guest pages as the host does on a 32-bit host.  A 64-bit host's
 * guests use PAE, whose directories and PTE pages are the same as those of
 * 4-level paging: their shadows hang below a 4-level top.
 */
#if defined(CONFIG_X86_PAE) || defined(CONFIG_X86_64)
#define LG_PAE			1
#else
#define LG_PAE			0
#endif

/* Directory entries (each covering a PTE page) in 4 GiB. */
#define LG_DIR_ENTRIES		(LG_PAE ? 2048 : 1024)

/* The guest kernel's own selectors, RPL 0, as its GDT's layout has them. */
#define LG_KERNEL_CS		(LGUEST_GDT_ENTRY_KERNEL_CS << 3)
#define LG_KERNEL_DS		(LGUEST_GDT_ENTRY_KERNEL_DS << 3)

struct lg_pgdir {
	unsigned long gpgdir;	/* guest-physical top level, or the above */
	u64 ctx;		/* the address space it was last loaded for */
	u32 gen;		/* ... and its TLB generation then */
	unsigned int kernel_gen; /* lguest.kernel_gen when last given the kernel half */
	pteval_t *top;		/* the shadow top level (one page) */
	/* The directory entries that point at a PTE page, to forget quickly. */
	DECLARE_BITMAP(used, LG_DIR_ENTRIES);
};

struct lguest {
	struct mutex lock;		/* serialises the ioctls */
	struct task_struct *tsk;	/* the thread in LGUEST_RUN, if any */
	struct mm_struct *mm;		/* its memory, which the pins are charged to */
	struct dentry *debugfs;		/* lguest/<pid> */
	bool set_up;			/* read without the lock: LGUEST_IRQ, _BREAK */

	/* Registers: the vCPU's own page, mapped into the Switcher. */
	struct page *regs_page;
	struct lguest_regs *regs;
	/* Its callback takes no lock: it only sets IRQ 0 and wakes tsk. */
	struct hrtimer timer;

	/*
	 * Everything below lasts one boot of the guest: LGUEST_SETUP frees
	 * what it points to and clears it all at once.  The guest's memory:
	 * guest-physical 0 is mem_base in the Launcher.
	 */
	struct_group(boot,

	unsigned long mem_base;
	unsigned long mem_pages;
	u32 mmio_base, mmio_size;
	u32 page_offset;
	struct page **pinned;		/* the host page behind each frame, once pinned */
	unsigned long pin_limit;	/* in pages, over all the Launcher's pins */

	/* The shared page, once the guest has made LHCALL_INIT. */
	u32 data_gpa;
	u32 hcall_next;			/* the next async slot the host reads */

	struct fxregs_state *fpu;
	u32 cr2;
	u32 dr6;			/* at the last #DB, for lguest_data.dr6 */
	u32 fault_eip, fault_cr2, fault_count;
	unsigned long switcher_fault_eip;

	/* Shadow page tables. */
	struct lg_pgdir pgdirs[LG_PGDIRS];
	unsigned int cur_pgdir;
	unsigned int next_evict;
	u32 unshadowed;			/* cr2's page | 1, if no entry maps it */
	unsigned int shadow_pages;	/* table pages below the tops */
	void **kernel_ptes;		/* the kernel half's PTE pages, shared */
	unsigned int kernel_gen;	/* bumped when kernel_ptes gains a page */

	/* Descriptor tables as the guest set them, after checking. */
	struct desc_struct gdt[LGUEST_GDT_ENTRIES];
	/*
	 * The segment registers last found good in ring 1 and in ring 3
	 * (x86/core.c), until the GDT changes.
	 */
	struct {
		u32 cs, ss, ds, es, fs, gs;
		u32 cs_limit;
		bool valid;
	} segs_ok[2];
	struct { u32 lo, hi; } idt[IDT_ENTRIES];
	u32 stack_ss, stack_esp;
	int last_cpu;			/* where the tables were last copied */
	unsigned int changed;		/* LG_CHANGED_*: what to copy again */

	/*
	 * Interrupts.  LGUEST_IRQ, LGUEST_BREAK and the timer set these two
	 * from any thread without the lock: atomic bit operations, and
	 * READ_ONCE()/WRITE_ONCE().
	 */
	DECLARE_BITMAP(irqs_pending, LGUEST_IRQS);
	bool break_out;
	bool halted;			/* the guest's HALT, under the lock */

	/* Why LGUEST_RUN returns. */
	bool exit_ready;
	struct lguest_exit exit;
	bool dead;
	bool stopped;			/* it asked to power off or restart */
	char dead_reason[LGUEST_MESSAGE_LEN];

	/* Written under the lock; debugfs reads it without (lguest_user.c). */
	struct lguest_stats stats;

	); /* the end of the boot group */
};

/* The guest did something: whatever it was, it is not stuck on a fault. */
static inline void lguest_progress(struct lguest *lg)
{
	lg->fault_count = 0;
}

/* lguest_data fields, as guest-physical addresses. */
#define LG_DATA(lg, field) ((lg)->data_gpa + offsetof(struct lguest_data, field))

/* access.c */
bool lguest_address_ok(const struct lguest *lg, u32 gpa, u32 len);
void lguest_read(struct lguest *lg, void *dst, u32 gpa, u32 len);
void lguest_write(struct lguest *lg, u32 gpa, const void *src, u32 len);
u32 lguest_read_u32(struct lguest *lg, u32 gpa);
void lguest_write_u32(struct lguest *lg, u32 gpa, u32 val);
__printf(2, 3) void lguest_kill(struct lguest *lg, const char *fmt, ...);

/* x86/switcher.c */
extern struct lguest_switcher lguest_sw;
extern unsigned long lguest_switcher_addr;
extern struct page **lguest_switcher_pages;
int lguest_switcher_init(void);
void lguest_switcher_fini(void);
unsigned long lguest_stub_addr(unsigned int vector);
void lguest_switcher_descs(struct desc_struct *cs, struct desc_struct *ds);
unsigned int lguest_stub_ist(unsigned int vector);
#ifdef CONFIG_X86_64
/**
 * lguest_host_irq() - Run the host's handler for an interrupt, as the CPU would.
 * @handler: the handler's address, from the host's IDT.
 *
 * In x86/host_irq_64.S: it pushes the frame
 * of an interrupt from the kernel and calls @handler, whose iretq returns.
 *
 * Context: Interrupts disabled.
 */
void lguest_host_irq(unsigned long handler);
#endif
u64 lguest_guest_top(void);

/* x86/cpuid.c */
void lguest_arch_cpuid(u32 leaf, u32 subleaf, u32 *regs);

/* page_tables.c */
int lguest_init_pagetables(struct lguest *lg);
void lguest_free_pagetables(struct lguest *lg);
void lguest_new_pagetable(struct lguest *lg, u32 gpgdir, u64 ctx, u32 gen);
void lguest_flush_pagetables(struct lguest *lg, bool all);
void lguest_set_pte(struct lguest *lg, u32 gpgdir, u32 vaddr, u64 val);
void lguest_set_pmd(struct lguest *lg, u32 gpgdir, u32 vaddr, u64 val);
void lguest_set_pgd(struct lguest *lg, u32 gpgdir, u32 vaddr);
int lguest_demand_page(struct lguest *lg, u32 vaddr, u32 errcode, u32 *mmio);
u32 lguest_unshadow_fault(struct lguest *lg, u32 vaddr);
bool lguest_va_to_pa(struct lguest *lg, u32 vaddr, u32 *gpa);
unsigned long lguest_map_switcher(struct lguest *lg, int cpu);
void lguest_unmap_switcher(struct lguest *lg, int cpu);
int lguest_switcher_pte_init(void);
void lguest_switcher_pte_fini(void);

/* segments.c */
void lguest_init_gdt(struct lguest *lg);
void lguest_load_gdt_entry(struct lguest *lg, u32 idx, u32 lo, u32 hi);
void lguest_load_tls(struct lguest *lg, u32 gpa);
bool lguest_selector_ok(struct lguest *lg, u32 sel, int rpl, bool code);
bool lguest_iret_ok(struct lguest *lg, u32 cs, u32 ss, u32 eip);
u32 lguest_segment_limit(struct lguest *lg, u32 sel);
void lguest_copy_gdt(struct lguest *lg, struct desc_struct *gdt);

/* interrupts_and_traps.c */
bool lguest_deliver_trap(struct lguest *lg, unsigned int vector, bool has_err);
void lguest_maybe_deliver_irq(struct lguest *lg);
void lguest_halt(struct lguest *lg);
void lguest_load_idt_entry(struct lguest *lg, u32 vector, u32 lo, u32 hi);
void lguest_setup_timer(struct lguest *lg);
void lguest_set_timer(struct lguest *lg, u32 delta_ns);
void lguest_real_idt(struct lguest *lg, gate_desc *idt);
bool lguest_trap_has_errcode(unsigned int vector);

/* hypercalls.c */
void lguest_do_hypercalls(struct lguest *lg);
void lguest_do_hcall_trap(struct lguest *lg);

/* x86/core.c */
int lguest_arch_host_init(void);
void lguest_arch_host_fini(void);
int lguest_arch_setup_guest(struct lguest *lg, u32 entry, u32 boot_params);
bool lguest_arch_enter(struct lguest *lg);
void lguest_arch_exit(struct lguest *lg);
void lguest_arch_forget(struct lguest *lg);

/* core.c */
int lguest_run_guest(struct lguest *lg, struct lguest_exit *exit);

#endif /* _LGUEST_LG_H */
