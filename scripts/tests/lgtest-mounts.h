/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lgtest-mounts.h: what a static test init mounts first, /proc, /sys,
 * /dev and /tmp.  Included once per program, after <sys/mount.h> and
 * <sys/stat.h>.
 */
static void lgtest_mounts(void)
{
	mkdir("/proc", 0755);
	mkdir("/sys", 0755);
	mkdir("/dev", 0755);
	mkdir("/tmp", 01777);
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mount("tmpfs", "/tmp", "tmpfs", 0, NULL);
}
