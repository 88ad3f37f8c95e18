// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the host's checks, without a guest: the values a guest
 * or its Launcher hands over (a guest-physical range, a descriptor, a
 * gate, a selector, a page-table entry) go straight into the functions
 * that judge them, and each bad one must kill the guest with its reason
 * and leave nothing behind.  The shadow tests give the test its own user
 * memory as the guest's and check the shadow-as-TLB contract on it.
 *
 *   tools/testing/kunit/kunit.py run --arch=i386 --kunitconfig=drivers/lguest
 *
 * The encodings below are the CPU's, spelt out here rather than taken
 * from the code under test.
 */
#include <kunit/test.h>
#include <linux/mman.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <asm/irq_vectors.h>
#include <asm/segment.h>
#include <asm/trap_pf.h>
#include <asm/traps.h>
#include "lg.h"

#define SEG_PRESENT	BIT(15)
#define SEG_S		BIT(12)		/* code or data, not a system descriptor */
#define SEG_CODE	BIT(11)
#define SEG_DIR		BIT(10)		/* conforming code, expand-down data */
#define SEG_RW		BIT(9)		/* readable code, writable data */
#define SEG_DB		BIT(22)
#define SEG_G		BIT(23)
#define SEG_DPL(d)	((d) << 13)
#define SEG_CALL_GATE	(0xc << 8)	/* a system type, with SEG_S clear */

#define SEG_L		BIT(21)		/* 64-bit code */

/* A GDT slot Linux leaves free and the host lets the guest have. */
#define FREE_SLOT	9

/*
 * The guest's segments may reach up to the Switcher on a 32-bit host, and
 * across all of the 4 GiB on a 64-bit one, whose Switcher lies above.
 */
#define TOP_PAGES	((u32)(lguest_guest_top() >> PAGE_SHIFT))
#ifdef CONFIG_X86_64
#define REACHES_TOP	"reaches past 4 GiB"
#else
#define REACHES_TOP	"reaches the Switcher"
#endif

#define GATE_P		BIT(15)
#define GATE_INT32	(0xe << 8)
#define GATE_TRAP32	(0xf << 8)
#define GATE_TASK	(0x5 << 8)
#define GATE_DPL_BITS(d) ((d) << 13)

/* A present segment of 4 KiB pages from base, "pages" long: its two words. */
static void seg_desc(u32 base, u32 pages, u32 type, u32 *lo, u32 *hi)
{
	u32 limit = pages - 1;

	*lo = (base << 16) | (limit & 0xffff);
	*hi = (base & 0xff000000) | ((base >> 16) & 0xff) | (limit & 0xf0000) |
		SEG_PRESENT | SEG_S | SEG_DB | SEG_G | type;
}

/* Put a descriptor straight into the host's copy, past its checks. */
static void set_desc(struct lguest *lg, u32 idx, u32 base, u32 pages, u32 type)
{
	u32 lo, hi;

	seg_desc(base, pages, type, &lo, &hi);
	memcpy(&lg->gdt[idx], &lo, 4);
	memcpy((char *)&lg->gdt[idx] + 4, &hi, 4);
}

static void gate(u32 sel, u32 handler, u32 type, u32 *lo, u32 *hi)
{
	*lo = (sel << 16) | (handler & 0xffff);
	*hi = (handler & 0xffff0000) | GATE_P | type;
}

/* A gate's bit-fields, as values KUnit can compare. */
static unsigned int gate_dpl(const gate_desc *g)
{
	return g->bits.dpl;
}

static unsigned int gate_ist(const gate_desc *g)
{
	return g->bits.ist;
}

static unsigned int gate_type(const gate_desc *g)
{
	return g->bits.type;
}

#define KERNEL_CS1	(LG_KERNEL_CS | 1)
#define KERNEL_DS1	(LG_KERNEL_DS | 1)

/* A guest of mem_pages pages, with the GDT the host gives it at setup. */
static struct lguest *new_lg(struct kunit *test, unsigned long mem_pages)
{
	struct lguest *lg = kunit_kzalloc(test, sizeof(*lg), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, lg);
	if (!lguest_switcher_addr)
		kunit_skip(test, "the lguest host did not start (no Switcher)");
	/* The tests hold it, as LGUEST_RUN does, for lockdep_assert_held(). */
	mutex_init(&lg->lock);
	lg->mem_pages = mem_pages;
	lguest_init_gdt(lg);
	return lg;
}

/* The guest was killed, and the first reason given contains why. */
static void expect_killed(struct kunit *test, const struct lguest *lg, const char *why)
{
	KUNIT_EXPECT_TRUE_MSG(test, lg->dead, "not killed, wanted \"%s\"", why);
	KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(lg->dead_reason, why),
				  "killed for \"%s\", wanted \"%s\"", lg->dead_reason, why);
}

static void expect_alive(struct kunit *test, const struct lguest *lg)
{
	KUNIT_EXPECT_FALSE_MSG(test, lg->dead, "killed: %s", lg->dead_reason);
}

/* ---- Guest-physical ranges ------------------------------------------ */

static void address_ok_test(struct kunit *test)
{
	static const struct { u32 gpa, len; bool ok; } cases[] = {
		{ 0, 0, true },
		{ 0, 16 * PAGE_SIZE, true },
		{ 16 * PAGE_SIZE - 1, 1, true },
		{ 16 * PAGE_SIZE, 0, true },
		{ 16 * PAGE_SIZE, 1, false },
		{ 0, 16 * PAGE_SIZE + 1, false },
		{ 0xfffffff0, 0x20, false },	/* wraps around 4 GiB */
		{ 0xffffffff, 1, false },
		{ 1, 0xffffffff, false },
	};
	struct lguest *lg = new_lg(test, 16);
	unsigned int i;

	guard(mutex)(&lg->lock);

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		KUNIT_EXPECT_EQ_MSG(test, lguest_address_ok(lg, cases[i].gpa, cases[i].len),
				    cases[i].ok, "gpa %#x len %#x", cases[i].gpa, cases[i].len);
}

/* ---- Segment descriptors -------------------------------------------- */

static void gdt_good_entry_test(struct kunit *test)
{
	struct lguest *lg = new_lg(test, 16);
	u32 lo, hi, got;

	guard(mutex)(&lg->lock);

	seg_desc(0x10000, 16, SEG_DPL(3) | SEG_RW, &lo, &hi);
	lguest_load_gdt_entry(lg, LGUEST_GDT_ENTRY_TLS_MIN, lo, hi);
	expect_alive(test, lg);
	memcpy(&got, (char *)&lg->gdt[LGUEST_GDT_ENTRY_TLS_MIN] + 4, 4);
	/* Stored with the accessed bit, so the CPU never writes the GDT. */
	KUNIT_EXPECT_EQ(test, got, hi | BIT(8));
	KUNIT_EXPECT_TRUE(test, lguest_selector_ok(lg, LGUEST_GDT_ENTRY_TLS_MIN << 3 | 3, 3,
						   false));

	/* The largest segment allowed ends one byte below the top. */
	seg_desc(0, TOP_PAGES, SEG_DPL(3) | SEG_RW, &lo, &hi);
	lguest_load_gdt_entry(lg, LGUEST_GDT_ENTRY_TLS_MIN, lo, hi);
	expect_alive(test, lg);

	/* A descriptor that is not present clears the entry. */
	lguest_load_gdt_entry(lg, LGUEST_GDT_ENTRY_TLS_MIN, 0, 0);
	expect_alive(test, lg);
	KUNIT_EXPECT_FALSE(test, lguest_selector_ok(lg, LGUEST_GDT_ENTRY_TLS_MIN << 3 | 3, 3,
						    false));
}

struct bad_desc {
	const char *what;
	u32 idx, base, pages, type;
	bool system;
	const char *why;
};

static const struct bad_desc bad_descs[] = {
	{ "ring 0", FREE_SLOT, 0, 16, SEG_DPL(0) | SEG_RW, false, "ring-0 segment" },
	{ "ring 2", FREE_SLOT, 0, 16, SEG_DPL(2) | SEG_CODE, false, "ring-2 segment" },
	{ "call gate", FREE_SLOT, 0, 16, SEG_DPL(3) | SEG_CALL_GATE, true, "system descriptor" },
	{ "conforming code", FREE_SLOT, 0, 16, SEG_DPL(3) | SEG_CODE | SEG_DIR, false,
	  "conforming" },
	{ "expand-down data", FREE_SLOT, 0, 16, SEG_DPL(3) | SEG_DIR | SEG_RW, false,
	  "expand-down" },
#ifdef CONFIG_X86_32
	{ "flat 4 GiB", FREE_SLOT, 0, 0x100000, SEG_DPL(1) | SEG_RW, false,
	  "reaches the Switcher" },
#endif
	{ "one byte past the top", FREE_SLOT, 1, 0, SEG_DPL(1) | SEG_RW, false, REACHES_TOP },
	{ "wrapping 4 GiB", FREE_SLOT, 0xfffff000, 2, SEG_DPL(3) | SEG_RW, false, REACHES_TOP },
	{ "64-bit code", FREE_SLOT, 0, 16, SEG_DPL(1) | SEG_CODE | SEG_L, false,
	  "64-bit segment" },
	{ "Switcher code slot", LGUEST_GDT_ENTRY_SWITCHER_CS, 0, 16, SEG_DPL(1) | SEG_CODE, false,
	  "is not the guest's" },
	{ "Switcher data slot", LGUEST_GDT_ENTRY_SWITCHER_DS, 0, 16, SEG_DPL(1) | SEG_RW, false,
	  "is not the guest's" },
	{ "TSS slot", LGUEST_GDT_ENTRY_TSS, 0, 16, SEG_DPL(3) | SEG_RW, false,
	  "is not the guest's" },
	{ "LDT slot", LGUEST_GDT_ENTRY_LDT, 0, 16, SEG_DPL(3) | SEG_RW, false,
	  "is not the guest's" },
	{ "double-fault TSS slot", LGUEST_GDT_ENTRY_DOUBLEFAULT_TSS, 0, 16, SEG_DPL(3) | SEG_RW,
	  false, "is not the guest's" },
	{ "past the table", LGUEST_GDT_ENTRIES, 0, 16, SEG_DPL(3) | SEG_RW, false,
	  "is not the guest's" },
	{ "index 2^32 - 1", 0xffffffff, 0, 16, SEG_DPL(3) | SEG_RW, false, "is not the guest's" },
};

KUNIT_ARRAY_PARAM_DESC(bad_desc, bad_descs, what);

static void gdt_bad_entry_test(struct kunit *test)
{
	const struct bad_desc *d = test->param_value;
	struct lguest *lg = new_lg(test, 16);
	struct desc_struct before[LGUEST_GDT_ENTRIES];
	u32 lo, hi;

	guard(mutex)(&lg->lock);

	memcpy(before, lg->gdt, sizeof(before));
	/* pages 0: as many as reach from 0 to just below the top. */
	seg_desc(d->base, d->pages ?: TOP_PAGES, d->type, &lo, &hi);
	if (d->system)
		hi &= ~SEG_S;
	lguest_load_gdt_entry(lg, d->idx, lo, hi);
	expect_killed(test, lg, d->why);
	KUNIT_EXPECT_MEMEQ(test, before, lg->gdt, sizeof(before));
}

/* The first reason is kept: it is the one that explains the rest. */
static void first_reason_wins_test(struct kunit *test)
{
	struct lguest *lg = new_lg(test, 16);

	guard(mutex)(&lg->lock);

	lguest_load_gdt_entry(lg, LGUEST_GDT_ENTRY_TSS, 0, 0);
	lguest_load_idt_entry(lg, 256, 0, 0);
	expect_killed(test, lg, "GDT entry");
	KUNIT_EXPECT_NULL(test, strstr(lg->dead_reason, "IDT"));
}

/* ---- Selectors and the Switcher's iret ------------------------------ */

static void selector_test(struct kunit *test)
{
	struct lguest *lg = new_lg(test, 16);

	guard(mutex)(&lg->lock);

	KUNIT_EXPECT_TRUE(test, lguest_selector_ok(lg, KERNEL_CS1, 1, true));
	KUNIT_EXPECT_TRUE(test, lguest_selector_ok(lg, KERNEL_DS1, 1, false));
	KUNIT_EXPECT_TRUE(test, lguest_selector_ok(lg, 0, 3, false));
	KUNIT_EXPECT_FALSE(test, lguest_selector_ok(lg, 0, 1, true));
	KUNIT_EXPECT_FALSE(test, lguest_selector_ok(lg, LG_KERNEL_CS, 1, true));	/* RPL 0 */
	KUNIT_EXPECT_FALSE(test, lguest_selector_ok(lg, KERNEL_CS1, 3, true));
	KUNIT_EXPECT_FALSE(test, lguest_selector_ok(lg, KERNEL_DS1, 1, true));	/* data as code */
	KUNIT_EXPECT_FALSE(test, lguest_selector_ok(lg, KERNEL_CS1, 1, false));	/* code as data */
	KUNIT_EXPECT_FALSE(test, lguest_selector_ok(lg, KERNEL_CS1 | SEGMENT_TI_MASK, 1, true));
	KUNIT_EXPECT_FALSE(test, lguest_selector_ok(lg, LGUEST_CS | 1, 1, true));
	KUNIT_EXPECT_FALSE(test, lguest_selector_ok(lg, LGUEST_DS | 1, 1, false));
	KUNIT_EXPECT_FALSE(test, lguest_selector_ok(lg, LGUEST_GDT_ENTRIES << 3 | 1, 1, false));
	KUNIT_EXPECT_FALSE(test, lguest_selector_ok(lg, 0x10000 | KERNEL_CS1, 1, true));
	/* Ring 3 may load the kernel's data selector only if its DPL allows. */
	KUNIT_EXPECT_FALSE(test, lguest_selector_ok(lg, KERNEL_DS1 | 3, 3, false));
}

static void iret_test(struct kunit *test)
{
	struct lguest *lg = new_lg(test, 16);
	u32 limit = lguest_segment_limit(lg, KERNEL_CS1);

	guard(mutex)(&lg->lock);

	KUNIT_EXPECT_LT(test, (u64)limit, lguest_guest_top());
	KUNIT_EXPECT_TRUE(test, lguest_iret_ok(lg, KERNEL_CS1, KERNEL_DS1, 0));
	KUNIT_EXPECT_TRUE(test, lguest_iret_ok(lg, KERNEL_CS1, KERNEL_DS1, limit));
	/* A 64-bit host's kernel segment covers all 4 GiB: nothing lies past it. */
	if (IS_ENABLED(CONFIG_X86_32)) {
		KUNIT_EXPECT_FALSE(test, lguest_iret_ok(lg, KERNEL_CS1, KERNEL_DS1, limit + 1));
		KUNIT_EXPECT_FALSE(test, lguest_iret_ok(lg, KERNEL_CS1, KERNEL_DS1,
							lguest_switcher_addr));
	}
	KUNIT_EXPECT_FALSE(test, lguest_iret_ok(lg, KERNEL_CS1, 1, 0));		/* null stack */
	KUNIT_EXPECT_FALSE(test, lguest_iret_ok(lg, KERNEL_CS1, LG_KERNEL_DS, 0));	/* RPL 0 */
	KUNIT_EXPECT_FALSE(test, lguest_iret_ok(lg, KERNEL_CS1, KERNEL_CS1, 0));	/* code */
	KUNIT_EXPECT_FALSE(test, lguest_iret_ok(lg, LG_KERNEL_CS | 2, LG_KERNEL_DS | 2, 0));
	KUNIT_EXPECT_FALSE(test, lguest_iret_ok(lg, LGUEST_CS | 1, KERNEL_DS1, 0));

	/* A stack must be writable data of exactly the new ring. */
	set_desc(lg, FREE_SLOT, 0, 16, SEG_DPL(1));
	KUNIT_EXPECT_FALSE(test, lguest_iret_ok(lg, KERNEL_CS1, FREE_SLOT << 3 | 1, 0));
	set_desc(lg, FREE_SLOT, 0, 16, SEG_DPL(3) | SEG_RW);
	KUNIT_EXPECT_TRUE(test, lguest_selector_ok(lg, FREE_SLOT << 3 | 1, 1, false));
	KUNIT_EXPECT_FALSE(test, lguest_iret_ok(lg, KERNEL_CS1, FREE_SLOT << 3 | 1, 0));
}

/* ---- Interrupt gates ------------------------------------------------ */

static void idt_good_gate_test(struct kunit *test)
{
	struct lguest *lg = new_lg(test, 16);
	u32 lo, hi;

	guard(mutex)(&lg->lock);

	gate(KERNEL_CS1, 0xc0101000, GATE_TRAP32 | GATE_DPL_BITS(3), &lo, &hi);
	lguest_load_idt_entry(lg, IA32_SYSCALL_VECTOR, lo, hi);
	gate(KERNEL_CS1, 0xc0102000, GATE_INT32 | GATE_DPL_BITS(1), &lo, &hi);
	lguest_load_idt_entry(lg, X86_TRAP_PF, lo, hi);
	expect_alive(test, lg);
	KUNIT_EXPECT_EQ(test, lg->idt[X86_TRAP_PF].lo, lo);
	KUNIT_EXPECT_EQ(test, lg->idt[X86_TRAP_PF].hi, hi);
	KUNIT_EXPECT_TRUE(test, lg->changed & LG_CHANGED_IDT);
}

struct bad_gate {
	const char *what;
	u32 vector, sel, type;
	const char *why;
};

static const struct bad_gate bad_gates[] = {
	{ "vector 256", 256, KERNEL_CS1, GATE_INT32 | GATE_DPL_BITS(1), "is not the guest's" },
	{ "hypercall vector", LGUEST_HCALL_VECTOR, KERNEL_CS1, GATE_INT32 | GATE_DPL_BITS(1),
	  "is not the guest's" },
	{ "task gate", 0x40, KERNEL_CS1, GATE_TASK | GATE_DPL_BITS(1), "not an interrupt or trap" },
	{ "DPL 0", 0x40, KERNEL_CS1, GATE_INT32 | GATE_DPL_BITS(0), "DPL 0 gate" },
	{ "user page fault", X86_TRAP_PF, KERNEL_CS1, GATE_TRAP32 | GATE_DPL_BITS(3),
	  "user mode may not raise it" },
	{ "user external vector", 0x40, KERNEL_CS1, GATE_INT32 | GATE_DPL_BITS(3),
	  "user mode may not raise it" },
	{ "null selector", 0x40, 0, GATE_INT32 | GATE_DPL_BITS(1), "gate into segment" },
	{ "Switcher code", 0x40, LGUEST_CS, GATE_INT32 | GATE_DPL_BITS(1), "gate into segment" },
	{ "LDT selector", 0x40, KERNEL_CS1 | SEGMENT_TI_MASK, GATE_INT32 | GATE_DPL_BITS(1),
	  "gate into segment" },
	{ "past the GDT", 0x40, LGUEST_GDT_ENTRIES << 3 | 1, GATE_INT32 | GATE_DPL_BITS(1),
	  "gate into segment" },
};

KUNIT_ARRAY_PARAM_DESC(bad_gate, bad_gates, what);

static void idt_bad_gate_test(struct kunit *test)
{
	const struct bad_gate *g = test->param_value;
	struct lguest *lg = new_lg(test, 16);
	u32 lo, hi, v;

	guard(mutex)(&lg->lock);

	gate(g->sel, 0xc0101000, g->type, &lo, &hi);
	lguest_load_idt_entry(lg, g->vector, lo, hi);
	expect_killed(test, lg, g->why);
	for (v = 0; v < IDT_ENTRIES; v++)
		KUNIT_EXPECT_EQ_MSG(test, lg->idt[v].hi, 0, "vector %u", v);
}

/*
 * A gate into ring-2 code, which the guest cannot load (see above): the
 * gate check stands on its own all the same.
 */
static void idt_ring2_code_test(struct kunit *test)
{
	struct lguest *lg = new_lg(test, 16);
	u32 lo, hi;

	guard(mutex)(&lg->lock);

	set_desc(lg, FREE_SLOT, 0, 16, SEG_DPL(2) | SEG_CODE | SEG_RW);
	gate(FREE_SLOT << 3 | 1, 0x1000, GATE_INT32 | GATE_DPL_BITS(1), &lo, &hi);
	lguest_load_idt_entry(lg, 0x40, lo, hi);
	expect_killed(test, lg, "gate into ring-2 code");
}

/*
 * The IDT the CPU uses: every vector into the Switcher's stub, in ring 0,
 * raisable by "int" only where the guest's gate allows and the vector is
 * a safe one; the system call alone goes straight to the guest's handler,
 * and only as a trap gate with a kernel stack to switch to.
 */
static void real_idt_test(struct kunit *test)
{
	struct lguest *lg = new_lg(test, 16);
	gate_desc *idt = kunit_kcalloc(test, IDT_ENTRIES, sizeof(*idt), GFP_KERNEL);
	static const u32 dpl3[] = { X86_TRAP_BP, X86_TRAP_NMI, X86_TRAP_MC, 0x40 };
	gate_desc *g;
	u32 lo, hi;
	unsigned int i;

	guard(mutex)(&lg->lock);

	KUNIT_ASSERT_NOT_NULL(test, idt);
	for (i = 0; i < ARRAY_SIZE(dpl3); i++) {
		/* DPL 3 is refused for 0x40: load it as DPL 1. */
		gate(KERNEL_CS1, 0xc0100000, GATE_INT32 | GATE_DPL_BITS(dpl3[i] < 0x20 ? 3 : 1),
		     &lo, &hi);
		lguest_load_idt_entry(lg, dpl3[i], lo, hi);
	}
	/* The guest's own #PF handler, which "int $14" must never reach. */
	gate(KERNEL_CS1, 0xc0104000, GATE_INT32 | GATE_DPL_BITS(1), &lo, &hi);
	lguest_load_idt_entry(lg, X86_TRAP_PF, lo, hi);
	gate(KERNEL_CS1, 0xc0108000, GATE_TRAP32 | GATE_DPL_BITS(3), &lo, &hi);
	lguest_load_idt_entry(lg, IA32_SYSCALL_VECTOR, lo, hi);
	expect_alive(test, lg);

	/* No kernel stack yet: the system call goes through the host. */
	lguest_real_idt(lg, idt);
	g = &idt[IA32_SYSCALL_VECTOR];
	KUNIT_EXPECT_EQ(test, gate_segment(g), LGUEST_CS);
	KUNIT_EXPECT_EQ(test, gate_offset(g), lguest_stub_addr(IA32_SYSCALL_VECTOR));
	KUNIT_EXPECT_EQ(test, gate_dpl(g), 3);

	lg->stack_ss = KERNEL_DS1;
	lg->stack_esp = 0xc0200000;
	lguest_real_idt(lg, idt);
	if (IS_ENABLED(CONFIG_X86_32)) {
		KUNIT_EXPECT_EQ(test, gate_type(g), GATE_TRAP);
		KUNIT_EXPECT_EQ(test, gate_segment(g), KERNEL_CS1);
		KUNIT_EXPECT_EQ(test, gate_offset(g), 0xc0108000UL);
	}

	/*
	 * A long-mode gate leads only to 64-bit code: on a 64-bit host even
	 * the system call goes through the Switcher, and every gate takes
	 * the IST stack lguest_stub_ist() names.
	 */
	for (i = 0; i < IDT_ENTRIES; i++) {
		g = &idt[i];
		if (IS_ENABLED(CONFIG_X86_32) && i == IA32_SYSCALL_VECTOR)
			continue;
		KUNIT_EXPECT_EQ_MSG(test, gate_segment(g), LGUEST_CS, "vector %u", i);
		KUNIT_EXPECT_EQ_MSG(test, gate_type(g), GATE_INTERRUPT, "vector %u", i);
		KUNIT_EXPECT_EQ_MSG(test, gate_offset(g), lguest_stub_addr(i), "vector %u", i);
		KUNIT_EXPECT_EQ_MSG(test, gate_ist(g), lguest_stub_ist(i), "vector %u", i);
	}
	KUNIT_EXPECT_EQ(test, gate_dpl(&idt[IA32_SYSCALL_VECTOR]), 3);
	KUNIT_EXPECT_EQ(test, gate_dpl(&idt[X86_TRAP_BP]), 3);
	KUNIT_EXPECT_EQ(test, gate_dpl(&idt[LGUEST_HCALL_VECTOR]), 1);
	/* The host handles these itself: "int" on them must fault. */
	KUNIT_EXPECT_EQ(test, gate_dpl(&idt[X86_TRAP_NMI]), 0);
	KUNIT_EXPECT_EQ(test, gate_dpl(&idt[X86_TRAP_MC]), 0);
	KUNIT_EXPECT_EQ(test, gate_dpl(&idt[0x40]), 0);
	KUNIT_EXPECT_EQ(test, gate_dpl(&idt[X86_TRAP_PF]), 0);

	/*
	 * Nor into a TLS slot, whose descriptor changes without a rebuild of
	 * this table.
	 */
	set_desc(lg, LGUEST_GDT_ENTRY_TLS_MIN, 0, 16, SEG_DPL(1) | SEG_CODE | SEG_RW);
	gate(LGUEST_GDT_ENTRY_TLS_MIN << 3 | 1, 0xc0108000, GATE_TRAP32 | GATE_DPL_BITS(3),
	     &lo, &hi);
	lguest_load_idt_entry(lg, IA32_SYSCALL_VECTOR, lo, hi);
	expect_alive(test, lg);
	lguest_real_idt(lg, idt);
	KUNIT_EXPECT_EQ(test, gate_segment(&idt[IA32_SYSCALL_VECTOR]), LGUEST_CS);

	/* An interrupt gate must clear IF: only the host can, so no direct path. */
	gate(KERNEL_CS1, 0xc0108000, GATE_INT32 | GATE_DPL_BITS(3), &lo, &hi);
	lguest_load_idt_entry(lg, IA32_SYSCALL_VECTOR, lo, hi);
	lguest_real_idt(lg, idt);
	g = &idt[IA32_SYSCALL_VECTOR];
	KUNIT_EXPECT_EQ(test, gate_segment(g), LGUEST_CS);
	KUNIT_EXPECT_EQ(test, gate_type(g), GATE_INTERRUPT);
	KUNIT_EXPECT_EQ(test, gate_dpl(g), 3);
}

/* ---- Shadow page tables --------------------------------------------- */

/*
 * A guest whose memory is a mapping of the test's own: 64 pages, with
 * its page tables at gpa 0x1000 (top) and 0x3000 (PTEs for 4 MiB at
 * 0x400000; PAE: the middle level at 0x2000), as the Launcher's guest
 * would write them.
 */
#define SH_PAGES	64
#define SH_TOP		0x1000
#define SH_PMD		0x2000
#define SH_PTES		0x3000
#define SH_TOP2		0x5000
#define SH_VA		0x400000
#define SH_FRAME	0x10000
#define SH_USER		(_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED)
#if LG_PAE
#define SH_PDE		(SH_PMD + ((SH_VA >> 21) & 511) * 8)	/* the entry for SH_VA */
#else
#define SH_PDE		(SH_TOP + (SH_VA >> 22) * 4)
#endif

static void put_guest(struct kunit *test, struct lguest *lg, u32 gpa, pteval_t val)
{
	KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)(lg->mem_base + gpa), &val,
					   sizeof(val)), 0);
}

static pteval_t get_guest(struct kunit *test, struct lguest *lg, u32 gpa)
{
	pteval_t val;

	KUNIT_ASSERT_EQ(test, copy_from_user(&val, (void __user *)(lg->mem_base + gpa),
					     sizeof(val)), 0);
	return val;
}

/* Point top's entries for va at the PTE page (and the middle level). */
static void guest_tables(struct kunit *test, struct lguest *lg, u32 top, u32 va)
{
#if LG_PAE
	/* A PDPT entry has no rights bits. */
	put_guest(test, lg, top + (va >> 30) * 8, SH_PMD | _PAGE_PRESENT);
	put_guest(test, lg, SH_PMD + ((va >> 21) & 511) * 8, SH_PTES | SH_USER);
#else
	put_guest(test, lg, top + (va >> 22) * 4, SH_PTES | SH_USER);
#endif
}

static u32 guest_pte_gpa(u32 va)
{
	return SH_PTES + ((va >> PAGE_SHIFT) & (PAGE_SIZE / sizeof(pteval_t) - 1)) *
		sizeof(pteval_t);
}

/* The current shadow's entry for va, walked here by hand; 0 if none. */
static pteval_t shadow_of(struct lguest *lg, u32 va)
{
	pteval_t *t = lg->pgdirs[lg->cur_pgdir].top;
	unsigned int per = PAGE_SIZE / sizeof(pteval_t);

#if LG_PAE
	if (!(t[va >> 30] & _PAGE_PRESENT))
		return 0;
	t = __va(t[va >> 30] & PTE_PFN_MASK);
	t = &t[(va >> 21) & (per - 1)];
#else
	t = &t[va >> 22];
#endif
	if (!(*t & _PAGE_PRESENT))
		return 0;
	t = __va(*t & PTE_PFN_MASK);
	return t[(va >> PAGE_SHIFT) & (per - 1)];
}

/*
 * KUnit cleans up from another thread once the test's own has gone, and
 * with it the mm: hold the mm_struct for the pins' accounting until the
 * pins are given back.
 */
static void free_shadow_guest(void *arg)
{
	struct lguest *lg = arg;

	lguest_free_pagetables(lg);
	mmdrop(lg->mm);
}

static struct lguest *new_shadow_guest(struct kunit *test)
{
	struct lguest *lg = new_lg(test, SH_PAGES);
	unsigned long mem;

	mem = kunit_vm_mmap(test, NULL, 0, SH_PAGES * PAGE_SIZE, PROT_READ | PROT_WRITE,
			    MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_FALSE_MSG(test, !mem || IS_ERR_VALUE(mem) || mem >= TASK_SIZE,
			       "no user memory for the guest: %#lx", mem);
	lg->mem_base = mem;
	lg->mm = current->mm;
	mmgrab(lg->mm);
	lg->page_offset = 0xc0000000;
	/* Registered first: lguest_free_pagetables() undoes a partial setup. */
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, free_shadow_guest, lg), 0);
	scoped_guard(mutex, &lg->lock)
		KUNIT_ASSERT_EQ(test, lguest_init_pagetables(lg), 0);
	guest_tables(test, lg, SH_TOP, SH_VA);
	put_guest(test, lg, guest_pte_gpa(SH_VA), SH_FRAME | SH_USER);
	return lg;
}

/*
 * A fault the guest's tables allow fills one shadow entry: the host page
 * behind the frame, with no more rights than the guest's, and writable
 * only once the guest's entry is dirty.
 */
static void shadow_fill_test(struct kunit *test)
{
	struct lguest *lg = new_shadow_guest(test);
	s64 pinned = atomic64_read(&current->mm->pinned_vm);
	u32 mmio = 0, gpa = 0;
	pteval_t spte;

	guard(mutex)(&lg->lock);

	lguest_new_pagetable(lg, SH_TOP, 0, 0);
	expect_alive(test, lg);
	KUNIT_EXPECT_EQ(test, shadow_of(lg, SH_VA), 0);
	KUNIT_EXPECT_EQ(test, lguest_demand_page(lg, SH_VA, X86_PF_USER, &mmio), 1);
	expect_alive(test, lg);
	spte = shadow_of(lg, SH_VA);
	KUNIT_ASSERT_NOT_NULL(test, lg->pinned[SH_FRAME >> PAGE_SHIFT]);
	KUNIT_EXPECT_EQ(test, spte & PTE_PFN_MASK,
			(pteval_t)page_to_pfn(lg->pinned[SH_FRAME >> PAGE_SHIFT]) << PAGE_SHIFT);
	KUNIT_EXPECT_TRUE(test, spte & _PAGE_USER);
	KUNIT_EXPECT_FALSE(test, spte & _PAGE_RW);
	KUNIT_EXPECT_TRUE(test, lguest_va_to_pa(lg, SH_VA + 0x123, &gpa));
	KUNIT_EXPECT_EQ(test, gpa, SH_FRAME + 0x123);
	/* The pins are charged to the Launcher's mm, a chunk at a time. */
	KUNIT_EXPECT_EQ(test, atomic64_read(&current->mm->pinned_vm) - pinned, 16);

	/* A write: the guest's entry becomes dirty, the shadow writable. */
	KUNIT_EXPECT_EQ(test, lguest_demand_page(lg, SH_VA, X86_PF_USER | X86_PF_WRITE, &mmio), 1);
	KUNIT_EXPECT_TRUE(test, get_guest(test, lg, guest_pte_gpa(SH_VA)) & _PAGE_DIRTY);
	KUNIT_EXPECT_TRUE(test, shadow_of(lg, SH_VA) & _PAGE_RW);

	/*
	 * Table pages below the tops: one PTE page; with PAE also the middle
	 * level it hangs from and, on a 32-bit host, each top's kept one for
	 * the Switcher.
	 */
	KUNIT_EXPECT_EQ(test, lg->shadow_pages,
			!LG_PAE ? 1 : IS_ENABLED(CONFIG_X86_32) ? 2 + LG_PGDIRS : 2);
	lguest_free_pagetables(lg);
	KUNIT_EXPECT_EQ(test, atomic64_read(&current->mm->pinned_vm), pinned);
}

static u32 get_word(struct kunit *test, struct lguest *lg, u32 gpa)
{
	u32 val;

	KUNIT_ASSERT_EQ(test, copy_from_user(&val, (void __user *)(lg->mem_base + gpa),
					     sizeof(val)), 0);
	return val;
}

/*
 * A trap from user mode goes onto the guest's kernel stack as the CPU
 * would push it: error code, eip, cs, eflags, esp and ss from the lowest
 * address up.  The host writes a frame within one page at once, and one
 * across two pages word by word: here the second page's frame lies two
 * pages above the first's.
 */
static void deliver_frame_test(struct kunit *test)
{
	static const u32 tops[] = { SH_VA + 0x800, SH_VA + PAGE_SIZE + 8 };
	struct lguest *lg = new_shadow_guest(test);
	struct lguest_regs regs;
	u32 lo, hi, i, w, va, gpa;

	guard(mutex)(&lg->lock);

	gate(KERNEL_CS1, 0xc0104000, GATE_INT32 | GATE_DPL_BITS(1), &lo, &hi);
	lguest_load_idt_entry(lg, X86_TRAP_PF, lo, hi);
	put_guest(test, lg, guest_pte_gpa(SH_VA + PAGE_SIZE),
		  (SH_FRAME + 2 * PAGE_SIZE) | SH_USER | _PAGE_DIRTY);
	lguest_new_pagetable(lg, SH_TOP, 0, 0);
	lg->regs = &regs;
	lg->stack_ss = KERNEL_DS1;
	for (i = 0; i < ARRAY_SIZE(tops); i++) {
		const u32 want[] = { 0x1234, 0x8048000, 0x73, 0x202, 0xbfff0000, 0x7b };

		regs = (struct lguest_regs){ .errcode = want[0], .eip = want[1], .cs = want[2],
					     .eflags = want[3], .esp = want[4], .ss = want[5] };
		lg->stack_esp = tops[i];
		KUNIT_EXPECT_TRUE(test, lguest_deliver_trap(lg, X86_TRAP_PF, true));
		expect_alive(test, lg);
		KUNIT_EXPECT_EQ(test, regs.esp, tops[i] - sizeof(want));
		KUNIT_EXPECT_EQ(test, regs.cs, KERNEL_CS1);
		KUNIT_EXPECT_EQ(test, regs.eip, 0xc0104000);
		for (w = 0; w < ARRAY_SIZE(want); w++) {
			va = regs.esp + w * 4;
			gpa = SH_FRAME + (va - SH_VA) + (va >= SH_VA + PAGE_SIZE ? PAGE_SIZE : 0);
			/* The frame's IF is the guest's own, off before it set up. */
			KUNIT_EXPECT_EQ_MSG(test, get_word(test, lg, gpa),
					    w == 3 ? want[w] & ~X86_EFLAGS_IF : want[w],
					    "stack top %#x, word %u", tops[i], w);
		}
	}
}

/* What the guest's entry does not allow, the shadow never gets. */
static void shadow_refuse_test(struct kunit *test)
{
	struct lguest *lg = new_shadow_guest(test);
	u32 mmio = 0;

	guard(mutex)(&lg->lock);

	put_guest(test, lg, guest_pte_gpa(SH_VA), SH_FRAME | _PAGE_PRESENT | _PAGE_ACCESSED);
	lguest_new_pagetable(lg, SH_TOP, 0, 0);
	/* Read-only, kernel-only: a user access or a write is the guest's fault. */
	KUNIT_EXPECT_EQ(test, lguest_demand_page(lg, SH_VA, X86_PF_USER, &mmio), 0);
	KUNIT_EXPECT_EQ(test, lguest_demand_page(lg, SH_VA, X86_PF_WRITE, &mmio), 0);
	KUNIT_EXPECT_EQ(test, shadow_of(lg, SH_VA), 0);
	KUNIT_EXPECT_EQ(test, lguest_demand_page(lg, SH_VA + PAGE_SIZE, 0, &mmio), 0);

	/* The directory entry's rights count too: a kernel-only PTE page. */
	put_guest(test, lg, guest_pte_gpa(SH_VA), SH_FRAME | SH_USER | _PAGE_DIRTY);
	put_guest(test, lg, SH_PDE, SH_PTES | _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED);
	KUNIT_EXPECT_EQ(test, lguest_demand_page(lg, SH_VA, X86_PF_USER, &mmio), 0);
	/* ... and a read-only one, which a kernel read may still use. */
	put_guest(test, lg, SH_PDE, SH_PTES | _PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED);
	KUNIT_EXPECT_EQ(test, lguest_demand_page(lg, SH_VA, X86_PF_WRITE, &mmio), 0);
	KUNIT_EXPECT_EQ(test, shadow_of(lg, SH_VA), 0);
	KUNIT_EXPECT_EQ(test, lguest_demand_page(lg, SH_VA, 0, &mmio), 1);
	KUNIT_EXPECT_FALSE(test, shadow_of(lg, SH_VA) & _PAGE_RW);
	expect_alive(test, lg);
}

/*
 * What the directory entry takes away goes into the shadow, never into the
 * guest's own entry: marking it accessed must leave its rights as the guest
 * wrote them.  Under PAE, NX in the directory entry counts as well.
 */
static void shadow_upper_rights_test(struct kunit *test)
{
	struct lguest *lg = new_shadow_guest(test);
	pteval_t pte = SH_FRAME | _PAGE_PRESENT | _PAGE_RW | _PAGE_USER;
	pteval_t nx = __supported_pte_mask & _PAGE_NX;
	u32 mmio = 0;

	guard(mutex)(&lg->lock);

	put_guest(test, lg, guest_pte_gpa(SH_VA), pte);
	put_guest(test, lg, SH_PDE, SH_PTES | _PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED | nx);
	lguest_new_pagetable(lg, SH_TOP, 0, 0);
	if (nx)
		KUNIT_EXPECT_EQ(test, lguest_demand_page(lg, SH_VA, X86_PF_USER | X86_PF_INSTR,
							 &mmio), 0);
	KUNIT_EXPECT_EQ(test, lguest_demand_page(lg, SH_VA, X86_PF_USER, &mmio), 1);
	expect_alive(test, lg);
	KUNIT_EXPECT_EQ(test, get_guest(test, lg, guest_pte_gpa(SH_VA)), pte | _PAGE_ACCESSED);
	KUNIT_EXPECT_FALSE(test, shadow_of(lg, SH_VA) & _PAGE_RW);
	KUNIT_EXPECT_EQ(test, shadow_of(lg, SH_VA) & _PAGE_NX, nx);
}

/* A changed guest entry is forgotten, as a TLB flush of that page. */
static void shadow_set_pte_test(struct kunit *test)
{
	struct lguest *lg = new_shadow_guest(test);
	u32 mmio = 0;

	guard(mutex)(&lg->lock);

	lguest_new_pagetable(lg, SH_TOP, 0, 0);
	KUNIT_ASSERT_EQ(test, lguest_demand_page(lg, SH_VA, X86_PF_USER, &mmio), 1);
	put_guest(test, lg, guest_pte_gpa(SH_VA), (SH_FRAME + PAGE_SIZE) | SH_USER);
	lguest_set_pte(lg, SH_TOP, SH_VA, (SH_FRAME + PAGE_SIZE) | SH_USER);
	KUNIT_EXPECT_EQ(test, shadow_of(lg, SH_VA), 0);
	KUNIT_EXPECT_EQ(test, lguest_demand_page(lg, SH_VA, X86_PF_USER, &mmio), 1);
	KUNIT_EXPECT_EQ(test, shadow_of(lg, SH_VA) & PTE_PFN_MASK,
			(pteval_t)page_to_pfn(lg->pinned[(SH_FRAME >> PAGE_SHIFT) + 1]) <<
			PAGE_SHIFT);
	expect_alive(test, lg);
}

/*
 * Switching page tables keeps a user half only for the same address
 * space at the same TLB generation; without a name (ctx 0) it goes.
 */
static void shadow_switch_test(struct kunit *test)
{
	struct lguest *lg = new_shadow_guest(test);
	u32 mmio = 0;

	guard(mutex)(&lg->lock);

	guest_tables(test, lg, SH_TOP2, SH_VA);
	lguest_new_pagetable(lg, SH_TOP, 7, 1);
	KUNIT_ASSERT_EQ(test, lguest_demand_page(lg, SH_VA, X86_PF_USER, &mmio), 1);
	lguest_new_pagetable(lg, SH_TOP2, 8, 1);
	KUNIT_EXPECT_EQ(test, shadow_of(lg, SH_VA), 0);
	lguest_new_pagetable(lg, SH_TOP, 7, 1);
	KUNIT_EXPECT_NE(test, shadow_of(lg, SH_VA), 0);
	KUNIT_EXPECT_EQ(test, lg->stats.pgdir_kept, 1);
	lguest_new_pagetable(lg, SH_TOP2, 8, 1);
	lguest_new_pagetable(lg, SH_TOP, 9, 1);		/* a new address space there */
	KUNIT_EXPECT_EQ(test, shadow_of(lg, SH_VA), 0);
	KUNIT_ASSERT_EQ(test, lguest_demand_page(lg, SH_VA, X86_PF_USER, &mmio), 1);
	lguest_new_pagetable(lg, SH_TOP2, 8, 1);
	lguest_new_pagetable(lg, SH_TOP, 9, 1);
	KUNIT_EXPECT_NE(test, shadow_of(lg, SH_VA), 0);
	lguest_new_pagetable(lg, SH_TOP2, 8, 1);
	lguest_new_pagetable(lg, SH_TOP, 9, 2);		/* its TLB was flushed */
	KUNIT_EXPECT_EQ(test, shadow_of(lg, SH_VA), 0);
	KUNIT_ASSERT_EQ(test, lguest_demand_page(lg, SH_VA, X86_PF_USER, &mmio), 1);
	lguest_new_pagetable(lg, SH_TOP, 0, 0);		/* no name: a plain CR3 load */
	KUNIT_EXPECT_EQ(test, shadow_of(lg, SH_VA), 0);
	expect_alive(test, lg);
}

struct bad_table {
	const char *what;
	u32 gpa;	/* the guest entry changed, 0 for the PTE of SH_VA */
	pteval_t val;
	u32 va;		/* faulted at */
	bool load_only;	/* the page table's load kills, before any fault */
	const char *why;
};

static const struct bad_table bad_tables[] = {
	{ "frame beyond memory", 0, (SH_PAGES << PAGE_SHIFT) | SH_USER, SH_VA, false,
	  "beyond its memory" },
	{ "frame at 4 GiB - 4 KiB", 0, 0xfffff000 | SH_USER, SH_VA, false, "beyond its memory" },
	{ "large page", SH_PDE, SH_USER | _PAGE_PSE, SH_VA, false, "large page" },
	{ "PTE page beyond memory", SH_PDE, 0x800000 | SH_USER, SH_VA, false,
	  "beyond its memory" },
#if LG_PAE
	{ "middle level beyond memory", SH_TOP, 0x800000 | _PAGE_PRESENT, SH_VA, false,
	  "beyond its memory" },
#endif
#ifdef CONFIG_X86_32
	{ "top maps the Switcher", 0, 0, 0, true, "map the Switcher's area" },
#endif
};

KUNIT_ARRAY_PARAM_DESC(bad_table, bad_tables, what);

static void shadow_bad_entry_test(struct kunit *test)
{
	const struct bad_table *t = test->param_value;
	struct lguest *lg = new_shadow_guest(test);
	u32 mmio = 0;

	guard(mutex)(&lg->lock);

	if (t->load_only) {
		/* The Switcher's directory slot, filled in by the guest. */
		guest_tables(test, lg, SH_TOP2, lguest_switcher_addr);
		lguest_new_pagetable(lg, SH_TOP2, 0, 0);
		expect_killed(test, lg, t->why);
		return;
	}
	put_guest(test, lg, t->gpa ? t->gpa : guest_pte_gpa(SH_VA), t->val);
	lguest_new_pagetable(lg, SH_TOP, 0, 0);
	KUNIT_EXPECT_EQ(test, lguest_demand_page(lg, t->va, X86_PF_USER, &mmio), 0);
	expect_killed(test, lg, t->why);
	KUNIT_EXPECT_EQ(test, shadow_of(lg, t->va), 0);
}

#ifdef CONFIG_X86_32
/* Nothing the guest says may touch the Switcher's slot. */
static void shadow_switcher_slot_test(struct kunit *test)
{
	struct lguest *lg = new_shadow_guest(test);
	u32 mmio = 0, gpa = 0;

	scoped_guard(mutex, &lg->lock)
		lguest_set_pte(lg, SH_TOP, lguest_switcher_addr + PAGE_SIZE, SH_FRAME | SH_USER);
	expect_killed(test, lg, "in the Switcher's area");
	lg = new_shadow_guest(test);
	scoped_guard(mutex, &lg->lock)
		lguest_set_pmd(lg, SH_TOP, lguest_switcher_addr, SH_PTES | SH_USER);
	expect_killed(test, lg, "in the Switcher's area");

	/*
	 * Tables checked at load may be changed afterwards: a guest that then
	 * maps the slot gets neither a translation nor a shadow there.
	 */
	lg = new_shadow_guest(test);
	guard(mutex)(&lg->lock);
	lguest_new_pagetable(lg, SH_TOP, 0, 0);
	guest_tables(test, lg, SH_TOP, lguest_switcher_addr);
	put_guest(test, lg, guest_pte_gpa(lguest_switcher_addr), SH_FRAME | SH_USER);
	KUNIT_EXPECT_TRUE(test, lguest_va_to_pa(lg, SH_VA, &gpa));
	KUNIT_EXPECT_FALSE(test, lguest_va_to_pa(lg, lguest_switcher_addr, &gpa));
	KUNIT_EXPECT_EQ(test, lguest_demand_page(lg, lguest_switcher_addr, X86_PF_USER, &mmio), 0);
	KUNIT_EXPECT_EQ(test, shadow_of(lg, lguest_switcher_addr), 0);
}
#else
/* A 64-bit host's Switcher lies above 4 GiB: the top 4 KiB are the guest's. */
static void shadow_top_of_4g_test(struct kunit *test)
{
	struct lguest *lg = new_shadow_guest(test);
	const u32 va = 0xfffff000;
	u32 mmio = 0, gpa = 0;

	guard(mutex)(&lg->lock);

	guest_tables(test, lg, SH_TOP, va);
	put_guest(test, lg, guest_pte_gpa(va), SH_FRAME | SH_USER);
	lguest_new_pagetable(lg, SH_TOP, 0, 0);
	expect_alive(test, lg);
	KUNIT_EXPECT_TRUE(test, lguest_va_to_pa(lg, va + 0xfff, &gpa));
	KUNIT_EXPECT_EQ(test, gpa, SH_FRAME + 0xfff);
	KUNIT_EXPECT_EQ(test, lguest_demand_page(lg, va, X86_PF_USER, &mmio), 1);
	expect_alive(test, lg);
	KUNIT_EXPECT_TRUE(test, shadow_of(lg, va) & _PAGE_PRESENT);
}
#endif

/*
 * The Switcher's code runs in ring 0 on every guest entry and exit: no
 * mapping of it may be writable, neither its own at the Switcher's address
 * nor the kernel's direct map of its pages.
 */
static void switcher_code_ro_test(struct kunit *test)
{
	unsigned int i, level;
	pte_t *pte;

	if (!lguest_switcher_addr)
		kunit_skip(test, "the lguest host did not start (no Switcher)");
	for (i = 0; i < SWITCHER_CODE_PAGES; i++) {
		pte = lookup_address(lguest_switcher_addr + i * PAGE_SIZE, &level);
		KUNIT_ASSERT_NOT_NULL(test, pte);
		KUNIT_EXPECT_FALSE_MSG(test, pte_write(*pte),
				       "code page %u: writable at the Switcher", i);
		KUNIT_EXPECT_TRUE(test, pte_exec(*pte));
		pte = lookup_address((unsigned long)page_address(lguest_switcher_pages[i]), &level);
		KUNIT_ASSERT_NOT_NULL(test, pte);
		KUNIT_EXPECT_FALSE_MSG(test, pte_write(*pte),
				       "code page %u: writable in the direct map", i);
	}
}

static struct kunit_case lguest_check_cases[] = {
	KUNIT_CASE(address_ok_test),
	KUNIT_CASE(switcher_code_ro_test),
	KUNIT_CASE(gdt_good_entry_test),
	KUNIT_CASE_PARAM(gdt_bad_entry_test, bad_desc_gen_params),
	KUNIT_CASE(first_reason_wins_test),
	KUNIT_CASE(selector_test),
	KUNIT_CASE(iret_test),
	KUNIT_CASE(idt_good_gate_test),
	KUNIT_CASE_PARAM(idt_bad_gate_test, bad_gate_gen_params),
	KUNIT_CASE(idt_ring2_code_test),
	KUNIT_CASE(real_idt_test),
	{}
};

static struct kunit_case lguest_shadow_cases[] = {
	KUNIT_CASE(shadow_fill_test),
	KUNIT_CASE(shadow_refuse_test),
	KUNIT_CASE(deliver_frame_test),
	KUNIT_CASE(shadow_upper_rights_test),
	KUNIT_CASE(shadow_set_pte_test),
	KUNIT_CASE(shadow_switch_test),
	KUNIT_CASE_PARAM(shadow_bad_entry_test, bad_table_gen_params),
#ifdef CONFIG_X86_32
	KUNIT_CASE(shadow_switcher_slot_test),
#else
	KUNIT_CASE(shadow_top_of_4g_test),
#endif
	{}
};

static struct kunit_suite lguest_check_suite = {
	.name = "lguest_checks",
	.test_cases = lguest_check_cases,
};

static struct kunit_suite lguest_shadow_suite = {
	.name = "lguest_shadow",
	.test_cases = lguest_shadow_cases,
};

kunit_test_suites(&lguest_check_suite, &lguest_shadow_suite);
