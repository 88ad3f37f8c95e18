// SPDX-License-Identifier: GPL-2.0
/*
 * lgtest-init: the /init of the workshop's test initramfs.
 *
 * It runs a short list of checks that exercise what a kernel must get
 * right for userspace to work (process creation, pipes, page faults and
 * copy-on-write, signals, time), and reports each on the console as a
 * marker line that scripts/boot-test looks for:
 *
 *	LGTEST: BEGIN
 *	LGTEST: ok <check> [details]
 *	LGTEST: FAIL <check>: <why>
 *	LGTEST: END pass=<n> fail=<n>
 *
 * Knobs come from the kernel command line (read from /proc/cmdline):
 *	lgtest.forks=N		fork+exec+wait rounds (default 200)
 *	lgtest.mmap_mb=N	size of the copy-on-write area (default 64)
 *	lgtest.sleep_ms=N	nanosleep length checked to 5% (default 1000)
 *	lgtest.hang=1		never finish (to prove the timeout works)
 *	lgtest.end=poweroff|reboot|halt|shell	what to do at the end
 *
 * Built static for i386 by scripts/mkinitramfs; it needs only libc.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>

static int passed, failed;
static char cmdline[4096];

static void say(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	/* One write per line keeps lines whole next to kernel messages. */
	if (write(STDOUT_FILENO, buf, n) < 0)
		_exit(111);
}

static void ok(const char *check, const char *fmt, ...)
{
	char detail[256] = "";
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(detail, sizeof(detail), fmt, ap);
		va_end(ap);
	}
	passed++;
	say("LGTEST: ok %s%s%s", check, *detail ? " " : "", detail);
}

static int fail(const char *check, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	failed++;
	say("LGTEST: FAIL %s: %s", check, why);
	return -1;
}

/* The value of "lgtest.<key>=" on the command line, or NULL. */
static const char *knob(const char *key)
{
	static char val[64];
	char pat[64];
	const char *p = cmdline;
	size_t n;

	snprintf(pat, sizeof(pat), "lgtest.%s=", key);
	while ((p = strstr(p, pat))) {
		if (p == cmdline || p[-1] == ' ') {
			p += strlen(pat);
			n = strcspn(p, " \n");
			if (n >= sizeof(val))
				n = sizeof(val) - 1;
			memcpy(val, p, n);
			val[n] = '\0';
			return val;
		}
		p++;
	}
	return NULL;
}

static long knob_num(const char *key, long dflt)
{
	const char *v = knob(key);

	return v ? strtol(v, NULL, 0) : dflt;
}

static double now(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void setup_console(void)
{
	int fd;

	mkdir("/dev", 0755);
	mkdir("/proc", 0555);
	mkdir("/sys", 0555);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	/* The kernel opened /dev/console for us if the initramfs had it. */
	if (fcntl(STDOUT_FILENO, F_GETFD) < 0) {
		fd = open("/dev/console", O_RDWR);
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
			if (fd > 2)
				close(fd);
		}
	}
	fd = open("/proc/cmdline", O_RDONLY);
	if (fd >= 0) {
		ssize_t n = read(fd, cmdline, sizeof(cmdline) - 1);

		if (n > 0)
			cmdline[n] = '\0';
		close(fd);
	}
}

static int read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	size_t got = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	while (got < len - 1 && (n = read(fd, buf + got, len - 1 - got)) > 0)
		got += n;
	buf[got] = '\0';
	close(fd);
	return got;
}

static void check_uname(void)
{
	struct utsname u;

	if (uname(&u))
		return (void)fail("uname", "%s", strerror(errno));
	if (strcmp(u.sysname, "Linux"))
		return (void)fail("uname", "sysname is %s", u.sysname);
	ok("uname", "%s %s %s", u.sysname, u.release, u.machine);
}

static void check_cpuinfo(void)
{
	static char buf[16384];
	char *model, *flags;

	if (read_file("/proc/cpuinfo", buf, sizeof(buf)) <= 0)
		return (void)fail("cpuinfo", "cannot read /proc/cpuinfo");
	model = strstr(buf, "model name");
	flags = strstr(buf, "\nflags");
	if (!model || !flags)
		return (void)fail("cpuinfo", "no model name or flags line");
	model = strchr(model, ':');
	model = model ? model + 2 : "?";
	model[strcspn(model, "\n")] = '\0';
	ok("cpuinfo", "%s", model);
}

/* Fork, exec ourselves as a trivial child, and reap it, many times. */
static void check_fork_exec(void)
{
	long i, rounds = knob_num("forks", 200);
	double t0 = now(CLOCK_MONOTONIC);
	int status;
	pid_t pid;

	for (i = 0; i < rounds; i++) {
		pid = fork();
		if (pid < 0)
			return (void)fail("fork-exec", "fork: %s", strerror(errno));
		if (pid == 0) {
			execl("/init", "lgtest-child", "exit42", (char *)NULL);
			_exit(127);
		}
		if (waitpid(pid, &status, 0) != pid)
			return (void)fail("fork-exec", "waitpid: %s", strerror(errno));
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 42)
			return (void)fail("fork-exec", "round %ld: status %#x", i, status);
	}
	ok("fork-exec", "%ld rounds in %.3f s", rounds, now(CLOCK_MONOTONIC) - t0);
}

/* Two processes bounce a counter through a pair of pipes. */
static void check_pipe(void)
{
	const long rounds = 10000;
	int up[2], down[2], status;
	double t0 = now(CLOCK_MONOTONIC);
	long v = 0;
	pid_t pid;

	if (pipe(up) || pipe(down))
		return (void)fail("pipe", "pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		return (void)fail("pipe", "fork: %s", strerror(errno));
	if (pid == 0) {
		/* Keep only our ends, or the reader never sees end-of-file. */
		close(down[1]);
		close(up[0]);
		for (;;) {
			if (read(down[0], &v, sizeof(v)) != sizeof(v))
				_exit(v == rounds ? 0 : 1);
			v++;
			if (write(up[1], &v, sizeof(v)) != sizeof(v))
				_exit(2);
		}
	}
	close(down[0]);
	close(up[1]);
	while (v < rounds) {
		long sent = v;

		if (write(down[1], &v, sizeof(v)) != sizeof(v) ||
		    read(up[0], &v, sizeof(v)) != sizeof(v) || v != sent + 1) {
			fail("pipe", "lost the ball at %ld", sent);
			break;
		}
	}
	close(down[1]);
	close(up[0]);
	waitpid(pid, &status, 0);
	if (v != rounds)
		return;
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return (void)fail("pipe", "child status %#x", status);
	ok("pipe", "%ld round trips in %.3f s", rounds, now(CLOCK_MONOTONIC) - t0);
}

/*
 * Map an anonymous area, fill it, fork: the child rewrites every page
 * (copy-on-write faults) and checks its view; the parent then checks
 * that it still sees its own data.  Finally unmap and map again.
 */
static void check_mmap_cow(void)
{
	size_t len = (size_t)knob_num("mmap_mb", 64) << 20;
	size_t pg = sysconf(_SC_PAGESIZE), i;
	uint32_t *p;
	int status;
	pid_t pid;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return (void)fail("mmap-cow", "mmap %zu MiB: %s", len >> 20, strerror(errno));
	for (i = 0; i < len / 4; i += pg / 4)
		p[i] = i ^ 0x5a5a5a5a;
	pid = fork();
	if (pid < 0)
		return (void)fail("mmap-cow", "fork: %s", strerror(errno));
	if (pid == 0) {
		for (i = 0; i < len / 4; i += pg / 4) {
			if (p[i] != (i ^ 0x5a5a5a5a))
				_exit(1);
			p[i] = ~i;
		}
		for (i = 0; i < len / 4; i += pg / 4)
			if (p[i] != ~i)
				_exit(2);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return (void)fail("mmap-cow", "child saw wrong data (status %#x)", status);
	for (i = 0; i < len / 4; i += pg / 4)
		if (p[i] != (i ^ 0x5a5a5a5a))
			return (void)fail("mmap-cow", "parent data changed at page %zu", i * 4 / pg);
	if (munmap(p, len))
		return (void)fail("mmap-cow", "munmap: %s", strerror(errno));
	p = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED || p[len / 8] != 0)
		return (void)fail("mmap-cow", "fresh mapping is not zero");
	munmap(p, len);
	ok("mmap-cow", "%zu MiB", len >> 20);
}

static volatile sig_atomic_t got_usr1, got_alarm;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		got_usr1++;
	else if (sig == SIGALRM)
		got_alarm++;
}

static void check_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t set, old;
	int status;
	pid_t pid;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);

	/* A blocked signal stays pending until it is unblocked. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, &old);
	kill(getpid(), SIGUSR1);
	if (got_usr1)
		return (void)fail("signals", "blocked SIGUSR1 was delivered");
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (got_usr1 != 1)
		return (void)fail("signals", "SIGUSR1 not delivered on unblock");

	/* A timer signal interrupts pause(). */
	alarm(1);
	while (!got_alarm)
		pause();

	/* A child killed by a signal is reported as such. */
	pid = fork();
	if (pid == 0) {
		for (;;)
			pause();
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
		return (void)fail("signals", "child status %#x", status);
	ok("signals", NULL);
}

/* Nanoseconds as an integer: x87 doubles compare unreliably here. */
static int64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void check_clocks(void)
{
	long ms = knob_num("sleep_ms", 1000), i;
	struct timespec req = { ms / 1000, (ms % 1000) * 1000000L };
	int64_t prev = now_ns(CLOCK_MONOTONIC), t;
	double t0, slept, err;

	for (i = 0; i < 200000; i++) {
		t = now_ns(CLOCK_MONOTONIC);
		if (t < prev)
			return (void)fail("monotonic", "went back by %lld ns",
					  (long long)(prev - t));
		prev = t;
	}
	ok("monotonic", "200000 reads");

	t0 = now(CLOCK_MONOTONIC);
	while (nanosleep(&req, &req))
		if (errno != EINTR)
			return (void)fail("nanosleep", "%s", strerror(errno));
	slept = now(CLOCK_MONOTONIC) - t0;
	err = (slept - ms / 1000.0) / (ms / 1000.0);
	if (err < -0.0005 || err > 0.05)
		return (void)fail("nanosleep", "asked %ld ms, slept %.4f s", ms, slept);
	ok("nanosleep", "%ld ms took %.4f s (%+.2f%%)", ms, slept, err * 100);
}

static void report_boot_time(void)
{
	char buf[64];

	if (read_file("/proc/uptime", buf, sizeof(buf)) > 0) {
		buf[strcspn(buf, " ")] = '\0';
		say("LGTEST: boot-to-init %s s", buf);
	}
}

static void finish(void)
{
	const char *end = knob("end");

	say("LGTEST: END pass=%d fail=%d", passed, failed);
	sync();
	if (knob_num("hang", 0) || (end && !strcmp(end, "halt")))
		for (;;)
			pause();
	if (end && !strcmp(end, "shell") && access("/bin/sh", X_OK) == 0) {
		execl("/bin/sh", "sh", (char *)NULL);
		say("LGTEST: cannot start /bin/sh: %s", strerror(errno));
	}
	if (end && !strcmp(end, "reboot"))
		reboot(RB_AUTOBOOT);
	reboot(RB_POWER_OFF);
	/* Still here: the machine has no way to power off; stay quiet. */
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "exit42"))
		return 42;
	if (getpid() != 1) {
		fprintf(stderr, "lgtest-init: must run as pid 1\n");
		return 1;
	}

	setup_console();
	say("LGTEST: BEGIN");
	report_boot_time();
	if (knob_num("hang", 0)) {
		say("LGTEST: hanging as asked (lgtest.hang)");
		for (;;)
			pause();
	}
	check_uname();
	check_cpuinfo();
	check_fork_exec();
	check_pipe();
	check_mmap_cow();
	check_signals();
	check_clocks();
	finish();
	return 0;
}
