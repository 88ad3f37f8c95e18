// SPDX-License-Identifier: GPL-2.0
/*
 * x86-selftests-init: /init of tests/x86-selftests, on the lguest host
 * and, as "x86st.guest" on its command line, in the guest.
 *
 * Both run every program in /x86 (the kernel's own
 * tools/testing/selftests/x86, built 32-bit and static), each with its
 * output to a file and a time limit, and note its exit status (0 pass, 4
 * skip as kselftest has it, else fail).  The guest prints one line per
 * program, "X86ST: <name> <status>", and powers off; the host runs its
 * natively first, then the Launcher on the same kernel with this program
 * as the guest's init, and judges: a program that passes natively must
 * pass in the guest (a KTAP result x86:<name>, lgtest.h), unless known_differences
 * below names it with the status it has under lguest and why (then the
 * guest must give exactly that).  A program that does not pass natively
 * says nothing about lguest and is reported as skipped.
 */
#include "lgtest.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>


#define MAX_TESTS	64
#define TIME_LIMIT	120		/* seconds a program may take */
#define KSFT_SKIP	4

/*
 * Where lguest differs from a native CPU by design, the status a program
 * has in the guest, and why (Documentation/virt/lguest/guest.rst has
 * each).
 */
static const struct {
	const char *name;
	int status;
	const char *why;
} known_differences[] = {
	{ "ldt_gdt_32", 1, "segments stop below the Switcher: a flat TLS entry's limit is 0xfeffffff" },
};

static char names[MAX_TESTS][64];
static int native[MAX_TESTS], guest[MAX_TESTS];
static unsigned int ntests;

static int by_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* x86st.only=a_32,b_32 on the command line: only those. */
static bool wanted(const char *cmdline, const char *name)
{
	const char *only = strstr(cmdline, "x86st.only=");
	char list[256], *item, *save;

	if (!only)
		return true;
	snprintf(list, sizeof(list), "%.*s", (int)strcspn(only + 11, " \n"), only + 11);
	for (item = strtok_r(list, ",", &save); item; item = strtok_r(NULL, ",", &save))
		if (!strcmp(item, name))
			return true;
	return false;
}

static void find_tests(const char *cmdline)
{
	DIR *d = opendir("/x86");
	struct dirent *de;

	while (d && (de = readdir(d)) && ntests < MAX_TESTS)
		if (de->d_name[0] != '.' && strlen(de->d_name) < sizeof(names[0]) &&
		    wanted(cmdline, de->d_name))
			strcpy(names[ntests++], de->d_name);
	if (d)
		closedir(d);
	qsort(names, ntests, sizeof(names[0]), by_name);
}

/* x86st.console: each program's output to the console, as it comes (debugging). */
static bool to_console;

static volatile sig_atomic_t timed_out;

static void on_alarm(int sig)
{
	(void)sig;
	timed_out = 1;
}

/* Run /x86/name with its output in /tmp/name.log; its status, 124 on timeout. */
static int run_test(const char *name)
{
	char path[128], log[128];
	int status = 0, fd;
	pid_t pid;

	snprintf(path, sizeof(path), "/x86/%s", name);
	snprintf(log, sizeof(log), "/tmp/%s.log", name);
	pid = fork();
	if (pid < 0)
		return 125;
	if (!pid) {
		fd = open(to_console ? "/dev/console" : log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		setpgid(0, 0);
		execl(path, name, (char *)NULL);
		_exit(126);
	}
	timed_out = 0;
	signal(SIGALRM, on_alarm);
	alarm(TIME_LIMIT);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return 125;
		if (timed_out)
			kill(-pid, SIGKILL);
	}
	alarm(0);
	if (timed_out)
		return 124;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* A failure's log: its first FAIL lines and its last lines. */
static void show_log(const char *who, const char *name)
{
	char path[128], line[256], tail[24][256];
	unsigned int fails = 0, n = 0, i;
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/%s.log", name);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (strstr(line, "FAIL") && fails++ < 8)
			printf("x86-selftests: %s %s: %s\n", who, name, line);
		strcpy(tail[n++ % 24], line);
	}
	for (i = n > 24 ? n - 24 : 0; i < n; i++)
		printf("x86-selftests: %s %s: ...%s\n", who, name, tail[i % 24]);
	if (f)
		fclose(f);
}

static void as_guest(void)
{
	unsigned int i;
	int st;

	for (i = 0; i < ntests; i++) {
		st = run_test(names[i]);
		if (st && st != KSFT_SKIP)
			show_log("guest", names[i]);
		printf("X86ST: %s %d\n", names[i], st);
	}
	printf("X86ST: done\n");
	fflush(stdout);
	reboot(RB_POWER_OFF);
}

static int index_of(const char *name)
{
	unsigned int i;

	for (i = 0; i < ntests; i++)
		if (!strcmp(names[i], name))
			return i;
	return -1;
}

/* The Launcher, with this program as the guest's init; reads its X86ST lines. */
static bool run_guest(const char *cmdline)
{
	char only[256] = "x86st.all";
	char *argv[] = { "/lguest", "--initrd=/guest.cpio.gz", "256", "/guest-vmlinux",
			 "rdinit=/x86-selftests-init", "x86st.guest", only,
			 to_console ? "x86st.console" : NULL, NULL };
	char line[512], name[64];
	bool done = false;
	int pfd[2], st, i;
	FILE *in;
	pid_t pid;

	if (strstr(cmdline, "x86st.only="))
		snprintf(only, sizeof(only), "%.*s", (int)strcspn(strstr(cmdline, "x86st.only="), " \n"),
			 strstr(cmdline, "x86st.only="));
	if (pipe(pfd))
		return false;
	pid = fork();
	if (!pid) {
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	in = fdopen(pfd[0], "r");
	while (in && fgets(line, sizeof(line), in)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (strncmp(line, "X86ST: ", 7)) {
			if (to_console || strstr(line, "x86-selftests:") || strstr(line, "lguest:"))
				puts(line);
			continue;
		}
		if (!strcmp(line, "X86ST: done"))
			done = true;
		else if (sscanf(line, "X86ST: %63s %d", name, &st) == 2 && (i = index_of(name)) >= 0)
			guest[i] = st;
	}
	if (in)
		fclose(in);
	waitpid(pid, &st, 0);
	result(done && WIFEXITED(st) && !WEXITSTATUS(st), "guest:x86-selftests-ran",
	       "the guest did not run them all (lguest status %#x)", st);
	return done;
}

static int known_status(const char *name, const char **why)
{
	unsigned int i;

	for (i = 0; i < sizeof(known_differences) / sizeof(known_differences[0]); i++) {
		if (known_differences[i].name && !strcmp(known_differences[i].name, name)) {
			*why = known_differences[i].why;
			return known_differences[i].status;
		}
	}
	return 0;
}

static void judge(void)
{
	const char *why = NULL;
	char what[80];
	unsigned int i;
	int want;

	for (i = 0; i < ntests; i++) {
		snprintf(what, sizeof(what), "x86:%s", names[i]);
		if (native[i]) {
			skip(what, "natively %s, status %d",
			     native[i] == KSFT_SKIP ? "skipped" : "failed", native[i]);
			continue;
		}
		want = known_status(names[i], &why);
		if (want)
			printf("x86-selftests: %s has status %d under lguest by design: %s\n",
			       names[i], want, why);
		result(guest[i] == want, what, "passes natively, status %d in the guest (want %d)",
		       guest[i], want);
	}
}

int main(int argc, char **argv)
{
	char cmdline[1024] = "";
	unsigned int i;
	int fd;

	(void)argc;
	(void)argv;
	lgtest_mounts();
	setvbuf(stdout, NULL, _IOLBF, 0);
	fd = open("/proc/cmdline", O_RDONLY);
	if (fd >= 0 && read(fd, cmdline, sizeof(cmdline) - 1) < 0)
		cmdline[0] = '\0';
	find_tests(cmdline);
	to_console = strstr(cmdline, "x86st.console");
	if (strstr(cmdline, "x86st.guest"))
		as_guest();
	ktap_begin("LGTEST");
	if (!access("/lg.ko", R_OK))
		result(lgtest_load_module("/lg.ko"), "host:module-load", "%m");
	for (i = 0; i < ntests; i++) {
		native[i] = run_test(names[i]);
		guest[i] = -1;
		printf("x86-selftests: native %s %d\n", names[i], native[i]);
		if (native[i] && native[i] != KSFT_SKIP)
			show_log("native", names[i]);
	}
	if (run_guest(cmdline))
		judge();
	ktap_end();
	sync();
	reboot(RB_AUTOBOOT);
	return 1;
}
