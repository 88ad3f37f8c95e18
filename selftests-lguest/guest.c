// SPDX-License-Identifier: GPL-2.0
/*
 * A tiny lguest guest that is not Linux.  It runs in ring 1 and exercises
 * the host: every hypercall, its own IDT and GDT entries, a page fault the
 * host resolves and one it reflects, the timer, an interrupt injected by
 * the Launcher, a trip to ring 3 and back, and a clean power-off.  Given a
 * hostile test number it instead attacks the host (hostile.c), which must
 * kill it or refuse it.  The Launcher (lguest_test.c) checks what it
 * prints and how it ends.
 *
 * Layout: loaded at 1 MiB, 4 MiB of memory, an MMIO window at 16 MiB.
 */
#include <stdint.h>
#include <stddef.h>
#include <linux/lguest_launcher.h>
#include <asm/lguest_hcall.h>
#include "guest.h"

_Alignas(4096) struct lguest_data lguest_data;

/* Page tables: a top level, one middle level (PAE) and two PTE pages. */
static _Alignas(4096) uint64_t pdpt[4];
static _Alignas(4096) uint32_t pgd[1024];
static _Alignas(4096) uint64_t pmd[512];
static _Alignas(4096) uint32_t pte32[1][1024];
static _Alignas(4096) uint64_t pte64[2][512];
int pae;
uint32_t top;

uint32_t traps[256];
static uint32_t last_cr2, user_calls, user_call_if, step_eip;
uint32_t gp_faults, user_gp_faults;
int fix_faults = 1;
uint32_t probe_resume, probe_vector, probe_errcode, probe_cr2;
static uint32_t tls[3][2];

static size_t len(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

void say(const char *s)
{
	hcall(LHCALL_CONSOLE_WRITE, (uint32_t)s, len(s), 0, 0);
}

void say_hex(uint32_t v)
{
	static char buf[11] = "0x";
	int i;

	for (i = 0; i < 8; i++)
		buf[2 + i] = "0123456789abcdef"[(v >> (28 - 4 * i)) & 0xf];
	buf[10] = '\0';
	say(buf);
}

void power_off(const char *why)
{
	hcall(LHCALL_SHUTDOWN, LGUEST_SHUTDOWN_POWEROFF, (uint32_t)why, 0, 0);
}

void die(const char *why)
{
	say("FAIL ");
	say(why);
	say("\n");
	power_off("failed");
}

static void check(int ok, const char *what)
{
	if (!ok)
		die(what);
	say("ok ");
	say(what);
	say("\n");
}

/* A small generator for the loops and the fuzzer: xorshift. */
static uint32_t rand_state = 2463534242U;

uint32_t rand32(void)
{
	rand_state ^= rand_state << 13;
	rand_state ^= rand_state >> 17;
	rand_state ^= rand_state << 5;
	return rand_state;
}

/* A segment descriptor: base 0, limit in pages, given DPL and type. */
void desc(uint32_t pages, int dpl, int code, uint32_t *lo, uint32_t *hi)
{
	*lo = pages & 0xffff;
	*hi = (pages & 0xf0000) | 0x8000 | 0x1000 | (dpl << 13) | (1 << 22) | (1 << 23) |
		(code ? 0xa00 : 0x200);
}

void set_gate_type(int vector, void *handler, int dpl, uint32_t sel, int type)
{
	uint32_t lo = (sel << 16) | ((uint32_t)handler & 0xffff);
	uint32_t hi = ((uint32_t)handler & 0xffff0000) | 0x8000 | (dpl << 13) | (type << 8);

	hcall(LHCALL_LOAD_IDT_ENTRY, vector, lo, hi, 0);
}

/* An interrupt gate, the usual kind. */
void set_gate(int vector, void *handler, int dpl, uint32_t sel)
{
	set_gate_type(vector, handler, dpl, sel, 0xe);
}

/* Our PTE for va, which must be in the first 4 MiB. */
static uint32_t *pte_slot(uint32_t va, uint64_t **slot64)
{
	*slot64 = NULL;
	if (pae) {
		*slot64 = &pte64[(va >> 21) & 1][(va >> 12) & 511];
		return NULL;
	}
	return &pte32[0][(va >> 12) & 1023];
}

/* Write our entry for va without telling the host. */
void set_pte_natively(uint32_t va, uint64_t val)
{
	uint64_t *p64;
	uint32_t *p32 = pte_slot(va, &p64);

	if (p64)
		*p64 = val;
	else
		*p32 = (uint32_t)val;
}

/*
 * Map va to itself without telling the host, as Linux does in its fault
 * handler: a not-present entry the host cannot have a shadow of.
 */
static void map_natively(uint32_t va)
{
	set_pte_natively(va, va | 0x7);
}

/* Map va to pa in our tables, and tell the host. */
void map(uint32_t va, uint64_t pa, uint32_t flags)
{
	uint64_t *p64;
	uint32_t *p32 = pte_slot(va, &p64);
	uint64_t val = pa | flags;

	if (p64)
		*p64 = val;
	else
		*p32 = (uint32_t)val;
	hcall(LHCALL_SET_PTE, top, va, (uint32_t)val, (uint32_t)(val >> 32));
}

/*
 * Identity-map the first 4 MiB (PAE: 2 MiB, two PTE pages for 0-4 MiB),
 * user-accessible so that ring 3 can run our code, and switch to it.
 */
static void setup_paging(void)
{
	uint32_t i;

	for (i = 0; i < 1024; i++) {
		if (pae)
			pte64[i / 512][i % 512] = (i << 12) | 0x7;
		else
			pte32[0][i] = (i << 12) | 0x7;
	}
	if (pae) {
		pmd[0] = (uint32_t)pte64[0] | 0x7;
		pmd[1] = (uint32_t)pte64[1] | 0x7;
		pdpt[0] = (uint32_t)pmd | 0x1;
		top = (uint32_t)pdpt;
	} else {
		pgd[0] = (uint32_t)pte32[0] | 0x7;
		top = (uint32_t)pgd;
	}
	/* Leave one page out, for a fault that is ours to fix. */
	map(0x300000, 0, 0);
	hcall(LHCALL_NEW_PGTABLE, top, 0, 0, 0);
}

void trap(struct frame *f)
{
	traps[f->vector]++;
	/* A probed instruction trapped: note what, and go on after it. */
	if (probe_resume && f->vector < 32 && (f->cs & 3) == 1) {
		probe_vector = f->vector;
		probe_errcode = f->errcode;
		if (f->vector == 14)
			probe_cr2 = lguest_data.cr2;
		f->eip = probe_resume;
		probe_resume = 0;
		return;
	}
	switch (f->vector) {
	case 14:
		last_cr2 = lguest_data.cr2;
		if (native_fix)
			map_natively(last_cr2 & ~0xfffU);
		else if (READ_ONCE(fix_faults))
			map(last_cr2 & ~0xfffU, last_cr2 & ~0xfffU, 0x7);
		break;
	case 13:
		/* User mode trying what it may not: step over "int $n". */
		if ((f->cs & 3) == 3 && user_gp_faults) {
			user_gp_faults++;
			f->eip += 2;
			break;
		}
		/* Only the hostile test that expects it: skip "int $n". */
		if (!gp_faults)
			die("unexpected #GP");
		gp_faults++;
		f->eip += 2;
		break;
	case 1:
		/* Our own single step: one trap, then no more. */
		step_eip = f->eip;
		f->eflags &= ~0x100;
		break;
	case 3:
	case 32:
	case 33:
		break;
	case 128:
		if (f->eax != 0x5eed)
			die("bad system call");
		user_calls++;
		user_call_if = f->eflags & 0x200;
		/* Back to the kernel, where enter_user() left it. */
		f->eip = (uint32_t)user_return;
		f->cs = SEL_KCODE;
		f->eflags = 0x2;
		break;
	default:
		say("vector ");
		say_hex(f->vector);
		say(" at ");
		say_hex(f->eip);
		say("\n");
		die("unexpected vector");
	}
}

/* Segments and a kernel stack for ring 3. */
void user_setup(void)
{
	uint32_t lo, hi, pages = (-lguest_data.reserve_top >> 12) - 1;

	desc(pages, 3, 1, &lo, &hi);
	hcall(LHCALL_LOAD_GDT_ENTRY, 14, lo, hi, 0);
	desc(pages, 3, 0, &lo, &hi);
	hcall(LHCALL_LOAD_GDT_ENTRY, 15, lo, hi, 0);
	hcall(LHCALL_SET_STACK, SEL_KDATA, (uint32_t)kstack_top, 0, 0);
}

static void test_user_mode(void)
{
	user_setup();
	/*
	 * Through the host, the frame carries our virtual interrupt flag
	 * (off); straight from the CPU, through a trap gate, the real one.
	 */
	enter_user(user_code, (uint32_t)stack_top - 4096, SEL_UCODE, SEL_UDATA);
	check(READ_ONCE(user_calls) == 1 && !user_call_if, "ring 3 system call via the host");
	set_gate_type(128, stub_128, 3, SEL_KCODE, 0xf);
	enter_user(user_code, (uint32_t)stack_top - 4096, SEL_UCODE, SEL_UDATA);
	/*
	 * A 64-bit host (no reserve at the top) has no direct gate: long-mode
	 * gates lead to 64-bit code only, so the call still goes through it.
	 */
	if (lguest_data.reserve_top)
		check(READ_ONCE(user_calls) == 2 && user_call_if, "ring 3 system call, direct");
	else
		check(READ_ONCE(user_calls) == 2 && !user_call_if,
		      "ring 3 system call through a 64-bit host");
	set_gate(128, stub_128, 3, SEL_KCODE);
}

static void test_segments(void)
{
	uint32_t lo, hi, v = 0;
	static uint32_t probe = 0x1234abcd;

	desc(0x3ff, 1, 0, &lo, &hi);
	hcall(LHCALL_LOAD_GDT_ENTRY, 9, lo, hi, 0);
	asm volatile("movl %1, %%fs\n\tmovl %%fs:(%2), %0\n\tmovl %3, %%fs"
		     : "=r"(v) : "r"(SEL_TEST), "r"(&probe), "r"(0) : "memory");
	check(v == 0x1234abcd, "own GDT entry");
	desc(0x3ff, 3, 0, &tls[0][0], &tls[0][1]);
	hcall(LHCALL_LOAD_TLS, (uint32_t)tls, 0, 0, 0);
	check(1, "TLS entries");
}

static void test_faults(void)
{
	WRITE_ONCE(MEM32(0x300010), 42);
	check(READ_ONCE(traps[14]) == 1 && READ_ONCE(last_cr2) == 0x300010 &&
	      READ_ONCE(MEM32(0x300010)) == 42, "reflected page fault");
	/* 2 MiB up: mapped in our tables, shadowed by the host on demand. */
	WRITE_ONCE(MEM32(0x200000), 7);
	check(READ_ONCE(traps[14]) == 1 && READ_ONCE(MEM32(0x200000)) == 7,
	      "page fault resolved by the host");
	asm volatile("int3");
	check(READ_ONCE(traps[3]) == 1, "own IDT entry (int3)");
}

/*
 * One single step in ring 1.  A 64-bit host takes #DB, like NMIs, #MC and
 * #DF, on a stack of its own: the registers and the frame must still come
 * back to us whole, and the step must trap where it stopped.
 */
static void test_single_step(void)
{
	uint32_t a = 0xa1a1a1a1, b = 0xb2b2b2b2, c = 0xc3c3c3c3, d = 0xd4d4d4d4;
	uint32_t si = 0x5e5e5e5e, di = 0xd1d1d1d1, after;

	asm volatile("pushfl\n\t"
		     "orl $0x100, (%%esp)\n\t"
		     "popfl\n\t"
		     "nop\n"
		     "1:\tmovl $1b, %6"
		     : "+a"(a), "+b"(b), "+c"(c), "+d"(d), "+S"(si), "+D"(di), "=m"(after)
		     : : "memory", "cc");
	check(READ_ONCE(traps[1]) == 1 && READ_ONCE(step_eip) == after &&
	      a == 0xa1a1a1a1 && b == 0xb2b2b2b2 && c == 0xc3c3c3c3 &&
	      d == 0xd4d4d4d4 && si == 0x5e5e5e5e && di == 0xd1d1d1d1,
	      "single step: the frame and the registers");
}

/* The CPU as the host lets us see it, against what the CPU says. */
static void test_cpuid(void)
{
	uint32_t r[4], raw[4];
	int i;

	const char *sig = "LguestLguest";
	const char *got = (const char *)&r[1];

	hcall_cpuid(LGUEST_CPUID_LEAF, 0, r);
	for (i = 0; i < 12 && got[i] == sig[i]; i++)
		;
	check(r[0] == LGUEST_CPUID_LEAF && i == 12, "cpuid: hypervisor leaf");
	hcall_cpuid(1, 0, r);
	asm volatile("cpuid" : "=a"(raw[0]), "=b"(raw[1]), "=c"(raw[2]), "=d"(raw[3])
		     : "a"(1), "c"(0));
	/* No SEP (11), PGE (13), APIC (9), MCE (7), PSE (3); hypervisor (31). */
	check(!(r[3] & ((1 << 11) | (1 << 13) | (1 << 9) | (1 << 7) | (1 << 3))) &&
	      (r[2] & (1U << 31)) && !(r[2] & ((1 << 26) | (1 << 5))),
	      "cpuid: leaf 1 filtered");
	check(!(r[3] & ~raw[3]) && !(r[2] & ~raw[2] & ~(1U << 31)) &&
	      (r[3] & 1), "cpuid: nothing the CPU lacks");
	hcall_cpuid(0xd, 0, r);
	for (i = 0; i < 4 && !r[i]; i++)
		;
	check(i == 4, "cpuid: no XSAVE leaf");
}

static const char queued_line[] = QUEUED_LINE;

static void test_async(void)
{
	uint32_t slot = lguest_data.hcall_next;
	uint64_t *p64;
	uint32_t *p32 = pte_slot(0x301000, &p64);
	uint32_t val = 0x301000 | 0x7;

	if (p64)
		*p64 = val;
	else
		*p32 = val;
	lguest_data.hcalls[slot] = (struct lguest_hcall_args){ LHCALL_SET_PTE,
		top, 0x301000, val, 0 };
	lguest_data.hcall_status[slot] = LHCALL_SLOT_READY;
	lguest_data.hcall_next = (slot + 1) % LHCALL_RING_SIZE;
	hcall(LHCALL_FLUSH_ASYNC, 0, 0, 0, 0);
	check(lguest_data.hcall_status[slot] == LHCALL_SLOT_FREE, "queued hypercall");

	/*
	 * A queued call and then a synchronous one that both stop for the
	 * Launcher: it must see both (lguest_test looks for the first line).
	 */
	slot = lguest_data.hcall_next;
	lguest_data.hcalls[slot] = (struct lguest_hcall_args){ LHCALL_CONSOLE_WRITE,
		(uint32_t)queued_line, len(queued_line), 0, 0 };
	lguest_data.hcall_status[slot] = LHCALL_SLOT_READY;
	lguest_data.hcall_next = (slot + 1) % LHCALL_RING_SIZE;
	check(1, "a console write after a queued one");
	hcall(LHCALL_FLUSH_TLB, 0, 0, 0, 0);
	hcall(LHCALL_FLUSH_TLB, 1, 0, 0, 0);
	hcall(LHCALL_SET_PMD, top, 0x400000, 0, 0);
	if (pae)
		hcall(LHCALL_SET_PGD, top, 0x40000000, 0, 0);
	WRITE_ONCE(MEM32(0x301000), 1);
	check(READ_ONCE(traps[14]) == 1, "flushes and table updates");
}

/*
 * Wait for a vector the way the guest kernel idles (lg_safe_halt()): halt
 * with interrupts off, which the host ends as soon as one is pending, and
 * only then turn them on to take it.  Halting with them on would lose one
 * delivered between the check and the halt, and sleep for good.
 */
void wait_irq(int vector, const char *what)
{
	int i;

	lguest_data.irq_enabled = 0;
	for (i = 0; i < 1000 && !READ_ONCE(traps[vector]); i++) {
		hcall(LHCALL_HALT, 0, 0, 0, 0);
		lguest_data.irq_enabled = 0x200;
		hcall(LHCALL_SEND_INTERRUPTS, 0, 0, 0, 0);
		lguest_data.irq_enabled = 0;
	}
	if (what)
		check(READ_ONCE(traps[vector]) > 0, what);
}

static void test_interrupts(void)
{
	hcall(LHCALL_SET_CLOCKEVENT, 1000000, 0, 0, 0);
	wait_irq(32, "timer interrupt");
	/* Ask the Launcher, through a device register, for IRQ 1. */
	WRITE_ONCE(MEM32(MMIO_KICK), 1);
	wait_irq(33, "injected interrupt");
	hcall(LHCALL_SEND_INTERRUPTS, 0, 0, 0, 0);
	check(READ_ONCE(MEM32(MMIO_MAGIC)) == 0x6c677374, "MMIO read");
}

/* Our handlers, for every exception we might take. */
static void set_gates(void)
{
	static const struct { int vector; char *stub; int dpl; } gates[] = {
		{ 1, stub_1, 1 }, { 3, stub_3, 3 }, { 6, stub_6, 1 },
		{ 13, stub_13, 1 }, { 14, stub_14, 1 }, { 32, stub_32, 1 },
		{ 33, stub_33, 1 }, { 128, stub_128, 3 },
	};
	static const struct { int vector; char *stub; } others[] = {
		{ 0, stub_0 }, { 4, stub_4 }, { 5, stub_5 }, { 7, stub_7 },
		{ 10, stub_10 }, { 11, stub_11 }, { 12, stub_12 }, { 16, stub_16 },
		{ 17, stub_17 }, { 19, stub_19 },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(gates); i++)
		set_gate(gates[i].vector, gates[i].stub, gates[i].dpl, SEL_KCODE);
	for (i = 0; i < ARRAY_SIZE(others); i++)
		set_gate(others[i].vector, others[i].stub, 1, SEL_KCODE);
}

static void good_guest(void)
{
	uint32_t lo, hi;

	test_faults();
	test_single_step();
	test_segments();
	test_cpuid();
	test_async();
	test_interrupts();
	test_user_mode();
	/* A code segment reaching just below the Switcher is fine. */
	desc((-lguest_data.reserve_top >> 12) - 1, 1, 1, &lo, &hi);
	hcall(LHCALL_LOAD_GDT_ENTRY, 9, lo, hi, 0);
	say("guest: all done\n");
	power_off("test guest done");
}

void guest_main(uint32_t test, uint32_t arg)
{
	say("guest: hello from ring 1\n");
	if (test < HOSTILE_MAX && test != HOSTILE_NONE)
		rand_state ^= arg * 2654435761U;
	if (test == HOSTILE_HCALL_BEFORE_INIT || test == HOSTILE_INIT_BAD_ADDRESS ||
	    test == HOSTILE_INIT_MISALIGNED) {
		hostile(test, arg);
		die("survived a hostile act");
		return;
	}
	hcall(LHCALL_INIT, (uint32_t)&lguest_data, 0, 0, 0);
	pae = lguest_data.paging_levels == 3;
	/*
	 * A 32-bit host reserves a whole number of directory slots at the top
	 * for its Switcher, a 64-bit host (whose Switcher is above 4 GiB) none.
	 */
	check(!(lguest_data.reserve_top & 0x1fffff) && lguest_data.mem_pages == GUEST_MEM_PAGES,
	      "LHCALL_INIT");
	set_gates();
	setup_paging();
	map(MMIO_VA, MMIO_BASE, 0x3);

	if (test) {
		hostile(test, arg);
		die("survived a hostile act");
		return;
	}
	good_guest();
}
