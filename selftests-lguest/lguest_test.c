// SPDX-License-Identifier: GPL-2.0
/*
 * lguest_test: run the test guest through /dev/lguest and check it.
 *
 *   lguest_test [--guest FILE] [--only NAME] [--runs N] [--kills N]
 *		 [--fuzz SECONDS] [--quick | --long] [--work SECONDS]
 *		 [--bench-hcall N] [--module lg.ko]
 *
 * It runs the well-behaved guest; each hostile guest of hostile.h, whose
 * outcome must be the one listed below, followed by a well-behaved guest;
 * the Launcher's own attacks (registers, a setup that fails, random
 * ioctls from two threads with forks, unmaps and closes); the host's
 * statistics in debugfs and its tracepoints, where the kernel has them;
 * the test guest as a hypercall fuzzer with one seed after another; four
 * guests at once; Launchers killed in mid-run and many ordinary runs,
 * after which no pinned page and no memory may be missing.  It reports in
 * KTAP through kselftest.h, one result per case, and skips when there is
 * no /dev/lguest to use.  With --module, the host module is loaded first
 * and must unload afterwards without leaving memory behind.  --work runs
 * four guests of ordinary work for that long and nothing else (the NMI
 * test's load); --bench-hcall N times N hypercalls.
 *
 * Run the standard way (run_kselftest.sh), the options come from
 * KSELFTEST_LGUEST_TEST_ARGS.  The test guest is looked for beside this
 * program, wherever it was installed.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include <asm/ldt.h>
#include <linux/capability.h>
#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>
#include <linux/lguest_launcher.h>
#include <asm/lguest_hcall.h>
#include "guest.h"
#include "../kselftest.h"

static char guest_path[4096];
static const char *guest_file = guest_path;
static const char *only;
static const char *module;
static int runs = 1000, kills = 20, fuzz_seconds = 30, work_seconds;
static long bench_calls;
static bool long_run, quick;

struct result {
	struct lguest_exit exit;
	struct lguest_stats stats;
	char console[4096];
	size_t console_len;
	int error;			/* an errno, if the Launcher side failed */
	bool timed_out;			/* the watchdog had to stop it */
	struct lguest_vcpu_regs regs;	/* where it was when it stopped */
};

/*
 * A KTAP diagnostic: one "# " line, whatever it quotes.  Guest consoles
 * and exit messages are the guest's to write, and a line break in them
 * could otherwise put a result of the guest's own into the output.
 */
static void __printf(1, 2) diag(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	char *p;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	for (p = line; *p; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			*p = ' ';
	ksft_print_msg("%s\n", line);
}

/* One KTAP result; on failure a diagnostic line says why first. */
static void __printf(3, 4) result(bool ok, const char *name, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	if (!ok) {
		va_start(ap, fmt);
		vsnprintf(why, sizeof(why), fmt, ap);
		va_end(ap);
		diag("%s: %s", name, why);
	}
	ksft_test_result(ok, "%s\n", name);
}

/* What a guest printed, as KTAP diagnostics: one "# " line each. */
static void print_console(const char *buf, size_t len)
{
	const char *end = buf + len, *nl;

	while (buf < end) {
		nl = memchr(buf, '\n', end - buf);
		if (!nl)
			nl = end;
		diag("  | %.*s", (int)(nl - buf), buf);
		buf = nl + 1;
	}
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

/* Where the guest's lguest_data is (its symbol), for the ring racer. */
static uint32_t data_gpa;

static void find_data(int fd, const Elf32_Ehdr *eh)
{
	Elf32_Shdr sh, strs;
	Elf32_Sym sym;
	char name[16];
	int i;
	uint32_t j;

	for (i = 0; i < eh->e_shnum; i++) {
		if (pread(fd, &sh, sizeof(sh), eh->e_shoff + i * sizeof(sh)) != sizeof(sh))
			return;
		if (sh.sh_type != SHT_SYMTAB ||
		    pread(fd, &strs, sizeof(strs), eh->e_shoff + sh.sh_link * sizeof(strs)) !=
		    sizeof(strs))
			continue;
		for (j = 0; j < sh.sh_size / sizeof(sym); j++) {
			if (pread(fd, &sym, sizeof(sym), sh.sh_offset + j * sizeof(sym)) !=
			    sizeof(sym) ||
			    pread(fd, name, sizeof(name), strs.sh_offset + sym.st_name) <= 0)
				return;
			name[sizeof(name) - 1] = '\0';
			if (!strcmp(name, "lguest_data"))
				data_gpa = sym.st_value;
		}
	}
}

/* Copy the guest's ELF segments into its memory; return the entry point. */
static int load_guest(uint8_t *mem, size_t size, uint32_t *entry)
{
	Elf32_Ehdr eh;
	Elf32_Phdr ph;
	int fd = open(guest_file, O_RDONLY), i;

	if (fd < 0 || pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_machine != EM_386)
		goto bad;
	for (i = 0; i < eh.e_phnum; i++) {
		if (pread(fd, &ph, sizeof(ph), eh.e_phoff + i * sizeof(ph)) != sizeof(ph))
			goto bad;
		if (ph.p_type != PT_LOAD)
			continue;
		if (ph.p_paddr + ph.p_memsz > size || ph.p_filesz > ph.p_memsz)
			goto bad;
		if (pread(fd, mem + ph.p_paddr, ph.p_filesz, ph.p_offset) != (ssize_t)ph.p_filesz)
			goto bad;
	}
	if (!data_gpa)
		find_data(fd, &eh);
	*entry = eh.e_entry;
	close(fd);
	return 0;
bad:
	if (fd >= 0)
		close(fd);
	return -ENOEXEC;
}

/* The length of a ModRM operand (with SIB and displacement). */
static int modrm_len(const uint8_t *p)
{
	int mod = p[0] >> 6, rm = p[0] & 7, len = 1;

	if (mod != 3 && rm == 4) {
		len++;
		if (mod == 0 && (p[1] & 7) == 5)
			len += 4;
	}
	if (mod == 0 && rm == 5)
		len += 4;
	else if (mod == 1)
		len += 1;
	else if (mod == 2)
		len += 4;
	return len;
}

static uint32_t *reg_of(struct lguest_vcpu_regs *r, int n)
{
	uint32_t *regs[8] = { &r->eax, &r->ecx, &r->edx, &r->ebx,
			      &r->esp, &r->ebp, &r->esi, &r->edi };
	return regs[n & 7];
}

/*
 * The test guest's device: a read-only magic word, and a register whose
 * write asks for IRQ 1.  Only 32-bit mov forms are decoded; the
 * instruction comes with the exit.
 */
static int emulate_mmio(int fd, const struct lguest_exit *e)
{
	const uint8_t *insn = (const uint8_t *)e->arg;
	struct lguest_vcpu_regs r;
	uint32_t val = 0, irq = 1;
	int len;

	if (ioctl(fd, LGUEST_GET_REGS, &r))
		return -EFAULT;
	if (e->addr == MMIO_BASE + (MMIO_MAGIC - MMIO_VA))
		val = 0x6c677374;
	switch (insn[0]) {
	case 0x8b:		/* mov m32, r32 */
		len = 1 + modrm_len(insn + 1);
		*reg_of(&r, insn[1] >> 3) = val;
		break;
	case 0x89:		/* mov r32, m32 */
		len = 1 + modrm_len(insn + 1);
		break;
	case 0xc7:		/* mov imm32, m32 */
		len = 1 + modrm_len(insn + 1) + 4;
		break;
	case 0xa1:		/* mov moffs32, %eax */
		r.eax = val;
		len = 5;
		break;
	case 0xa3:		/* mov %eax, moffs32 */
		len = 5;
		break;
	default:
		return -EILSEQ;
	}
	if ((e->errcode & 2) && e->addr == MMIO_BASE + (MMIO_KICK - MMIO_VA) &&
	    ioctl(fd, LGUEST_IRQ, &irq))
		return -errno;
	r.eip += len;
	return ioctl(fd, LGUEST_SET_REGS, &r) ? -errno : 0;
}

/* A helper thread for a run: flooding interrupts, racing the ring, a watchdog. */
struct helper {
	int fd;
	uint8_t *mem;
	unsigned int flags;
	unsigned int timeout_ms;
	bool stop;
	pthread_t thread;
};

static void *help_run(void *arg)
{
	struct helper *h = arg;
	uint64_t start = now_ms();
	uint32_t irq = 2, x = 12345;

	while (!__atomic_load_n(&h->stop, __ATOMIC_RELAXED)) {
		if (h->flags & HF_IRQ_FLOOD)
			ioctl(h->fd, LGUEST_IRQ, &irq);
		if ((h->flags & HF_RING_RACE) && data_gpa) {
			struct lguest_data *d = (void *)(h->mem + data_gpa);

			x = x * 1103515245 + 12345;
			switch (x >> 29) {
			case 0:
				d->hcall_status[(x >> 8) % LHCALL_RING_SIZE] = x >> 16;
				break;
			case 1:
				d->hcalls[(x >> 8) % LHCALL_RING_SIZE].nr = (x >> 16) % 20;
				break;
			case 2:
				d->hcalls[(x >> 8) % LHCALL_RING_SIZE].arg1 = x;
				break;
			case 3:
				d->hcall_next = x;
				break;
			default:
				d->hcall_status[(x >> 8) % LHCALL_RING_SIZE] = LHCALL_SLOT_READY;
				break;
			}
		}
		if (h->timeout_ms && now_ms() - start > h->timeout_ms) {
			ioctl(h->fd, LGUEST_BREAK);
			start = now_ms();
		}
		if (!(h->flags & (HF_IRQ_FLOOD | HF_RING_RACE)))
			usleep(10000);
	}
	return NULL;
}

/* A secret in the upper half of %ymm0, for a guest that should not see it. */
static bool have_avx(void)
{
	uint32_t a, b, c, d, lo, hi;

	asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
	if (!(c & (1 << 28)) || !(c & (1 << 27)))
		return false;
	asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (lo & 6) == 6;
}

__attribute__((target("avx"))) static void plant_avx_secret(void)
{
	static const uint32_t secret[4] = { 0x5ec7e7, 0x5ec7e7, 0x5ec7e7, 0x5ec7e7 };

	asm volatile("vmovdqu %0, %%xmm2\n\t"
		     "vinsertf128 $1, %%xmm2, %%ymm0, %%ymm0"
		     : : "m"(secret) : "xmm0", "xmm2");
}

/* A hardware breakpoint of ours on WATCHED_VA, which is the guest's too. */
static int watch_guest_address(void)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_BREAKPOINT,
		.size = sizeof(attr),
		.bp_type = HW_BREAKPOINT_RW,
		.bp_addr = WATCHED_VA,
		.bp_len = HW_BREAKPOINT_LEN_4,
		.sample_period = 1,
	};

	return syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
}

static int set_param(const char *name, const char *val)
{
	char path[128];
	int fd, ok;

	snprintf(path, sizeof(path), "/sys/module/lg/parameters/%s", name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok ? 0 : -EIO;
}

/* Set up a guest in fresh memory: the fd, or -errno. */
static int new_guest(uint32_t test, uint32_t arg, unsigned int flags, uint8_t **memp)
{
	size_t size = GUEST_MEM_SIZE;
	struct lguest_setup s = { 0 };
	struct lguest_vcpu_regs r;
	uint8_t *mem;
	int fd, err;

	fd = open("/dev/lguest", O_RDWR);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, LGUEST_GET_ABI_VERSION) != LGUEST_ABI_VERSION) {
		close(fd);
		return -EPROTO;
	}
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		err = -errno;
		close(fd);
		return err;
	}
	s.mem_base = (uintptr_t)mem;
	s.mem_pages = GUEST_MEM_PAGES;
	s.mmio_base = MMIO_BASE;
	s.mmio_size = MMIO_SIZE;
	/* All our memory is then the user half, which the host treats so. */
	if (flags & HF_KERNEL_HALF)
		s.page_offset = 0xc0000000;
	err = load_guest(mem, size, &s.entry);
	if (!err && (ioctl(fd, LGUEST_SETUP, &s) || ioctl(fd, LGUEST_GET_REGS, &r)))
		err = -errno;
	if (!err) {
		r.ebx = test;
		r.ecx = arg;
		if (ioctl(fd, LGUEST_SET_REGS, &r))
			err = -errno;
	}
	if (err) {
		munmap(mem, size);
		close(fd);
		return err;
	}
	*memp = mem;
	return fd;
}

/* Run the guest with the given test number until it stops. */
static void run_guest(uint32_t test, uint32_t arg, unsigned int flags,
		      unsigned int timeout_ms, struct result *res)
{
	struct helper help = { .flags = flags, .timeout_ms = timeout_ms };
	bool helping = flags & (HF_IRQ_FLOOD | HF_RING_RACE) || timeout_ms;
	int fd, bp = -1;
	uint8_t *mem;

	memset(res, 0, sizeof(*res));
	fd = new_guest(test, arg, flags, &mem);
	if (fd < 0) {
		res->error = -fd;
		return;
	}
	if (flags & HF_BREAKPOINT) {
		bp = watch_guest_address();
		if (bp < 0) {
			res->error = errno;
			goto out;
		}
	}
	help.fd = fd;
	help.mem = mem;
	if (helping && pthread_create(&help.thread, NULL, help_run, &help)) {
		res->error = EAGAIN;
		goto out;
	}
	for (;;) {
		if (flags & HF_AVX)
			plant_avx_secret();
		if (ioctl(fd, LGUEST_RUN, &res->exit)) {
			if (errno == EINTR)
				continue;
			res->error = errno;
			break;
		}
		if (res->exit.reason == LGUEST_EXIT_CONSOLE) {
			uint32_t gpa = res->exit.arg[0], n = res->exit.arg[1];

			if (gpa + n > GUEST_MEM_SIZE ||
			    res->console_len + n >= sizeof(res->console))
				continue;
			memcpy(res->console + res->console_len, mem + gpa, n);
			res->console_len += n;
			continue;
		}
		if (res->exit.reason == LGUEST_EXIT_MMIO) {
			res->error = -emulate_mmio(fd, &res->exit);
			if (res->error)
				break;
			continue;
		}
		if (res->exit.reason == LGUEST_EXIT_BREAK && timeout_ms) {
			res->timed_out = true;
			break;
		}
		break;
	}
	ioctl(fd, LGUEST_GET_STATS, &res->stats);
	ioctl(fd, LGUEST_GET_REGS, &res->regs);
	if (helping) {
		__atomic_store_n(&help.stop, true, __ATOMIC_RELAXED);
		pthread_join(help.thread, NULL);
	}
out:
	if (bp >= 0)
		close(bp);
	close(fd);
	munmap(mem, GUEST_MEM_SIZE);
}

static bool good_run(const struct result *res, char *why, size_t n)
{
	if (res->error)
		snprintf(why, n, "launcher error: %s", strerror(res->error));
	else if (res->exit.reason != LGUEST_EXIT_SHUTDOWN)
		snprintf(why, n, "exit %u: %s", res->exit.reason, res->exit.message);
	else if (strcmp(res->exit.message, "test guest done"))
		snprintf(why, n, "shut down with \"%s\"", res->exit.message);
	else if (strstr(res->console, "FAIL"))
		snprintf(why, n, "the guest said: %s", strstr(res->console, "FAIL"));
	else if (!strstr(res->console, QUEUED_LINE))
		snprintf(why, n, "a queued console write was lost");
	else
		return true;
	return false;
}

static void test_good_guest(const char *name)
{
	struct result res;
	char why[256];
	bool ok;

	run_guest(0, 0, 0, 0, &res);
	print_console(res.console, res.console_len);
	ok = good_run(&res, why, sizeof(why));
	result(ok, name, "%s", why);
}

/*
 * Each hostile case (hostile.h), its name, what must come of it and what
 * the Launcher does for it.  The outcome is one or more of these,
 * separated by '|':
 *
 *	kill:WHY	the host kills the guest, with WHY in its reason
 *	ok:WHAT		the guest is refused, carries on, and powers off
 *			saying WHAT (it checked that the refusal happened)
 *	shutdown	the guest shuts down, whatever it says
 *	any		anything but a failure of the Launcher (a fuzzing case)
 */
static const struct {
	const char *name, *expect;
	unsigned int flags;
} hostile_tests[HOSTILE_MAX] = {
	/* Page tables: the Switcher's slot by every level. */
	[HOSTILE_PTE_BEYOND_MEMORY] = { "pte-beyond-memory", "kill:beyond its memory", 0 },
	[HOSTILE_PTE_SWITCHER] = { "pte-in-switcher", "kill:Switcher's area", HF_HOST32 },
	[HOSTILE_PTE_CLEAR_SWITCHER] = {
		"pte-clear-in-switcher", "kill:Switcher's area", HF_HOST32 },
	[HOSTILE_PTE_CLEAR_SWITCHER_ASYNC] = {
		"pte-clear-in-switcher-queued", "kill:Switcher's area", HF_HOST32 },
	[HOSTILE_PMD_SWITCHER] = { "pgd-in-switcher", "kill:Switcher's area", HF_HOST32 },
	[HOSTILE_PMD_CLEAR_SWITCHER] = {
		"pmd-clear-in-switcher", "kill:Switcher's area", HF_HOST32 },
	[HOSTILE_PGD_TOP] = { "pgd-top-gigabyte", "ok:top gigabyte|kill:without PAE", 0 },
	[HOSTILE_TOP_MAPS_SWITCHER] = {
		"top-maps-switcher", "kill:map the Switcher's area", HF_HOST32 },
	[HOSTILE_TOP_OF_4G] = { "top-of-4g-is-ours", "ok:top of 4 GiB is ours", HF_HOST64 },
	[HOSTILE_SWITCHER_PAGES] = { "switcher-pages", "ok:Switcher pages held", HF_HOST32 },
	[HOSTILE_PTE_IGNORED_BITS] = { "pte-ignored-bits", "ok:ignored bits dropped", 0 },
	[HOSTILE_PTE_ABOVE_4G] = { "pte-above-4g", "kill:beyond its memory", 0 },
	[HOSTILE_PDE_LARGE] = { "pde-large-page", "kill:large page", 0 },
	[HOSTILE_PDE_BEYOND_MEMORY] = { "pde-beyond-memory", "kill:page table for", 0 },
	[HOSTILE_PDPTE_BEYOND_MEMORY] = {
		"pdpte-beyond-memory", "kill:page directory for|kill:page table for", 0 },
	[HOSTILE_TOP_MISALIGNED] = { "top-misaligned", "kill:bad page table address", 0 },
	[HOSTILE_TOP_BEYOND_MEMORY] = { "top-beyond-memory", "kill:bad page table address", 0 },
	[HOSTILE_TOP_AT_END] = { "top-at-end-of-memory", "ok:top at the end", 0 },
	[HOSTILE_SHADOW_FLOOD] = { "shadow-flood", "ok:flood survived", HF_SMALL_TLB },
	[HOSTILE_MAP_UNMAP_LOOP] = { "map-touch-unmap-loop", "ok:loop survived", 0 },
	/* The IDT. */
	[HOSTILE_IDT_DPL0] = { "idt-dpl0", "kill:DPL 0 gate", 0 },
	[HOSTILE_IDT_SWITCHER_CS] = { "idt-switcher-code", "kill:gate into segment", 0 },
	[HOSTILE_IDT_HOST64_CS] = { "idt-host64-code", "kill:gate into segment", 0 },
	[HOSTILE_IDT_TASK_GATE] = { "idt-task-gate", "kill:not an interrupt or trap gate", 0 },
	[HOSTILE_IDT_VECTOR_RANGE] = { "idt-vector-256", "kill:is not the guest's", 0 },
	[HOSTILE_IDT_HCALL_VECTOR] = { "idt-hypercall-vector", "kill:is not the guest's", 0 },
	[HOSTILE_IDT_USER_ERRCODE] = { "idt-user-page-fault", "kill:user mode may not raise", 0 },
	[HOSTILE_IDT_LDT_SELECTOR] = { "idt-ldt-selector", "kill:gate into segment", 0 },
	[HOSTILE_HANDLER_BEYOND_LIMIT] = {
		"handler-beyond-limit", "kill:beyond its code segment", HF_HOST32 },
	[HOSTILE_INT_HOST_VECTOR] = { "int-host-vector", "ok:host vectors refused", 0 },
	[HOSTILE_INT_MC_VECTOR] = { "int-machine-check", "ok:machine check refused", 0 },
	/* The GDT, TLS and LDT. */
	[HOSTILE_GDT_DPL0] = { "gdt-dpl0", "kill:ring-0 segment", 0 },
	[HOSTILE_GDT_REACHES_SWITCHER] = {
		"gdt-reaches-switcher", "kill:reaches the Switcher", HF_HOST32 },
	[HOSTILE_GDT_WRAPS] = { "gdt-wraps-4g", "kill:reaches the Switcher|kill:past 4 GiB", 0 },
	[HOSTILE_GDT_SYSTEM] = { "gdt-call-gate", "kill:system descriptor", 0 },
	[HOSTILE_GDT_RESERVED] = { "gdt-switcher-slot", "kill:is not the guest's", 0 },
	[HOSTILE_GDT_TSS_SLOT] = { "gdt-tss-slot", "kill:is not the guest's", 0 },
	[HOSTILE_GDT_INDEX_RANGE] = { "gdt-index-32", "kill:is not the guest's", 0 },
	[HOSTILE_GDT_CONFORMING] = { "gdt-conforming", "kill:conforming", 0 },
	[HOSTILE_GDT_EXPAND_DOWN] = { "gdt-expand-down", "kill:expand-down", 0 },
	[HOSTILE_TLS_DPL0] = { "tls-dpl0", "kill:ring-0 segment", 0 },
	[HOSTILE_TLS_REACHES_SWITCHER] = {
		"tls-reaches-switcher", "kill:reaches the Switcher", HF_HOST32 },
	[HOSTILE_TLS_BAD_ADDRESS] = { "tls-bad-address", "kill:bad read", 0 },
	[HOSTILE_TLS_PULLED] = { "tls-pulled", "ok:stale selector cleared", 0 },
	[HOSTILE_UNSHADOWED_PROMISE] = {
		"unshadowed-promise", "ok:no stale entry", HF_KERNEL_HALF },
	[HOSTILE_LDT_SELECTOR] = { "ldt-selector", "ok:no LDT", HF_LDT },
	[HOSTILE_SWITCHER_SELECTORS] = { "switcher-selectors", "ok:Switcher segments refused", 0 },
	[HOSTILE_GDT_LONG_MODE] = { "gdt-64bit-code", "kill:64-bit segment", 0 },
	/* Stacks and frames. */
	[HOSTILE_STACK_OUTSIDE] = { "stack-outside-memory", "kill:not in its memory", 0 },
	[HOSTILE_STACK_SWITCHER] = {
		"stack-in-switcher", "kill:not in its memory", HF_USER | HF_HOST32 },
	[HOSTILE_STACK_BAD_SEGMENT] = { "stack-bad-segment", "kill:bad kernel stack segment", 0 },
	[HOSTILE_IRET_SWITCHER] = {
		"iret-to-switcher", "ok:no ring 0|kill:beyond its code segment", HF_HOST32 },
	/* Hypercalls, synchronous and queued. */
	[HOSTILE_HCALL_BAD_ADDRESS] = { "hcall-bad-address", "kill:console write", 0 },
	[HOSTILE_HCALL_BAD_LENGTH] = { "hcall-bad-length", "kill:console write", 0 },
	[HOSTILE_HCALL_WRAPS] = { "hcall-wraps-4g", "kill:console write", 0 },
	[HOSTILE_HCALL_UNKNOWN] = { "hcall-unknown", "kill:unknown hypercall 999", 0 },
	[HOSTILE_HCALL_BEFORE_INIT] = {
		"hcall-before-init", "kill:before LHCALL_INIT", HF_PREINIT },
	[HOSTILE_INIT_BAD_ADDRESS] = { "init-beyond-memory", "kill:not in its memory", HF_PREINIT },
	[HOSTILE_INIT_MISALIGNED] = { "init-misaligned", "kill:not in its memory", HF_PREINIT },
	[HOSTILE_INIT_TWICE] = { "init-twice", "kill:made twice", 0 },
	[HOSTILE_HCALL_FROM_USER] = { "hcall-from-user", "ok:user hypercall refused", HF_USER },
	[HOSTILE_CONSOLE_AT_END] = { "console-at-end", "ok:console at the end", 0 },
	[HOSTILE_SHUTDOWN_BAD] = { "shutdown-unknown", "kill:unknown shutdown request", 0 },
	[HOSTILE_SHUTDOWN_AT_END] = { "shutdown-reason-at-end", "shutdown", 0 },
	[HOSTILE_RING_FORBIDDEN] = { "ring-queued-halt", "kill:may not be queued", 0 },
	[HOSTILE_RING_UNKNOWN] = { "ring-unknown-call", "kill:unknown hypercall", 0 },
	[HOSTILE_RING_FULL] = { "ring-full", "ok:ring emptied", 0 },
	[HOSTILE_RING_GUEST_INDEX] = { "ring-guest-index", "ok:guest index ignored", 0 },
	[HOSTILE_RING_RACE] = { "ring-rewritten-meanwhile", "any", HF_RING_RACE },
	[HOSTILE_CPUID_LEAVES] = { "cpuid-every-leaf", "ok:cpuid answered", 0 },
	[HOSTILE_CLOCK_EXTREMES] = { "clockevent-extremes", "ok:clock survived", 0 },
	[HOSTILE_HCALL_STORM] = { "hypercall-storm", "ok:storm over", 0 },
	[HOSTILE_IRQ_STORM] = { "irq-storm", "ok:storm over", HF_IRQ_FLOOD },
	/* Privileged instructions and CPU state. */
	[HOSTILE_PORT_MSR] = { "port-io-and-msr", "ok:emulated", 0 },
	[HOSTILE_INSN_AT_END] = { "insn-at-end-of-memory", "ok:emulated at the end", 0 },
	[HOSTILE_DEBUG_REGS] = { "debug-registers", "ok:debug registers refused", 0 },
	[HOSTILE_HOST_BREAKPOINT] = { "host-breakpoint", "ok:no host breakpoint", HF_BREAKPOINT },
	[HOSTILE_AVX_STATE] = { "host-avx-state", "ok:no AVX", HF_AVX },
	[HOSTILE_SYSENTER] = { "sysenter", "ok:SYSENTER refused", 0 },
	/*
	 * SYSCALL from ring 1: #UD where EFER.SCE is off or the CPU (Intel) has
	 * no SYSCALL in compatibility mode; on a 64-bit AMD or QEMU host it
	 * reaches ring 0 with nothing mapped at the entry point.
	 */
	[HOSTILE_SYSCALL] = { "syscall", "ok:SYSCALL refused|kill:ring 0 outside the Switcher", 0 },
	[HOSTILE_FAULT_LOOP] = { "fault-loop", "kill:stuck in a loop", 0 },
};

/* Does one alternative of an expectation (hostile.h) match the outcome? */
static bool outcome_is(const struct result *res, const char *alt, size_t len)
{
	char want[128];

	snprintf(want, sizeof(want), "%.*s", (int)len, alt);
	if (res->error)
		return false;
	if (!strcmp(want, "any"))
		return true;
	if (!strcmp(want, "shutdown"))
		return res->exit.reason == LGUEST_EXIT_SHUTDOWN;
	if (!strncmp(want, "kill:", 5))
		return res->exit.reason == LGUEST_EXIT_DEAD && strstr(res->exit.message, want + 5);
	if (!strncmp(want, "ok:", 3))
		return res->exit.reason == LGUEST_EXIT_SHUTDOWN &&
			strstr(res->exit.message, want + 3) && !strstr(res->console, "FAIL");
	return false;
}

static bool outcome_ok(const struct result *res, const char *expect)
{
	const char *bar;

	for (;;) {
		bar = strchr(expect, '|');
		if (outcome_is(res, expect, bar ? (size_t)(bar - expect) : strlen(expect)))
			return true;
		if (!bar)
			return false;
		expect = bar + 1;
	}
}

/* The Launcher's process gets an LDT entry: a flat ring-3 data segment. */
static int install_ldt(void)
{
	struct user_desc d = {
		.entry_number = 0, .base_addr = 0, .limit = 0xfffff,
		.seg_32bit = 1, .limit_in_pages = 1,
	};

	if (syscall(SYS_modify_ldt, 1, &d, sizeof(d)))
		return -errno;
	d.entry_number = 1;
	d.contents = MODIFY_LDT_CONTENTS_CODE;
	return syscall(SYS_modify_ldt, 1, &d, sizeof(d)) ? -errno : 0;
}

/*
 * Run one hostile case in a child, so that what it changes about the
 * process (an LDT) stays there; the result comes back through shared
 * memory.
 */
static void run_hostile(int t, uint32_t arg, struct result *out)
{
	unsigned int flags = hostile_tests[t].flags;
	struct result *res;
	int status, err;
	pid_t pid;

	res = mmap(NULL, sizeof(*res), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED) {
		memset(out, 0, sizeof(*out));
		out->error = errno;
		return;
	}
	pid = fork();
	if (pid == 0) {
		if (flags & HF_LDT) {
			err = install_ldt();
			if (err) {
				memset(res, 0, sizeof(*res));
				res->error = -err;
				_exit(0);
			}
		}
		run_guest(t, arg, flags, 0, res);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
		memset(res, 0, sizeof(*res));
		res->error = ECHILD;
	}
	*out = *res;
	munmap(res, sizeof(*res));
}

/*
 * The rounds of the long cases: as the guest does them by default, ten
 * times fewer with --quick, and more with --long.
 */
static uint32_t hostile_arg(int t)
{
	uint32_t n;

	switch (t) {
	case HOSTILE_MAP_UNMAP_LOOP:
		n = 1000000;
		break;
	case HOSTILE_SHADOW_FLOOD:
		n = 200000;
		break;
	case HOSTILE_IRQ_STORM:
	case HOSTILE_HCALL_STORM:
		n = 200000;
		break;
	case HOSTILE_RING_RACE:
		n = 20000;
		break;
	default:
		return 0;
	}
	/* The flood must outgrow 64 shadow pages of 4 MiB (or PAE's 2 MiB). */
	if (t == HOSTILE_SHADOW_FLOOD)
		return long_run ? 700000 : quick ? 100000 : n;
	if (long_run)
		return n * 4;
	return quick ? n / 10 : n;
}

static long read_number(const char *file, const char *key);

/* Pins taken in the whole system so far (/proc/vmstat). */
static long pins_acquired(void)
{
	return read_number("/proc/vmstat", "nr_foll_pin_acquired");
}

/*
 * What a case must show besides its outcome.  The flood maps one page at
 * some 200000 addresses: the host must have pinned no more pages than
 * the guest has (counted by the kernel, whatever the host says), and
 * must have flushed its shadows to stay within max_shadow_pages.
 */
static bool hostile_extra(int t, const struct result *res, long pins, char *why, size_t n)
{
	if (t == HOSTILE_SHADOW_FLOOD) {
		snprintf(why, n, "%ld pins, %llu flushes", pins,
			 (unsigned long long)res->stats.shadow_flushes);
		return pins <= GUEST_MEM_PAGES && res->stats.shadow_flushes > 0;
	}
	snprintf(why, n, "-");
	return true;
}

/* A 32-bit Launcher still sees the kernel's own machine. */
static bool host_is_64bit(void)
{
	struct utsname u;

	return !uname(&u) && !strcmp(u.machine, "x86_64");
}

static void test_hostile(const char *name, int t)
{
	struct result res, after;
	char why[256], extra[128];
	uint64_t start;
	long pins;
	bool ok;

	if ((hostile_tests[t].flags & HF_HOST32) && host_is_64bit()) {
		ksft_test_result_skip("%s: a 64-bit host's Switcher is above its guests' 4 GiB\n",
				      name);
		return;
	}
	if ((hostile_tests[t].flags & HF_HOST64) && !host_is_64bit()) {
		ksft_test_result_skip("%s: a 32-bit host's Switcher takes the top of 4 GiB\n",
				      name);
		return;
	}
	if ((hostile_tests[t].flags & HF_AVX) && !have_avx()) {
		ksft_test_result_skip("%s: the CPU has no AVX\n", name);
		return;
	}
	if (hostile_tests[t].flags & HF_SMALL_TLB)
		set_param("max_shadow_pages", "64");
	pins = pins_acquired();
	start = now_ms();
	run_hostile(t, hostile_arg(t), &res);
	pins = pins_acquired() - pins;
	start = now_ms() - start;
	if (hostile_tests[t].flags & HF_SMALL_TLB)
		set_param("max_shadow_pages", "4096");
	diag("%s: exit %u: %s (%llu ms)", name, res.exit.reason, res.exit.message,
	     (unsigned long long)start);
	if (res.exit.reason == LGUEST_EXIT_MMIO)
		diag("%s: MMIO at %#x, instruction %08x %08x", name, res.exit.addr,
		     res.exit.arg[0], res.exit.arg[1]);
	ok = outcome_ok(&res, hostile_tests[t].expect) &&
		hostile_extra(t, &res, pins, extra, sizeof(extra));
	if (!ok)
		print_console(res.console, res.console_len);
	/* Whatever it did, a good guest must run after it. */
	run_guest(0, 0, 0, 0, &after);
	result(ok && good_run(&after, why, sizeof(why)), name,
	       "exit %u (%s), error %d, wanted \"%s\" (%s); the next guest: %s",
	       res.exit.reason, res.exit.message, res.error, hostile_tests[t].expect,
	       extra, good_run(&after, why, sizeof(why)) ? "fine" : why);
}

/*
 * The Launcher may set the registers, but only to what the guest could
 * hold: the Switcher loads them in ring 0, where a bad stack segment or an
 * instruction pointer past its code segment would fault inside it.
 */
static void test_set_regs(const char *name)
{
	static const struct { uint32_t cs, ss, eip; } bad[] = {
		{ 0, 1, 0 },					/* null stack, RPL 1 */
		{ 0, 0, 0xfffff000 },				/* beyond the code segment */
		{ LGUEST_GDT_ENTRY_SWITCHER_CS * 8 + 1, 0, 0 },	/* the Switcher's code */
		{ 0, LGUEST_GDT_ENTRY_SWITCHER_DS * 8 + 1, 0 },	/* the Switcher's data */
		{ LGUEST_GDT_ENTRY_SWITCHER64_CS * 8 + 1, 0, 0 },	/* a 64-bit host's */
		{ 0, LGUEST_GDT_ENTRY_SWITCHER64_DS * 8 + 1, 0 },
		{ SEL_KCODE & ~3, 0, 0 },			/* ring 0 */
		{ SEL_KCODE + 1, SEL_KDATA + 1, 0 },		/* ring 2 */
		{ SEL_KCODE, SEL_KCODE, 0 },			/* code as a stack */
		{ SEL_KCODE | 4, 0, 0 },			/* an LDT selector */
		{ 0x10000 + SEL_KCODE, 0, 0 },			/* beyond 16 bits */
	};
	struct lguest_vcpu_regs r, b;
	unsigned int i, refused = 0, tried = 0;
	uint8_t *mem;
	int fd;

	fd = new_guest(0, 0, 0, &mem);
	if (fd < 0 || ioctl(fd, LGUEST_GET_REGS, &r)) {
		result(false, name, "setup: %s", strerror(fd < 0 ? -fd : errno));
		return;
	}
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		/* A 64-bit host's guest code segments reach the top of 4 GiB. */
		if (bad[i].eip == 0xfffff000 && host_is_64bit())
			continue;
		tried++;
		b = r;
		if (bad[i].cs)
			b.cs = bad[i].cs;
		if (bad[i].ss)
			b.ss = bad[i].ss;
		if (bad[i].eip)
			b.eip = bad[i].eip;
		refused += ioctl(fd, LGUEST_SET_REGS, &b) && errno == EINVAL;
	}
	result(refused == tried, name, "%u of %u bad register sets refused", refused, tried);
	close(fd);
	munmap(mem, GUEST_MEM_SIZE);
}

static long read_number(const char *file, const char *key)
{
	char line[256];
	long val = -1;
	FILE *f = fopen(file, "r");
	size_t n = strlen(key);

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && (line[n] == ' ' || line[n] == ':')) {
			val = strtol(line + n + 1 + (line[n] == ':'), NULL, 10);
			break;
		}
	if (f)
		fclose(f);
	return val;
}

/*
 * Free memory in kB: MemFree and the pages waiting on the per-CPU free
 * lists ("count:" in /proc/zoneinfo), which MemFree leaves out and which
 * swing by megabytes as the memory of a Launcher comes and goes.
 */
static long free_kb(void)
{
	char line[256], *p;
	long pages = 0;
	FILE *f = fopen("/proc/zoneinfo", "r");

	while (f && fgets(line, sizeof(line), f)) {
		p = line + strspn(line, " ");
		if (!strncmp(p, "count:", 6))
			pages += strtol(p + 6, NULL, 10);
	}
	if (f)
		fclose(f);
	return read_number("/proc/meminfo", "MemFree") + pages * (getpagesize() / 1024);
}

static long pins_held(void)
{
	int fd = open("/proc/sys/vm/stat_refresh", O_WRONLY);

	/* Fold the per-CPU counters, or the difference below drifts. */
	if (fd >= 0) {
		if (write(fd, "1", 1) < 0)
			ksft_perror("stat_refresh");
		close(fd);
	}
	return read_number("/proc/vmstat", "nr_foll_pin_acquired") -
		read_number("/proc/vmstat", "nr_foll_pin_released");
}

/*
 * Whether a drop of free memory by @kb means a leak.  Not under kmemleak: it
 * keeps a record of every object and frees those records by RCU, so
 * free memory wanders by more than the leaks looked for here.  kmemleak is
 * the better judge then, and the caller can ask it after the tests.
 */
static bool memfree_dropped(long free0, long free1, long kb)
{
	static int kmemleak = -1;

	if (kmemleak < 0)
		kmemleak = !access("/sys/kernel/debug/kmemleak", F_OK);
	return !kmemleak && free0 - free1 >= kb;
}

/* Memory and pins, before and after something that must give them back. */
struct balance {
	long free, pins;
};

static void balance_start(struct balance *b)
{
	b->free = free_kb();
	b->pins = pins_held();
}

static bool balance_ok(const struct balance *b0, long kb, char *why, size_t n)
{
	struct balance b1;

	balance_start(&b1);
	snprintf(why, n, "free %ld -> %ld kB, pins held %ld -> %ld",
		 b0->free, b1.free, b0->pins, b1.pins);
	diag("%s", why);
	return b1.pins <= b0->pins && !memfree_dropped(b0->free, b1.free, kb);
}

/*
 * Pinned guest memory counts against RLIMIT_MEMLOCK.  Without
 * CAP_IPC_LOCK and with a limit of 4 pages the test guest cannot run
 * (it touches more), and must be killed saying why; with a limit the size
 * of its memory it runs.
 */
static int run_with_memlock(rlim_t bytes, struct result *shared)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	struct rlimit rl = { bytes, bytes };
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		if (syscall(SYS_capget, &h, d))
			_exit(2);
		d[0].effective &= ~(1U << CAP_IPC_LOCK);
		d[0].permitted &= ~(1U << CAP_IPC_LOCK);
		if (syscall(SYS_capset, &h, d) || setrlimit(RLIMIT_MEMLOCK, &rl))
			_exit(3);
		run_guest(0, 0, 0, 0, shared);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static void test_memlock(const char *name)
{
	struct result *res;
	char why[256] = "";
	bool small, big;
	int rc;

	res = mmap(NULL, sizeof(*res), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED) {
		result(false, name, "mmap: %s", strerror(errno));
		return;
	}
	rc = run_with_memlock(4 * 4096, res);
	small = !rc && res->exit.reason == LGUEST_EXIT_DEAD &&
		strstr(res->exit.message, "RLIMIT_MEMLOCK");
	diag("memlock: 4 pages: exit %u: %s", res->exit.reason, res->exit.message);
	rc = run_with_memlock(GUEST_MEM_SIZE, res) || rc;
	big = !rc && good_run(res, why, sizeof(why));
	result(small && big, name, "status %d; limited: %s; with enough: %s", rc,
	       small ? "killed" : "not killed", big ? "ran" : why);
	munmap(res, sizeof(*res));
}

/* Four guests at once, each in its own process. */
static void test_parallel(const char *name)
{
	int i, status, good = 0;
	pid_t pids[4];

	for (i = 0; i < 4; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			struct result res;
			char why[256];

			run_guest(0, 0, 0, 0, &res);
			_exit(good_run(&res, why, sizeof(why)) ? 0 : 1);
		}
	}
	for (i = 0; i < 4; i++)
		if (pids[i] > 0 && waitpid(pids[i], &status, 0) == pids[i] &&
		    WIFEXITED(status) && WEXITSTATUS(status) == 0)
			good++;
	result(good == 4, name, "%d of 4 guests passed", good);
}

/* Nothing may stay behind: pinned pages and (roughly) free memory. */
static void test_leaks(const char *name)
{
	struct balance b;
	struct result res;
	char why[256];
	int i, bad = 0;

	run_guest(0, 0, 0, 0, &res);		/* warm up caches */
	balance_start(&b);
	for (i = 0; i < runs; i++) {
		run_guest(0, 0, 0, 0, &res);
		if (!good_run(&res, why, sizeof(why)))
			bad++;
	}
	result(balance_ok(&b, 1024, why, sizeof(why)) && !bad, name, "%d bad runs, %s", bad, why);
}

/*
 * A setup that fails must leave nothing behind, and may be retried.  With
 * fault injection in the host, each allocation of LGUEST_SETUP in turn is
 * made to fail (the task's fail-nth); without it, only the refusals of
 * bad arguments are tried, and the test says so.
 */
static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), ok;

	if (fd < 0)
		return -errno;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok ? 0 : -EIO;
}

static int read_file_int(const char *path)
{
	char buf[32] = "";
	int fd = open(path, O_RDONLY), n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? atoi(buf) : -1;
}

static bool fault_injection(void)
{
	static const char *const attrs[] = { "fail_page_alloc", "failslab" };
	char path[128];
	unsigned int i;

	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "/sys/kernel/debug/%s/ignore-gfp-wait", attrs[i]);
		if (write_file(path, "N"))
			return false;
		snprintf(path, sizeof(path), "/sys/kernel/debug/%s/verbose", attrs[i]);
		if (write_file(path, "0"))
			return false;
	}
	/* Single pages are what LGUEST_SETUP allocates most. */
	if (write_file("/sys/kernel/debug/fail_page_alloc/min-order", "0"))
		return false;
	return !access("/proc/thread-self/fail-nth", W_OK);
}

static void test_setup_retry(const char *name)
{
	struct lguest_setup s = { 0 }, bad;
	int fd, round, nth, failures = 0, wrong = 0;
	struct balance b;
	bool injecting, spent;
	uint8_t *mem;
	char why[256], n[16];

	injecting = fault_injection();
	diag("setup-retry: %s", injecting ? "each allocation made to fail in turn" :
	     "no fault injection in this host: bad arguments only");
	mem = mmap(NULL, GUEST_MEM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	s.mem_base = (uintptr_t)mem;
	s.mem_pages = GUEST_MEM_PAGES;
	s.entry = GUEST_LOAD;
	balance_start(&b);
	for (round = 0; round < 60; round++) {
		for (nth = 0; nth < 40; nth++) {
			fd = open("/dev/lguest", O_RDWR);
			if (fd < 0) {
				wrong++;
				break;
			}
			bad = s;
			bad.reserved = nth % 2;
			bad.flags = !bad.reserved;
			if (!ioctl(fd, LGUEST_SETUP, &bad) || errno != EINVAL)
				wrong++;
			if (injecting && nth) {
				snprintf(n, sizeof(n), "%d", nth);
				write_file("/proc/thread-self/fail-nth", n);
			}
			if (ioctl(fd, LGUEST_SETUP, &s)) {
				failures++;
				wrong += errno != ENOMEM;
				write_file("/proc/thread-self/fail-nth", "0");
				/* Retried as it is: the same file, nothing undone. */
				if (ioctl(fd, LGUEST_SETUP, &s))
					wrong++;
				close(fd);
				continue;
			}
			/*
			 * A setup that got through with the n-th call made to
			 * fail had a fallback there (kvmalloc's vmalloc); once
			 * fail-nth is left unspent, every call has had its turn.
			 */
			spent = read_file_int("/proc/thread-self/fail-nth") == 0;
			write_file("/proc/thread-self/fail-nth", "0");
			close(fd);
			if (!injecting || (nth && !spent))
				break;
		}
	}
	munmap(mem, GUEST_MEM_SIZE);
	diag("setup-retry: %d failed setups, %d unexpected results", failures, wrong);
	/* Each round must have failed at several of its allocations. */
	result(balance_ok(&b, 512, why, sizeof(why)) && !wrong && (!injecting || failures > 3 * 60),
	       name, "%d unexpected results, %d failures, %s", wrong, failures, why);
}

/*
 * Random /dev/lguest calls, from two threads of one Launcher: arguments
 * good and bad, RUN broken off, guest memory unmapped while the guest
 * runs, the file closed under a running guest, and children that inherit
 * the file.  The host must survive and give everything back.
 */
struct fuzzer {
	int fd;
	uint8_t *mem;
	uint32_t seed;
	bool stop;
};

static uint32_t fuzz_rand(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void fuzz_ioctl(int fd, uint8_t *mem, uint32_t *seed)
{
	static const unsigned long cmds[] = {
		LGUEST_GET_ABI_VERSION, LGUEST_SETUP, LGUEST_RUN, LGUEST_IRQ,
		LGUEST_GET_REGS, LGUEST_SET_REGS, LGUEST_BREAK, LGUEST_GET_STATS,
		_IOW(LGUEST_IOC_MAGIC, 0x0f, __u32), _IO(LGUEST_IOC_MAGIC, 0x99),
	};
	union {
		struct lguest_setup setup;
		struct lguest_vcpu_regs regs;
		struct lguest_exit exit;
		struct lguest_stats stats;
		uint32_t words[256];
	} buf;
	uint32_t r = fuzz_rand(seed), i;
	unsigned long cmd = cmds[r % ARRAY_SIZE(cmds)];
	void *arg = &buf;

	for (i = 0; i < sizeof(buf.words) / 4; i++)
		buf.words[i] = fuzz_rand(seed) & (r & 0x100 ? 0xffffffff : 0xfff);
	if (cmd == LGUEST_SETUP && (r & 0x200)) {
		memset(&buf.setup, 0, sizeof(buf.setup));
		buf.setup.mem_base = (uintptr_t)mem;
		buf.setup.mem_pages = r & 0x400 ? GUEST_MEM_PAGES : fuzz_rand(seed) % 2048;
		buf.setup.entry = GUEST_LOAD;
		buf.setup.mmio_base = r & 0x800 ? MMIO_BASE : fuzz_rand(seed) & ~0xfffU;
		buf.setup.mmio_size = (fuzz_rand(seed) % 4) << 12;
		buf.setup.page_offset = r & 0x1000 ? 0xc0000000 : 0;
	}
	if (cmd == LGUEST_SET_REGS && (r & 0x200))
		ioctl(fd, LGUEST_GET_REGS, &buf.regs);
	if (cmd == LGUEST_IRQ)
		buf.words[0] %= r & 0x2000 ? 256 : LGUEST_IRQS;
	if (r & 0x4000)
		arg = (r & 0x8000) ? NULL :
			(void *)(uintptr_t)(0xc0000000 + (fuzz_rand(seed) & 0xfff));
	ioctl(fd, cmd, arg);
}

static void *fuzz_other_thread(void *p)
{
	struct fuzzer *f = p;
	uint32_t seed = f->seed * 7 + 1, r;

	while (!__atomic_load_n(&f->stop, __ATOMIC_RELAXED)) {
		r = fuzz_rand(&seed);
		if (r % 64 == 0) {
			munmap(f->mem, GUEST_MEM_SIZE);	/* under a running guest */
			f->mem = mmap(f->mem, GUEST_MEM_SIZE, PROT_READ | PROT_WRITE,
				      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		} else if (r % 64 == 1) {
			close(f->fd);			/* the next open may take its number */
			return NULL;
		} else if (r % 8 == 2) {
			ioctl(f->fd, LGUEST_BREAK);
		} else {
			fuzz_ioctl(f->fd, f->mem, &seed);
		}
		usleep(r % 2000);
	}
	return NULL;
}

static void fuzz_round(uint32_t seed)
{
	struct fuzzer f = { .seed = seed };
	struct lguest_exit e;
	pthread_t other;
	pid_t child;
	uint32_t entry, i, r;

	f.fd = open("/dev/lguest", O_RDWR);
	f.mem = mmap(NULL, GUEST_MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		     -1, 0);
	if (f.fd < 0 || f.mem == MAP_FAILED)
		goto out;
	load_guest(f.mem, GUEST_MEM_SIZE, &entry);
	if (pthread_create(&other, NULL, fuzz_other_thread, &f))
		goto out;
	for (i = 0; i < 200; i++) {
		r = fuzz_rand(&seed);
		if (r % 50 == 0) {
			child = fork();
			if (child == 0) {
				for (i = 0; i < 20; i++)
					fuzz_ioctl(f.fd, f.mem, &seed);
				_exit(0);
			}
			if (child > 0)
				waitpid(child, NULL, 0);
		} else if (r % 4 == 0) {
			ioctl(f.fd, LGUEST_RUN, &e);
		} else {
			fuzz_ioctl(f.fd, f.mem, &seed);
		}
	}
	__atomic_store_n(&f.stop, true, __ATOMIC_RELAXED);
	ioctl(f.fd, LGUEST_BREAK);
	pthread_join(other, NULL);
out:
	if (f.fd >= 0)
		close(f.fd);
	if (f.mem != MAP_FAILED)
		munmap(f.mem, GUEST_MEM_SIZE);
}

static void test_ioctl_fuzz(const char *name)
{
	struct balance b;
	struct result res;
	uint64_t end;
	uint32_t seed = 1;
	char why[256];
	bool ok;

	fuzz_round(0);		/* warm up */
	balance_start(&b);
	end = now_ms() + fuzz_seconds * 1000ULL;
	while (now_ms() < end)
		fuzz_round(seed++);
	diag("fuzz:ioctl: %u rounds", seed - 1);
	run_guest(0, 0, 0, 0, &res);
	ok = balance_ok(&b, 2048, why, sizeof(why));
	ok = good_run(&res, why + strlen(why), sizeof(why) - strlen(why)) && ok;
	result(ok, name, "%s", why);
}

/* The test guest as a hypercall fuzzer, one seed after another. */
static void test_hcall_fuzz(const char *name)
{
	unsigned int killed = 0, stopped = 0, timed_out = 0, errors = 0;
	struct balance b;
	struct result res;
	uint64_t end;
	uint32_t seed = 1;
	char why[256];

	balance_start(&b);
	end = now_ms() + fuzz_seconds * 1000ULL;
	while (now_ms() < end) {
		run_guest(HOSTILE_FUZZ, seed++, 0, 2000, &res);
		if (res.error)
			errors++;
		else if (res.timed_out)
			timed_out++;
		else if (res.exit.reason == LGUEST_EXIT_DEAD)
			killed++;
		else
			stopped++;
	}
	diag("fuzz:hypercalls: %u seeds: %u killed, %u stopped, %u timed out, %u bad",
	     seed - 1, killed, stopped, timed_out, errors);
	run_guest(0, 0, 0, 0, &res);
	result(!errors && balance_ok(&b, 2048, why, sizeof(why)) &&
	       good_run(&res, why, sizeof(why)), name, "%u launcher errors; %s",
	       errors, why);
}

static bool insert_module(void)
{
	int fd = open(module, O_RDONLY | O_CLOEXEC);
	bool ok = fd >= 0 && syscall(SYS_finit_module, fd, "", 0) == 0;

	if (fd >= 0)
		close(fd);
	return ok;
}

static bool remove_module(void)
{
	return syscall(SYS_delete_module, "lg", O_NONBLOCK) == 0;
}

/*
 * Unloading must work after all the tests, and a further load, guest run
 * and unload must give back what it took.  (What the tests themselves
 * left in caches is not the module's, so that is not measured.)
 */
static bool module_gone;

static void test_unload(const char *name)
{
	module_gone = remove_module();
	result(module_gone, name, "delete_module: %s", strerror(errno));
}

/* Load the module, run a guest, unload it: true if all of it worked. */
static bool reload_cycle(void)
{
	struct result res;
	char why[256];
	bool ok = insert_module();

	run_guest(0, 0, 0, 0, &res);
	return ok && good_run(&res, why, sizeof(why)) && remove_module();
}

/*
 * A leak loses memory at every cycle; the first cycles after a heavy
 * load (the NMI test's) may see the page allocator settle as well.  So
 * free memory is compared across consecutive cycles, up to three times,
 * and one pair that kept it is enough.
 */
static void test_reload(const char *name)
{
	long free0, free1;
	int tries = 0;
	bool ok;

	if (!module_gone) {
		ksft_test_result_skip("%s: the module did not unload\n", name);
		return;
	}
	ok = reload_cycle();
	free0 = free_kb();
	ok = ok && reload_cycle();
	free1 = free_kb();
	while (ok && memfree_dropped(free0, free1, 256) && ++tries < 3) {
		diag("module: load, run, unload: free memory %ld -> %ld kB, once more", free0,
		     free1);
		free0 = free1;
		ok = reload_cycle();
		free1 = free_kb();
	}
	diag("module: load, run, unload: free memory %ld -> %ld kB", free0, free1);
	result(ok && !memfree_dropped(free0, free1, 256) && access("/dev/lguest", F_OK),
	       name, "reload %s, free %ld -> %ld kB", ok ? "ok" : "failed",
	       free0, free1);
}

/* Run the spinning guest and SIGKILL its Launcher; the exit status. */
static int kill_a_launcher(unsigned int delay_ms)
{
	struct result res;
	int status = 0;
	pid_t pid = fork();

	if (pid == 0) {
		run_guest(HOSTILE_SPIN, 0, 0, 0, &res);
		_exit(1);
	}
	usleep(delay_ms * 1000);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return status;
}

/*
 * Launchers killed while their guests run must leave nothing behind.
 * The first round warms up what stays allocated anyway (page cache,
 * per-CPU page lists); the next ones are measured, killed at different
 * moments.
 */
/* The whole of a small file, or an empty string. */
static void read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? 0 : read(fd, buf, size - 1);

	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
}

/*
 * The host's own view of a guest: lguest/<pid>/stats in debugfs while it
 * runs (gone with it), and its tracepoints, which a well-behaved guest
 * must fire for exits, hypercalls and faults.  Without debugfs, or
 * without event tracing, there is nothing to check: the harness knows
 * which the kernel has.
 */
static void test_stats_debugfs(const char *name)
{
	static char buf[8192];
	char path[64];
	struct result res;
	pid_t pid;

	if (access("/sys/kernel/debug/lguest", F_OK)) {
		ksft_test_result_skip("%s: no /sys/kernel/debug/lguest (CONFIG_DEBUG_FS)\n", name);
		return;
	}
	pid = fork();
	if (pid == 0) {
		run_guest(HOSTILE_SPIN, 0, 0, 0, &res);
		_exit(1);
	}
	/*
	 * The guest needs a while to start, longer on a loaded or emulated
	 * host: wait for its first runs, for ten seconds at most.
	 */
	snprintf(path, sizeof(path), "/sys/kernel/debug/lguest/%d/stats", pid);
	for (int i = 0; i < 100; i++) {
		usleep(100 * 1000);
		buf[0] = '\0';
		read_file(path, buf, sizeof(buf));
		if (!strncmp(buf, "runs ", 5) && atol(buf + 5) > 0)
			break;
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	snprintf(path, sizeof(path), "/sys/kernel/debug/lguest/%d", pid);
	result(!strncmp(buf, "runs ", 5) && atol(buf + 5) > 0 &&
	       strstr(buf, "\nhcall ") && strstr(buf, "\npins ") && access(path, F_OK),
	       name, "%s: \"%.60s\"%s", path, buf,
	       access(path, F_OK) ? "" : ", still there after the guest went");
}

static void test_stats_trace(const char *name)
{
	static char buf[8192];
	struct result res;

	if (access("/sys/kernel/tracing/trace", F_OK))
		mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL);
	if (access("/sys/kernel/tracing/events/lguest/enable", F_OK)) {
		ksft_test_result_skip("%s: no lguest trace events (CONFIG_EVENT_TRACING)\n", name);
		return;
	}
	/* Nothing else traces here: the buffer holds only what follows. */
	write_file("/sys/kernel/tracing/events/lguest/enable", "1");
	run_guest(0, 0, 0, 0, &res);
	write_file("/sys/kernel/tracing/events/lguest/enable", "0");
	read_file("/sys/kernel/tracing/trace", buf, sizeof(buf));
	result(strstr(buf, "lguest_exit:") && strstr(buf, "lguest_hcall:") &&
	       strstr(buf, "lguest_fault:"), name,
	       "no lguest_exit, lguest_hcall and lguest_fault events in %zu bytes of trace",
	       strlen(buf));
}

static void test_killed_launcher(const char *name)
{
	struct balance b;
	int i, killed = 0;
	char why[256];

	kill_a_launcher(300);
	balance_start(&b);
	for (i = 0; i < kills; i++) {
		int status = kill_a_launcher(50 + (i * 37) % 400);

		killed += WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
	}
	result(balance_ok(&b, 1024, why, sizeof(why)) && killed == kills, name,
	       "%d of %d killed, %s", killed, kills, why);
}

/*
 * A work guest finishes in well under a second; one still running after
 * this is stuck, and saying where beats the harness's timeout.
 */
#define WORK_WATCHDOG_MS	60000

static void report_stuck(int i, const struct result *res)
{
	const struct lguest_stats *st = &res->stats;

	diag("work: guest %d stuck at eip %#x, eflags %#x, esp %#x", i, res->regs.eip,
	     res->regs.eflags, res->regs.esp);
	diag("work: guest %d: %llu runs, %llu halts, %llu irq exits, %llu NMIs in the Switcher",
	     i, (unsigned long long)st->runs, (unsigned long long)st->hcalls[LHCALL_HALT],
	     (unsigned long long)st->exits_irq, (unsigned long long)st->switcher_nmis);
	print_console(res->console, res->console_len);
}

/* Four guests doing ordinary work, for the NMI test, and nothing else. */
static void test_work(const char *name)
{
	uint64_t end = now_ms() + work_seconds * 1000ULL;
	unsigned int rounds = 0, bad = 0, nmis = 0;
	int i, status, pipes[4][2];
	pid_t pids[4];

	while (now_ms() < end) {
		for (i = 0; i < 4; i++) {
			if (pipe(pipes[i])) {
				pipes[i][0] = -1;
				pipes[i][1] = -1;
			}
			pids[i] = fork();
			if (pids[i] == 0) {
				struct result res;
				uint32_t n;

				run_guest(HOSTILE_WORK, 500, 0, WORK_WATCHDOG_MS, &res);
				if (res.timed_out)
					report_stuck(i, &res);
				n = res.stats.switcher_nmis;
				if (write(pipes[i][1], &n, sizeof(n)) < 0)
					_exit(2);
				_exit(!res.error && res.exit.reason == LGUEST_EXIT_SHUTDOWN &&
				      !strcmp(res.exit.message, "the work is done") ? 0 : 1);
			}
			close(pipes[i][1]);
		}
		for (i = 0; i < 4; i++) {
			uint32_t n = 0;

			if (read(pipes[i][0], &n, sizeof(n)) == sizeof(n))
				nmis += n;
			close(pipes[i][0]);
			if (pids[i] <= 0 || waitpid(pids[i], &status, 0) != pids[i] ||
			    !WIFEXITED(status) || WEXITSTATUS(status))
				bad++;
		}
		rounds++;
	}
	diag("work: %u rounds of 4 guests, %u NMIs inside the Switcher", rounds, nmis);
	diag("switcher-nmis=%u", nmis);
	result(!bad && rounds, name, "%u of %u guests failed", bad, rounds * 4);
}

/*
 * --bench-hcall N: the cost of a hypercall, for scripts/bench: the test
 * guest makes N of them, then one, and the difference is N - 1 calls.
 */
static void bench_hcall(const char *name)
{
	long n = bench_calls;
	struct result res;
	uint64_t t0;
	double many, one;

	t0 = now_ms();
	run_guest(HOSTILE_HCALL_STORM, n, 0, 0, &res);
	many = now_ms() - t0;
	t0 = now_ms();
	run_guest(HOSTILE_HCALL_STORM, 1, 0, 0, &res);
	one = now_ms() - t0;
	diag("LGBENCH: hypercall %ld %.1f", n - 1, (many - one) * 1e6 / (n - 1));
	result(res.exit.reason == LGUEST_EXIT_SHUTDOWN, name, "exit %u: %s", res.exit.reason,
	       res.exit.message);
}

static int print_usage(FILE *to, const char *prog)
{
	fprintf(to, "usage: %s [--guest FILE] [--only NAME] [--runs N] [--kills N]\n"
		"\t[--fuzz SECONDS] [--quick | --long] [--work SECONDS] [--bench-hcall N]\n"
		"\t[--module lg.ko]\n", prog);
	return to == stdout ? 0 : 2;
}

/* The guest lives beside the test, wherever that was installed. */
static void find_guest(const char *argv0)
{
	char self[sizeof(guest_path) - 32];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	const char *slash;

	if (n > 0) {
		self[n] = '\0';
		argv0 = self;
	}
	slash = strrchr(argv0, '/');
	snprintf(guest_path, sizeof(guest_path), "%.*s/lguest_test_guest",
		 slash ? (int)(slash - argv0) : 1, slash ? argv0 : ".");
}

/*
 * Every case reports exactly one KTAP result.  The cases are walked
 * twice: once to count the plan, once to run them.
 */
static bool counting;
static unsigned int planned;

static void run_case(const char *name, void (*fn)(const char *name))
{
	if (only && !strstr(name, only))
		return;
	if (counting)
		planned++;
	else
		fn(name);
}

static void run_hostile_case(int t)
{
	char name[64];

	snprintf(name, sizeof(name), "hostile:%s", hostile_tests[t].name);
	if (only && !strstr(name, only))
		return;
	if (counting)
		planned++;
	else
		test_hostile(name, t);
}

static void all_cases(void)
{
	char name[64];
	int t;

	if (bench_calls > 1) {
		run_case("bench:hypercall", bench_hcall);
		return;
	}
	if (work_seconds) {
		run_case("work", test_work);
		return;
	}
	run_case("guest", test_good_guest);
	run_case("stats:debugfs", test_stats_debugfs);
	run_case("stats:trace", test_stats_trace);
	for (t = 1; t < HOSTILE_MAX; t++)
		if (hostile_tests[t].name)
			run_hostile_case(t);
	run_case("set-regs", test_set_regs);
	run_case("setup-retry", test_setup_retry);
	run_case("memlock", test_memlock);
	run_case("fuzz:ioctl", test_ioctl_fuzz);
	run_case("fuzz:hypercalls", test_hcall_fuzz);
	run_case("parallel:4-guests", test_parallel);
	snprintf(name, sizeof(name), "killed-launcher:%d", kills);
	run_case(name, test_killed_launcher);
	snprintf(name, sizeof(name), "leak:%d-runs", runs);
	run_case(name, test_leaks);
}

/* The module's own cases come last and are never left out by --only. */
static void module_cases(void)
{
	if (!module)
		return;
	if (counting) {
		planned += 2;
		return;
	}
	test_unload("module:unload");
	test_reload("module:no-leak");
}

int main(int argc, char **argv)
{
	int i;

	find_guest(argv[0]);
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--guest") && i + 1 < argc)
			guest_file = argv[++i];
		else if (!strcmp(argv[i], "--only") && i + 1 < argc)
			only = argv[++i];
		else if (!strcmp(argv[i], "--module") && i + 1 < argc)
			module = argv[++i];
		else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
			runs = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--kills") && i + 1 < argc)
			kills = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--fuzz") && i + 1 < argc)
			fuzz_seconds = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--work") && i + 1 < argc)
			work_seconds = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--long"))
			long_run = true;
		else if (!strcmp(argv[i], "--bench-hcall") && i + 1 < argc)
			bench_calls = atol(argv[++i]);
		else if (!strcmp(argv[i], "--quick"))
			quick = true;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return print_usage(stdout, argv[0]);
		else
			return print_usage(stderr, argv[0]);
	}
	ksft_print_header();
	if (module && !insert_module())
		ksft_exit_fail_msg("cannot load %s: %s\n", module, strerror(errno));
	if (access("/dev/lguest", R_OK | W_OK))
		ksft_exit_skip("no /dev/lguest to use (%s): this host has no lguest\n",
			       strerror(errno));
	if (access(guest_file, R_OK))
		ksft_exit_fail_msg("no test guest %s: %s\n", guest_file, strerror(errno));
	counting = true;
	all_cases();
	module_cases();
	ksft_set_plan(planned);
	counting = false;
	all_cases();
	module_cases();
	ksft_finished();
}
