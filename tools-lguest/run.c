// SPDX-License-Identifier: GPL-2.0
/*
 * Running the guest: /dev/lguest, the loop around LGUEST_RUN, and what
 * each exit asks of us (a device access, early console text, a shutdown
 * or reboot, a guest the host killed).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <asm/lguest_hcall.h>
#include "lguest.h"

void launcher_quit(const char *why)
{
	fprintf(stderr, "\nlguest: %s: stopping the guest\n", why);
	exit(LG_EXIT_QUIT);
}

void open_lguest(void)
{
	int version;

	lguest_fd = open("/dev/lguest", O_RDWR | O_CLOEXEC);
	if (lguest_fd < 0)
		fail("cannot open /dev/lguest: %m (is the lg module loaded? CONFIG_LGUEST)");
	/* A host that speaks another ABI would misread everything we say. */
	version = ioctl(lguest_fd, LGUEST_GET_ABI_VERSION);
	if (version != LGUEST_ABI_VERSION)
		fail("the host's lguest ABI is version %d, this Launcher speaks %d",
		     version, LGUEST_ABI_VERSION);
}

void setup_guest(void)
{
	setup.mem_base = (uintptr_t)mem.base;
	setup.mem_pages = mem.size / PAGE;
	setup.mmio_base = mem.size;
	setup.mmio_size = ndevices * VDEV_PAGE;
	setup.boot_params = BOOT_PARAMS_GPA;
	setup.flags = 0;
	setup.reserved = 0;
	if (ioctl(lguest_fd, LGUEST_SETUP, &setup))
		fail("LGUEST_SETUP failed: %m");
}

/* From an I/O thread: the main thread must look at the guest now. */
void wake_main_thread(void)
{
	ioctl(lguest_fd, LGUEST_BREAK);
}

void raise_irq(struct vdev *d)
{
	uint32_t irq = d->irq;

	if (ioctl(lguest_fd, LGUEST_IRQ, &irq))
		fail("LGUEST_IRQ %u failed: %m", irq);
}

/*
 * With --stats, what the host counted for the boot that just ended: how
 * often the guest came back to it, and why.
 */
static void print_stats(void)
{
	static const char *const vectors[32] = {
		[1] = "#DB", [3] = "#BP", [6] = "#UD", [7] = "#NM", [13] = "#GP",
		[14] = "#PF", [16] = "#MF", [19] = "#XM", [LGUEST_HCALL_VECTOR] = "hypercall",
	};
	struct lguest_stats st;
	unsigned int i;

	if (!opt.stats)
		return;
	if (ioctl(lguest_fd, LGUEST_GET_STATS, &st)) {
		fprintf(stderr, "lguest: no statistics: %m\n");
		return;
	}
	fprintf(stderr, "lguest: statistics of this boot:\n  entries %llu\n  exits:",
		(unsigned long long)st.runs);
	for (i = 0; i < 32; i++)
		if (st.exits[i])
			fprintf(stderr, " %s%s%u %llu", vectors[i] ? vectors[i] : "vector ",
				vectors[i] ? "/" : "", i, (unsigned long long)st.exits[i]);
	fprintf(stderr, ", host interrupt %llu, system call %llu\n  hypercalls:",
		(unsigned long long)st.exits_irq, (unsigned long long)st.exits_syscall);
	for (i = 0; i < LGUEST_STAT_HCALLS; i++)
		if (st.hcalls[i])
			fprintf(stderr, " %u:%llu", i, (unsigned long long)st.hcalls[i]);
	fprintf(stderr, "\n  page faults: %llu shadowed (%llu in the kernel), %llu the guest's, %llu MMIO;",
		(unsigned long long)st.faults_fixed, (unsigned long long)st.faults_fixed_kernel,
		(unsigned long long)st.faults_reflected, (unsigned long long)st.mmio_exits);
	fprintf(stderr, " %llu entries shadowed around them\n",
		(unsigned long long)st.faults_around);
	fprintf(stderr, "  page-table loads: %llu kept their user half, %llu dropped it\n",
		(unsigned long long)st.pgdir_kept, (unsigned long long)st.pgdir_dropped);
	fprintf(stderr, "  shadow flushes %llu, pages pinned %llu, NMIs inside the Switcher %llu\n",
		(unsigned long long)st.shadow_flushes, (unsigned long long)st.pins,
		(unsigned long long)st.switcher_nmis);
}

/*
 * With --stats-marks, a console line of the guest's that starts with
 * "LGBENCH-MARK: " (as tools/lguest/lgbench prints them) makes us print
 * the host's counters on stderr, "LGSTATS: <the rest of the line> ...",
 * so that a benchmark can tell the exits of each of its workloads.
 */
static void print_marked_stats(const char *mark, const struct lguest_stats *st)
{
	const struct {
		const char *name;
		__u64 value;
	} field[] = {
		{ "exits", st->exits_irq + st->exits_syscall }, { "pf", st->exits[14] },
		{ "hcall", st->exits[LGUEST_HCALL_VECTOR] }, { "irq", st->exits_irq },
		{ "syscall", st->exits_syscall }, { "fixed", st->faults_fixed },
		{ "kfixed", st->faults_fixed_kernel }, { "around", st->faults_around },
		{ "reflected", st->faults_reflected }, { "mmio", st->mmio_exits },
		{ "kept", st->pgdir_kept }, { "dropped", st->pgdir_dropped },
		{ "flushes", st->shadow_flushes }, { "pins", st->pins },
	};
	unsigned long long exits = field[0].value;
	unsigned int i;

	for (i = 0; i < 32; i++)
		exits += st->exits[i];
	fprintf(stderr, "LGSTATS: %s exits=%llu", mark, exits);
	for (i = 1; i < ARRAY_SIZE(field); i++)
		fprintf(stderr, " %s=%llu", field[i].name, (unsigned long long)field[i].value);
	for (i = 0; i < LGUEST_STAT_HCALLS; i++)
		if (st->hcalls[i])
			fprintf(stderr, " hc%u=%llu", i, (unsigned long long)st->hcalls[i]);
	fputc('\n', stderr);
}

void console_marks(const void *buf, size_t len)
{
	static char line[256];
	static size_t used;
	const char *p = buf;
	struct lguest_stats st;

	for (; len; len--, p++) {
		if (*p != '\n') {
			if (*p != '\r' && used < sizeof(line) - 1)
				line[used++] = *p;
			continue;
		}
		line[used] = '\0';
		used = 0;
		if (strncmp(line, "LGBENCH-MARK: ", 14) || ioctl(lguest_fd, LGUEST_GET_STATS, &st))
			continue;
		print_marked_stats(line + 14, &st);
	}
}

void __attribute__((noreturn)) guest_died(const char *why)
{
	fprintf(stderr, "lguest: guest died: %s\n", why);
	print_stats();
	exit(LG_EXIT_KILLED);
}

/* Where a guest the host killed was: the first thing one wants to know. */
static void dump_registers(void)
{
	struct lguest_vcpu_regs r;

	if (ioctl(lguest_fd, LGUEST_GET_REGS, &r))
		return;
	fprintf(stderr,
		"lguest: registers: eip %08x esp %08x eflags %08x cs %04x ss %04x\n"
		"lguest:   eax %08x ebx %08x ecx %08x edx %08x\n"
		"lguest:   esi %08x edi %08x ebp %08x ds %04x es %04x fs %04x gs %04x\n",
		r.eip, r.esp, r.eflags, r.cs, r.ss, r.eax, r.ebx, r.ecx, r.edx,
		r.esi, r.edi, r.ebp, r.ds, r.es, r.fs, r.gs);
}

/* Early console text, straight from guest memory to stdout. */
static void handle_console(const struct lguest_exit *e)
{
	const char *text = gpa_to_ptr(&mem, e->arg[0], e->arg[1]);

	if (!text)
		guest_died("early console text outside its memory");
	fwrite(text, 1, e->arg[1], stdout);
	fflush(stdout);
}

/*
 * L:170 A reboot: every device forgets the guest, memory is thrown away
 * (fresh pages read as zero), the kernel and initrd are loaded again from
 * the files we kept open, and the host sets up a new guest on the same
 * /dev/lguest.  None of it needs the privileges we may have dropped.
 */
static void restart_guest(void)
{
	unsigned int i;

	for (i = 0; i < ndevices; i++)
		vdev_reset(&devices[i]);
	forget_inputs();
	/*
	 * A new mapping over the old one: fresh pages that read as zero
	 * (madvise() would do, but small host kernels may lack it).
	 */
	if (mmap(mem.base, mem.size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0) == MAP_FAILED)
		fail("cannot clear guest memory: %m");
	load_guest();
	setup_guest();
	watch_inputs();
}

static void handle_shutdown(const struct lguest_exit *e)
{
	print_stats();
	if (e->arg[0] == LGUEST_SHUTDOWN_RESTART && opt.no_reboot) {
		fprintf(stderr, "lguest: guest restarting: %s; stopping instead (--no-reboot)\n",
			e->message);
		exit(LG_EXIT_POWER_OFF);
	}
	if (e->arg[0] == LGUEST_SHUTDOWN_RESTART) {
		fprintf(stderr, "lguest: guest restarting: %s\n", e->message);
		restart_guest();
		return;
	}
	if (e->arg[0] == LGUEST_SHUTDOWN_CRASH) {
		fprintf(stderr, "lguest: guest crashed: %s\n", e->message);
		exit(LG_EXIT_CRASH);
	}
	fprintf(stderr, "lguest: guest powered off: %s\n", e->message);
	exit(LG_EXIT_POWER_OFF);
}

/* L:180 The main loop: run the guest, answer it, again. */
void __attribute__((noreturn)) run_loop(void)
{
	struct lguest_exit e;

	for (;;) {
		resize_console(true);
		if (ioctl(lguest_fd, LGUEST_RUN, &e)) {
			if (errno == EINTR)
				continue;
			fail("LGUEST_RUN failed: %m");
		}
		switch (e.reason) {
		case LGUEST_EXIT_MMIO:
			handle_mmio(&e);
			break;
		case LGUEST_EXIT_CONSOLE:
			handle_console(&e);
			break;
		case LGUEST_EXIT_SHUTDOWN:
			handle_shutdown(&e);
			break;
		case LGUEST_EXIT_DEAD:
			dump_registers();
			guest_died(e.message);
		case LGUEST_EXIT_BREAK:
			service_inputs();
			break;
		default:
			fail("LGUEST_RUN gave an unknown exit %u", e.reason);
		}
		if (guest_is_bad())
			guest_died(guest_fault);
		watch_inputs();
	}
}
