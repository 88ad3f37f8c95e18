// SPDX-License-Identifier: GPL-2.0
/*
 * launcher-devices-init: the /init of both machines of tests/launcher-devices.
 *
 * The Launcher's network device, end to end.  (Its block and rng devices
 * are checked in tests/guest-boot.)  As the host's init (the default) it
 * loads lg.ko if asked, listens on TCP port 5555 and runs
 *
 *	/lguest --tunnet=10.0.2.1:02:00:00:00:00:02 --initrd=/guest.cpio.gz
 *		64 /guest-vmlinux rdinit=/launcher-devices-init lgdev.role=guest
 *
 * The Launcher makes a tap device, gives it 10.0.2.1 and brings it up.
 * The same program is then the guest's init: it brings eth0 up as
 * 10.0.2.2, pings the host and sends it 1 MiB over TCP (the host answers
 * with the byte sum), and powers off; the Launcher must then exit 0.
 * Each check prints "LGTEST: ok <name>" or "LGTEST: FAIL <name>: why";
 * the guest's lines reach the host's console through the Launcher.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define HOST_IP		"10.0.2.1"
#define GUEST_IP	"10.0.2.2"
#define PORT		5555
#define TCP_LEN		(1 << 20)

#include "lgtest-result.h"

static uint8_t pattern_byte(size_t i)
{
	return (uint8_t)(i * 7 + i / 4096);
}

static void mounts(void)
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

/* ---- the guest ---- */

static bool guest_net_up(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "eth0");
	inet_pton(AF_INET, GUEST_IP, &a.sin_addr);
	memcpy(&ifr.ifr_addr, &a, sizeof(a));
	if (s < 0 || ioctl(s, SIOCSIFADDR, &ifr))
		return false;
	if (ioctl(s, SIOCGIFFLAGS, &ifr))
		return false;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	return ioctl(s, SIOCSIFFLAGS, &ifr) == 0;
}

static uint16_t icmp_sum(const void *p, size_t len)
{
	const uint16_t *w = p;
	uint32_t sum = 0;

	for (; len > 1; len -= 2)
		sum += *w++;
	sum = (sum >> 16) + (sum & 0xffff);
	return ~(sum + (sum >> 16));
}

static bool ping_host(void)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	struct timeval tv = { .tv_sec = 5 };
	struct icmphdr h = { .type = ICMP_ECHO, .un.echo.id = 0x4c47 };
	char reply[256];
	int s = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP), i;

	inet_pton(AF_INET, HOST_IP, &to.sin_addr);
	if (s < 0)
		return false;
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (i = 0; i < 3; i++) {
		h.un.echo.sequence = i;
		h.checksum = 0;
		h.checksum = icmp_sum(&h, sizeof(h));
		sendto(s, &h, sizeof(h), 0, (struct sockaddr *)&to, sizeof(to));
		/* An IP header (20 bytes) and an echo reply. */
		if (recv(s, reply, sizeof(reply), 0) >= 28 && reply[20] == ICMP_ECHOREPLY)
			return true;
	}
	return false;
}

static void guest_tcp(void)
{
	static uint8_t buf[TCP_LEN];
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	uint32_t sum = 0, answer = 0;
	size_t i;
	int s = socket(AF_INET, SOCK_STREAM, 0);

	inet_pton(AF_INET, HOST_IP, &to.sin_addr);
	for (i = 0; i < TCP_LEN; i++)
		sum += buf[i] = pattern_byte(i);
	if (s < 0 || connect(s, (struct sockaddr *)&to, sizeof(to)) ||
	    write(s, buf, TCP_LEN) != TCP_LEN || shutdown(s, SHUT_WR) ||
	    read(s, &answer, sizeof(answer)) != sizeof(answer)) {
		result(false, "guest:net-tcp", "talking to %s:%d: %m", HOST_IP, PORT);
		return;
	}
	result(ntohl(answer) == sum, "guest:net-tcp", "host summed %#x, not %#x",
	       ntohl(answer), sum);
	close(s);
}

static int guest_main(void)
{
	mounts();
	if (guest_net_up()) {
		result(ping_host(), "guest:net-ping", "no answer from %s", HOST_IP);
		guest_tcp();
	} else {
		result(false, "guest:net-up", "cannot configure eth0: %m");
	}
	printf("guest: pass=%d fail=%d\n", passed, failed);
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}

/* ---- the host ---- */

/* Answer one connection with the sum of its bytes. */
static pid_t tcp_server(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	int s = socket(AF_INET, SOCK_STREAM, 0), c, one = 1;
	pid_t pid;

	/* The tap, and so the address, appears only once lguest runs. */
	a.sin_addr.s_addr = htonl(INADDR_ANY);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 1))
		return -1;
	pid = fork();
	if (pid == 0) {
		uint8_t buf[4096];
		uint32_t sum = 0;
		ssize_t n, i;

		c = accept(s, NULL, NULL);
		while (c >= 0 && (n = read(c, buf, sizeof(buf))) > 0)
			for (i = 0; i < n; i++)
				sum += buf[i];
		sum = htonl(sum);
		if (c >= 0 && write(c, &sum, sizeof(sum)) != sizeof(sum))
			_exit(1);
		_exit(0);
	}
	close(s);
	return pid;
}

static int host_main(const char *module)
{
	int fd, status;
	pid_t server, pid;

	mounts();
	printf("LGTEST: BEGIN\n");
	if (module) {
		fd = open(module, O_RDONLY);
		result(fd >= 0 && syscall(SYS_finit_module, fd, "", 0) == 0,
		       "host:module-load", "%s: %m", module);
	}
	server = tcp_server();
	pid = fork();
	if (pid == 0) {
		execl("/lguest", "/lguest", "--verbose",
		      "--tunnet=" HOST_IP ":02:00:00:00:00:02",
		      "--initrd=/guest.cpio.gz", "64", "/guest-vmlinux",
		      "rdinit=/launcher-devices-init", "lgdev.role=guest", NULL);
		_exit(126);
	}
	waitpid(pid, &status, 0);
	result(WIFEXITED(status) && WEXITSTATUS(status) == 0, "host:guest-powered-off",
	       "lguest ended with status %#x", status);
	if (server > 0)
		kill(server, SIGKILL);
	printf("LGTEST: END pass=%d fail=%d\n", passed, failed);
	sync();
	reboot(RB_AUTOBOOT);
	return 0;
}

int main(int argc, char **argv)
{
	const char *module = NULL;
	char cmdline[4096] = "";
	int i, fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--module") && i + 1 < argc)
			module = argv[++i];
	/* The guest is told its role on its kernel command line. */
	mount("proc", "/proc", "proc", 0, NULL);
	fd = open("/proc/cmdline", O_RDONLY);
	if (fd >= 0 && read(fd, cmdline, sizeof(cmdline) - 1) < 0)
		cmdline[0] = '\0';
	if (strstr(cmdline, "lgdev.role=guest"))
		return guest_main();
	return host_main(module);
}
