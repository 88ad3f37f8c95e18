// SPDX-License-Identifier: GPL-2.0
/*
 * selftest-init: the host's /init for tests/host-selftest.
 *
 *	rdinit=/selftest-init -- [lguest_test's arguments]
 *
 * The lguest kselftest reboots when it is init itself, which leaves no
 * moment to look at the host afterwards.  This init mounts what the
 * selftest needs, runs /lguest_test with the arguments it was given,
 * and when that is over (lg.ko unloaded, if it was loaded) asks kmemleak
 * what the host leaked: "LGTEST: ok host:kmemleak" or a FAIL with the
 * objects listed.  Then it reboots, which ends QEMU.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lgtest-result.h"
#include "lgtest-kmemleak.h"

int main(int argc, char **argv)
{
	int status;
	pid_t pid;

	(void)argc;
	setvbuf(stdout, NULL, _IOLBF, 0);
	mkdir("/proc", 0755);
	mkdir("/sys", 0755);
	mkdir("/dev", 0755);
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	/* lguest_test looks there for kmemleak (see memfree_dropped()). */
	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	pid = fork();
	if (pid == 0) {
		argv[0] = "/lguest_test";
		execv(argv[0], argv);
		printf("LGTEST: FAIL host:selftest: cannot run /lguest_test: %m\n");
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		printf("LGTEST: FAIL host:selftest: cannot run /lguest_test: %m\n");
	kmemleak_check("host:kmemleak");
	sync();
	reboot(RB_AUTOBOOT);	/* QEMU -no-reboot: the end */
	return 0;
}
