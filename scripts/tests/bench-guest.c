// SPDX-License-Identifier: GPL-2.0
/*
 * bench-guest: /init of the lguest guest for scripts/bench.
 *
 *	rdinit=/bench-guest -- [--scale N] [--only NAME,...]
 *
 * It says how long the guest took to reach it ("LGBENCH: boot-to-init"),
 * gives eth0 the address 10.0.2.2/24 (the host's tap is 10.0.2.1) and runs
 * lgbench --marks on the guest's virtio disk and network, then powers the
 * guest off.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

static void set_addr(int s, unsigned long req, const char *ip, struct ifreq *ifr)
{
	struct sockaddr_in *sa = (struct sockaddr_in *)&ifr->ifr_addr;

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	inet_pton(AF_INET, ip, &sa->sin_addr);
	if (ioctl(s, req, ifr))
		perror("bench-guest: eth0");
}

static void network(void)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	strcpy(ifr.ifr_name, "eth0");
	set_addr(s, SIOCSIFADDR, "10.0.2.2", &ifr);
	set_addr(s, SIOCSIFNETMASK, "255.255.255.0", &ifr);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	close(s);
}

int main(int argc, char **argv)
{
	char *bench[] = { "/lgbench", "--marks", "--scale", "1", "--block",
			  "/dev/vda", "--tcp", "10.0.2.1:5001", "--busybox", "/bin/busybox",
			  NULL, NULL, NULL };
	double up = 0;
	FILE *f;
	pid_t pid;
	int i;

	for (i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--scale")) {
			bench[3] = argv[i + 1];
		} else if (!strcmp(argv[i], "--only")) {
			bench[10] = "--only";
			bench[11] = argv[i + 1];
		}
	}
	mkdir("/proc", 0755);
	mkdir("/dev", 0755);
	mount("proc", "/proc", "proc", 0, NULL);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	f = fopen("/proc/uptime", "r");
	if (f && fscanf(f, "%lf", &up) == 1)
		printf("LGBENCH: boot-to-init 1 %.0f\n", up * 1e9);
	if (f)
		fclose(f);
	network();
	sleep(1);		/* let the link come up */
	pid = fork();
	if (pid == 0) {
		execv(bench[0], bench);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
