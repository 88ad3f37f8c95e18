// SPDX-License-Identifier: GPL-2.0
/*
 * launcher-errors-init: the /init of tests/launcher-errors.
 *
 * On an lguest host under QEMU, it runs the Launcher (/lguest) with bad
 * input of every kind and checks that each run ends with a non-zero exit
 * status and the clear message it should give, never a crash.  A last
 * few runs start a real guest (/vmlinux, with /guest.cpio.gz as its
 * initramfs) that must boot to userspace and power off: plain, with
 * devices, and after dropping privileges; then three on a pty, where the
 * terminal must be raw while the guest runs and restored however it ends.
 *
 *	launcher-errors-init [-- [--module /lg.ko] [--guest FILE]]
 *
 * With --module, the "no /dev/lguest" case runs before the module is
 * loaded; with the host built in, /dev/lguest is removed for that case
 * and made again afterwards.  Results are "LGTEST: ok launcher:<case>"
 * or "LGTEST: FAIL launcher:<case>: <why>" between LGTEST: BEGIN and END.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define LGUEST		"/lguest"
#define NOBODY		65534
#define CASE_TIMEOUT	120		/* seconds; TCG is slow */

static const char *guest = "/vmlinux";
static int passed, failed;

struct run {
	int status;			/* as from waitpid, or -1 on timeout */
	char out[65536];		/* stdout and stderr together */
};

static void result(bool ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		passed++;
		printf("LGTEST: ok launcher:%s\n", name);
		return;
	}
	failed++;
	printf("LGTEST: FAIL launcher:%s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

#include "lgtest-kmemleak.h"

/* Run the Launcher with argv (NULL-terminated), as uid if not 0. */
static void run_lguest(char *const argv[], uid_t uid, struct run *r)
{
	int pipefd[2], status = 0;
	size_t len = 0;
	time_t end = time(NULL) + CASE_TIMEOUT;
	struct pollfd p;
	pid_t pid;
	ssize_t n;

	memset(r, 0, sizeof(*r));
	if (pipe(pipefd))
		return;
	pid = fork();
	if (pid == 0) {
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		close(pipefd[0]);
		if (uid && (setgid(uid) || setuid(uid)))
			_exit(125);
		execv(LGUEST, argv);
		_exit(126);
	}
	close(pipefd[1]);
	p.fd = pipefd[0];
	p.events = POLLIN;
	for (;;) {
		int left = end - time(NULL);

		if (left <= 0 || poll(&p, 1, left * 1000) <= 0) {
			kill(pid, SIGKILL);
			r->status = -1;
			break;
		}
		n = read(pipefd[0], r->out + len, sizeof(r->out) - 1 - len);
		if (n <= 0)
			break;
		len += n;
		if (len == sizeof(r->out) - 1)
			len = 0;	/* keep the end, it says why */
	}
	r->out[len] = '\0';
	close(pipefd[0]);
	waitpid(pid, &status, 0);
	if (r->status != -1)
		r->status = status;
}

/* Show what the Launcher said, indented, so the log explains itself. */
static void show(const struct run *r)
{
	const char *s = r->out, *nl;

	while (*s) {
		nl = strchrnul(s, '\n');
		printf("    | %.*s\n", (int)(nl - s), s);
		s = *nl ? nl + 1 : nl;
	}
}

/* Does out have one of the '|'-separated strings of want? */
static bool says_one(const char *out, char *want)
{
	char *s, *save;

	for (s = strtok_r(want, "|", &save); s; s = strtok_r(NULL, "|", &save))
		if (strstr(out, s))
			return true;
	return false;
}

/* Does out say each of the '&'-separated parts of want? */
static bool says(const char *out, const char *want)
{
	char buf[256], *s, *save;

	snprintf(buf, sizeof(buf), "%s", want);
	for (s = strtok_r(buf, "&", &save); s; s = strtok_r(NULL, "&", &save))
		if (!says_one(out, s))
			return false;
	return true;
}

/*
 * One case: the Launcher must exit (not die of a signal) with want_exit
 * (-1: any non-zero) and say want (see says()) in its output.
 */
static void check(const char *name, int want_exit, const char *want, uid_t uid, ...)
{
	char *argv[16];
	struct run r;
	va_list ap;
	int argc = 0, code;
	bool ok;

	argv[argc++] = LGUEST;
	va_start(ap, uid);
	while (argc < 15 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	argv[argc] = NULL;

	run_lguest(argv, uid, &r);
	show(&r);
	if (r.status == -1) {
		result(false, name, "timed out after %d s", CASE_TIMEOUT);
		return;
	}
	if (!WIFEXITED(r.status)) {
		result(false, name, "killed by signal %d", WTERMSIG(r.status));
		return;
	}
	code = WEXITSTATUS(r.status);
	ok = want_exit < 0 ? code != 0 : code == want_exit;
	if (!ok) {
		result(false, name, "exit status %d", code);
		return;
	}
	result(says(r.out, want), name, "exit %d, no \"%s\" in the output",
	       code, want);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	if (fd < 0 || write(fd, text, strlen(text)) < 0)
		printf("launcher-errors-init: cannot write %s: %m\n", path);
	if (fd >= 0)
		close(fd);
	chmod(path, mode);
}

static bool load_module(const char *module)
{
	int fd = open(module, O_RDONLY | O_CLOEXEC);
	bool ok = fd >= 0 && syscall(SYS_finit_module, fd, "", 0) == 0;

	if (fd >= 0)
		close(fd);
	result(ok, "module-load", "%s: %m", module);
	return ok;
}

/* "major:minor" of a misc device, from sysfs. */
static dev_t sysfs_dev(const char *path)
{
	unsigned int major = 0, minor = 0;
	FILE *f = fopen(path, "r");

	if (f) {
		if (fscanf(f, "%u:%u", &major, &minor) != 2)
			major = minor = 0;
		fclose(f);
	}
	return makedev(major, minor);
}

static void case_no_dev_lguest(void)
{
	dev_t dev = sysfs_dev("/sys/class/misc/lguest/dev");
	bool had = access("/dev/lguest", F_OK) == 0;

	if (had)
		unlink("/dev/lguest");
	check("no-dev-lguest", -1, "cannot open /dev/lguest", 0, "64", (char *)guest, NULL);
	if (had && mknod("/dev/lguest", S_IFCHR | 0600, dev))
		printf("launcher-errors-init: cannot make /dev/lguest again: %m\n");
}

static void case_no_tun(void)
{
	/* A later host may have tun: take its node away for this case. */
	unlink("/dev/net/tun");
	check("no-tun", -1, "cannot open /dev/net/tun", 0,
	      "--tunnet=10.0.0.1", "64", (char *)guest, NULL);
}

static void bad_arguments(void)
{
	char *g = (char *)guest;

	check("help", 0, "usage: lguest", 0, "--help", NULL);
	check("no-arguments", -1, "need the memory size", 0, NULL);
	check("unknown-option", -1, "unknown option '--bogus'", 0, "--bogus", "64", g, NULL);
	check("option-without-argument", -1, "lacks its argument", 0, "--initrd", NULL);
	check("memory-not-a-number", -1, "is not a number of megabytes", 0, "64k", g, NULL);
	check("memory-too-small", -1, "too small", 0, "8", g, NULL);
	check("memory-too-large", -1, "too large", 0, "4096", g, NULL);
	check("kernel-missing", -1, "cannot open kernel /nonexistent: No such file", 0,
	      "64", "/nonexistent", NULL);
	check("kernel-unreadable", -1, "cannot open kernel /tmp/unreadable: Permission denied",
	      NOBODY, "64", "/tmp/unreadable", NULL);
	check("kernel-not-elf", -1, "is not an ELF file", 0, "64", "/tmp/notelf", NULL);
	check("kernel-empty", -1, "is not an ELF file", 0, "64", "/tmp/empty", NULL);
	check("kernel-not-i386", -1, "not a 32-bit x86 executable", 0, "64", "/tmp/elf64", NULL);
	check("kernel-bzimage", -1, "is a bzImage", 0, "64", "/bzImage", NULL);
	check("initrd-missing", -1, "cannot open initrd /nonexistent", 0,
	      "--initrd=/nonexistent", "64", g, NULL);
	check("block-missing", -1, "cannot open block file /nonexistent", 0,
	      "--block=/nonexistent", "64", g, NULL);
	check("block-is-directory", -1, "cannot open block file /tmp", 0,
	      "--block=/tmp", "64", g, NULL);
	check("tunnet-malformed", -1, "is not an IPv4 address", 0,
	      "--tunnet=notanaddress", "64", g, NULL);
	check("tunnet-bad-prefix", -1, "'/33' is not a prefix length from 1 to 32", 0,
	      "--tunnet=10.0.0.1/33", "64", g, NULL);
	check("tunnet-bad-mac", -1, "is not a MAC address", 0,
	      "--tunnet=10.0.0.1:12:34", "64", g, NULL);
	check("tunnet-bridge-name-too-long", -1, "a bridge name has 1 to 15 characters", 0,
	      "--tunnet=bridge:abcdefghijklmnop", "64", g, NULL);
	check("tunnet-no-such-bridge", -1, "cannot add lgtap0 to bridge nosuchbr", 0,
	      "--tunnet=bridge:nosuchbr", "64", g, NULL);
	check("user-unknown", -1, "unknown user 'nosuchuser'", 0,
	      "--username=nosuchuser", "64", g, NULL);
	check("user-without-ids", -1, "lgnoid: its /etc/passwd line has no numeric uid and gid",
	      0, "--username=lgnoid", "64", g, NULL);
	check("chroot-missing", -1, "cannot chroot to /nonexistent", 0,
	      "--chroot=/nonexistent", "64", g, NULL);
}

/*
 * The good paths: the guest (this host's own vmlinux, with lginit from
 * /guest.cpio.gz as its init, in its quick mode) boots to userspace and
 * powers off, and the Launcher says so and exits 0: plain, with devices,
 * and after dropping privileges.
 */
#define GUEST_END "lginit: done, 0 failed&lguest: guest powered off:"
#define GUEST_ARGS "--initrd=/guest.cpio.gz", "64", g, "quiet", "rdinit=/lginit", "lginit.quick"

static void guest_runs(void)
{
	char *g = (char *)guest;

	check("runs-guest", 0, GUEST_END, 0, "--verbose", GUEST_ARGS, NULL);
	check("runs-guest-devices", 0, GUEST_END, 0, "--verbose",
	      "--block=/tmp/disk.img", "--block=/tmp/empty.img", "--rng", GUEST_ARGS, NULL);
	check("runs-guest-unprivileged", 0, "running as nobody&" GUEST_END, 0, "--verbose",
	      "--chroot=/tmp/jail", "--username=nobody", GUEST_ARGS, NULL);
	/* A passwd line with empty fields must not shift uid and gid. */
	check("username-empty-passwd-fields", 0, "running as lgempty (uid 1234, gid 5678)&" GUEST_END,
	      0, "--verbose", "--chroot=/tmp/jail", "--username=lgempty", GUEST_ARGS, NULL);
}

/*
 * The console on a terminal: raw while the guest runs (checked once the
 * guest has printed), and the terminal's modes restored however lguest
 * ends: a power-off, a guest crash, SIGTERM.  lguest runs on a pty, as
 * the session leader's controlling terminal, as from a shell.
 */
enum tty_end { TTY_POWEROFF, TTY_CRASH, TTY_SIGTERM };

static bool same_modes(const struct termios *a, const struct termios *b)
{
	return a->c_iflag == b->c_iflag && a->c_oflag == b->c_oflag &&
	       a->c_lflag == b->c_lflag && !memcmp(a->c_cc, b->c_cc, sizeof(a->c_cc));
}

static void tty_case(const char *name, enum tty_end end)
{
	char *g = (char *)guest;
	/* The crash is a panic for want of an init; its boot is not quiet. */
	char *argv[] = { LGUEST, "--initrd=/guest.cpio.gz", "64", g,
			 end == TTY_CRASH ? "rdinit=/no/such/init" : "rdinit=/lginit",
			 end == TTY_CRASH ? "loglevel=7" : "quiet", "lginit.quick", NULL };
	struct termios before, during, after;
	bool seen = false, raw = false;
	time_t stop = time(NULL) + CASE_TIMEOUT;
	int master, slave, status = -1;
	char buf[4096];
	pid_t pid;

	if (openpty(&master, &slave, NULL, NULL, NULL) || tcgetattr(slave, &before)) {
		result(false, name, "openpty: %m");
		return;
	}
	pid = fork();
	if (!pid) {
		setsid();
		ioctl(slave, TIOCSCTTY, 0);
		dup2(slave, 0);
		dup2(slave, 1);
		dup2(slave, 2);
		close(master);
		close(slave);
		execv(LGUEST, argv);
		_exit(126);
	}
	while (time(NULL) < stop) {
		struct pollfd p = { .fd = master, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 1000) > 0) {
			n = read(master, buf, sizeof(buf) - 1);
			if (n > 0 && !seen) {
				buf[n] = '\0';
				/* Something from the guest kernel or lginit: raw by now. */
				seen = strstr(buf, "lginit:") || strstr(buf, "Linux version");
				if (seen && !tcgetattr(slave, &during))
					raw = !(during.c_lflag & (ICANON | ECHO | ISIG));
				if (seen && end == TTY_SIGTERM)
					kill(pid, SIGTERM);
			}
		}
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		status = -1;
	}
	if (status == -1) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		result(false, name, "timed out");
	} else if (!seen || !raw) {
		result(false, name, "%s", !seen ? "the guest printed nothing" :
		       "the terminal was not in raw mode while the guest ran");
	} else {
		tcgetattr(slave, &after);
		result(same_modes(&before, &after) &&
		       (end != TTY_POWEROFF || (WIFEXITED(status) && !WEXITSTATUS(status))) &&
		       (end != TTY_CRASH || (WIFEXITED(status) && WEXITSTATUS(status) == 1)),
		       name, "status %#x, terminal modes %s", status,
		       same_modes(&before, &after) ? "restored" : "NOT restored");
	}
	close(master);
	close(slave);
}

/*
 * Keys typed while the guest reboots must not leave its console deaf: a
 * key is sent the moment lguest says the guest is restarting (the input
 * thread then wakes the main thread while it sets the guest up again),
 * and the second boot must still get the line typed when it asks.
 */
static void tty_reboot_input_case(void)
{
	const char *name = "tty-input-after-reboot";
	char *argv[] = { LGUEST, "--block=/tmp/disk.img", "--initrd=/guest.cpio.gz", "64",
			 (char *)guest, "rdinit=/lginit", "quiet", "lginit.quick",
			 "lginit.reboot", "lginit.echo", NULL };
	static char out[65536];
	time_t stop = time(NULL) + CASE_TIMEOUT;
	bool keyed = false, typed = false;
	int master, slave, status = -1;
	size_t len = 0;
	pid_t pid;

	if (openpty(&master, &slave, NULL, NULL, NULL)) {
		result(false, name, "openpty: %m");
		return;
	}
	pid = fork();
	if (!pid) {
		setsid();
		ioctl(slave, TIOCSCTTY, 0);
		dup2(slave, 0);
		dup2(slave, 1);
		dup2(slave, 2);
		close(master);
		close(slave);
		execv(LGUEST, argv);
		_exit(126);
	}
	while (time(NULL) < stop) {
		struct pollfd p = { .fd = master, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 1000) > 0 && len < sizeof(out) - 1) {
			n = read(master, out + len, sizeof(out) - 1 - len);
			if (n > 0)
				len += n;
			out[len] = '\0';
		}
		if (!keyed && strstr(out, "lguest: guest restarting:"))
			keyed = write(master, "x", 1) == 1;
		if (keyed && !typed && strstr(out, "lginit: type a line"))
			typed = write(master, "ping-after-reboot\n", 18) == 18;
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		status = -1;
	}
	if (status == -1) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	result(status != -1 && WIFEXITED(status) && !WEXITSTATUS(status) &&
	       strstr(out, "lginit: ok echo ") && strstr(out, "ping-after-reboot'"), name,
	       "%s (status %#x)", !keyed ? "the guest never restarted" :
	       !typed ? "the second boot never asked for a line" :
	       status == -1 ? "the guest never got the line typed after its reboot" :
	       "the line did not come back", status);
	close(master);
	close(slave);
}

static void tty_cases(void)
{
	tty_case("tty-raw-then-restored", TTY_POWEROFF);
	tty_case("tty-restored-after-crash", TTY_CRASH);
	tty_case("tty-restored-after-sigterm", TTY_SIGTERM);
	tty_reboot_input_case();
}

static void prepare(void)
{
	static const char elf64[] = "\x7f" "ELF\x02\x01\x01";
	int fd;

	mkdir("/proc", 0755);
	mkdir("/sys", 0755);
	mkdir("/dev", 0755);
	mkdir("/tmp", 01777);
	mkdir("/etc", 0755);
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mkdir("/dev/pts", 0755);
	mount("devpts", "/dev/pts", "devpts", 0, "ptmxmode=0666");
	mount("tmpfs", "/tmp", "tmpfs", 0, NULL);
	write_file("/etc/passwd", "root:x:0:0::/:/none\nnobody:x:65534:65534::/:/none\n"
		   "lgempty::1234:5678:::\nlgnoid:x:::::\n", 0644);
	write_file("/tmp/notelf", "this is not a kernel\n", 0644);
	write_file("/tmp/empty", "", 0644);
	write_file("/tmp/unreadable", "\x7f" "ELF", 0);
	fd = open("/tmp/elf64", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		char buf[64] = { 0 };

		memcpy(buf, elf64, sizeof(elf64) - 1);
		if (write(fd, buf, sizeof(buf)) < 0)
			printf("launcher-errors-init: cannot write /tmp/elf64\n");
		close(fd);
	}
	fd = open("/tmp/disk.img", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, 1 << 20))
		printf("launcher-errors-init: cannot make /tmp/disk.img\n");
	if (fd >= 0)
		close(fd);
	write_file("/tmp/empty.img", "", 0644);
	mkdir("/tmp/jail", 0755);
}

int main(int argc, char **argv)
{
	const char *module = NULL;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--module") && i + 1 < argc)
			module = argv[++i];
		else if (!strcmp(argv[i], "--guest") && i + 1 < argc)
			guest = argv[++i];
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	prepare();
	printf("LGTEST: BEGIN\n");
	case_no_dev_lguest();
	if (!module || load_module(module)) {
		bad_arguments();
		case_no_tun();
		guest_runs();
		tty_cases();
	}
	kmemleak_check("kmemleak");
	printf("LGTEST: END pass=%d fail=%d\n", passed, failed);
	sync();
	if (getpid() == 1)
		reboot(RB_AUTOBOOT);
	return failed ? 1 : 0;
}
