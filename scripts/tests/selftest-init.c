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
 * was loaded) it asks kmemleak what the host leaked: "LGTEST: ok
 * host:kmemleak" or a FAIL with the objects listed.  Then it reboots,
 * which ends QEMU: the test itself never does.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lgtest-result.h"
#include "lgtest-mounts.h"
#include "lgtest-kmemleak.h"

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
		printf("LGTEST: FAIL host:selftest: cannot run %s: %m\n", cmd[0]);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid) {
		printf("LGTEST: FAIL host:selftest: cannot run %s: %m\n", cmd[0]);
		return -1;
	}
	return status;
}

int main(int argc, char **argv)
{
	char *const install[] = { "/bin/busybox", "--install", "-s", "/bin", NULL };
	char *const selftests[] = { "/bin/sh", "/kselftest/run_kselftest.sh", NULL };

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
	run(selftests);
	kmemleak_check("host:kmemleak");
	sync();
	reboot(RB_AUTOBOOT);	/* QEMU -no-reboot: the end */
	return 0;
}
