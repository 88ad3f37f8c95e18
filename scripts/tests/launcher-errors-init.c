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
 * and made again afterwards.  Results are in KTAP tagged LGTEST
 * (lgtest.h), one per case, named launcher:<case>.
 */
#include "lgtest.h"
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>

#define LGUEST		"/lguest"
#define NOBODY		65534
#define CASE_TIMEOUT	120		/* seconds; TCG is slow */

static const char *guest = "/vmlinux";

struct run {
	int status;			/* as from waitpid, or -1 on timeout */
	char out[65536];		/* stdout and stderr together */
};

/* A case's result, as launcher:<case>. */
static void __attribute__((format(printf, 3, 4)))
case_result(bool ok, const char *name, const char *fmt, ...)
{
	char full[128];
	va_list ap;

	snprintf(full, sizeof(full), "launcher:%s", name);
	va_start(ap, fmt);
	lgtest_vresult(ok, full, ok ? NULL : fmt, ap);
	va_end(ap);
}

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
		case_result(false, name, "timed out after %d s", CASE_TIMEOUT);
		return;
	}
	if (!WIFEXITED(r.status)) {
		case_result(false, name, "killed by signal %d", WTERMSIG(r.status));
		return;
	}
	code = WEXITSTATUS(r.status);
	ok = want_exit < 0 ? code != 0 : code == want_exit;
	if (!ok) {
		case_result(false, name, "exit status %d", code);
		return;
	}
	case_result(says(r.out, want), name, "exit %d, no \"%s\" in the output",
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
	bool ok = lgtest_load_module(module);

	case_result(ok, "module-load", "%s: %m", module);
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

/*
 * What needs an lguest host to get wrong; the cases refused before
 * /dev/lguest is opened run on the build machine (tests/launcher-args).
 */
static void bad_arguments(void)
{
	char *g = (char *)guest;

	check("tunnet-no-such-bridge", -1, "cannot add lgtap0 to bridge nosuchbr", 0,
	      "--tunnet=bridge:nosuchbr", "64", g, NULL);
	check("user-without-ids", -1, "lgnoid: its /etc/passwd line has no numeric uid and gid",
	      0, "--username=lgnoid", "64", g, NULL);
	check("chroot-missing", -1, "cannot chroot to /nonexistent", 0,
	      "--chroot=/nonexistent", "64", g, NULL);
}

/*
 * The good paths: the guest (this host's own vmlinux, with lginit from
 * /guest.cpio.gz as its init, in its quick mode) boots to userspace and
 * powers off, and the Launcher says so and exits 0: plain, with devices,
 * with disk options, and after dropping privileges.
 */
#define GUEST_END "lginit: # Totals: pass:&fail:0 skip:&lguest: guest powered off:"
#define GUEST_ARGS "--initrd=/guest.cpio.gz", "64", g, "quiet", "rdinit=/lginit", "lginit.quick"

/*
 * Two guests must not write one image: while one lguest has it (its guest
 * waiting for a line that never comes), a second is refused, clearly.
 */
static void case_block_in_use(void)
{
	char *argv[] = { LGUEST, "--block=/tmp/shared.img", "--initrd=/guest.cpio.gz", "64",
			 (char *)guest, "rdinit=/lginit", "quiet", "lginit.quick", "lginit.echo",
			 NULL };
	char locks[4096] = "";
	int in[2], i, fd, null = open("/dev/null", O_WRONLY);
	pid_t first;

	if (pipe(in) || null < 0) {
		case_result(false, "block-in-use", "pipe: %m");
		return;
	}
	first = fork();
	if (!first) {
		dup2(in[0], 0);
		dup2(null, 1);
		dup2(null, 2);
		execv(LGUEST, argv);
		_exit(126);
	}
	close(in[0]);
	/* Its lock shows in /proc/locks once it has set up its devices. */
	for (i = 0; i < 300 && !strstr(locks, "FLOCK"); i++) {
		usleep(100000);
		fd = open("/proc/locks", O_RDONLY);
		if (fd >= 0 && read(fd, locks, sizeof(locks) - 1) < 0)
			locks[0] = '\0';
		if (fd >= 0)
			close(fd);
	}
	check("block-in-use", -1, "block file /tmp/shared.img is in use", 0,
	      "--block=/tmp/shared.img", "64", (char *)guest, NULL);
	check("block-in-use-ro", -1, "block file /tmp/shared.img is in use", 0,
	      "--block=/tmp/shared.img,ro", "64", (char *)guest, NULL);
	kill(first, SIGKILL);
	waitpid(first, NULL, 0);
	close(in[1]);
	close(null);
}

static void guest_runs(void)
{
	char *g = (char *)guest;

	check("runs-guest", 0, GUEST_END, 0, "--verbose", GUEST_ARGS, NULL);
	check("runs-guest-devices", 0, GUEST_END, 0, "--verbose",
	      "--block=/tmp/disk.img", "--block=/tmp/empty.img", "--rng", GUEST_ARGS, NULL);
	check("runs-guest-unprivileged", 0, "running as nobody&" GUEST_END, 0, "--verbose",
	      "--chroot=/tmp/jail", "--username=nobody", GUEST_ARGS, NULL);
	check("runs-guest-block-options", 0, ", read-only&, O_DIRECT&" GUEST_END, 0, "--verbose",
	      "--block=/tmp/disk.img,ro", "--block=/tmp/direct.img,direct", GUEST_ARGS, NULL);
	check("no-reboot", 0, "stopping instead (--no-reboot)", 0, "--no-reboot",
	      "--block=/tmp/noreboot.img", GUEST_ARGS, "lginit.reboot", NULL);
	check("guest-killed-by-host", 4, "lguest: registers: eip 01000007&guest died: hypercall 32429",
	      0, "64", "/badkernel", NULL);
	case_block_in_use();
	/* getcwd (183 on i386) is not on the sandbox's list. */
	check("sandbox-stops-forbidden-call", 1, "lguest: the sandbox stopped system call 183", 0,
	      "--sandbox-selftest", GUEST_ARGS, NULL);
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
enum tty_end { TTY_POWEROFF, TTY_CRASH, TTY_SIGTERM, TTY_SIGQUIT, TTY_SIGABRT };

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
		case_result(false, name, "openpty: %m");
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
				if (seen && end >= TTY_SIGTERM)
					kill(pid, end == TTY_SIGTERM ? SIGTERM :
						  end == TTY_SIGQUIT ? SIGQUIT : SIGABRT);
			}
		}
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		status = -1;
	}
	if (status == -1) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		case_result(false, name, "timed out");
	} else if (!seen || !raw) {
		case_result(false, name, "%s", !seen ? "the guest printed nothing" :
		       "the terminal was not in raw mode while the guest ran");
	} else {
		tcgetattr(slave, &after);
		case_result(same_modes(&before, &after) &&
		       (end != TTY_POWEROFF || (WIFEXITED(status) && !WEXITSTATUS(status))) &&
		       (end != TTY_CRASH || (WIFEXITED(status) && WEXITSTATUS(status) == 3)),
		       name, "status %#x, terminal modes %s", status,
		       same_modes(&before, &after) ? "restored" : "NOT restored");
	}
	close(master);
	close(slave);
}

/* lguest on a fresh pty, as the session leader's controlling terminal. */
struct pty_run {
	int master, slave, status;
	struct termios before;		/* the pty's modes before lguest */
	pid_t pid;
	time_t stop;
	size_t len;
	char out[65536];
};

static bool pty_start(struct pty_run *p, char *const argv[], const struct winsize *ws)
{
	p->len = 0;
	p->out[0] = '\0';
	p->status = -1;
	p->stop = time(NULL) + CASE_TIMEOUT;
	if (openpty(&p->master, &p->slave, NULL, NULL, ws) || tcgetattr(p->slave, &p->before))
		return false;
	p->pid = fork();
	if (!p->pid) {
		setsid();
		ioctl(p->slave, TIOCSCTTY, 0);
		dup2(p->slave, 0);
		dup2(p->slave, 1);
		dup2(p->slave, 2);
		close(p->master);
		close(p->slave);
		execv(LGUEST, argv);
		_exit(126);
	}
	return p->pid > 0;
}

/* Read what lguest says until want is in it (NULL: until it exits). */
static bool pty_wait_for(struct pty_run *p, const char *want)
{
	while (time(NULL) < p->stop) {
		struct pollfd pfd = { .fd = p->master, .events = POLLIN };
		ssize_t n;

		if (want && strstr(p->out, want))
			return true;
		if (poll(&pfd, 1, 200) > 0 && p->len < sizeof(p->out) - 1) {
			n = read(p->master, p->out + p->len, sizeof(p->out) - 1 - p->len);
			if (n > 0)
				p->len += n;
			p->out[p->len] = '\0';
			continue;
		}
		if (p->status == -1 && waitpid(p->pid, &p->status, WNOHANG) != p->pid)
			p->status = -1;
		if (p->status != -1 && !want)
			return true;
	}
	return want && strstr(p->out, want);
}

static void pty_send(struct pty_run *p, const char *keys)
{
	if (write(p->master, keys, strlen(keys)) != (ssize_t)strlen(keys))
		printf("launcher-errors-init: cannot type on the pty: %m\n");
}

/* Wait for lguest to end (killing it at the deadline); its status. */
static int pty_finish(struct pty_run *p)
{
	pty_wait_for(p, NULL);
	if (p->status == -1) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, &p->status, 0);
		p->status = -1;
	}
	close(p->master);
	close(p->slave);
	return p->status;
}

static bool exited_with(int status, int code)
{
	return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == code;
}

#define ECHO_ARGS(g) LGUEST, "--initrd=/guest.cpio.gz", "64", g, "rdinit=/lginit", "quiet", \
		     "lginit.quick", "lginit.echo"

/*
 * Keys typed while the guest reboots must not leave its console deaf.
 * From the moment lguest says the guest is restarting, a key every 2 ms
 * for 200 ms: some land while lguest sets the guest up again, when the
 * input thread wakes a main thread that is not running the guest (the
 * wake-up dies with the old boot), and the second boot must still get
 * the line typed when it asks.  (One key sent once came too late to find
 * that window: this test passed with the bug.)
 */
static void tty_reboot_input_case(void)
{
	char *argv[] = { LGUEST, "--block=/tmp/disk.img", "--initrd=/guest.cpio.gz", "64",
			 (char *)guest, "rdinit=/lginit", "quiet", "lginit.quick",
			 "lginit.reboot", "lginit.echo", NULL };
	const char *name = "tty-input-after-reboot", *why = "the guest never restarted";
	struct pty_run *p = calloc(1, sizeof(*p));
	int status;

	if (!p || !pty_start(p, argv, NULL)) {
		case_result(false, name, "cannot start lguest on a pty: %m");
		free(p);
		return;
	}
	if (pty_wait_for(p, "lguest: guest restarting:")) {
		int i;

		for (i = 0; i < 100; i++) {
			pty_send(p, "x");
			usleep(2000);
		}
		why = "the second boot never asked for a line";
		if (pty_wait_for(p, "lginit: # type a line")) {
			pty_send(p, "ping-after-reboot\n");
			why = "the line typed after the reboot never came back";
			pty_wait_for(p, "ping-after-reboot'");
		}
	}
	status = pty_finish(p);
	case_result(exited_with(status, 0) && strstr(p->out, "ping-after-reboot'"), name,
	       "%s (status %#x)", why, status);
	free(p);
}

/*
 * The escape key: Ctrl-a Ctrl-a sends one Ctrl-a, Ctrl-a z vanishes, and
 * ^C is the guest's like any key; then Ctrl-a x stops lguest (status 5)
 * with the terminal as it was.
 */
static void tty_escape_cases(void)
{
	char *argv[] = { ECHO_ARGS((char *)guest), NULL };
	struct pty_run *p = calloc(1, sizeof(*p));
	struct termios after;
	int status;

	if (!p || !pty_start(p, argv, NULL)) {
		case_result(false, "tty-escape-keys", "cannot start lguest on a pty: %m");
		free(p);
		return;
	}
	if (pty_wait_for(p, "lginit: # type a line"))
		pty_send(p, "a\x01\x01" "b\x01zc\x03" "d\n");
	pty_wait_for(p, "lginit: # echo: got ");
	status = pty_finish(p);
	case_result(exited_with(status, 0) && strstr(p->out, "got 'a\\x01bc\\x03d'"),
	       "tty-escape-keys", "the guest did not get \"a\\x01bc\\x03d\" (status %#x)",
	       status);

	if (!pty_start(p, argv, NULL)) {
		case_result(false, "tty-escape-quits", "cannot start lguest on a pty: %m");
		free(p);
		return;
	}
	if (pty_wait_for(p, "lginit: # type a line"))
		pty_send(p, "\x01x");
	pty_wait_for(p, NULL);
	tcgetattr(p->slave, &after);
	status = pty_finish(p);
	case_result(exited_with(status, 5) && strstr(p->out, "Ctrl-a x on the console") &&
	       same_modes(&p->before, &after), "tty-escape-quits",
	       "status %#x, terminal modes %s", status,
	       same_modes(&p->before, &after) ? "restored" : "NOT restored");
	free(p);
}

/* The terminal's size reaches the guest's console, and so does a change. */
static void tty_winsize_case(void)
{
	char *argv[] = { LGUEST, "--initrd=/guest.cpio.gz", "64", (char *)guest,
			 "rdinit=/lginit", "quiet", "lginit.quick", "lginit.winsize", NULL };
	struct winsize ws = { .ws_col = 100, .ws_row = 30 };
	struct pty_run *p = calloc(1, sizeof(*p));
	int status;

	if (!p || !pty_start(p, argv, &ws)) {
		case_result(false, "tty-winsize", "cannot start lguest on a pty: %m");
		free(p);
		return;
	}
	if (pty_wait_for(p, "lginit: # console size 100x30")) {
		ws.ws_col = 120;
		ws.ws_row = 40;
		ioctl(p->master, TIOCSWINSZ, &ws);	/* SIGWINCH for lguest */
	}
	pty_wait_for(p, "lginit: # winsize: ");
	status = pty_finish(p);
	case_result(exited_with(status, 0) && strstr(p->out, "lginit: # winsize: 100x30 then 120x40"),
	       "tty-winsize", "the guest did not see 100x30 then 120x40 (status %#x)", status);
	free(p);
}

static void tty_cases(void)
{
	tty_case("tty-raw-then-restored", TTY_POWEROFF);
	tty_case("tty-restored-after-crash", TTY_CRASH);
	tty_case("tty-restored-after-sigterm", TTY_SIGTERM);
	tty_case("tty-restored-after-sigquit", TTY_SIGQUIT);
	tty_case("tty-restored-after-sigabrt", TTY_SIGABRT);
	tty_reboot_input_case();
	tty_escape_cases();
	tty_winsize_case();
}

static void make_image(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || ftruncate(fd, 1 << 20))
		printf("launcher-errors-init: cannot make %s\n", path);
	if (fd >= 0)
		close(fd);
}

static void prepare(void)
{
	lgtest_mounts();
	mkdir("/etc", 0755);
	/* The tty cases' ptys. */
	mkdir("/dev/pts", 0755);
	mount("devpts", "/dev/pts", "devpts", 0, "ptmxmode=0666");
	write_file("/etc/passwd", "root:x:0:0::/:/none\nnobody:x:65534:65534::/:/none\n"
		   "lgempty::1234:5678:::\nlgnoid:x:::::\n", 0644);
	make_image("/tmp/disk.img");
	make_image("/tmp/direct.img");
	make_image("/tmp/noreboot.img");
	make_image("/tmp/shared.img");
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
	ktap_begin("LGTEST");
	case_no_dev_lguest();
	if (!module || load_module(module)) {
		bad_arguments();
		case_no_tun();
		guest_runs();
		tty_cases();
	}
	kmemleak_check("launcher:kmemleak");
	ktap_end();
	sync();
	if (getpid() == 1)
		reboot(RB_AUTOBOOT);
	return lgtest.failed ? 1 : 0;
}
