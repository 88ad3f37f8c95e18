// SPDX-License-Identifier: GPL-2.0
/*
 * lginit: the /init of the test guest, and of the test initramfs that
 * scripts/mkinitramfs makes for every boot test.
 *
 * It exercises what a kernel must get right for userspace (and, under
 * lguest, a kernel running at ring 1), and reports each check in KTAP
 * with the tag "lginit" (lgtest.h): what a check saw as a "# name: ..."
 * line, then its "ok N name" or "not ok N name", and the totals at the
 * end.  The boot test reads that with the kernel's KTAP parser, and the
 * scripts look for the checks they need.  At the end it powers the
 * machine off (or, on the first boot with lginit.reboot on the command
 * line, asks for a restart and leaves a mark on the block device so that
 * the second boot knows).
 *
 * Words on the kernel command line:
 *	lginit.native	running on bare metal (QEMU): ring-1 checks off
 *	lginit.quick	only uname and cpuinfo, then the end
 *	lginit.forks=N	fork+exec rounds, and pipe round trips (default 1000)
 *	lginit.cow_mb=N	the copy-on-write area in MiB (default 64)
 *	lginit.maps=N	rounds of mmap, touch, munmap (default 20000)
 *	lginit.devices	also check the Launcher's block device (a pattern
 *			written at 64 KiB into /dev/vda, read back past the
 *			cache; the host finds it in the image later; on a
 *			disk of more than 4 GiB, a pattern the host wrote
 *			above 4 GiB is read, and one is written there; a
 *			range is discarded and one zeroed) and
 *			read 1 MiB from /dev/hwrng
 *	lginit.share	mount the Launcher's shared folder (virtio-9p, tag
 *			hostshare) and work in it: read, create 1 MiB,
 *			rename, chmod, link, delete, list, and see that
 *			its symlinks lead into our tree, not the host's
 *	lginit.echo	read a line from the console and say what it was
 *	lginit.winsize	say the console's size, and again when it changes
 *	lginit.stress=N	run /lgstress (lgstress.c), if it is there, for N
 *			seconds (default 5): the shadow caching of the host
 *			must never show a stale mapping
 *	lginit.hang	report nothing and never end (the boot test's own
 *			timeout is tested with it)
 *	lginit.shell	at the end, run /bin/sh if there is one
 *	lginit.end=reboot|halt  end with a restart (a QEMU PC without ACPI
 *			cannot power off; -no-reboot makes the restart end
 *			QEMU), or stay up, instead of a power-off
 *
 * Static, 32-bit, no library beyond libc.  As "lginit child" it is the
 * program the fork+exec test runs.
 */
#define _FILE_OFFSET_BITS 64	/* /dev/vda may be larger than 2 GiB */
#include "lgtest.h"
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <linux/fs.h>
#include <sys/reboot.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>

static double now(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Read a whole small file into buf; returns its length or -1. */
static int slurp(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY), n, len = 0;

	if (fd < 0)
		return -1;
	while ((n = read(fd, buf + len, size - 1 - len)) > 0)
		len += n;
	close(fd);
	buf[len] = '\0';
	return len;
}

/* The value of word=VALUE on the command line, or NULL. */
static const char *cmdline_value(const char *word)
{
	static char buf[4096];
	size_t n = strlen(word);
	char *p, *end;

	if (slurp("/proc/cmdline", buf, sizeof(buf)) <= 0)
		return NULL;
	for (p = buf; (p = strstr(p, word)); p += n) {
		if ((p == buf || p[-1] == ' ') && p[n] == '=') {
			end = p + n + 1 + strcspn(p + n + 1, " \n");
			*end = '\0';
			return p + n + 1;
		}
	}
	return NULL;
}

static bool cmdline_has(const char *word)
{
	static char buf[4096];
	char *p;
	size_t n = strlen(word);

	if (slurp("/proc/cmdline", buf, sizeof(buf)) <= 0)
		return false;
	for (p = buf; (p = strstr(p, word)); p += n)
		if ((p == buf || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || !p[n]))
			return true;
	return false;
}

static void check_uname(void)
{
	struct utsname u;

	if (uname(&u) || strcmp(u.sysname, "Linux") || strcmp(u.machine, "i686"))
		fail("uname", "%s %s", u.sysname, u.machine);
	else
		pass("uname", "%s %s %s", u.sysname, u.release, u.machine);
}

/* The guest must see the hypervisor and not what it cannot use. */
static void check_cpuinfo(void)
{
	static char buf[16384];
	char *flags;
	const char *bad[] = { " sep", " apic", " mce", " xsave", " vmx" };
	unsigned int i;

	if (slurp("/proc/cpuinfo", buf, sizeof(buf)) <= 0) {
		fail("cpuinfo", "cannot read /proc/cpuinfo");
		return;
	}
	flags = strstr(buf, "\nflags");
	if (!flags) {
		fail("cpuinfo", "no flags line");
		return;
	}
	*strchrnul(flags + 1, '\n') = ' ';
	/* On bare metal (the native half of the boot test) all of them may show. */
	if (cmdline_has("lginit.native")) {
		pass("cpuinfo", "native, %s hypervisor flag", strstr(flags, " hypervisor ") ? "with" : "no");
		return;
	}
	if (!strstr(flags, " hypervisor ")) {
		fail("cpuinfo", "no hypervisor flag");
		return;
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char word[16];

		snprintf(word, sizeof(word), "%s ", bad[i]);
		if (strstr(flags, word)) {
			fail("cpuinfo", "flag%s is visible", bad[i]);
			return;
		}
	}
	pass("cpuinfo", "hypervisor flag, no sep/apic/mce/xsave/vmx");
}

static void check_fork_exec(const char *self, int count)
{
	double t0 = now(CLOCK_MONOTONIC);
	int i, status;
	pid_t pid;

	for (i = 0; i < count; i++) {
		pid = fork();
		if (pid < 0) {
			fail("fork-exec", "fork %d: %s", i, strerror(errno));
			return;
		}
		if (!pid) {
			execl(self, self, "child", (char *)NULL);
			_exit(127);
		}
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 42) {
			fail("fork-exec", "child %d: status %#x", i, status);
			return;
		}
	}
	pass("fork-exec", "%d in %.2f s", count, now(CLOCK_MONOTONIC) - t0);
}

static volatile int pipe_round = -1;

static void on_pipe_alarm(int sig)
{
	(void)sig;
	fail("pipe", "stuck at round %d", pipe_round);
	_exit(1);
}

static void check_pipe(int rounds)
{
	int to_child[2], to_parent[2], i, status;
	double t0 = now(CLOCK_MONOTONIC);
	uint32_t v = 0;
	pid_t pid;

	if (pipe(to_child) || pipe(to_parent)) {
		fail("pipe", "pipe: %s", strerror(errno));
		return;
	}
	pid = fork();
	if (!pid) {
		/*
		 * The child answers every number with its successor, until
		 * the parent closes its end: so it must not hold that end
		 * open itself.
		 */
		close(to_child[1]);
		close(to_parent[0]);
		while (read(to_child[0], &v, 4) == 4) {
			v++;
			if (write(to_parent[1], &v, 4) != 4)
				_exit(1);
		}
		_exit(0);
	}
	close(to_child[0]);
	close(to_parent[1]);
	signal(SIGALRM, on_pipe_alarm);
	alarm(120);
	for (i = 0; i < rounds; i++) {
		uint32_t back;

		pipe_round = i;
		v = i * 2;
		if (write(to_child[1], &v, 4) != 4 || read(to_parent[0], &back, 4) != 4 ||
		    back != v + 1) {
			fail("pipe", "round %d", i);
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			close(to_child[1]);
			close(to_parent[0]);
			return;
		}
	}
	alarm(0);
	close(to_child[1]);
	close(to_parent[0]);
	waitpid(pid, &status, 0);
	pass("pipe", "%d round trips in %.2f s", rounds, now(CLOCK_MONOTONIC) - t0);
}

/*
 * Copy-on-write over a large area: the parent fills it, a child rewrites
 * every page (each write a fault that copies), and both must then see
 * their own contents.  Then unmap and map again: the memory comes back
 * zeroed.
 */
static void check_mmap_cow(size_t mib)
{
	size_t size = mib << 20, page = 4096, i;
	uint32_t *p;
	int status;
	pid_t pid;

	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		fail("mmap-cow", "mmap %zu MiB: %s", mib, strerror(errno));
		return;
	}
	for (i = 0; i < size / 4; i += page / 4)
		p[i] = i;
	pid = fork();
	if (!pid) {
		for (i = 0; i < size / 4; i += page / 4) {
			if (p[i] != i)
				_exit(1);
			p[i] = ~i;
		}
		for (i = 0; i < size / 4; i += page / 4)
			if (p[i] != ~i)
				_exit(2);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
		fail("mmap-cow", "child status %#x", status);
		return;
	}
	for (i = 0; i < size / 4; i += page / 4) {
		if (p[i] != i) {
			fail("mmap-cow", "parent page %zu changed to %#x", i / (page / 4), p[i]);
			return;
		}
	}
	if (munmap(p, size)) {
		fail("mmap-cow", "munmap: %s", strerror(errno));
		return;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		fail("mmap-cow", "second mmap: %s", strerror(errno));
		return;
	}
	for (i = 0; i < size / 4; i += page / 4) {
		if (p[i]) {
			fail("mmap-cow", "fresh page %zu not zero", i / (page / 4));
			return;
		}
	}
	munmap(p, size);
	pass("mmap-cow", "%zu MiB, %zu pages copied on write", mib, size / page);
}

/*
 * What malloc and free of a large buffer do: map a page, touch it, unmap
 * it, over and over.  Each round takes a page fault at the same place
 * for the same address, and the host must see that the guest is making
 * progress all the same.
 */
static void check_map_loop(int rounds)
{
	volatile uint32_t *p;
	int i;

	for (i = 0; i < rounds; i++) {
		p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			fail("map-loop", "mmap in round %d: %s", i, strerror(errno));
			return;
		}
		p[0] = i;
		if (p[0] != (uint32_t)i || munmap((void *)p, 4096)) {
			fail("map-loop", "round %d", i);
			return;
		}
	}
	pass("map-loop", "%d rounds of mmap, touch, munmap", rounds);
}

/* The shadow-caching stress, a program of its own; its lines pass through. */
static void check_shadow_stress(void)
{
	const char *secs = cmdline_value("lginit.stress");
	double t0 = now(CLOCK_MONOTONIC);
	int status;
	pid_t pid;

	if (access("/lgstress", X_OK))
		return;
	pid = fork();
	if (!pid) {
		execl("/lgstress", "lgstress", secs ? secs : "5", (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		fail("shadow-stress", "lgstress status %#x", pid < 0 ? -1 : status);
	else
		pass("shadow-stress", "%.1f s without a stale mapping", now(CLOCK_MONOTONIC) - t0);
}

static volatile sig_atomic_t usr1_count, segv_seen;
static int *volatile bad_pointer = (int *)16;
static sigjmp_buf segv_jump;

static void on_usr1(int sig)
{
	(void)sig;
	usr1_count++;
}

static void on_segv(int sig)
{
	(void)sig;
	segv_seen = 1;
	siglongjmp(segv_jump, 1);
}

/* Signals to ourselves, from a child, and one from a real fault. */
static void check_signals(void)
{
	/* SA_RESTART: a late SIGUSR1 must not cut short a later system call. */
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
	int i, status;
	pid_t pid;

	sigaction(SIGUSR1, &sa, NULL);
	for (i = 0; i < 100; i++)
		raise(SIGUSR1);
	pid = fork();
	if (!pid) {
		for (i = 0; i < 100; i++) {
			kill(getppid(), SIGUSR1);
			usleep(100);
		}
		_exit(0);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	/*
	 * The fault is taken in a child: the kernel logs every fault of
	 * init, handled or not, and the boot test reads that log.
	 */
	pid = fork();
	if (!pid) {
		sa.sa_handler = on_segv;
		sigaction(SIGSEGV, &sa, NULL);
		if (!sigsetjmp(segv_jump, 1))
			*bad_pointer = 1;
		_exit(segv_seen ? 0 : 1);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	segv_seen = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	if (usr1_count < 101 || !segv_seen) {
		fail("signals", "%d SIGUSR1 of 200, SIGSEGV %s", (int)usr1_count,
		     segv_seen ? "seen" : "missing");
		return;
	}
	pass("signals", "%d SIGUSR1 delivered, SIGSEGV caught", (int)usr1_count);
}

/* nanosleep() is the host's timer; CLOCK_MONOTONIC is the TSC. */
static void check_nanosleep(void)
{
	struct timespec one = { .tv_sec = 1 };
	double t0 = now(CLOCK_MONOTONIC), dt;

	nanosleep(&one, NULL);
	dt = now(CLOCK_MONOTONIC) - t0;
	if (dt < 0.95 || dt > 1.05)
		fail("nanosleep", "1 s took %.4f s", dt);
	else
		pass("nanosleep", "1 s took %.4f s", dt);
}

static void check_monotonic(double seconds)
{
	struct timespec prev, cur;
	double t0 = now(CLOCK_MONOTONIC);
	unsigned long reads = 0;

	clock_gettime(CLOCK_MONOTONIC, &prev);
	while (now(CLOCK_MONOTONIC) - t0 < seconds) {
		clock_gettime(CLOCK_MONOTONIC, &cur);
		reads++;
		if (cur.tv_sec < prev.tv_sec ||
		    (cur.tv_sec == prev.tv_sec && cur.tv_nsec < prev.tv_nsec)) {
			fail("monotonic", "went back from %ld.%09ld to %ld.%09ld",
			     (long)prev.tv_sec, prev.tv_nsec, (long)cur.tv_sec, cur.tv_nsec);
			return;
		}
		prev = cur;
	}
	pass("monotonic", "%lu reads over %.1f s, never backwards", reads, seconds);
}


/*
 * With lginit.reboot, the first boot writes a mark to the start of
 * /dev/vda and asks for a restart; the second finds the mark, says so
 * and goes on with the checks.
 */
static void maybe_reboot(void)
{
	static const char mark[16] = "lginit: booted";
	char buf[16];
	int fd;

	if (!cmdline_has("lginit.reboot"))
		return;
	fd = open("/dev/vda", O_RDWR);
	if (fd < 0) {
		fail("reboot", "no /dev/vda: %s", strerror(errno));
		return;
	}
	if (pread(fd, buf, sizeof(buf), 0) == sizeof(buf) && !memcmp(buf, mark, sizeof(mark))) {
		memset(buf, 0, sizeof(buf));
		if (pwrite(fd, buf, sizeof(buf), 0) != sizeof(buf) || fsync(fd))
			fail("reboot", "cannot clear the mark");
		else
			pass("reboot", "second boot after a restart");
		close(fd);
		return;
	}
	if (pwrite(fd, mark, sizeof(mark), 0) != sizeof(mark) || fsync(fd)) {
		fail("reboot", "cannot write the mark: %s", strerror(errno));
		close(fd);
		return;
	}
	close(fd);
	pass("restart", "mark written, restarting");
	ktap_end();
	sync();
	reboot(RB_AUTOBOOT);
	fail("reboot", "reboot() returned: %s", strerror(errno));
}

static void setup_console(void)
{
	int fd;

	mkdir("/dev", 0755);
	mkdir("/proc", 0755);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mount("proc", "/proc", "proc", 0, NULL);
	/* The kernel gave us /dev/console if the initramfs had the node. */
	if (fcntl(STDOUT_FILENO, F_GETFD) >= 0)
		return;
	fd = open("/dev/console", O_RDWR);
	/* No console device yet (no virtio console): the kernel log will do. */
	if (fd < 0)
		fd = open("/dev/kmsg", O_WRONLY);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
}

/* The number N of word=N on the command line, or dflt. */
static long cmdline_num(const char *word, long dflt)
{
	const char *v = cmdline_value(word);
	char *end;
	long n;

	if (!v)
		return dflt;
	n = strtol(v, &end, 0);
	return end != v && n > 0 ? n : dflt;
}

/* The pattern tests/guest-boot-init.c looks for in the image. */
static void block_pattern(unsigned char *buf)
{
	size_t i;

	for (i = 0; i < BLOCK_BYTES; i++)
		buf[i] = block_pattern_byte(i);
}

static void check_block(void)
{
	static unsigned char want[BLOCK_BYTES], got[BLOCK_BYTES];
	int fd = open("/dev/vda", O_RDWR);

	if (fd < 0) {
		fail("block", "no /dev/vda: %s", strerror(errno));
		return;
	}
	block_pattern(want);
	if (pwrite(fd, want, sizeof(want), BLOCK_OFFSET) != sizeof(want) || fsync(fd)) {
		fail("block", "write: %s", strerror(errno));
		close(fd);
		return;
	}
	/* Drop the cached copy, so that the read comes from the device. */
	if (ioctl(fd, BLKFLSBUF, 0)) {
		fail("block", "BLKFLSBUF: %s", strerror(errno));
		close(fd);
		return;
	}
	if (pread(fd, got, sizeof(got), BLOCK_OFFSET) != sizeof(got) ||
	    memcmp(want, got, sizeof(got))) {
		fail("block", "read back differs");
		close(fd);
		return;
	}
	close(fd);
	pass("block", "%d KiB written, flushed and read back", BLOCK_BYTES >> 10);
}

/*
 * Above 4 GiB, where 32-bit offsets wrap: tests/guest-boot-init.c wrote
 * HIGH_BYTES of high_pattern(1) at HIGH_OFFSET before starting lguest, and
 * finds high_pattern(2) right after it once we are done.
 */
static void check_block_high(void)
{
	static unsigned char want[HIGH_BYTES] __attribute__((aligned(4096)));
	static unsigned char got[HIGH_BYTES] __attribute__((aligned(4096)));
	uint64_t size = 0;
	int fd = open("/dev/vda", O_RDWR | O_DIRECT);

	if (fd < 0 || ioctl(fd, BLKGETSIZE64, &size)) {
		fail("block-above-4g", "/dev/vda: %s", strerror(errno));
		goto out;
	}
	if (size < HIGH_OFFSET + 2 * HIGH_BYTES) {
		fail("block-above-4g", "/dev/vda has %llu bytes, not over 4 GiB",
		     (unsigned long long)size);
		goto out;
	}
	high_pattern(want, 1);
	if (pread(fd, got, sizeof(got), HIGH_OFFSET) != sizeof(got) ||
	    memcmp(want, got, sizeof(got))) {
		fail("block-above-4g", "the host's pattern at %#llx reads back wrong",
		     HIGH_OFFSET);
		goto out;
	}
	high_pattern(want, 2);
	if (pwrite(fd, want, sizeof(want), HIGH_OFFSET + HIGH_BYTES) != sizeof(want) ||
	    fsync(fd)) {
		fail("block-above-4g", "write: %s", strerror(errno));
		goto out;
	}
	pass("block-above-4g", "%llu-byte disk: read and wrote at %#llx",
	   (unsigned long long)size, HIGH_OFFSET);
out:
	if (fd >= 0)
		close(fd);
}

/*
 * Discard and write-zeroes: 1 MiB at ZERO_OFFSET is written, its first
 * half discarded (BLKDISCARD) and its second zeroed (BLKZEROOUT); all of
 * it must then read as zeros, and tests/guest-boot-init.c finds a hole
 * in the image where the discard was.
 */
static void check_block_discard(void)
{
	static unsigned char buf[ZERO_BYTES] __attribute__((aligned(4096)));
	uint64_t discard[2] = { ZERO_OFFSET, ZERO_BYTES / 2 };
	uint64_t zero[2] = { ZERO_OFFSET + ZERO_BYTES / 2, ZERO_BYTES / 2 };
	int fd = open("/dev/vda", O_RDWR | O_DIRECT);
	size_t i;

	memset(buf, 0xa5, sizeof(buf));
	if (fd < 0 || pwrite(fd, buf, sizeof(buf), ZERO_OFFSET) != sizeof(buf) || fsync(fd)) {
		fail("block-discard", "writing the range: %s", strerror(errno));
		goto out;
	}
	if (ioctl(fd, BLKDISCARD, discard) || ioctl(fd, BLKZEROOUT, zero)) {
		fail("block-discard", "BLKDISCARD/BLKZEROOUT: %s", strerror(errno));
		goto out;
	}
	if (pread(fd, buf, sizeof(buf), ZERO_OFFSET) != sizeof(buf)) {
		fail("block-discard", "reading back: %s", strerror(errno));
		goto out;
	}
	for (i = 0; i < sizeof(buf) && !buf[i]; i++)
		;
	if (i < sizeof(buf))
		fail("block-discard", "byte %zu of the range is %#x, not 0", i, buf[i]);
	else
		pass("block-discard", "%d KiB discarded and %d KiB zeroed read back as zeros",
		   ZERO_BYTES >> 11, ZERO_BYTES >> 11);
out:
	if (fd >= 0)
		close(fd);
}

/*
 * With lginit.echo: one line from the console, for the Launcher's input,
 * said back with its control characters as \xNN.  The console's ISIG is
 * off meanwhile, so that a ^C arrives as a character.
 */
static void check_echo(void)
{
	char line[128], shown[512];
	struct termios t, saved;
	bool have_tty = !tcgetattr(STDIN_FILENO, &saved);
	size_t i, used = 0;
	ssize_t n;

	if (have_tty) {
		t = saved;
		t.c_lflag &= ~ISIG;
		tcsetattr(STDIN_FILENO, TCSANOW, &t);
	}
	diag("type a line");
	n = read(STDIN_FILENO, line, sizeof(line) - 1);
	if (have_tty)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	if (n <= 0) {
		fail("echo", "reading the console: %s", n ? strerror(errno) : "end of file");
		return;
	}
	line[n] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	for (i = 0; line[i] && used < sizeof(shown) - 5; i++) {
		unsigned char c = line[i];

		used += snprintf(shown + used, sizeof(shown) - used,
				 c < 32 || c > 126 ? "\\x%02x" : "%c", c);
	}
	shown[used] = '\0';
	pass("echo", "got '%s'", shown);
}

/*
 * With lginit.winsize: the console's size as the Launcher's terminal has
 * it, and again once it changes (the test resizes the terminal).
 */
static void check_winsize(void)
{
	struct winsize first, now;
	int i;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &first)) {
		fail("winsize", "TIOCGWINSZ: %s", strerror(errno));
		return;
	}
	diag("console size %ux%u", first.ws_col, first.ws_row);
	for (i = 0; i < 600; i++) {
		usleep(50000);
		if (!ioctl(STDOUT_FILENO, TIOCGWINSZ, &now) &&
		    (now.ws_col != first.ws_col || now.ws_row != first.ws_row)) {
			pass("winsize", "%ux%u then %ux%u", first.ws_col, first.ws_row,
			   now.ws_col, now.ws_row);
			return;
		}
	}
	fail("winsize", "still %ux%u after 30 s", first.ws_col, first.ws_row);
}

static void check_rng(void)
{
	static unsigned char buf[1 << 20];
	unsigned int count[256] = { 0 }, i, min = ~0U, max = 0;
	size_t len = 0;
	ssize_t n;
	int fd = open("/dev/hwrng", O_RDONLY);

	if (fd < 0) {
		fail("rng", "no /dev/hwrng: %s", strerror(errno));
		return;
	}
	while (len < sizeof(buf) && (n = read(fd, buf + len, sizeof(buf) - len)) > 0)
		len += n;
	close(fd);
	if (len < sizeof(buf)) {
		fail("rng", "only %zu bytes", len);
		return;
	}
	for (i = 0; i < sizeof(buf); i++)
		count[buf[i]]++;
	for (i = 0; i < 256; i++) {
		min = count[i] < min ? count[i] : min;
		max = count[i] > max ? count[i] : max;
	}
	/* 4096 of each expected; anything far off is not random. */
	if (min < 3500 || max > 4700) {
		fail("rng", "byte counts from %u to %u in 1 MiB", min, max);
		return;
	}
	pass("rng", "1 MiB from /dev/hwrng, byte counts %u..%u", min, max);
}

static bool share_file(const char *path, const unsigned char *buf, size_t len, bool write_it)
{
	int fd = open(path, write_it ? O_WRONLY | O_CREAT | O_TRUNC : O_RDONLY, 0600);
	size_t done = 0;
	ssize_t n = 1;

	if (fd < 0)
		return false;
	while (done < len && n > 0) {
		if (write_it)
			n = write(fd, buf + done, len - done);
		else
			n = read(fd, (unsigned char *)buf + done, len - done);
		if (n > 0)
			done += n;
	}
	return !close(fd) && done == len;
}

/* Does the share's symlink name lead to the host's secret?  It must not. */
static bool sees_host_secret(const char *name)
{
	char path[64], buf[64];

	snprintf(path, sizeof(path), "/mnt/%s", name);
	return slurp(path, buf, sizeof(buf)) > 0 && strstr(buf, "SECRET");
}

static void check_share(void)
{
	static unsigned char big[SHARE_BIG], back[SHARE_BIG];
	char buf[256];
	struct stat st;
	size_t i;

	mkdir("/mnt", 0755);
	if (mount(SHARE_TAG, "/mnt", "9p", 0, "trans=virtio,version=9p2000.L")) {
		fail("share", "mount -t 9p %s: %s", SHARE_TAG, strerror(errno));
		return;
	}
	if (slurp("/mnt/" SHARE_HOSTFILE, buf, sizeof(buf)) < 0 || strcmp(buf, SHARE_HOSTTEXT)) {
		fail("share", "the host's file reads '%s'", buf);
		return;
	}
	if (sees_host_secret(SHARE_ABS) || sees_host_secret(SHARE_UP)) {
		fail("share", "a symlink of the share led to the host's file");
		return;
	}
	for (i = 0; i < SHARE_BIG; i++)
		big[i] = share_byte(i);
	if (mkdir("/mnt/guest-dir", 0755) ||
	    !share_file("/mnt/guest-dir/tmp", big, SHARE_BIG, true) ||
	    rename("/mnt/guest-dir/tmp", "/mnt/guest-dir/big") ||
	    chmod("/mnt/guest-dir/big", 0640) || symlink("big", "/mnt/guest-dir/link") ||
	    !share_file("/mnt/guest-dir/gone", big, 10, true) || unlink("/mnt/guest-dir/gone")) {
		fail("share", "making guest-dir: %s", strerror(errno));
		return;
	}
	/* Read back through the symlink, past the guest's page cache. */
	if (!share_file("/mnt/guest-dir/link", back, SHARE_BIG, false) || memcmp(big, back, SHARE_BIG) ||
	    stat("/mnt/guest-dir/big", &st) || (st.st_mode & 0777) != 0640 ||
	    !access("/mnt/guest-dir/tmp", F_OK) || !access("/mnt/guest-dir/gone", F_OK)) {
		fail("share", "guest-dir reads back wrong (mode %o)", st.st_mode & 0777);
		return;
	}
	umount("/mnt");
	pass("share", "%s: read, wrote %d KiB, renamed, chmod, symlink, unlink; symlinks stay inside",
	   SHARE_TAG, SHARE_BIG >> 10);
}

/*
 * The demo's interactive end: a busybox shell on the console, as its
 * controlling terminal.  When the shell exits, so does the guest.
 */
static void run_shell(void)
{
	static const char *const dirs[] = { "/bin", "/sbin", "/usr", "/usr/bin", "/usr/sbin" };
	unsigned int i;
	pid_t pid;

	if (access("/bin/sh", X_OK) && !access("/bin/busybox", X_OK)) {
		for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
			mkdir(dirs[i], 0755);
		pid = fork();
		if (!pid) {
			execl("/bin/busybox", "busybox", "--install", "-s", (char *)NULL);
			_exit(127);
		}
		if (pid > 0)
			waitpid(pid, NULL, 0);
	}
	if (access("/bin/sh", X_OK)) {
		diag("no /bin/sh for lginit.shell");
		return;
	}
	diag("starting /bin/sh; 'exit' powers the guest off");
	pid = fork();
	if (!pid) {
		setsid();
		ioctl(0, TIOCSCTTY, 1);
		setenv("PATH", "/bin:/sbin:/usr/bin:/usr/sbin", 1);
		setenv("PS1", "lguest-guest# ", 1);
		execl("/bin/sh", "sh", (char *)NULL);
		_exit(127);
	}
	while (pid > 0 && waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

static void stay(void)
{
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	int forks = cmdline_num("lginit.forks", 1000);

	if (argc > 1 && !strcmp(argv[1], "child"))
		return 42;

	setup_console();
	ktap_begin("lginit");
	if (cmdline_has("lginit.hang")) {
		diag("hanging as asked (lginit.hang)");
		stay();
	}
	diag("started at %.3f s after boot", now(CLOCK_MONOTONIC));
	maybe_reboot();
	check_uname();
	check_cpuinfo();
	if (cmdline_has("lginit.devices")) {
		check_block();
		check_block_high();
		check_block_discard();
		check_rng();
	}
	if (cmdline_has("lginit.share"))
		check_share();
	if (cmdline_has("lginit.winsize"))
		check_winsize();
	if (cmdline_has("lginit.echo"))
		check_echo();
	if (!cmdline_has("lginit.quick")) {
		check_fork_exec(argv[0], forks);
		check_pipe(forks);
		check_mmap_cow(cmdline_num("lginit.cow_mb", 64));
		check_map_loop(cmdline_num("lginit.maps", 20000));
		check_shadow_stress();
		check_signals();
		check_nanosleep();
		check_monotonic(2.0);
	}
	ktap_end();
	if (cmdline_has("lginit.shell"))
		run_shell();
	sync();
	if (cmdline_has("lginit.end=halt"))
		stay();
	reboot(cmdline_has("lginit.end=reboot") ? RB_AUTOBOOT : RB_POWER_OFF);
	/* Still here: the machine cannot power off; stay quiet. */
	stay();
	return 1;
}
