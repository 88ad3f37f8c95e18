/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lgtest-kmemleak.h: once the last guest is gone, ask kmemleak
 * (CONFIG_DEBUG_KMEMLEAK, in the lguest targets' debug.config) what the
 * host kernel leaked.  The objects it lists are printed, so the boot
 * test's judge sees them too, and judged through the program's own
 * result().  A kernel without kmemleak is not judged: the test scripts
 * expect the marker only when the target has it.
 *
 * Include after result() is defined, with <fcntl.h>, <stdio.h>,
 * <string.h>, <sys/mount.h>, <sys/stat.h> and <unistd.h>.
 */
#define LGTEST_KMEMLEAK "/sys/kernel/debug/kmemleak"

static bool kmemleak_command(const char *cmd)
{
	int fd = open(LGTEST_KMEMLEAK, O_WRONLY);
	bool ok = fd >= 0 && write(fd, cmd, strlen(cmd)) == (ssize_t)strlen(cmd);

	if (fd >= 0)
		close(fd);
	return ok;
}

static void kmemleak_check(const char *name)
{
	static char report[16384];
	ssize_t n, len = 0;
	int fd, objects = 0;
	const char *p;

	/* Either may be mounted already (EBUSY): that is fine. */
	mkdir("/sys", 0755);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	if (access(LGTEST_KMEMLEAK, W_OK))
		return;
	/*
	 * kmemleak reports nothing younger than five seconds, and a first
	 * scan can suspect an object whose only pointer was in a register:
	 * wait, then take what two scans agree on.
	 */
	sleep(6);
	if (!kmemleak_command("scan") || !kmemleak_command("scan")) {
		result(false, name, "cannot make kmemleak scan: %m");
		return;
	}
	fd = open(LGTEST_KMEMLEAK, O_RDONLY);
	while (fd >= 0 && len < (ssize_t)sizeof(report) - 1 &&
	       (n = read(fd, report + len, sizeof(report) - 1 - len)) > 0)
		len += n;
	if (fd >= 0)
		close(fd);
	report[len] = '\0';
	for (p = report; (p = strstr(p, "unreferenced object")); p++)
		objects++;
	fputs(report, stdout);
	result(objects == 0, name, "kmemleak lists %d unreferenced object%s", objects,
	       objects == 1 ? "" : "s");
}
