// SPDX-License-Identifier: GPL-2.0
/*
 * bench-init: /init of the lguest host for scripts/bench.
 *
 *	rdinit=/bench-init -- [--rounds N] [--scale N] [--only NAME,...]
 *			      [--guest-only] [--module FILE]
 *
 * It runs tools/lguest/lgbench natively, then the same kernel as an lguest
 * guest whose init (bench-guest) runs the same lgbench, and again, round
 * after round, so that both see the machine in the same state.  Everything
 * goes to the console: "LGBENCH-ROUND: native|guest N" before each run,
 * the workloads' "LGBENCH:" lines, and the Launcher's "LGSTATS:" lines
 * (--stats-marks), which say what the host counted during each workload
 * of the guest.  The guest's block device and this host's are the same
 * file, a 32 MiB image in tmpfs; its network goes over a tap to a TCP sink
 * here, which the native run reaches over loopback.  "LGBENCH-END" ends it.
 */
#include "lgtest.h"
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>


static int run(char *const argv[])
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		execv(argv[0], argv);
		printf("LGBENCH: error cannot run %s\n", argv[0]);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void make_image(const char *path, size_t mib)
{
	static char buf[1 << 20];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	size_t i;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = i * 7;
	for (i = 0; fd >= 0 && i < mib; i++)
		if (write(fd, buf, sizeof(buf)) != sizeof(buf))
			break;
	if (fd >= 0)
		close(fd);
}

/* The native TCP run goes over loopback, which nobody has brought up. */
static void loopback_up(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	if (s >= 0 && !ioctl(s, SIOCGIFFLAGS, &ifr)) {
		ifr.ifr_flags |= IFF_UP;
		ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	if (s >= 0)
		close(s);
}

static double uptime(void)
{
	double up = 0;
	FILE *f = fopen("/proc/uptime", "r");

	if (f && fscanf(f, "%lf", &up) != 1)
		up = 0;
	if (f)
		fclose(f);
	return up;
}

int main(int argc, char **argv)
{
	const char *scale = "1", *module = NULL, *only = "";
	int rounds = 2, r, i, native_too = 1;
	char guest_args[256];

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
			rounds = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--scale") && i + 1 < argc)
			scale = argv[++i];
		else if (!strcmp(argv[i], "--only") && i + 1 < argc)
			only = argv[++i];
		else if (!strcmp(argv[i], "--guest-only"))
			native_too = 0;
		else if (!strcmp(argv[i], "--module") && i + 1 < argc)
			module = argv[++i];
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	lgtest_mounts();
	printf("LGBENCH-HOST: boot-to-init %.3f\n", uptime());
	if (module && !lgtest_load_module(module))
		printf("LGBENCH: error cannot load %s\n", module);
	make_image("/tmp/bench.img", 32);
	loopback_up();
	if (fork() == 0) {
		execl("/lgbench", "lgbench", "--tcp-sink", "5001", (char *)NULL);
		_exit(127);
	}
	snprintf(guest_args, sizeof(guest_args), "rdinit=/bench-guest -- --scale %s%s%s", scale,
		 *only ? " --only " : "", only);
	for (r = 1; r <= rounds; r++) {
		char *native[] = { "/lgbench", "--scale", (char *)scale, "--block",
				   "/tmp/bench.img", "--tcp", "127.0.0.1:5001",
				   "--busybox", "/bin/busybox", NULL, NULL, NULL };
		char *guest[] = { "/lguest", "--stats-marks", "--block=/tmp/bench.img",
				  "--tunnet=10.0.2.1", "--initrd=/guest.cpio.gz", "128",
				  "/guest-vmlinux", guest_args, NULL };
		char *hcall[] = { "/lguest_test", "--bench-hcall", "100000", NULL };

		if (*only) {
			native[9] = "--only";
			native[10] = (char *)only;
		}
		printf("LGBENCH-ROUND: native %d\n", r);
		if (native_too)
			run(native);
		printf("LGBENCH-ROUND: guest %d\n", r);
		if (!*only || strstr(only, "hypercall"))
			run(hcall);
		printf("LGBENCH-ROUND: guest exit %d\n", run(guest));
	}
	printf("LGBENCH-END\n");
	sync();
	reboot(RB_AUTOBOOT);	/* QEMU -no-reboot: the end */
	return 0;
}
