// SPDX-License-Identifier: GPL-2.0
/*
 * guest-boot-init: /init of the lguest host in tests/guest-boot.
 *
 * It runs the Launcher once, as a user would:
 *
 *	lguest --block=/tmp/disk.img --rng --share=/tmp/share,hostshare
 *		--initrd=/guest.cpio.gz 256 /guest-vmlinux rdinit=/lginit
 *		lginit.reboot lginit.devices lginit.share lginit.stress=5
 *
 * and reads everything the Launcher and the guest print, passing it on to
 * the console.  The guest's lginit asks for a restart on its first boot
 * (after leaving a mark on the block device), runs its checks on the
 * second, then powers off.  This program then reports, in KTAP tagged
 * LGTEST (lgtest.h) for the boot test to judge:
 *	ok guest:restarted	the Launcher restarted the guest once, and
 *				the second boot found the mark
 *	ok guest:checks		every lginit check passed
 *	ok guest:powered-off	lguest said so, and exited 0
 *	ok guest:disk-clean	the second boot cleared the mark on disk
 *	ok guest:block-on-host	the pattern lginit wrote to /dev/vda is in
 *				the image file
 *	ok guest:discard-on-host the range lginit discarded is a hole
 *	ok guest:block-above-4g	and the one it wrote above 4 GiB (the image
 *				is a sparse 5 GiB file, with a pattern of
 *				ours there for lginit to read)
 *	ok guest:share-on-host	what lginit made in the shared folder is
 *				there as it left it (lgtest.h)
 *	# boot-to-init		seconds from starting lguest to the first
 *				line of lginit, as the host's clock saw it
 *
 * Arguments after "--" on the host's command line: --module FILE loads
 * the host module first; --stress SECONDS runs the guest's lgstress that
 * long instead of 5 s; --shell (scripts/demo on a terminal) instead
 * runs the guest once on this console, its init ending in a shell.
 */
#define _FILE_OFFSET_BITS 64	/* the image is larger than 2 GiB */
#include "lgtest.h"
#include <time.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static double seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void setup(void)
{
	lgtest_mounts();
	setvbuf(stdout, NULL, _IOLBF, 0);
}

static bool load_module(const char *path)
{
	bool ok = lgtest_load_module(path);

	result(ok, "host:module-load", "%s: %m", path);
	return ok;
}


#define DISK_BYTES	(5ULL << 30)	/* sparse: the marks above 4 GiB */

static bool make_disk(const char *path)
{
	static unsigned char used[ZERO_BYTES];
	unsigned char high[HIGH_BYTES];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	bool ok;

	high_pattern(high, 1);
	/* Where lginit discards: data, so that only its discard leaves a hole. */
	memset(used, 0x5a, sizeof(used));
	ok = fd >= 0 && ftruncate(fd, DISK_BYTES) == 0 &&
	     pwrite(fd, high, sizeof(high), HIGH_OFFSET) == sizeof(high) &&
	     pwrite(fd, used, sizeof(used), ZERO_OFFSET) == sizeof(used);
	if (fd >= 0)
		close(fd);
	result(ok, "host:disk-image", "%s: %m", path);
	return ok;
}

/* lginit's discard left a hole, and its zeroed range reads as zeros. */

static bool disk_has_discarded(const char *path)
{
	static unsigned char got[ZERO_BYTES];
	int fd = open(path, O_RDONLY);
	bool ok = fd >= 0 && lseek(fd, ZERO_OFFSET, SEEK_HOLE) == ZERO_OFFSET &&
		  pread(fd, got, sizeof(got), ZERO_OFFSET) == sizeof(got);
	size_t i;

	for (i = 0; ok && i < sizeof(got); i++)
		ok = !got[i];
	if (fd >= 0)
		close(fd);
	return ok;
}

static bool disk_has_high_pattern(const char *path)
{
	unsigned char want[HIGH_BYTES], got[HIGH_BYTES];
	int fd = open(path, O_RDONLY);
	bool ok;

	high_pattern(want, 2);
	ok = fd >= 0 && pread(fd, got, sizeof(got), HIGH_OFFSET + HIGH_BYTES) == sizeof(got) &&
	     !memcmp(want, got, sizeof(got));
	if (fd >= 0)
		close(fd);
	return ok;
}

struct seen {
	int starts, restarts;
	bool done_ok, powered_off, reboot_ok, stats_head, stats_faults;
	double first_line;
};

static void look_at(const char *line, struct seen *s, double t0)
{
	if (strstr(line, "lginit: # started at")) {
		if (!s->starts++)
			s->first_line = seconds() - t0;
	}
	if (strstr(line, "lguest: guest restarting:"))
		s->restarts++;
	if (strstr(line, "lginit: # reboot: second boot"))
		s->reboot_ok = true;
	/* Each boot's totals: the last boot's count. */
	if (strstr(line, "lginit: # Totals: "))
		s->done_ok = strstr(line, " fail:0 ") != NULL;
	if (strstr(line, "lguest: guest powered off:"))
		s->powered_off = true;
	if (strstr(line, "lguest: statistics of this boot:"))
		s->stats_head = true;
	if (s->stats_head && strstr(line, "page faults: "))
		s->stats_faults = true;
}

/* Run lguest with its output through a pipe to us; returns its status. */
static char stress_arg[32] = "lginit.stress=5";

static int run_guest(struct seen *s)
{
	char *argv[] = { "/lguest", "--block=/tmp/disk.img", "--rng", "--stats",
			 "--share=" SHARE_HOSTDIR "," SHARE_TAG, "--initrd=/guest.cpio.gz", "256",
			 "/guest-vmlinux", "rdinit=/lginit", "lginit.reboot", "lginit.devices",
			 "lginit.share", stress_arg, NULL };
	char line[1024];
	double t0 = seconds();
	int pfd[2], status;
	FILE *in;
	pid_t pid;

	if (pipe(pfd))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		close(pfd[1]);
		execv(argv[0], argv);
		perror("exec /lguest");
		_exit(127);
	}
	close(pfd[1]);
	in = fdopen(pfd[0], "r");
	while (in && fgets(line, sizeof(line), in)) {
		fputs(line, stdout);
		look_at(line, s, t0);
	}
	if (in)
		fclose(in);
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

/* Did lginit's block check reach the image?  (Its pattern: lgtest.h.) */
static bool disk_has_pattern(const char *path)
{
	static unsigned char got[BLOCK_BYTES];
	int fd = open(path, O_RDONLY);
	bool ok = fd >= 0 && pread(fd, got, sizeof(got), BLOCK_OFFSET) == sizeof(got);
	size_t i;

	for (i = 0; ok && i < BLOCK_BYTES; i++)
		ok = got[i] == block_pattern_byte(i);
	if (fd >= 0)
		close(fd);
	return ok;
}

static bool disk_is_clean(const char *path)
{
	char buf[16] = { 1 }, zero[16] = { 0 };
	int fd = open(path, O_RDONLY);
	bool clean = fd >= 0 && read(fd, buf, sizeof(buf)) == sizeof(buf) &&
		     !memcmp(buf, zero, sizeof(buf));

	if (fd >= 0)
		close(fd);
	return clean;
}

static bool write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	bool ok = fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text);

	return !close(fd) && ok;
}

/* The shared folder as lginit finds it, and secrets it must not find. */
static bool make_share(void)
{
	return !mkdir(SHARE_HOSTDIR, 0755) &&
	       write_file(SHARE_HOSTDIR "/" SHARE_HOSTFILE, SHARE_HOSTTEXT) &&
	       write_file("/lgsecret", SHARE_SECRET) && write_file("/tmp/lgsecret", SHARE_SECRET) &&
	       !symlink("/lgsecret", SHARE_HOSTDIR "/" SHARE_ABS) &&
	       !symlink("../lgsecret", SHARE_HOSTDIR "/" SHARE_UP);
}

/* What lginit left there: guest-dir/big of its bytes, mode 0640, and so on. */
static bool share_as_left(void)
{
	static unsigned char buf[SHARE_BIG];
	int fd = open(SHARE_HOSTDIR "/guest-dir/big", O_RDONLY);
	char link[16] = "";
	struct stat st;
	bool ok;
	size_t i;

	ok = fd >= 0 && !fstat(fd, &st) && (st.st_mode & 07777) == 0640 &&
	     read(fd, buf, sizeof(buf)) == SHARE_BIG;
	for (i = 0; ok && i < SHARE_BIG; i++)
		ok = buf[i] == share_byte(i);
	if (fd >= 0)
		close(fd);
	return ok && readlink(SHARE_HOSTDIR "/guest-dir/link", link, sizeof(link) - 1) == 3 &&
	       !strcmp(link, "big") && access(SHARE_HOSTDIR "/guest-dir/tmp", F_OK) &&
	       access(SHARE_HOSTDIR "/guest-dir/gone", F_OK);
}

/* The demo: the guest has this console, and lginit ends in a shell. */
static void run_interactive(void)
{
	char *argv[] = { "/lguest", "--block=/tmp/disk.img", "--rng", "--initrd=/guest.cpio.gz",
			 "256", "/guest-vmlinux", "quiet", "rdinit=/lginit", "lginit.quick",
			 "lginit.shell", NULL };
	int status = 0;
	pid_t pid = fork();

	if (!pid) {
		execv(argv[0], argv);
		perror("exec /lguest");
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
	printf("guest-boot-init: lguest exited with status %d\n",
	       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

int main(int argc, char **argv)
{
	struct seen s = { 0 };
	bool shell = false;
	int i, status;

	setup();
	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--shell"))
			shell = true;
	ktap_begin("LGTEST");
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--module") && i + 1 < argc)
			load_module(argv[++i]);
		else if (!strcmp(argv[i], "--stress") && i + 1 < argc)
			snprintf(stress_arg, sizeof(stress_arg), "lginit.stress=%s", argv[++i]);
	}
	if (shell) {
		if (make_disk("/tmp/disk.img"))
			run_interactive();
	} else if (make_disk("/tmp/disk.img") && make_share()) {
		status = run_guest(&s);
		result(s.restarts == 1 && s.starts == 2 && s.reboot_ok, "guest:restarted",
		       "%d restarts, %d boots, second boot %s the mark", s.restarts,
		       s.starts, s.reboot_ok ? "found" : "did not find");
		result(s.done_ok, "guest:checks", "lginit did not finish without a failure");
		result(s.powered_off && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		       "guest:powered-off", "lguest status %#x, %s power-off message",
		       status, s.powered_off ? "with" : "no");
		result(disk_is_clean("/tmp/disk.img"), "guest:disk-clean",
		       "the mark is still on the disk");
		result(disk_has_pattern("/tmp/disk.img"), "guest:block-on-host",
		       "the guest's pattern is not in the image");
		result(disk_has_discarded("/tmp/disk.img"), "guest:discard-on-host",
		       "no hole at %#x in the image, or not zeros", ZERO_OFFSET);
		result(disk_has_high_pattern("/tmp/disk.img"), "guest:block-above-4g",
		       "the guest's pattern is not in the image at %#llx",
		       HIGH_OFFSET + HIGH_BYTES);
		result(share_as_left(), "guest:share-on-host",
		       "%s/guest-dir is not as lginit left it", SHARE_HOSTDIR);
		result(s.stats_head && s.stats_faults, "launcher:stats",
		       "lguest --stats printed %s", s.stats_head ? "no fault counts" : "nothing");
		if (s.starts)
			diag("boot-to-init %.2f s (host clock, lguest start to lginit)",
			     s.first_line);
	}
	kmemleak_check("host:kmemleak");
	ktap_end();
	sync();
	reboot(RB_AUTOBOOT);
	return 1;
}
