// SPDX-License-Identifier: GPL-2.0
/*
 * selftest-init: the host's /init for tests/host-selftest and nmi-storm.
 *
 *	rdinit=/selftest-init -- [lguest_test's arguments]
 *
 * It runs the lguest kselftest the standard way: busybox gives the shell
 * and tools run_kselftest.sh needs, the installed tests are in
 * /kselftest, and lguest_test's arguments travel as kselftest's runner
 * passes them, in KSELFTEST_LGUEST_TEST_ARGS.  The output is KTAP, for
 * the kernel's own parser.  When the run is over (lg.ko unloaded, if it
 * was loaded) it reports in a KTAP document of its own, tagged LGTEST
 * (lgtest.h), begun only once the runner's is over: that the runner ran,
 * and what kmemleak says the host leaked.  Then it reboots, which ends
 * QEMU: the test itself never does.
 */
#include "lgtest.h"
#include <sys/reboot.h>
#include <sys/wait.h>

/* The arguments after "--" on the kernel command line, as one string. */
static void set_test_args(int argc, char **argv)
{
	static char args[1024];
	size_t len = 0;
	int i;

	for (i = 1; i < argc && len < sizeof(args) - 1; i++)
		len += snprintf(args + len, sizeof(args) - len, "%s%s", i > 1 ? " " : "",
				argv[i]);
	setenv("KSELFTEST_LGUEST_TEST_ARGS", args, 1);
}

static int run(char *const cmd[])
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		execv(cmd[0], cmd);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

int main(int argc, char **argv)
{
	char *const install[] = { "/bin/busybox", "--install", "-s", "/bin", NULL };
	char *const selftests[] = { "/bin/sh", "/kselftest/run_kselftest.sh", NULL };
	int status;

	setvbuf(stdout, NULL, _IOLBF, 0);
	lgtest_mounts();
	/* lguest_test looks there for kmemleak (see memfree_dropped()). */
	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	/* The runner writes its log to /dev/stdout, which udev would make. */
	symlink("/proc/self/fd", "/dev/fd");
	symlink("/proc/self/fd/1", "/dev/stdout");
	symlink("/proc/self/fd/2", "/dev/stderr");
	setenv("PATH", "/bin", 1);
	set_test_args(argc, argv);
	run(install);
	status = run(selftests);
	ktap_begin("LGTEST");
	result(WIFEXITED(status) && WEXITSTATUS(status) != 127, "host:selftest-ran",
	       "cannot run %s (status %#x)", selftests[1], status);
	kmemleak_check("host:kmemleak");
	ktap_end();
	sync();
	reboot(RB_AUTOBOOT);	/* QEMU -no-reboot: the end */
	return 0;
}
