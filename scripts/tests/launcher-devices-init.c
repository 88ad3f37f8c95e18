// SPDX-License-Identifier: GPL-2.0
/*
 * launcher-devices-init: the /init of both machines of tests/launcher-devices.
 *
 * The Launcher's network device, end to end, in both of its forms.  (Its
 * block and rng devices are checked in tests/guest-boot.)  As the host's
 * init (the default) it loads lg.ko if asked, listens on TCP port 5555
 * and runs the guest twice:
 *
 *	/lguest --tunnet=10.0.2.1:02:00:00:00:00:02 --initrd=/guest.cpio.gz
 *		64 /guest-vmlinux rdinit=/launcher-devices-init
 *		lgdev.role=guest lgdev.net=tap
 *
 * where the Launcher gives its tap device 10.0.2.1 itself (on 10.0.2.0/24,
 * the default prefix: the host checks the tap's netmask meanwhile), then
 * once more with --tunnet=10.0.3.1/16, where the netmask must be /16 (that
 * guest powers off at once), and then, after
 * making a bridge lgbr0 with that address,
 *
 *	/lguest --tunnet=bridge:lgbr0:02:00:00:00:00:02 ... lgdev.net=bridge
 *
 * where the tap has no address and the guest reaches the host only
 * through the bridge the Launcher added it to.  The same program is the
 * guest's init: it brings eth0 up as 10.0.2.2, pings the host and sends it
 * 1 MiB over TCP (the host answers with the byte sum), and powers off; the
 * Launcher must then exit 0.  Each check is a KTAP result (lgtest.h),
 * with the form in its name (guest:tap-ping, guest:bridge-tcp, ...): the
 * host's tagged LGTEST, each guest's LGGUEST, whose lines reach the
 * host's console through the Launcher.
 */
#include "lgtest.h"
#include <arpa/inet.h>
#include <linux/sockios.h>
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
#include <grp.h>
#include <linux/if_tun.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define HOST_IP		"10.0.2.1"
#define BRIDGE		"lgbr0"
#define GUEST_IP	"10.0.2.2"
/* The unprivileged user's guest, on a tap of its own. */
#define USER_UID	1000
#define LGUEST_GID	990		/* the group the udev rule names */
#define USER_TAP	"lguser0"
#define USER_HOST_IP	"10.0.4.1"
#define USER_GUEST_IP	"10.0.4.2"
#define PORT		5555
#define TCP_LEN		(1 << 20)


static uint8_t pattern_byte(size_t i)
{
	return (uint8_t)(i * 7 + i / 4096);
}

/* ---- the guest ---- */

/* Give an interface an IPv4 address and bring it up (guest and host). */
static bool if_up(const char *name, const char *ip)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	bool ok;

	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, name);
	inet_pton(AF_INET, ip, &a.sin_addr);
	memcpy(&ifr.ifr_addr, &a, sizeof(a));
	ok = s >= 0 && !ioctl(s, SIOCSIFADDR, &ifr);
	/* A /24, not the address's class: each form has a network of its own. */
	inet_pton(AF_INET, "255.255.255.0", &a.sin_addr);
	memcpy(&ifr.ifr_netmask, &a, sizeof(a));
	ok = ok && !ioctl(s, SIOCSIFNETMASK, &ifr) && !ioctl(s, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	ok = ok && !ioctl(s, SIOCSIFFLAGS, &ifr);
	if (s >= 0)
		close(s);
	return ok;
}

static char check_name[64];
static const char *host_ip = HOST_IP;

/* "guest:tap-ping" and the like: the check, named for the form. */
static const char *named(const char *form, const char *check)
{
	snprintf(check_name, sizeof(check_name), "guest:%s-%s", form, check);
	return check_name;
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

	inet_pton(AF_INET, host_ip, &to.sin_addr);
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

static void guest_tcp(const char *form)
{
	static uint8_t buf[TCP_LEN];
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	uint32_t sum = 0, answer = 0;
	size_t i;
	int s = socket(AF_INET, SOCK_STREAM, 0);

	inet_pton(AF_INET, host_ip, &to.sin_addr);
	for (i = 0; i < TCP_LEN; i++)
		sum += buf[i] = pattern_byte(i);
	if (s < 0 || connect(s, (struct sockaddr *)&to, sizeof(to)) ||
	    write(s, buf, TCP_LEN) != TCP_LEN || shutdown(s, SHUT_WR) ||
	    read(s, &answer, sizeof(answer)) != sizeof(answer)) {
		result(false, named(form, "tcp"), "talking to %s:%d: %m", host_ip, PORT);
		return;
	}
	result(ntohl(answer) == sum, named(form, "tcp"), "host summed %#x, not %#x",
	       ntohl(answer), sum);
	close(s);
}

/* The user's guest also reads its disk and its entropy source. */
static void read_some(const char *form, const char *check, const char *path)
{
	char buf[4096];
	int fd = open(path, O_RDONLY);

	result(fd >= 0 && read(fd, buf, sizeof(buf)) == sizeof(buf), named(form, check),
	       "reading 4 KiB of %s: %m", path);
	if (fd >= 0)
		close(fd);
}

static int guest_main(const char *form)
{
	bool user = !strcmp(form, "user");

	lgtest_mounts();
	/* With a prefix, only the host's side of the tap is checked. */
	if (!strcmp(form, "prefix")) {
		sync();
		reboot(RB_POWER_OFF);
		return 0;
	}
	ktap_begin("LGGUEST");
	if (user) {
		host_ip = USER_HOST_IP;
		read_some(form, "block", "/dev/vda");
		read_some(form, "rng", "/dev/hwrng");
	}
	if (if_up("eth0", user ? USER_GUEST_IP : GUEST_IP)) {
		result(ping_host(), named(form, "ping"), "no answer from %s", host_ip);
		guest_tcp(form);
	} else {
		result(false, named(form, "up"), "cannot configure eth0: %m");
	}
	ktap_end();
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}

/* ---- the host ---- */

/* Answer each connection with the sum of its bytes. */
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
	while (pid == 0) {
		uint8_t buf[4096];
		uint32_t sum = 0;
		ssize_t n, i;

		c = accept(s, NULL, NULL);
		if (c < 0)
			_exit(1);
		while ((n = read(c, buf, sizeof(buf))) > 0)
			for (i = 0; i < n; i++)
				sum += buf[i];
		sum = htonl(sum);
		if (write(c, &sum, sizeof(sum)) != sizeof(sum))
			_exit(1);
		close(c);
	}
	close(s);
	return pid;
}

/* The netmask of the Launcher's tap, once it has one; "" until then. */
static void tap_netmask(char *buf, size_t len)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	buf[0] = '\0';
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lgtap0");
	if (s >= 0 && !ioctl(s, SIOCGIFNETMASK, &ifr))
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ifr.ifr_netmask)->sin_addr, buf, len);
	if (s >= 0)
		close(s);
}

/*
 * Run one guest with --tunnet=<spec>; it must power off cleanly.  With
 * mask, the tap must have that netmask while the guest runs.
 */
static void run_guest(const char *form, const char *spec, const char *mask)
{
	char tunnet[64], role[32], name[64], seen[INET_ADDRSTRLEN] = "";
	int status;
	pid_t pid;

	snprintf(tunnet, sizeof(tunnet), "--tunnet=%s", spec);
	snprintf(role, sizeof(role), "lgdev.net=%s", form);
	pid = fork();
	if (pid == 0) {
		execl("/lguest", "/lguest", "--verbose", tunnet,
		      "--initrd=/guest.cpio.gz", "64", "/guest-vmlinux",
		      "rdinit=/launcher-devices-init", "lgdev.role=guest", role, NULL);
		_exit(126);
	}
	/*
	 * The last netmask seen while lguest runs: SIOCSIFADDR gives the
	 * address's class first, and the Launcher's SIOCSIFNETMASK follows.
	 */
	while (waitpid(pid, &status, mask ? WNOHANG : 0) == 0) {
		char now[INET_ADDRSTRLEN];

		tap_netmask(now, sizeof(now));
		if (now[0])
			strcpy(seen, now);
		usleep(20000);
	}
	if (mask) {
		snprintf(name, sizeof(name), "host:%s-netmask", form);
		result(!strcmp(seen, mask), name, "lgtap0's netmask was %s, not %s",
		       seen[0] ? seen : "never seen", mask);
	}
	snprintf(name, sizeof(name), "host:%s-powered-off", form);
	result(WIFEXITED(status) && WEXITSTATUS(status) == 0, name,
	       "lguest ended with status %#x", status);
}

/*
 * What an administrator does for a user (lguest.txt, "Without root"): the
 * udev rule's group and mode on /dev/lguest (the rule is read from the
 * tree's tools/lguest/60-lguest.rules, so the shipped one is what is
 * tested), a persistent tap the user owns, configured, and a memlock
 * limit for the guest's pinned memory.
 */
static bool apply_udev_rule(const char *rules)
{
	char text[2048] = "", *g, *m;
	int fd = open(rules, O_RDONLY);
	bool ok = fd >= 0 && read(fd, text, sizeof(text) - 1) > 0;

	if (fd >= 0)
		close(fd);
	g = strstr(text, "GROUP=\"lguest\"");
	m = strstr(text, "MODE=\"");
	return ok && g && m && !chown("/dev/lguest", 0, LGUEST_GID) &&
	       !chmod("/dev/lguest", strtoul(m + 6, NULL, 8));
}

static bool make_user_tap(void)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR);
	bool ok;

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	strcpy(ifr.ifr_name, USER_TAP);
	ok = fd >= 0 && !ioctl(fd, TUNSETIFF, &ifr) && !ioctl(fd, TUNSETOWNER, USER_UID) &&
	     !ioctl(fd, TUNSETPERSIST, 1);
	if (fd >= 0)
		close(fd);
	return ok && if_up(USER_TAP, USER_HOST_IP);
}

static void run_user_guest(void)
{
	struct rlimit pin = { 256 << 20, 256 << 20 };
	gid_t groups[] = { USER_UID, LGUEST_GID };
	int status, fd;
	pid_t pid;

	fd = open("/tmp/user.img", O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, 1 << 20) || fchown(fd, USER_UID, USER_UID)) {
		result(false, "host:user-setup", "cannot make /tmp/user.img: %m");
		return;
	}
	close(fd);
	/* As distributions' own udev rules have it (tun is not lguest's). */
	chmod("/dev/net/tun", 0666);
	if (!apply_udev_rule("/60-lguest.rules") || !make_user_tap()) {
		result(false, "host:user-setup", "udev rule or tap %s: %m", USER_TAP);
		return;
	}
	pid = fork();
	if (pid == 0) {
		if (setrlimit(RLIMIT_MEMLOCK, &pin) || setgroups(2, groups) ||
		    setgid(USER_UID) || setuid(USER_UID) || !setuid(0))
			_exit(125);
		execl("/lguest", "/lguest", "--verbose", "--block=/tmp/user.img", "--rng",
		      "--tunnet=tap:" USER_TAP ":02:00:00:00:00:04", "--initrd=/guest.cpio.gz",
		      "64", "/guest-vmlinux", "rdinit=/launcher-devices-init", "lgdev.role=guest",
		      "lgdev.net=user", NULL);
		_exit(126);
	}
	waitpid(pid, &status, 0);
	result(WIFEXITED(status) && WEXITSTATUS(status) == 0, "host:user-powered-off",
	       "lguest as uid %d ended with status %#x", USER_UID, status);
}

/* The bridge the second guest's tap joins, with the host's address. */
static bool make_bridge(void)
{
	char name[IFNAMSIZ] = BRIDGE;	/* the kernel reads IFNAMSIZ bytes */
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	bool ok = s >= 0 && !ioctl(s, SIOCBRADDBR, name);

	if (s >= 0)
		close(s);
	return ok && if_up(BRIDGE, HOST_IP);
}

static int host_main(const char *module)
{
	pid_t server;

	lgtest_mounts();
	ktap_begin("LGTEST");
	if (module)
		result(lgtest_load_module(module), "host:module-load", "%s: %m", module);
	server = tcp_server();
	result(server > 0, "host:tcp-server", "cannot listen on port %d: %m", PORT);
	/* The tap and its address go away when the first Launcher exits. */
	/* No prefix is /24, not 10/8; one that is given is kept. */
	run_guest("tap", HOST_IP ":02:00:00:00:00:02", "255.255.255.0");
	run_guest("prefix", "10.0.3.1/16:02:00:00:00:00:03", "255.255.0.0");
	if (make_bridge())
		run_guest("bridge", "bridge:" BRIDGE ":02:00:00:00:00:02", NULL);
	else
		result(false, "host:bridge", "cannot make bridge %s with %s: %m",
		       BRIDGE, HOST_IP);
	run_user_guest();
	if (server > 0)
		kill(server, SIGKILL);
	kmemleak_check("host:kmemleak");
	ktap_end();
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
		return guest_main(strstr(cmdline, "lgdev.net=bridge") ? "bridge" :
				  strstr(cmdline, "lgdev.net=prefix") ? "prefix" :
				  strstr(cmdline, "lgdev.net=user") ? "user" : "tap");
	return host_main(module);
}
