// SPDX-License-Identifier: GPL-2.0
/*
 * lgbench: what costs a guest most, timed the same way natively and in an
 * lguest guest of the same kernel, in the spirit of Rusty Russell's
 * virtbench.
 *
 *   lgbench [--only NAME,...] [--scale N] [--block DEV] [--tcp HOST:PORT]
 *	     [--busybox PATH] [--marks]
 *   lgbench --tcp-sink PORT
 *
 * Each workload prints one line, "LGBENCH: <name> <ops> <ns per op>";
 * --marks also prints "LGBENCH-MARK: <name> begin|end" around each, on
 * stdout and so on the guest's console, where the Launcher's --stats-marks
 * notes what the host counted between them (then the workload waits a
 * little, so that the Launcher has seen the mark before it goes on).
 * --only runs just the workloads named.  --scale multiplies the number of
 * operations.  --tcp-sink accepts connections on PORT and reads them to
 * the end, for the tcp workload of a guest.
 *
 * A static 32-bit program: it runs as a test machine's init or in a guest.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *only, *block_dev, *tcp_target, *busybox;
static long scale = 1;
static bool marks;
static char self[4096];

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void mark(const char *name, const char *what)
{
	if (!marks)
		return;
	printf("LGBENCH-MARK: %s %s\n", name, what);
	fflush(stdout);
	usleep(200000);
}

/*
 * A kernel without a usable TSC (its calibration can fail on a loaded
 * emulator) keeps time in jiffies: a short workload then seems to take no
 * time at all, and says so rather than report nonsense.
 */
static void report(const char *name, long ops, double secs)
{
	if (secs <= 0)
		printf("LGBENCH: error %s: the clock did not move (a jiffies clocksource?)\n",
		       name);
	else
		printf("LGBENCH: %s %ld %.1f\n", name, ops, secs * 1e9 / ops);
	fflush(stdout);
}

static void die(const char *what)
{
	printf("LGBENCH: error %s: %s\n", what, strerror(errno));
	exit(1);
}

static void bench_syscall(long n)
{
	long i;

	for (i = 0; i < n; i++)
		syscall(SYS_getppid);
}

/* A byte back and forth between two processes: two switches a round. */
static void bench_pipe(long n)
{
	int to[2], from[2];
	char c = 0;
	long i;
	pid_t pid;

	if (pipe(to) || pipe(from))
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		for (i = 0; i < n; i++)
			if (read(to[0], &c, 1) != 1 || write(from[1], &c, 1) != 1)
				_exit(1);
		_exit(0);
	}
	for (i = 0; i < n; i++)
		if (write(to[1], &c, 1) != 1 || read(from[0], &c, 1) != 1)
			die("pipe round");
	waitpid(pid, NULL, 0);
	close(to[0]);
	close(to[1]);
	close(from[0]);
	close(from[1]);
}

static void bench_fork_exit(long n)
{
	long i;
	pid_t pid;

	for (i = 0; i < n; i++) {
		pid = fork();
		if (!pid)
			_exit(0);
		if (pid < 0)
			die("fork");
		waitpid(pid, NULL, 0);
	}
}

static void bench_fork_exec(long n)
{
	long i;
	pid_t pid;

	for (i = 0; i < n; i++) {
		pid = fork();
		if (!pid) {
			execl(self, self, "--child", (char *)NULL);
			_exit(127);
		}
		if (pid < 0)
			die("fork");
		waitpid(pid, NULL, 0);
	}
}

/* Fresh anonymous memory: each page's first touch is a fault. */
static void bench_fault(long n)
{
	char *p = mmap(NULL, n * 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	long i;

	if (p == MAP_FAILED)
		die("mmap");
	for (i = 0; i < n; i++)
		p[i * 4096] = 1;
	munmap(p, n * 4096);
}

/*
 * Pages shared after fork: the child's first write to each is a copy.  The
 * child marks its loop itself, so the exits counted are the copies' only.
 */
static double bench_cow(long n)
{
	char *p = mmap(NULL, n * 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	double t0, secs;
	int pipefd[2];
	long i;
	pid_t pid;

	if (p == MAP_FAILED || pipe(pipefd))
		die("mmap");
	for (i = 0; i < n; i++)
		p[i * 4096] = 1;
	pid = fork();
	if (!pid) {
		mark("cow", "begin");
		t0 = now();
		for (i = 0; i < n; i++)
			p[i * 4096] = 2;
		secs = now() - t0;
		mark("cow", "end");
		if (write(pipefd[1], &secs, sizeof(secs)) != sizeof(secs))
			_exit(1);
		_exit(0);
	}
	if (pid < 0 || read(pipefd[0], &secs, sizeof(secs)) != sizeof(secs))
		die("cow child");
	waitpid(pid, NULL, 0);
	munmap(p, n * 4096);
	close(pipefd[0]);
	close(pipefd[1]);
	return secs;
}

/* The compiler must not drop the store to *p or the value it holds. */
static inline void keep(void *p)
{
	__asm__ __volatile__("" : : "r" (p) : "memory");
}

/* What malloc and free of a big buffer do, one page a round. */
static void bench_mmap(long n)
{
	char *p;
	long i;

	for (i = 0; i < n; i++) {
		p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			die("mmap");
		p[0] = 1;
		keep(p);
		munmap(p, 4096);
	}
}

static void bench_cpu(long n)
{
	uint32_t x = 1;
	long i;

	for (i = 0; i < n; i++)
		x = x * 1103515245 + 12345;
	keep(&x);
}

/* Read a device or file from start to end, 64 KiB at a time. */
static long bench_block(void)
{
	static char buf[65536];
	long total = 0;
	ssize_t n;
	int fd = open(block_dev, O_RDONLY);

	if (fd < 0)
		die(block_dev);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		total += n;
	close(fd);
	return total;
}

static long bench_tcp(long bytes)
{
	static char buf[65536];
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char host[64];
	const char *colon = strchr(tcp_target, ':');
	long sent = 0;
	int s;

	if (!colon || colon - tcp_target >= (long)sizeof(host))
		die("--tcp HOST:PORT");
	snprintf(host, sizeof(host), "%.*s", (int)(colon - tcp_target), tcp_target);
	sa.sin_port = htons(atoi(colon + 1));
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		die("--tcp address");
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa))) {
		printf("LGBENCH: error connect to %s: %s\n", tcp_target, strerror(errno));
		if (s >= 0)
			close(s);
		return 0;
	}
	while (sent < bytes) {
		ssize_t n = write(s, buf, sizeof(buf));

		if (n <= 0)
			break;
		sent += n;
	}
	close(s);
	return sent;
}

static void tcp_sink(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	static char buf[65536];
	int s = socket(AF_INET, SOCK_STREAM, 0), c, one = 1;

	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) || listen(s, 4))
		die("listen");
	for (;;) {
		c = accept(s, NULL, NULL);
		if (c < 0)
			continue;
		while (read(c, buf, sizeof(buf)) > 0)
			;
		close(c);
	}
}

/* A mix of small programs, as a shell script runs them. */
static void bench_macro(long n)
{
	char script[512], count[16];
	pid_t pid;

	snprintf(count, sizeof(count), "%ld", n);
	snprintf(script, sizeof(script),
		 "i=0; while [ $i -lt %s ]; do seq 1 300 | sort -rn | md5sum >/dev/null;"
		 " echo $i | gzip | gunzip | wc -c >/dev/null; i=$((i + 1)); done", count);
	pid = fork();
	if (!pid) {
		execl(busybox, "sh", "-c", script, (char *)NULL);
		_exit(127);
	}
	if (pid < 0)
		die("fork");
	waitpid(pid, NULL, 0);
}

/* Is name in the comma-separated --only list (or is there none)? */
static bool want(const char *name)
{
	size_t n = strlen(name);
	const char *p;

	if (!only)
		return true;
	for (p = only; (p = strstr(p, name)); p += n)
		if ((p == only || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return true;
	return false;
}

/* Time one workload of n operations (n already scaled). */
#define RUN(name, n, call) do {						\
	const char *run_name = (name);					\
	if (want(run_name)) {						\
		double t0;						\
		mark(run_name, "begin");				\
		t0 = now();						\
		call;							\
		report(run_name, n, now() - t0);			\
		mark(run_name, "end");					\
	}								\
} while (0)

static int usage(void)
{
	fprintf(stderr, "usage: lgbench [--only NAME,...] [--scale N] [--block DEV] [--tcp HOST:PORT]\n"
		"               [--busybox PATH] [--marks]\n"
		"       lgbench --tcp-sink PORT\n");
	return 2;
}

int main(int argc, char **argv)
{
	long n;
	int i;

	if (argc > 1 && !strcmp(argv[1], "--child"))
		return 0;
	if (readlink("/proc/self/exe", self, sizeof(self) - 1) < 0)
		snprintf(self, sizeof(self), "%s", argv[0]);
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--only") && i + 1 < argc)
			only = argv[++i];
		else if (!strcmp(argv[i], "--scale") && i + 1 < argc)
			scale = atol(argv[++i]);
		else if (!strcmp(argv[i], "--block") && i + 1 < argc)
			block_dev = argv[++i];
		else if (!strcmp(argv[i], "--tcp") && i + 1 < argc)
			tcp_target = argv[++i];
		else if (!strcmp(argv[i], "--busybox") && i + 1 < argc)
			busybox = argv[++i];
		else if (!strcmp(argv[i], "--tcp-sink") && i + 1 < argc)
			tcp_sink(atoi(argv[++i]));
		else if (!strcmp(argv[i], "--marks"))
			marks = true;
		else
			return usage();
	}
	if (scale < 1)
		return usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);

	RUN("syscall", 20000 * scale, bench_syscall(20000 * scale));
	RUN("pipe", 1000 * scale, bench_pipe(1000 * scale));
	RUN("fork-exit", 200 * scale, bench_fork_exit(200 * scale));
	RUN("fork-exec", 100 * scale, bench_fork_exec(100 * scale));
	RUN("fault", 4096 * scale, bench_fault(4096 * scale));
	if (want("cow")) {
		n = 4096 * scale;
		report("cow", n, bench_cow(n));
	}
	RUN("mmap-touch-munmap", 2000 * scale, bench_mmap(2000 * scale));
	RUN("cpu", 20000000 * scale, bench_cpu(20000000 * scale));
	if (block_dev && want("block-read")) {
		double t0;

		mark("block-read", "begin");
		t0 = now();
		n = bench_block();
		/* One op is a 4 KiB page, so the ratio is of throughputs. */
		report("block-read", n / 4096, now() - t0);
		mark("block-read", "end");
	}
	if (tcp_target && want("tcp-send")) {
		double t0;

		mark("tcp-send", "begin");
		t0 = now();
		n = bench_tcp(16L << 20);
		if (n)
			report("tcp-send", n / 4096, now() - t0);
		mark("tcp-send", "end");
	}
	if (busybox)
		RUN("macro", 10 * scale, bench_macro(10 * scale));
	printf("LGBENCH: done\n");
	return 0;
}
