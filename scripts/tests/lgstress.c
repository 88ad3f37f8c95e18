// SPDX-License-Identifier: GPL-2.0
/*
 * lgstress: try to catch the host using a stale shadow page table.
 *
 * The lguest host keeps the shadows of several of the guest's page tables
 * across context switches, and trusts the guest's TLB generation to say
 * when one must be dropped.  If it ever keeps one too long, a process
 * sees memory it no longer maps, or misses a page the kernel put in while
 * it was not running.  Each pattern below makes that visible as wrong
 * data or a missing fault, and the patterns run in turn until the time
 * is up:
 *
 *   remote-cow      a sleeping child's copy-on-write page is broken by
 *                   its parent writing to /proc/PID/mem: the child must
 *                   read the new page, the parent keep the old one
 *   truncate        a file page mapped by a sleeping child is truncated
 *                   away and rewritten: the child must read the new one
 *   fork-cow        each child checks what its parent wrote just before
 *                   the fork, scribbles over its copy, and exits; the
 *                   parent's copy must stay as it was
 *   exec-reuse      a new program's data, bss and first mmap must be
 *                   pristine although the last one's page tables were
 *                   just freed (and are likely reused)
 *   munmap          after a fresh mapping over the page (also right after
 *                   a refused write to it), mprotect or munmap, with other
 *                   processes run in between, the old page is gone
 *   mremap          a moved mapping is found at its new address only
 *
 * Usage: lgstress [SECONDS]  (default 5).  Reports in KTAP, tagged
 * "lgstress" (lgtest.h): one result per pattern, with the rounds it
 * survived, or the first failure and why; exits 0 or 1.  Static, 32-bit,
 * libc only; it also runs natively, where it must pass just the same.
 */
#define _FILE_OFFSET_BITS 64	/* /proc/PID/mem offsets are addresses */
#include "lgtest.h"
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define PAGE 4096

/* Initialised data and bss that every exec-reuse child checks. */
static uint32_t data_canary[PAGE / 4] = { [0 ... PAGE / 4 - 1] = 0x5a5a1234 };
static uint32_t bss_page[PAGE / 4];

static const char *self = "/proc/self/exe";
static char why[256];

/* Say why a pattern failed; false, for its return. */
static bool failed(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return false;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *map_anon(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/*
 * A partner process that echoes bytes: each bounce() is two context
 * switches, away from this address space and back, so the host loads
 * another page table and returns to ours with its shadow kept.
 */
static int to_partner[2], from_partner[2];

static void start_partner(void)
{
	char c;

	if (pipe(to_partner) || pipe(from_partner))
		exit(2);
	if (fork() == 0) {
		/* Ends when we do: its copy of our end must not keep it open. */
		close(to_partner[1]);
		close(from_partner[0]);
		while (read(to_partner[0], &c, 1) == 1)
			if (write(from_partner[1], &c, 1) != 1)
				break;
		_exit(0);
	}
}

static void bounce(void)
{
	char c = 'b';

	if (write(to_partner[1], &c, 1) != 1 || read(from_partner[0], &c, 1) != 1)
		exit(2);
}

/* Touching memory that must not be there: which signal it raised. */
static sigjmp_buf probe_jump;

static void on_fault(int sig)
{
	siglongjmp(probe_jump, sig);
}

static int probe(volatile uint32_t *p, bool write)
{
	int sig = sigsetjmp(probe_jump, 1);

	if (sig)
		return sig;
	if (write)
		*p = 0xbad;
	else
		(void)*p;
	return 0;
}

/* A child that checks *p once woken; its exit status says if it passed. */
static pid_t sleeping_child(volatile uint32_t *p, uint32_t before, uint32_t after,
			    int ready[2], int go[2])
{
	pid_t pid = fork();
	char c = 'r';

	if (pid)
		return pid;
	if (*p != before)		/* fills the shadow with the old page */
		_exit(3);
	if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
		_exit(2);
	_exit(*p == after ? 0 : 1);
}

/* Wait for a checking child; a failure says what it means, unless why does. */
static bool reap(pid_t pid, const char *what)
{
	int status;

	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
		return why[0] ? false : failed("%s: child status %#x", what, status);
	}
	return true;
}

static bool two_pipes(int a[2], int b[2])
{
	if (pipe(a))
		return false;
	if (pipe(b)) {
		close(a[0]);
		close(a[1]);
		return false;
	}
	return true;
}

static void close_pipes(int a[2], int b[2])
{
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
}

/*
 * Write to another process's memory as a debugger does: the kernel breaks
 * copy-on-write in that address space, which is not the one loaded.
 */
static bool poke(pid_t pid, volatile uint32_t *at, uint32_t val)
{
	char path[32];
	int fd;
	bool ok;

	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return false;
	ok = pwrite(fd, &val, sizeof(val), (uintptr_t)at) == sizeof(val);
	close(fd);
	return ok;
}

static bool pattern_remote_cow(uint32_t round)
{
	volatile uint32_t *p = map_anon(PAGE);
	uint32_t fresh = round ^ 0xc0c0c0c0;
	int ready[2], go[2];
	bool ok = true;
	pid_t pid;
	char c;

	if (!p || !two_pipes(ready, go))
		return failed("out of memory");
	*p = round;
	pid = sleeping_child(p, round, fresh, ready, go);
	if (pid < 0 || read(ready[0], &c, 1) != 1)
		return failed("fork");
	if (!poke(pid, p, fresh))
		ok = failed("/proc/%d/mem: %s", pid, strerror(errno));
	c = 'g';
	if (write(go[1], &c, 1) != 1)
		ok = false;
	ok = reap(pid, "the child read its old page") && ok;
	if (ok && *p != round)
		ok = failed("the parent's page changed");
	close_pipes(ready, go);
	munmap((void *)p, PAGE);
	return ok;
}

static bool pattern_truncate(uint32_t round)
{
	int fd = syscall(SYS_memfd_create, "lgstress", 0);
	uint32_t fresh = round + 0x1000;
	volatile uint32_t *p;
	int ready[2], go[2];
	bool ok = true;
	pid_t pid;
	char c;

	if (fd < 0 || ftruncate(fd, PAGE))
		return failed("memfd: %s", strerror(errno));
	p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED || !two_pipes(ready, go)) {
		close(fd);
		return failed("mmap: %s", strerror(errno));
	}
	*p = round;
	pid = sleeping_child(p, round, fresh, ready, go);
	if (pid < 0 || read(ready[0], &c, 1) != 1)
		return failed("fork");
	/* Zaps the page from the child's page table while it sleeps. */
	if (ftruncate(fd, 0) || ftruncate(fd, PAGE) ||
	    pwrite(fd, &fresh, sizeof(fresh), 0) != sizeof(fresh))
		ok = failed("truncate: %s", strerror(errno));
	c = 'g';
	if (write(go[1], &c, 1) != 1)
		ok = false;
	ok = reap(pid, "the child read the truncated page") && ok;
	close_pipes(ready, go);
	munmap((void *)p, PAGE);
	close(fd);
	return ok;
}

static bool pattern_fork_cow(uint32_t round)
{
	static uint32_t *buf;
	unsigned int i;
	pid_t pid;

	if (!buf && !(buf = map_anon(4 * PAGE)))
		return failed("out of memory");
	for (i = 0; i < 4 * PAGE / 4; i += PAGE / 4 / 2)
		buf[i] = round + i;
	pid = fork();
	if (pid == 0) {
		for (i = 0; i < 4 * PAGE / 4; i += PAGE / 4 / 2) {
			if (buf[i] != round + i)
				_exit(1);
			buf[i] = ~0u;
		}
		bounce();
		for (i = 0; i < 4 * PAGE / 4; i += PAGE / 4 / 2)
			if (buf[i] != ~0u)
				_exit(1);
		_exit(0);
	}
	if (pid < 0 || !reap(pid, "the child saw another copy"))
		return false;
	for (i = 0; i < 4 * PAGE / 4; i += PAGE / 4 / 2)
		if (buf[i] != round + i)
			return failed("the parent saw the child's write");
	return true;
}

/* The program exec-reuse runs: everything pristine, then dirtied. */
static int exec_child(void)
{
	uint32_t *m = map_anon(PAGE);
	unsigned int i;
	int bad = 0;

	for (i = 0; i < PAGE / 4; i++) {
		bad |= data_canary[i] != 0x5a5a1234 || bss_page[i] || !m || m[i];
		data_canary[i] = bss_page[i] = ~0u;
		if (m)
			m[i] = ~0u;
	}
	return bad;
}

static bool pattern_exec_reuse(uint32_t round)
{
	char arg[16];
	pid_t pid;

	snprintf(arg, sizeof(arg), "%u", round);
	pid = fork();
	if (pid == 0) {
		execl(self, "lgstress", "--exec-child", arg, (char *)NULL);
		_exit(127);
	}
	return pid > 0 && reap(pid, "a new program saw old memory");
}

static bool pattern_munmap(uint32_t round)
{
	volatile uint32_t *p = map_anon(PAGE);

	if (!p)
		return failed("out of memory");
	*p = round | 1;
	bounce();
	/* A new, empty page in its place (madvise() may not be built in). */
	if (mmap((void *)p, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		 -1, 0) != p)
		return failed("mmap over it: %s", strerror(errno));
	bounce();
	if (*p)
		return failed("the old page survived a new mapping over it");
	*p = round;
	bounce();
	mprotect((void *)p, PAGE, PROT_READ);
	bounce();
	if (*p != round || probe(p, true) != SIGSEGV)
		return failed("wrote to a read-only page");
	/*
	 * Read, then a write refused: the host drops its entry for a fault it
	 * gives back and lets the guest skip the next flush of that page.  A
	 * new mapping over it right away must not find the old page.
	 */
	if (mmap((void *)p, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		 -1, 0) != p)
		return failed("mmap over it: %s", strerror(errno));
	if (*p)
		return failed("the page of a refused write survived a new mapping over it");
	munmap((void *)p, PAGE);
	bounce();
	if (probe(p, false) != SIGSEGV)
		return failed("read an unmapped page");
	return true;
}

static bool pattern_mremap(uint32_t round)
{
	volatile uint32_t *p = map_anon(2 * PAGE), *q;

	if (!p)
		return failed("out of memory");
	p[0] = round;
	p[PAGE / 4] = ~round;
	bounce();
	/*
	 * Keep the old range mapped, empty, so that nothing else lands there
	 * (by syscall, with a new address of 0: a libc wrapper that only
	 * reads that argument for MREMAP_FIXED may pass junk for it).
	 */
	q = (void *)syscall(SYS_mremap, p, 2 * PAGE, 2 * PAGE,
			    MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0);
	if (q == MAP_FAILED)
		return failed("mremap: %s", strerror(errno));
	bounce();
	if (q[0] != round || q[PAGE / 4] != ~round)
		return failed("the moved pages lost their data");
	if (p[0] || p[PAGE / 4])
		return failed("the old address still shows the data");
	munmap((void *)p, 2 * PAGE);
	munmap((void *)q, 2 * PAGE);
	return true;
}

static const struct {
	const char *name;
	bool (*run)(uint32_t round);
} patterns[] = {
	{ "remote-cow", pattern_remote_cow },
	{ "truncate", pattern_truncate },
	{ "fork-cow", pattern_fork_cow },
	{ "exec-reuse", pattern_exec_reuse },
	{ "munmap", pattern_munmap },
	{ "mremap", pattern_mremap },
};
#define NR_PATTERNS (sizeof(patterns) / sizeof(patterns[0]))

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 5, end;
	unsigned long rounds[NR_PATTERNS] = { 0 };
	struct sigaction sa = { .sa_handler = on_fault };
	unsigned int i;
	uint32_t round;

	if (argc > 1 && !strcmp(argv[1], "--exec-child"))
		return exec_child();
	setvbuf(stdout, NULL, _IOLBF, 0);
	ktap_begin("lgstress");
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	start_partner();
	end = now() + (seconds > 0 ? seconds : 5);
	for (round = 1; now() < end; round++) {
		for (i = 0; i < NR_PATTERNS; i++) {
			if (!patterns[i].run(round)) {
				fail(patterns[i].name, "in round %u: %s", round, why);
				return ktap_end() ? 1 : 0;
			}
			rounds[i]++;
		}
	}
	for (i = 0; i < NR_PATTERNS; i++)
		pass(patterns[i].name, "%lu rounds", rounds[i]);
	return ktap_end() ? 1 : 0;
}
