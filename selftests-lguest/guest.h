/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by the test guest's parts and, for the layout, its Launcher. */
#ifndef _LGUEST_TEST_GUEST_H
#define _LGUEST_TEST_GUEST_H

#include "hostile.h"

#define GUEST_MEM_PAGES	1024			/* 4 MiB */
#define GUEST_MEM_SIZE	(GUEST_MEM_PAGES * 4096)
#define GUEST_LOAD	0x100000
#define MMIO_BASE	0x1000000		/* guest-physical, above memory */
#define MMIO_SIZE	0x1000

/* What the good guest writes through the hypercall ring, for the Launcher. */
#define QUEUED_LINE	"ok the queued console write\n"
#define MMIO_VA		0x3ff000		/* where the guest maps it */
#define MMIO_MAGIC	(MMIO_VA + 0x0)		/* reads "lgst" */
#define MMIO_KICK	(MMIO_VA + 0x10)	/* a write asks for IRQ 1 */

/* Guest memory the hostile cases may use as they like. */
#define SCRATCH		0x380000		/* 64 KiB, page aligned */

/*
 * The Launcher starts the guest with the test number in %ebx and its
 * argument in %ecx (rounds for the loops, the seed for the fuzzer).
 */

#ifndef __ASSEMBLER__
#include <stdint.h>

/* Memory the trap handlers or devices change behind the compiler's back. */
#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define MEM32(addr)		(*(uint32_t *)(addr))
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

#define SEL_KCODE	(12 * 8 + 1)
#define SEL_KDATA	(13 * 8 + 1)
#define SEL_UCODE	(14 * 8 + 3)
#define SEL_UDATA	(15 * 8 + 3)
#define SEL_TEST	(9 * 8 + 1)

struct frame {
	uint32_t edi, esi, ebp, esp, ebx, edx, ecx, eax;	/* pushal */
	uint32_t vector, errcode;
	uint32_t eip, cs, eflags;
	uint32_t esp_user, ss_user;	/* only from ring 3 */
};

/*
 * Probing: set probe_resume to where to go on, run an instruction that
 * may trap, and the handler records what came (probe_vector, ~0 for
 * nothing) and resumes there.  PROBE() wraps one instruction.
 */
extern uint32_t probe_resume, probe_vector, probe_errcode, probe_cr2;

#define PROBE(insn, ...) ({						\
	probe_vector = ~0U;						\
	asm volatile("movl $.Lprobe%=, probe_resume\n\t"		\
		     insn "\n"						\
		     ".Lprobe%=:\n\t"					\
		     "movl $0, probe_resume"				\
		     : : __VA_ARGS__ : "memory");			\
	probe_vector;							\
})

uint32_t hcall(uint32_t nr, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t a4);
void enter_user(void *code, uint32_t esp, uint32_t cs, uint32_t ss);
void hcall_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t *out);
void set_gate_type(int vector, void *handler, int dpl, uint32_t sel, int type);
void set_gate(int vector, void *handler, int dpl, uint32_t sel);
void desc(uint32_t pages, int dpl, int code, uint32_t *lo, uint32_t *hi);
void say(const char *s);
void say_hex(uint32_t v);
void die(const char *why);
void power_off(const char *why);
void user_setup(void);
extern char user_return[];
extern char stub_0[], stub_1[], stub_3[], stub_4[], stub_5[], stub_6[], stub_7[];
extern char stub_10[], stub_11[], stub_12[], stub_13[], stub_14[], stub_16[];
extern char stub_17[], stub_18[], stub_19[], stub_32[], stub_33[], stub_128[];
extern char user_code[], user_hcall[], user_loop[], kstack_top[], stack_top[];
extern struct lguest_data lguest_data;
void hostile(uint32_t test, uint32_t arg);
void trap(struct frame *f);
extern int fix_faults, native_fix;
extern uint32_t gp_faults, user_gp_faults;
extern uint32_t traps[256];
extern int pae;
extern uint32_t top;
void map(uint32_t va, uint64_t pa, uint32_t flags);
void set_pte_natively(uint32_t va, uint64_t val);
void wait_irq(int vector, const char *what);
uint32_t rand32(void);
#endif

#endif
