/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lgtest.h: what the workshop's static test programs share, the one
 * header of this directory.
 *
 * Results.  Every program reports in KTAP (Documentation/dev-tools/
 * ktap.rst), so that the boot test reads them all one way, with the
 * kernel's own parser (tools/testing/kunit/kunit.py parse).  A host and
 * the guests it runs share one console, so each line carries the tag of
 * the program that printed it, and scripts/boot-test takes each tag's
 * documents apart before parsing them:
 *
 *	<tag>: KTAP version 1
 *	<tag>: # <name>: <what it saw>
 *	<tag>: ok 1 <name>
 *	<tag>: # <name>: <why it failed>
 *	<tag>: not ok 2 <name>
 *	<tag>: ok 3 <name> # SKIP <why>
 *	<tag>: # Totals: pass:1 fail:1 skip:1
 *
 * There is no plan line: what runs depends on the command line and on
 * what the machine has, so the number is not known beforehand, which
 * ktap.rst allows.  Each line goes out in one write(), whole beside the
 * kernel's messages, and text that is not ours (an errno string, a
 * guest's words) has its line breaks taken out, so it cannot forge a
 * result.
 *
 * The rest is for the programs that need it: the first mounts, the marks
 * lginit and the host leave on the block device, the shared folder, and
 * kmemleak.  Everything is static inline: what a program does not use
 * costs it nothing.  Needs only libc; include it once, first.
 */
#ifndef LGTEST_H
#define LGTEST_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>

/* The tag of this program's lines: lginit, LGTEST (hosts), LGGUEST. */
static const char *lgtest_tag = "LGTEST";

static struct {
	int number, passed, failed, skipped;
} lgtest;

/*
 * One tagged line.  If the console is gone there is no one to tell but
 * the kernel log: say why there, and stop.
 */
static inline void __attribute__((format(printf, 1, 0)))
lgtest_vsay(const char *fmt, va_list ap)
{
	char buf[1024], *p;
	int n, tag;

	tag = snprintf(buf, sizeof(buf), "%s: ", lgtest_tag);
	n = vsnprintf(buf + tag, sizeof(buf) - tag - 1, fmt, ap);
	if (n < 0)
		return;
	n += tag;
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	for (p = buf; p < buf + n; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	buf[n++] = '\n';
	fflush(stdout);
	if (write(STDOUT_FILENO, buf, n) != n) {
		int err = errno, kmsg = open("/dev/kmsg", O_WRONLY);
		char why[96];

		snprintf(why, sizeof(why), "%s: console write: %s\n", lgtest_tag, strerror(err));
		if (kmsg >= 0 && (write(kmsg, why, strlen(why)) < 0 || write(kmsg, buf, n) < 0))
			_exit(98);
		_exit(99);
	}
}

static inline void __attribute__((format(printf, 1, 2))) lgtest_say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	lgtest_vsay(fmt, ap);
	va_end(ap);
}

/* A diagnostic line: "# ..." in the program's document. */
#define diag(...)	lgtest_say("# " __VA_ARGS__)

static inline void ktap_begin(const char *tag)
{
	lgtest_tag = tag;
	lgtest_say("KTAP version 1");
}

/* The totals, as kselftest prints them; returns how many failed. */
static inline int ktap_end(void)
{
	lgtest_say("# Totals: pass:%d fail:%d skip:%d", lgtest.passed, lgtest.failed,
		   lgtest.skipped);
	return lgtest.failed;
}

/* What a check saw (or why it failed) as a diagnostic, then its result. */
static inline void __attribute__((format(printf, 3, 0)))
lgtest_vresult(bool ok, const char *name, const char *fmt, va_list ap)
{
	char what[512];

	if (fmt && *fmt) {
		vsnprintf(what, sizeof(what), fmt, ap);
		diag("%s: %s", name, what);
	}
	if (ok)
		lgtest.passed++;
	else
		lgtest.failed++;
	lgtest_say("%sok %d %s", ok ? "" : "not ", ++lgtest.number, name);
}

/* A pass or a failure; the text is shown for a failure only. */
static inline void __attribute__((format(printf, 3, 4)))
result(bool ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	lgtest_vresult(ok, name, ok ? NULL : fmt, ap);
	va_end(ap);
}

/* A pass, with what the check saw (a count, a time). */
static inline void __attribute__((format(printf, 2, 3))) pass(const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	lgtest_vresult(true, name, fmt, ap);
	va_end(ap);
}

static inline void __attribute__((format(printf, 2, 3))) fail(const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	lgtest_vresult(false, name, fmt, ap);
	va_end(ap);
}

/* A check that cannot run here, and why. */
static inline void __attribute__((format(printf, 2, 3))) skip(const char *name, const char *fmt, ...)
{
	char why[256];
	va_list ap;
	char *p;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	for (p = why; *p; p++)
		if (*p == '#')
			*p = ' ';
	lgtest.skipped++;
	lgtest_say("ok %d %s # SKIP %s", ++lgtest.number, name, why);
}

/* Load the host module (lg.ko) from the initramfs; errno says why not. */
static inline bool lgtest_load_module(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;
	bool ok = fd >= 0 && syscall(SYS_finit_module, fd, "", 0) == 0;

	err = errno;
	if (fd >= 0)
		close(fd);
	errno = err;
	return ok;
}

/* What a static test init mounts first: /proc, /sys, /dev and /tmp. */
static inline void lgtest_mounts(void)
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

/*
 * The block device of tests/guest-boot: where the guest's init (lginit)
 * and the host's (guest-boot-init) leave their marks, and what they
 * write there; each checks the other's.
 *
 *   BLOCK_OFFSET  lginit's pattern (block_pattern_byte()), found by the host
 *   ZERO_OFFSET   the host's data, which lginit discards and zeroes
 *   HIGH_OFFSET   above 4 GiB: high_pattern(1) of the host's, read by
 *                 lginit, then high_pattern(2) of lginit's right after
 */
#define BLOCK_OFFSET	(64 << 10)
#define BLOCK_BYTES	(256 << 10)
#define ZERO_OFFSET	(2 << 20)
#define ZERO_BYTES	(1 << 20)
#define HIGH_OFFSET	((4ULL << 30) + (1 << 20))
#define HIGH_BYTES	4096

static inline unsigned char block_pattern_byte(size_t i)
{
	return (unsigned char)(i * 7 + i / 4096);
}

static inline void high_pattern(unsigned char *buf, unsigned int seed)
{
	size_t i;

	for (i = 0; i < HIGH_BYTES; i++)
		buf[i] = (unsigned char)(i * 11 + seed * 101);
}

/*
 * The shared folder of tests/guest-boot (lguest --share), as the host's
 * init fills it and the guest's (lginit.share) leaves it; each checks
 * the other.
 *
 *   SHARE_HOSTFILE  the host's, which the guest reads
 *   SHARE_ABS, SHARE_UP  symlinks to "/lgsecret" and "../lgsecret": the
 *                   host has such files, the guest must not see them
 *                   (it follows a symlink in its own tree, never ours)
 *   guest-dir/      made by the guest: "big" (SHARE_BIG bytes of
 *                   share_byte(), written as "tmp" and renamed, mode
 *                   0640), "link" -> "big"; "gone" made and deleted
 */
#define SHARE_TAG	"hostshare"
#define SHARE_HOSTDIR	"/tmp/share"
#define SHARE_HOSTFILE	"hostfile"
#define SHARE_HOSTTEXT	"from the host\n"
#define SHARE_SECRET	"SECRET of the host\n"
#define SHARE_ABS	"abs"
#define SHARE_UP	"up"
#define SHARE_BIG	(1 << 20)

static inline unsigned char share_byte(size_t i)
{
	return (unsigned char)(i * 13 + i / 4093);
}

/*
 * Once the last guest is gone, ask kmemleak (CONFIG_DEBUG_KMEMLEAK, in the
 * lguest targets' debug.config) what the host kernel leaked.  The objects
 * it lists are printed, so the boot test's judge sees them too, and judged
 * as the check NAME.  A kernel without kmemleak is not judged: the test
 * scripts expect the result only when the target has it.
 */
#define LGTEST_KMEMLEAK "/sys/kernel/debug/kmemleak"

static inline bool kmemleak_command(const char *cmd)
{
	int fd = open(LGTEST_KMEMLEAK, O_WRONLY);
	bool ok = fd >= 0 && write(fd, cmd, strlen(cmd)) == (ssize_t)strlen(cmd);

	if (fd >= 0)
		close(fd);
	return ok;
}

static inline void kmemleak_check(const char *name)
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

#endif /* LGTEST_H */
