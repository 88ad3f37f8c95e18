// SPDX-License-Identifier: GPL-2.0
/*
 * The test guest attacking its host, one case at a time (hostile.h lists
 * them and what must come of each).  A case the host must kill never
 * returns; a case the host must refuse checks that it was refused and
 * powers off saying so.  If a case returns, the guest reports that it
 * survived and the test fails.
 */
#include <stdint.h>
#include <stddef.h>
#include <linux/lguest_launcher.h>
#include <asm/lguest_hcall.h>
#include "guest.h"

#define LGUEST_CS_SEL	(LGUEST_GDT_ENTRY_SWITCHER_CS * 8)
#define LGUEST_DS_SEL	(LGUEST_GDT_ENTRY_SWITCHER_DS * 8)
#define LGUEST_CS64_SEL	(LGUEST_GDT_ENTRY_SWITCHER64_CS * 8)
#define LGUEST_DS64_SEL	(LGUEST_GDT_ENTRY_SWITCHER64_DS * 8)

/* A probed instruction that writes a register: the register is var. */
#define PROBE_REG(insn, var) ({						\
	probe_vector = ~0U;						\
	asm volatile("movl $.Lprobe%=, probe_resume\n\t"		\
		     insn "\n"						\
		     ".Lprobe%=:\n\t"					\
		     "movl $0, probe_resume"				\
		     : "+r"(var) : : "memory");				\
	probe_vector;							\
})

int native_fix;

static uint32_t switcher(void)
{
	return -lguest_data.reserve_top;
}

static void gdt(uint32_t idx, uint32_t base, uint32_t pages, int dpl)
{
	uint32_t lo = (base << 16) | (pages & 0xffff);
	uint32_t hi = (base & 0xff000000) | ((base >> 16) & 0xff) | (pages & 0xf0000) |
		0x8000 | 0x1000 | (dpl << 13) | 0x200 | (1 << 22) | (1 << 23);

	hcall(LHCALL_LOAD_GDT_ENTRY, idx, lo, hi, 0);
}

static void gate(int vector, void *handler, int dpl, uint32_t sel)
{
	set_gate(vector, handler, dpl, sel);
}

/* Put a call in the next slot of the ring, as the Linux guest does. */
static void queue(uint32_t nr, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t a4)
{
	uint32_t slot = lguest_data.hcall_next % LHCALL_RING_SIZE;

	if (lguest_data.hcall_status[slot] != LHCALL_SLOT_FREE)
		hcall(LHCALL_FLUSH_ASYNC, 0, 0, 0, 0);
	lguest_data.hcalls[slot] = (struct lguest_hcall_args){ nr, a1, a2, a3, a4 };
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	lguest_data.hcall_status[slot] = LHCALL_SLOT_READY;
	lguest_data.hcall_next = (slot + 1) % LHCALL_RING_SIZE;
}

static void copy(void *dst, const void *src, uint32_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;

	while (n--)
		*d++ = *s++;
}

static void zero(void *dst, uint32_t n)
{
	uint8_t *d = dst;

	while (n--)
		*d++ = 0;
}

/* Our own top-level table entries, as the guest tables are laid out. */
static uint64_t *pae_pdpt(void)
{
	return (uint64_t *)top;
}

static uint64_t *pae_pmd(void)
{
	return (uint64_t *)(uint32_t)(pae_pdpt()[0] & ~0xfffULL);
}

static uint32_t *pgd32(void)
{
	return (uint32_t *)top;
}

/* Set our directory entry for va (in the first GiB with PAE), natively. */
static void set_pde(uint32_t va, uint64_t val)
{
	if (pae)
		pae_pmd()[(va >> 21) & 511] = val;
	else
		pgd32()[va >> 22] = (uint32_t)val;
}

/* Fill a table page with entries that all map pa. */
static void fill_table(uint32_t page, uint64_t pa)
{
	uint32_t i;

	for (i = 0; i < (pae ? 512 : 1024); i++) {
		if (pae)
			((uint64_t *)page)[i] = pa | 0x7;
		else
			((uint32_t *)page)[i] = (uint32_t)pa | 0x7;
	}
}

static void expect_trap(uint32_t got, uint32_t want, const char *what)
{
	if (got == want)
		return;
	say("vector ");
	say_hex(got);
	say("\n");
	die(what);
}

static void pte_clear_switcher(int queued)
{
	uint32_t off;

	for (off = 0; off < 4 * 4096; off += 4096) {
		if (queued)
			queue(LHCALL_SET_PTE, top, switcher() + off, 0, 0);
		else
			hcall(LHCALL_SET_PTE, top, switcher() + off, 0, 0);
	}
	hcall(LHCALL_FLUSH_ASYNC, 0, 0, 0, 0);
	/* If the host let that through, the Switcher is gone: use it. */
	WRITE_ONCE(MEM32(0x200000), 1);
	hcall(LHCALL_FLUSH_ASYNC, 0, 0, 0, 0);
}

static void pgd_top(void)
{
	hcall(LHCALL_SET_PGD, top, 0xc0000000, 0, 0);
	WRITE_ONCE(MEM32(0x200000), 2);
	hcall(LHCALL_FLUSH_TLB, 1, 0, 0, 0);
	WRITE_ONCE(MEM32(0x201000), 3);
	if (READ_ONCE(MEM32(0x200000)) != 2)
		die("memory lost");
	power_off("top gigabyte dropped");
}

/* A copy of our top level that also maps the Switcher's slot. */
static void top_maps_switcher(void)
{
	uint32_t s = switcher();

	if (pae) {
		uint64_t *pdpt = (uint64_t *)SCRATCH, *pmd = (uint64_t *)(SCRATCH + 0x1000);

		zero(pmd, 4096);
		copy(pdpt, pae_pdpt(), 32);
		pmd[(s >> 21) & 511] = (pae_pmd()[0] & ~0xfffULL) | 0x7;
		pdpt[s >> 30] = (uint32_t)pmd | 0x1;
	} else {
		uint32_t *pgd = (uint32_t *)SCRATCH;

		copy(pgd, pgd32(), 4096);
		pgd[s >> 22] = pgd32()[0];
	}
	hcall(LHCALL_NEW_PGTABLE, SCRATCH, 0, 0, 0);
}

/*
 * A 64-bit host keeps nothing of its own in our 4 GiB: its top 2 MiB map
 * our memory like any other address (here the PTE page of 2-4 MiB).
 */
static void top_of_4g(void)
{
	uint64_t *pdpt = (uint64_t *)SCRATCH, *pmd = (uint64_t *)(SCRATCH + 0x1000);
	uint32_t top = 0xffe80000, low = 0x280000;

	zero(pmd, 4096);
	copy(pdpt, pae_pdpt(), 32);
	pmd[511] = (pae_pmd()[1] & ~0xfffULL) | 0x7;
	pdpt[3] = (uint32_t)pmd | 0x1;
	hcall(LHCALL_NEW_PGTABLE, SCRATCH, 0, 0, 0);
	WRITE_ONCE(MEM32(top), 0x4c475354);
	WRITE_ONCE(MEM32(low + 4), 0x34474221);
	if (READ_ONCE(MEM32(low)) != 0x4c475354 || READ_ONCE(MEM32(top + 4)) != 0x34474221) {
		say_hex(READ_ONCE(MEM32(top)));
		say(" at the top, ");
		say_hex(READ_ONCE(MEM32(low)));
		say(" below\n");
		die("the top page is not the page it maps");
	}
	power_off("top of 4 GiB is ours");
}

/*
 * The Switcher's pages are beyond our segments: on hardware every access
 * is a #GP.  QEMU's TCG checks no segment limits, and there the page
 * tables must hold instead: the code and the state page (found with
 * sidt) are read-only, and what we scribble on our register page must
 * not matter to the host.
 */
static void switcher_pages(void)
{
	uint32_t code = switcher(), state, regs, v, i, limits;
	uint16_t idtr[3];	/* limit, base */

	asm volatile("sidt %0" : "=m"(idtr));
	state = (idtr[1] | (uint32_t)idtr[2] << 16) & ~0xfffU;
	regs = state - 4096;
	v = code;
	limits = PROBE_REG("movl (%0), %0", v) == 13;
	say(limits ? "segment limits hold\n" : "no segment limits here\n");
	if (PROBE("movl %0, (%0)", "r"(code)) == ~0U)
		die("wrote the Switcher's code");
	if (PROBE("movl %0, (%0)", "r"(state + 64)) == ~0U)
		die("wrote the state page");
	v = state;
	expect_trap(PROBE_REG("movl %%ss:(%0), %0", v), limits ? 12 : ~0U, "read through %ss");
	/* Our register page, all but the registers themselves: garbage. */
	for (i = 0; i < 4096 - 18 * 4; i += 4)
		if (PROBE("movl %0, (%1)", "r"(~0U), "r"(regs + i)) != (limits ? 13 : ~0U))
			die("the register page behaved oddly");
	hcall(LHCALL_FLUSH_ASYNC, 0, 0, 0, 0);
	WRITE_ONCE(MEM32(0x200000), 9);
	hcall(LHCALL_SET_CLOCKEVENT, 1000, 0, 0, 0);
	wait_irq(32, NULL);
	power_off("Switcher pages held");
}

static void pte_ignored_bits(void)
{
	uint64_t bits = 0x100 | 0x80 | 0xe00 | 0x18;
	uint32_t before = traps[14];

	if (pae)
		bits |= 0x7fULL << 52;
	map(0x301000, 0x301000 | bits, 0x7);
	WRITE_ONCE(MEM32(0x301000), 0x5a5a);
	if (READ_ONCE(MEM32(0x301000)) != 0x5a5a || traps[14] != before)
		die("ignored bits broke the mapping");
	power_off("ignored bits dropped");
}

static void pte_above_4g(void)
{
	if (pae)
		map(0x302000, 0x100000000ULL | 0x302000, 0x3);
	else
		map(0x302000, 0xfffff000, 0x3);
	WRITE_ONCE(MEM32(0x302000), 1);
}

/* A directory entry for 4 MiB up (PAE: 4-6 MiB), then a touch there. */
static void bad_pde(uint64_t val)
{
	set_pde(0x400000, val);
	WRITE_ONCE(MEM32(0x400000), 1);
}

static void pdpte_beyond_memory(void)
{
	if (pae)
		pae_pdpt()[1] = 0x4000000 | 0x1;
	else
		pgd32()[0x40000000 >> 22] = 0x4000000 | 0x7;
	WRITE_ONCE(MEM32(0x40000000), 1);
}

/* Our top level copied into the last bytes of memory, and used from there. */
static void top_at_end(void)
{
	uint32_t size = pae ? 32 : 4096, at = GUEST_MEM_SIZE - size;

	/* The last page is MMIO in our tables: reach it through another one. */
	map(0x3fe000, GUEST_MEM_SIZE - 4096, 0x3);
	copy((void *)(0x3fe000 + 4096 - size), (void *)top, size);
	hcall(LHCALL_NEW_PGTABLE, at, 0, 0, 0);
	WRITE_ONCE(MEM32(0x200000), 5);
	WRITE_ONCE(MEM32(0x280000), 6);
	hcall(LHCALL_FLUSH_TLB, 0, 0, 0, 0);
	if (READ_ONCE(MEM32(0x200000)) != 5)
		die("memory lost");
	hcall(LHCALL_NEW_PGTABLE, top, 0, 0, 0);
	power_off("top at the end of memory");
}

/*
 * Map one page at every address we can, then touch them all: the host
 * must neither pin that page more than once nor keep shadows without
 * bound.
 */
static void shadow_flood(uint32_t pages)
{
	uint32_t flood = SCRATCH + 0x1000, va, newtop = SCRATCH + 0x2000, i, sum = 0;

	MEM32(SCRATCH) = 0x600d;
	fill_table(flood, SCRATCH);
	if (pae) {
		uint64_t *pdpt = (uint64_t *)newtop;

		zero(pdpt, 4096);
		for (i = 0; i < 3; i++) {
			uint32_t pmd = SCRATCH + 0x3000 + i * 0x1000;

			fill_table(pmd, flood);
			pdpt[i] = pmd | 0x1;
		}
		copy((void *)(SCRATCH + 0x3000), pae_pmd(), 2 * 8);
	} else {
		fill_table(newtop, flood);
		copy((void *)newtop, pgd32(), 4);
		zero((void *)(newtop + (0xc0000000 >> 20)), 4096 - (0xc0000000 >> 20));
	}
	hcall(LHCALL_NEW_PGTABLE, newtop, 0, 0, 0);
	for (i = 0, va = 0x400000; i < pages && va < 0xc0000000; i++, va += 4096)
		sum += READ_ONCE(MEM32(va));
	hcall(LHCALL_NEW_PGTABLE, top, 0, 0, 0);
	if (sum != pages * READ_ONCE(MEM32(SCRATCH)))
		die("the flood read wrong data");
	power_off("flood survived");
}

/*
 * What malloc and free of a large buffer do: map a page, touch it, unmap
 * it, over and over.  Our fault handler maps natively, as Linux does, so
 * every round is a fault at the same place, and a resolved fault and a
 * flush after it.
 */
static void map_unmap_loop(uint32_t rounds)
{
	uint32_t i;

	native_fix = 1;
	for (i = 0; i < rounds; i++) {
		WRITE_ONCE(MEM32(0x305000), i);
		map(0x305000, 0, 0);
	}
	native_fix = 0;
	power_off("loop survived");
}

static void int_host_vector(void)
{
	/*
	 * Raising the NMI or an external vector with "int" would run the
	 * host's handlers: it must be a #GP instead, even with a DPL 1 gate.
	 */
	gate(2, stub_3, 1, SEL_KCODE);
	gate(40, stub_3, 1, SEL_KCODE);
	expect_trap(PROBE("int $2"), 13, "int $2");
	expect_trap(PROBE("int $40"), 13, "int $40");
	power_off("host vectors refused");
}

static void int_mc_vector(void)
{
	gate(18, stub_18, 1, SEL_KCODE);
	expect_trap(PROBE("int $18"), 13, "int $18");
	power_off("machine check refused");
}

static void ldt_selector(void)
{
	uint32_t v = 7;

	/* An LDT selector, index 0, RPL 3: with no LDT, #GP(4). */
	expect_trap(PROBE("movl %0, %%fs", "r"(v)), 13, "an LDT selector loaded");
	if (probe_errcode != 4)
		die("not the LDT's #GP");
	expect_trap(PROBE("lcall $7, $0"), 13, "an LDT call gate");
	expect_trap(PROBE("ljmp $0xf, $0"), 13, "an LDT code segment");
	power_off("no LDT");
}

static void switcher_selectors(void)
{
	/* Both hosts' Switcher slots, and the TSS, LDT and double-fault TSS. */
	uint32_t sel[] = { LGUEST_DS_SEL, LGUEST_DS_SEL | 1, LGUEST_DS_SEL | 3,
			   LGUEST_CS_SEL | 1, LGUEST_DS64_SEL, LGUEST_DS64_SEL | 1,
			   LGUEST_CS64_SEL | 1, 16 * 8, 17 * 8, 31 * 8 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sel); i++)
		expect_trap(PROBE("movl %0, %%gs", "r"(sel[i])), 13, "loaded a host selector");
	expect_trap(PROBE("lcall %0, $0", "i"(LGUEST_CS_SEL)), 13, "called the Switcher's code");
	expect_trap(PROBE("ljmp %0, $0", "i"(LGUEST_CS_SEL | 1)), 13,
		    "jumped to the Switcher's code");
	expect_trap(PROBE("lcall %0, $0", "i"(LGUEST_CS64_SEL)), 13,
		    "called a 64-bit host's code");
	expect_trap(PROBE("ljmp %0, $0", "i"(LGUEST_CS64_SEL | 1)), 13,
		    "jumped to a 64-bit host's code");
	power_off("Switcher segments refused");
}

/*
 * %fs holds a TLS selector the host has seen and found good; then the
 * entry goes.  The host must not resume us with that %fs (its Switcher
 * would reload it in ring 0): it is cleared, as a CPU would refuse it,
 * however the host remembers what it checked before.
 */
static void tls_pulled(void)
{
	static uint32_t tls[3][2];
	uint32_t fs, sel = (6 << 3) | 1;	/* GDT_ENTRY_TLS_MIN, RPL 1 */

	tls[0][0] = 0xffff;
	tls[0][1] = 0x8000 | 0x1000 | (1 << 13) | 0x200 | (1 << 22);	/* DPL 1 data */
	hcall(LHCALL_LOAD_TLS, (uint32_t)tls, 0, 0, 0);
	asm volatile("movl %0, %%fs" : : "r"(sel));
	hcall(LHCALL_SEND_INTERRUPTS, 0, 0, 0, 0);	/* an exit with %fs loaded */
	asm volatile("movl %%fs, %0" : "=r"(fs));
	if (fs != sel)
		die("the good TLS selector did not survive an exit");
	tls[0][0] = 0;
	tls[0][1] = 0;
	hcall(LHCALL_LOAD_TLS, (uint32_t)tls, 0, 0, 0);
	asm volatile("movl %%fs, %0" : "=r"(fs));
	if (fs)
		die("resumed with a selector whose descriptor is gone");
	power_off("stale selector cleared");
}

/*
 * lguest_data.cr2_unshadowed is a promise: no shadow entry maps the page
 * of the fault just given back, so the guest may change its entry without
 * a flush.  Take it at its word: a page read (shadowed read-only), a write
 * refused, then the entry moved to another page natively.  The next read
 * must see the other page, and the host must withdraw the promise once it
 * shadows the page again.  (Our memory is the user half: HF_KERNEL_HALF.)
 */
static void unshadowed_promise(void)
{
	uint32_t x = 0x201000, y = 0x202000, v;

	MEM32(x) = 1;
	MEM32(y) = 2;
	map(x, x, 0x5);				/* read-only, and the host told */
	if (MEM32(x) != 1)
		die("lost the page's contents");
	if (PROBE("movl $3, 0x201000") != 14)
		die("a write to a read-only page did not fault");
	if (lguest_data.cr2 != x || !lguest_data.cr2_unshadowed)
		die("the host made no promise for the refused write");
	set_pte_natively(x, y | 0x7);
	v = MEM32(x);
	if (v != 2)
		die("a stale shadow entry after the host promised none");
	if (lguest_data.cr2_unshadowed)
		die("the promise outlived a new shadow entry");
	map(x, x, 0x7);
	power_off("no stale entry");
}

static void stack_in_switcher(void)
{
	user_setup();
	hcall(LHCALL_SET_STACK, SEL_KDATA, switcher() + 0x3000, 0, 0);
	enter_user(user_code, (uint32_t)stack_top - 4096, SEL_UCODE, SEL_UDATA);
}

/*
 * A ring-1 iret of our own, to the Switcher's first byte.  Hardware
 * refuses it (beyond our code segment); TCG lets us run the Switcher's
 * code, but in ring 1, where it traps before long, and the host will not
 * resume a guest beyond its code segment.  Either way, no ring 0.
 */
static void iret_to_switcher(void)
{
	uint32_t eax = SCRATCH;		/* where its stores would go */

	probe_vector = ~0U;
	asm volatile("movl %%esp, %%edi\n\t"
		     "movl $1f, probe_resume\n\t"
		     "pushfl\n\t"
		     "pushl %%cs\n\t"
		     "pushl %1\n\t"
		     "iret\n"
		     "1:\tmovl %%edi, %%esp\n\t"
		     "movl $0, probe_resume"
		     : "+a"(eax) : "r"(switcher())
		     : "edi", "ebx", "ecx", "edx", "esi", "memory");
	if (probe_vector == ~0U)
		die("came back from the Switcher without a trap");
	power_off("no ring 0 for the guest");
}

static void hcall_from_user(void)
{
	user_setup();
	user_gp_faults = 1;
	enter_user(user_hcall, (uint32_t)stack_top - 4096, SEL_UCODE, SEL_UDATA);
	if (user_gp_faults != 2)
		die("a user hypercall got through");
	power_off("user hypercall refused");
}

static void console_at_end(void)
{
	hcall(LHCALL_CONSOLE_WRITE, GUEST_MEM_SIZE - 16, 16, 0, 0);
	power_off("console at the end of memory");
}

static void ring_full(void)
{
	uint32_t round, i;

	for (round = 0; round < 100; round++) {
		for (i = 0; i < LHCALL_RING_SIZE; i++)
			queue(i & 1 ? LHCALL_SET_CLOCKEVENT : LHCALL_FLUSH_TLB, 0, 0, 0, 0);
		hcall(LHCALL_FLUSH_ASYNC, 0, 0, 0, 0);
		for (i = 0; i < LHCALL_RING_SIZE; i++)
			if (lguest_data.hcall_status[i] != LHCALL_SLOT_FREE)
				die("a slot left full");
	}
	power_off("ring emptied");
}

/* The host keeps its own index into the ring; ours means nothing to it. */
static void ring_guest_index(void)
{
	unsigned int i;

	for (i = 0; i < LHCALL_RING_SIZE; i++)
		lguest_data.hcall_status[i] = 0x55;
	lguest_data.hcall_next = 0xffffffff;
	hcall(LHCALL_FLUSH_ASYNC, 0, 0, 0, 0);
	for (i = 0; i < LHCALL_RING_SIZE; i++) {
		if (lguest_data.hcall_status[i] != 0x55)
			die("a slot that was not ready was run");
		lguest_data.hcall_status[i] = LHCALL_SLOT_FREE;
	}
	lguest_data.hcalls[0] = (struct lguest_hcall_args){ LHCALL_SET_CLOCKEVENT, 0, 0, 0, 0 };
	lguest_data.hcall_status[0] = LHCALL_SLOT_READY;
	hcall(LHCALL_FLUSH_ASYNC, 0, 0, 0, 0);
	if (lguest_data.hcall_status[0] != LHCALL_SLOT_FREE)
		die("the host lost its place");
	lguest_data.hcall_next = 1;
	power_off("guest index ignored");
}

/* Calls in the ring while the Launcher scribbles over it (HF_RING_RACE). */
static void ring_race(uint32_t rounds)
{
	uint32_t i;

	for (i = 0; i < rounds; i++) {
		queue(LHCALL_SET_CLOCKEVENT, 0, 0, 0, 0);
		queue(LHCALL_FLUSH_TLB, 0, 0, 0, 0);
		if (!(i % 16))
			hcall(LHCALL_FLUSH_ASYNC, 0, 0, 0, 0);
	}
	power_off("race over");
}

static void cpuid_leaves(void)
{
	static const uint32_t bases[] = { 0, 0x40000000, 0x80000000, 0xc0000000 };
	static const uint32_t odd[] = { 0x4fffffff, 0x8fffffff, 0xffffffff, 0x7fffffff };
	uint32_t r[4], b, l, sub;

	for (b = 0; b < 4; b++)
		for (l = 0; l < 0x30; l++)
			for (sub = 0; sub < 3; sub++)
				hcall_cpuid(bases[b] + l, sub == 2 ? 0xffffffff : sub, r);
	for (b = 0; b < 4; b++)
		hcall_cpuid(odd[b], 0, r);
	hcall_cpuid(1, 0, r);
	if (r[3] & ((1 << 11) | (1 << 13) | (1 << 9)))
		die("leaf 1 unfiltered");
	power_off("cpuid answered");
}

static void clock_extremes(void)
{
	static const uint32_t ns[] = { 0xffffffff, 1, 0, 0x80000000, 0x7fffffff, 2, 999 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ns); i++)
		hcall(LHCALL_SET_CLOCKEVENT, ns[i], 0, 0, 0);
	traps[32] = 0;
	hcall(LHCALL_SET_CLOCKEVENT, 1000, 0, 0, 0);
	wait_irq(32, NULL);
	if (!traps[32])
		die("no tick after the extremes");
	hcall(LHCALL_SET_CLOCKEVENT, 0xffffffff, 0, 0, 0);
	hcall(LHCALL_SET_CLOCKEVENT, 0, 0, 0, 0);
	power_off("clock survived");
}

static void port_and_msr(void)
{
	uint32_t in32 = 0, in16 = 0, msr = 1;

	probe_vector = ~0U;
	asm volatile("movl $1f, probe_resume\n\t"
		     "inl $0x60, %%eax\n\t"
		     "movl %%eax, %0\n\t"
		     "movl $0x70, %%edx\n\t"
		     "xorl %%eax, %%eax\n\t"
		     ".byte 0x66\n\t"
		     "inl (%%dx), %%eax\n\t"
		     "movl %%eax, %1\n\t"
		     "outb %%al, $0x80\n\t"
		     "movl $0x10, %%ecx\n\t"
		     "rdmsr\n\t"
		     "movl %%eax, %2\n\t"
		     "wrmsr\n"
		     "1:\tmovl $0, probe_resume"
		     : "=m"(in32), "=m"(in16), "=m"(msr) : : "eax", "ecx", "edx", "memory");
	if (probe_vector != ~0U)
		die("a privileged instruction was not emulated");
	if (in32 != ~0U || in16 != 0xffff || msr)
		die("emulated with the wrong results");
	power_off("port I/O and MSRs emulated");
}

/* A 1-byte "in" in the last byte of memory, the next page unmapped. */
static void insn_at_end(void)
{
	uint32_t va = 0x3fd000 + 4095;

	map(0x3fd000, GUEST_MEM_SIZE - 4096, 0x7);
	map(0x3fe000, 0, 0);
	MEM32(0x3fd000 + 4092) = 0xec000000;	/* ...then "in (%dx), %al" */
	expect_trap(PROBE("jmp *%0", "r"(va)), 14, "ran past the end");
	if (probe_cr2 != 0x3fe000)
		die("wrong fault after the emulated insn");
	power_off("emulated at the end of memory");
}

static void debug_regs(void)
{
	uint32_t v = 0;

	expect_trap(PROBE_REG("movl %%dr7, %0", v), 13, "read DR7");
	expect_trap(PROBE("movl %0, %%dr7", "r"(0xffU)), 13, "wrote DR7");
	expect_trap(PROBE("movl %0, %%dr0", "r"(WATCHED_VA)), 13, "wrote DR0");
	power_off("debug registers refused");
}

/* The host has a breakpoint on WATCHED_VA in its own address space. */
static void host_breakpoint(void)
{
	uint32_t i;

	for (i = 0; i < 1000; i++) {
		WRITE_ONCE(MEM32(WATCHED_VA), i);
		(void)READ_ONCE(MEM32(WATCHED_VA));
	}
	if (traps[1])
		die("the host's breakpoint fired in the guest");
	power_off("no host breakpoint");
}

/* The Launcher left a secret in the upper half of %ymm0 (HF_AVX). */
static void avx_state(void)
{
	uint32_t v = 0;

	if (PROBE("vextractf128 $1, %%ymm0, %%xmm1") == 6)
		power_off("no AVX for the guest");
	asm volatile("movd %%xmm1, %0" : "=r"(v));
	say("the upper half of %ymm0 holds ");
	say_hex(v);
	say("\n");
	if (v == 0x5ec7e7)
		die("the Launcher's AVX state leaked");
	die("AVX works in the guest, on the host's registers");
}

static void try_sysenter(void)
{
	uint32_t v = PROBE("sysenter");

	if (v != 13 && v != 6)
		expect_trap(v, 13, "SYSENTER got through");
	power_off("SYSENTER refused");
}

/* A host that lets this through to ring 0 must kill us (switcher_64.S). */
static void try_syscall(void)
{
	expect_trap(PROBE("syscall"), 6, "SYSCALL got through");
	power_off("SYSCALL refused");
}

/*
 * A 64-bit code segment of ring 1: a far jump to it would leave
 * compatibility mode on a 64-bit host.  Loading it must kill us.
 */
static void gdt_long_mode(void)
{
	uint32_t lo, hi;

	desc(0xfffff, 1, 1, &lo, &hi);
	hi = (hi & ~(1U << 22)) | (1U << 21);	/* L, and D clear as L wants */
	hcall(LHCALL_LOAD_GDT_ENTRY, 9, lo, hi, 0);
	asm volatile("ljmp $0x49, $1f\n1:");
}

/* Random hypercalls and traps with values a host might trip over. */
static uint32_t nasty(void)
{
	const uint32_t pool[] = {
		0, 1, 2, 3, 4, 7, 0x1f, 0x20, 0x7f, 0x80, 0xff, 0x100, 0xfff, 0x1000,
		0xffff, 0x10000, GUEST_MEM_SIZE - 1, GUEST_MEM_SIZE, GUEST_MEM_SIZE - 4,
		GUEST_MEM_SIZE - 32, GUEST_MEM_SIZE + 0x1000, MMIO_BASE, MMIO_VA,
		switcher(), switcher() + 0x1000, switcher() + 0x2000, switcher() + 0x3000,
		switcher() - 1, switcher() - 0x1000, 0x7fffffff, 0x80000000, 0xbfffffff,
		0xc0000000, 0xfffff000, 0xfffffff0, 0xffffffff, top, (uint32_t)&lguest_data,
		SCRATCH, 0x300000, 0x200000, LGUEST_CS_SEL, LGUEST_DS_SEL | 1, SEL_KCODE,
		SEL_KDATA, SEL_UCODE, SEL_UDATA, 0x8000 | 0x1000 | (1 << 13) | 0x200,
	};
	uint32_t r = rand32();

	if (r & 1)
		return pool[(r >> 1) % ARRAY_SIZE(pool)];
	if (r & 2)
		return rand32() & 0x3ff000;
	return rand32();
}

static void fuzz_hypercalls(uint32_t ops)
{
	uint32_t i, nr, v;

	for (i = 0; i < ops; i++) {
		switch (rand32() % 8) {
		case 0:
		case 1:
		case 2:
			nr = rand32() % 24;
			if (nr == LHCALL_SHUTDOWN && (rand32() & 7))
				nr = LHCALL_FLUSH_ASYNC;
			hcall(nr, nasty(), nasty(), nasty(), nasty());
			break;
		case 3:
			nr = rand32() % 24;
			queue(nr == LHCALL_HALT ? LHCALL_SET_CLOCKEVENT : nr,
			      nasty(), nasty(), nasty(), nasty());
			break;
		case 4:
			v = nasty();
			PROBE_REG("movl (%0), %0", v);
			break;
		case 5:
			v = nasty() & 0xffff;
			PROBE("movl %0, %%gs", "r"(v));
			asm volatile("movl %0, %%gs" : : "r"(0));
			break;
		case 6:
			v = rand32();
			map(0x300000 + (v % 16) * 4096,
			    (uint64_t)nasty() << (v & 0x100 ? 0 : 12), rand32() & 0xfff);
			break;
		case 7:
			lguest_data.irq_enabled = rand32() & 0x200;
			hcall(LHCALL_SEND_INTERRUPTS, 0, 0, 0, 0);
			lguest_data.irq_enabled = 0;
			break;
		}
	}
	power_off("fuzzing done");
}

/* Ordinary work, for as long as asked: the NMI test runs this. */
static void do_work(uint32_t rounds)
{
	uint32_t i;

	user_setup();
	for (i = 0; i < rounds; i++) {
		WRITE_ONCE(MEM32(0x306000), i);
		map(0x306000, 0, 0);
		enter_user(user_code, (uint32_t)stack_top - 4096, SEL_UCODE, SEL_UDATA);
		if (!(i % 64)) {
			hcall(LHCALL_SET_CLOCKEVENT, 20000, 0, 0, 0);
			wait_irq(32, NULL);
			traps[32] = 0;
		}
		queue(LHCALL_FLUSH_TLB, 0, 0, 0, 0);
	}
	power_off("the work is done");
}

void hostile(uint32_t test, uint32_t arg)
{
	static uint32_t tls[3][2];
	uint32_t i;

	switch (test) {
	case HOSTILE_PTE_BEYOND_MEMORY:
		map(0x302000, 0x8000000, 0x3);		/* 128 MiB: not ours */
		WRITE_ONCE(MEM32(0x302000), 1);
		break;
	case HOSTILE_PTE_SWITCHER:
		hcall(LHCALL_SET_PTE, top, switcher(), 0x1000 | 0x3, 0);
		break;
	case HOSTILE_PTE_CLEAR_SWITCHER:
		pte_clear_switcher(0);
		break;
	case HOSTILE_PTE_CLEAR_SWITCHER_ASYNC:
		pte_clear_switcher(1);
		break;
	case HOSTILE_PMD_SWITCHER:
		hcall(LHCALL_SET_PMD, top, switcher(), 0x2000 | 0x7, 0);
		break;
	case HOSTILE_PMD_CLEAR_SWITCHER:
		hcall(LHCALL_SET_PMD, top, switcher(), 0, 0);
		WRITE_ONCE(MEM32(0x200000), 1);
		break;
	case HOSTILE_PGD_TOP:
		pgd_top();
		break;
	case HOSTILE_TOP_MAPS_SWITCHER:
		top_maps_switcher();
		break;
	case HOSTILE_TOP_OF_4G:
		top_of_4g();
		break;
	case HOSTILE_SWITCHER_PAGES:
		switcher_pages();
		break;
	case HOSTILE_PTE_IGNORED_BITS:
		pte_ignored_bits();
		break;
	case HOSTILE_PTE_ABOVE_4G:
		pte_above_4g();
		break;
	case HOSTILE_PDE_LARGE:
		bad_pde(0x400000 | 0x83);
		break;
	case HOSTILE_PDE_BEYOND_MEMORY:
		bad_pde(0x4000000 | 0x7);
		break;
	case HOSTILE_PDPTE_BEYOND_MEMORY:
		pdpte_beyond_memory();
		break;
	case HOSTILE_TOP_MISALIGNED:
		hcall(LHCALL_NEW_PGTABLE, top + (pae ? 8 : 0x10), 0, 0, 0);
		break;
	case HOSTILE_TOP_BEYOND_MEMORY:
		hcall(LHCALL_NEW_PGTABLE, GUEST_MEM_SIZE, 0, 0, 0);
		break;
	case HOSTILE_TOP_AT_END:
		top_at_end();
		break;
	case HOSTILE_SHADOW_FLOOD:
		shadow_flood(arg ? arg : 200000);
		break;
	case HOSTILE_MAP_UNMAP_LOOP:
		map_unmap_loop(arg ? arg : 1000000);
		break;
	case HOSTILE_IDT_DPL0:
		gate(40, stub_3, 0, SEL_KCODE & ~3);
		break;
	case HOSTILE_IDT_SWITCHER_CS:
		gate(40, stub_3, 1, LGUEST_CS_SEL);
		break;
	case HOSTILE_IDT_HOST64_CS:
		gate(40, stub_3, 1, LGUEST_CS64_SEL);
		break;
	case HOSTILE_IDT_TASK_GATE:
		set_gate_type(40, 0, 1, SEL_KCODE, 0x5);
		break;
	case HOSTILE_IDT_VECTOR_RANGE:
		hcall(LHCALL_LOAD_IDT_ENTRY, 256, SEL_KCODE << 16, 0x8e00, 0);
		break;
	case HOSTILE_IDT_HCALL_VECTOR:
		gate(0x1f, stub_3, 1, SEL_KCODE);
		break;
	case HOSTILE_IDT_USER_ERRCODE:
		gate(14, stub_14, 3, SEL_KCODE);
		break;
	case HOSTILE_IDT_LDT_SELECTOR:
		gate(40, stub_3, 1, SEL_KCODE | 4);
		break;
	case HOSTILE_HANDLER_BEYOND_LIMIT:
		/* A handler past the end of its code segment (the Switcher's page). */
		gate(3, (void *)switcher(), 3, SEL_KCODE);
		asm volatile("int3");
		break;
	case HOSTILE_INT_HOST_VECTOR:
		int_host_vector();
		break;
	case HOSTILE_INT_MC_VECTOR:
		int_mc_vector();
		break;
	case HOSTILE_GDT_DPL0:
		gdt(9, 0, 0x3ff, 0);
		break;
	case HOSTILE_GDT_REACHES_SWITCHER:
		gdt(9, 0, 0xfffff, 1);
		break;
	case HOSTILE_GDT_WRAPS:
		/* Byte-granular, base 0xfffff000, limit 0x1fff: past 4 GiB. */
		hcall(LHCALL_LOAD_GDT_ENTRY, 9, (0xf000U << 16) | 0x1fff,
		      0xff000000 | 0xff | 0x8000 | 0x1000 | (1 << 13) | 0x200 | (1 << 22), 0);
		break;
	case HOSTILE_GDT_SYSTEM:
		/* A call gate to the Switcher's code, for ring 3. */
		hcall(LHCALL_LOAD_GDT_ENTRY, 9, LGUEST_CS_SEL << 16, 0x8000 | (3 << 13) | 0xc00, 0);
		break;
	case HOSTILE_GDT_RESERVED:
		gdt(10, 0, 0x3ff, 1);
		break;
	case HOSTILE_GDT_TSS_SLOT:
		gdt(16, 0, 0x3ff, 1);
		break;
	case HOSTILE_GDT_INDEX_RANGE:
		gdt(32, 0, 0x3ff, 1);
		break;
	case HOSTILE_GDT_CONFORMING:
		hcall(LHCALL_LOAD_GDT_ENTRY, 9, 0x3ff,
		      0x8000 | 0x1000 | (1 << 13) | 0xe00 | (1 << 22) | (1 << 23), 0);
		break;
	case HOSTILE_GDT_EXPAND_DOWN:
		hcall(LHCALL_LOAD_GDT_ENTRY, 9, 0x3ff,
		      0x8000 | 0x1000 | (1 << 13) | 0x600 | (1 << 22) | (1 << 23), 0);
		break;
	case HOSTILE_TLS_DPL0:
		tls[1][0] = 0xffff;
		tls[1][1] = 0x8000 | 0x1000 | 0x200 | (1 << 22);	/* DPL 0 */
		hcall(LHCALL_LOAD_TLS, (uint32_t)tls, 0, 0, 0);
		break;
	case HOSTILE_TLS_REACHES_SWITCHER:
		i = switcher() - 0x1000;
		tls[2][0] = (i << 16) | 0x1fff;
		tls[2][1] = (i & 0xff000000) | ((i >> 16) & 0xff) | 0x8000 | 0x1000 |
			(3 << 13) | 0x200 | (1 << 22);
		hcall(LHCALL_LOAD_TLS, (uint32_t)tls, 0, 0, 0);
		break;
	case HOSTILE_TLS_BAD_ADDRESS:
		hcall(LHCALL_LOAD_TLS, GUEST_MEM_SIZE - 8, 0, 0, 0);
		break;
	case HOSTILE_TLS_PULLED:
		tls_pulled();
		break;
	case HOSTILE_UNSHADOWED_PROMISE:
		unshadowed_promise();
		break;
	case HOSTILE_LDT_SELECTOR:
		ldt_selector();
		break;
	case HOSTILE_SWITCHER_SELECTORS:
		switcher_selectors();
		break;
	case HOSTILE_GDT_LONG_MODE:
		gdt_long_mode();
		break;
	case HOSTILE_STACK_OUTSIDE:
		/* A trap with the stack pointer far outside memory. */
		asm volatile("movl %%esp, %%ebx\n\tmovl $0x7ff00000, %%esp\n\tint3\n\t"
			     "movl %%ebx, %%esp" : : : "ebx", "memory");
		break;
	case HOSTILE_STACK_SWITCHER:
		stack_in_switcher();
		break;
	case HOSTILE_STACK_BAD_SEGMENT:
		hcall(LHCALL_SET_STACK, LGUEST_DS_SEL | 1, (uint32_t)kstack_top, 0, 0);
		break;
	case HOSTILE_IRET_SWITCHER:
		iret_to_switcher();
		break;
	case HOSTILE_HCALL_BAD_ADDRESS:
		hcall(LHCALL_CONSOLE_WRITE, 0x7ffff000, 16, 0, 0);
		break;
	case HOSTILE_HCALL_BAD_LENGTH:
		hcall(LHCALL_CONSOLE_WRITE, 0x100000, 0xfffffff0, 0, 0);
		break;
	case HOSTILE_HCALL_WRAPS:
		hcall(LHCALL_CONSOLE_WRITE, 0xfffffff0, 0x20, 0, 0);
		break;
	case HOSTILE_HCALL_UNKNOWN:
		hcall(999, 0, 0, 0, 0);
		break;
	case HOSTILE_HCALL_BEFORE_INIT:
		hcall(LHCALL_SET_PTE, 0, 0, 0, 0);
		break;
	case HOSTILE_INIT_BAD_ADDRESS:
		hcall(LHCALL_INIT, GUEST_MEM_SIZE - 100, 0, 0, 0);
		break;
	case HOSTILE_INIT_MISALIGNED:
		hcall(LHCALL_INIT, (uint32_t)&lguest_data + 1, 0, 0, 0);
		break;
	case HOSTILE_INIT_TWICE:
		hcall(LHCALL_INIT, (uint32_t)&lguest_data, 0, 0, 0);
		break;
	case HOSTILE_HCALL_FROM_USER:
		hcall_from_user();
		break;
	case HOSTILE_CONSOLE_AT_END:
		console_at_end();
		break;
	case HOSTILE_SHUTDOWN_BAD:
		hcall(LHCALL_SHUTDOWN, 99, 0, 0, 0);
		break;
	case HOSTILE_SHUTDOWN_AT_END:
		hcall(LHCALL_SHUTDOWN, LGUEST_SHUTDOWN_POWEROFF, GUEST_MEM_SIZE - 3, 0, 0);
		break;
	case HOSTILE_RING_FORBIDDEN:
		queue(LHCALL_HALT, 0, 0, 0, 0);
		hcall(LHCALL_FLUSH_ASYNC, 0, 0, 0, 0);
		break;
	case HOSTILE_RING_UNKNOWN:
		queue(999, 0, 0, 0, 0);
		hcall(LHCALL_FLUSH_ASYNC, 0, 0, 0, 0);
		break;
	case HOSTILE_RING_FULL:
		ring_full();
		break;
	case HOSTILE_RING_GUEST_INDEX:
		ring_guest_index();
		break;
	case HOSTILE_RING_RACE:
		ring_race(arg ? arg : 20000);
		break;
	case HOSTILE_CPUID_LEAVES:
		cpuid_leaves();
		break;
	case HOSTILE_CLOCK_EXTREMES:
		clock_extremes();
		break;
	case HOSTILE_HCALL_STORM:
		for (i = 0; i < (arg ? arg : 200000); i++)
			hcall(LHCALL_FLUSH_ASYNC, 0, 0, 0, 0);
		power_off("storm over");
		break;
	case HOSTILE_IRQ_STORM:
		/* Tick as fast as allowed and never take an interrupt. */
		for (i = 0; i < (arg ? arg : 200000); i++)
			hcall(LHCALL_SET_CLOCKEVENT, 1, 0, 0, 0);
		power_off("storm over");
		break;
	case HOSTILE_PORT_MSR:
		port_and_msr();
		break;
	case HOSTILE_INSN_AT_END:
		insn_at_end();
		break;
	case HOSTILE_DEBUG_REGS:
		debug_regs();
		break;
	case HOSTILE_HOST_BREAKPOINT:
		host_breakpoint();
		break;
	case HOSTILE_AVX_STATE:
		avx_state();
		break;
	case HOSTILE_SYSENTER:
		try_sysenter();
		break;
	case HOSTILE_SYSCALL:
		try_syscall();
		break;
	case HOSTILE_FAULT_LOOP:
		/* Fault, "handle" it without fixing anything, fault again... */
		WRITE_ONCE(fix_faults, 0);
		WRITE_ONCE(MEM32(0x300000), 1);
		break;
	case HOSTILE_SPIN:
		/* Keep pages mapped and the timer busy, forever. */
		for (i = 0;; i++) {
			WRITE_ONCE(MEM32(0x200000 + (i % 256) * 4096), i);
			hcall(LHCALL_SET_CLOCKEVENT, 10000, 0, 0, 0);
		}
		break;
	case HOSTILE_FUZZ:
		fuzz_hypercalls(2000);
		break;
	case HOSTILE_WORK:
		do_work(arg ? arg : 2000);
		break;
	}
}
