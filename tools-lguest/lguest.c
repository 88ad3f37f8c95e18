// SPDX-License-Identifier: GPL-2.0
/*
 * lguest: the Launcher.
 *
 * L:010 A guest is an ordinary process's business.  This program maps a
 * piece of its own memory to be the guest's physical memory, copies a
 * kernel (and maybe an initrd) into it, writes the boot parameters a
 * bootloader would, and then hands the lot to the host through
 * /dev/lguest.  From then on it sits in a loop: LGUEST_RUN runs the guest
 * until the guest needs something only we can give, mostly a device.
 *
 * Devices are virtio-mmio: each is one page in a window just above the
 * guest's memory, announced on the guest's command line.  The guest's
 * accesses there come back to us as exits, which we decode and answer
 * (handle_mmio()); the real work happens in virtq.c and devices.c, which
 * walk the guest's rings.  Input (the terminal, the tap) is watched by a
 * second thread, which only pokes us with LGUEST_BREAK, and the guest is
 * never polled.  Device state stays in this thread, but for the disks:
 * each has an I/O thread, so that a slow request does not stop the guest
 * (vdev_start_io() in virtq.c).
 *
 * See tools/lguest/lguest.txt for how to use it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>
#include <asm/bootparam.h>
#include <asm/lguest_hcall.h>
#include <linux/if_tun.h>
#include <linux/lguest_launcher.h>
#include <linux/sockios.h>
#include <linux/version.h>
#include "insn.h"
#include "sandbox.h"
#include "virtq.h"

/* The host's ABI has one layout for 32- and 64-bit Launchers. */
_Static_assert(sizeof(struct lguest_setup) == 40, "struct lguest_setup");
_Static_assert(sizeof(struct lguest_vcpu_regs) == 64, "struct lguest_vcpu_regs");
_Static_assert(sizeof(struct lguest_exit) == 160, "struct lguest_exit");
/* Disk images may be larger than 2 GiB: see the Makefile. */
_Static_assert(sizeof(off_t) == 8, "build with -D_FILE_OFFSET_BITS=64");

/*
 * L:020 The guest's physical memory map.  The kernel links itself to
 * load at 16 MiB; below it we put the boot parameters and the command
 * line, at the top of memory the initrd, and right above memory the
 * device window, one page per device.  The limits keep all of it inside
 * what a 3G/1G guest can map as lowmem, and the window below the guest
 * kernel's own addresses.
 */
#define MEM_MIN_MB		32
#define MEM_MAX_MB		768
#define BOOT_PARAMS_GPA		0x10000
#define CMDLINE_GPA		0x11000
#define CMDLINE_MAX		2048	/* the x86 kernel's COMMAND_LINE_SIZE */
#define MAX_DEVICES		15	/* IRQs 1-15; 0 is the guest's timer */
#define PAGE			4096UL

/*
 * L:015 How lguest ends, so that a script can tell (lguest.txt has the
 * same table).  A signal that kills us is the shell's 128 + its number.
 */
enum {
	LG_EXIT_POWER_OFF = 0,		/* also a restart under --no-reboot */
	LG_EXIT_ERROR = 1,		/* lguest's own trouble */
	LG_EXIT_USAGE = 2,		/* a bad command line */
	LG_EXIT_CRASH = 3,		/* the guest panicked */
	LG_EXIT_KILLED = 4,		/* the host, or we, ended a misbehaving guest */
	LG_EXIT_QUIT = 5,		/* the user asked, from the console */
};

static struct {
	bool verbose, stats, no_reboot, no_sandbox, sandbox_selftest;
	int escape;			/* the console's escape key, or -1 */
	unsigned long mem_mb;
	const char *kernel, *initrd, *user, *chroot;
	char *const *args;		/* for the guest's command line */
	int nargs;
} opt;

static struct guest_mem mem;
static int lguest_fd = -1;
static struct lguest_setup setup;
static int kernel_fd = -1, initrd_fd = -1;
static uint64_t kernel_end;		/* first byte after the loaded kernel */
static char cmdline[CMDLINE_MAX];

static struct vdev devices[MAX_DEVICES];
static unsigned int ndevices;

static void launcher_quit(const char *why);
static void raise_irq(struct vdev *d);
static void console_marks(const void *buf, size_t len);
static void wake_main_thread(void);
static struct vdev_env env = {
	.raise_irq = raise_irq,
	.quit = launcher_quit,
	.wake = wake_main_thread,
};

/* Our own trouble: say what and stop. */
/* "lguest: <message>" on stderr, the start of every complaint. */
static void complain(const char *fmt, va_list ap)
{
	fprintf(stderr, "lguest: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
}

static void __attribute__((noreturn, format(printf, 1, 2))) fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	complain(fmt, ap);
	va_end(ap);
	exit(LG_EXIT_ERROR);
}

static void __attribute__((format(printf, 1, 2))) verbose(const char *fmt, ...)
{
	va_list ap;

	if (!opt.verbose)
		return;
	fprintf(stderr, "lguest: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
}

/*
 * L:030 The terminal.  The guest runs its own line discipline, so ours
 * gets out of the way: no echo, no line editing, no signals from ^C (the
 * escape key stops us: see devices.c).  We keep output processing, so the
 * early console's bare newlines still start new lines.  Whatever way we
 * leave, the terminal must be as we found it.
 */
static struct termios saved_termios;
static bool termios_saved;

static void restore_terminal(void)
{
	if (termios_saved)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
}

/*
 * A signal that ends us, from outside or from our own crash: the terminal
 * first, then the signal's own action (a crash re-faults on return).
 */
static void on_signal(int sig)
{
	restore_terminal();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* The terminal changed size: the main loop tells the guest (resize_console()). */
static int resized;

static void on_winch(int sig)
{
	int saved = errno;

	(void)sig;
	__atomic_store_n(&resized, 1, __ATOMIC_RELAXED);
	if (lguest_fd >= 0)
		ioctl(lguest_fd, LGUEST_BREAK);
	errno = saved;
}

static void setup_terminal(void)
{
	static const int fatal[] = { SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGABRT,
				     SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGSYS };
	struct sigaction sa = { .sa_handler = on_signal };
	struct sigaction winch = { .sa_handler = on_winch, .sa_flags = SA_RESTART };
	struct termios t;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fatal); i++)
		sigaction(fatal[i], &sa, NULL);
	sigaction(SIGWINCH, &winch, NULL);
	signal(SIGPIPE, SIG_IGN);
	atexit(restore_terminal);
	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_termios))
		return;
	termios_saved = true;
	t = saved_termios;
	t.c_lflag &= ~(ICANON | ECHO | ISIG | IEXTEN);
	t.c_iflag &= ~(ICRNL | IXON);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	tcsetattr(STDIN_FILENO, TCSANOW, &t);
}

static void launcher_quit(const char *why)
{
	fprintf(stderr, "\nlguest: %s: stopping the guest\n", why);
	exit(LG_EXIT_QUIT);
}

/*
 * L:040 Options.  They follow the classic Launcher: options, then the
 * memory size in megabytes, the kernel, and anything else goes on the
 * guest's command line.
 */
static void usage(FILE *f)
{
	fprintf(f,
		"usage: lguest [--verbose] [--tunnet=<ipaddr>[/<prefix>][:<macaddr>]|bridge:<bridgename>[:<macaddr>]|\n"
		"                            tap:<tapname>[:<macaddr>]]\n"
		"              [--block=<filename>[,ro][,direct]] [--initrd=<filename>] [--rng]\n"
		"              [--username=<user>] [--chroot=<dir>] [--stats] [--stats-marks]\n"
		"              [--no-reboot] [--version] <mem-in-MB> vmlinux [kernel args...]\n"
		"Run vmlinux as an lguest guest with <mem-in-MB> (%d-%d) megabytes of memory.\n"
		"vmlinux is the ELF kernel, not a bzImage: a bzImage starts in its decompressor,\n"
		"which loads its own GDT and runs with paging off; a ring-1 guest can do neither.\n"
		"--tunnet and --block may be repeated.  Exit status: 0 powered off, 1 lguest's\n"
		"error, 2 usage, 3 guest panicked, 4 guest killed, 5 quit from the console.\n"
		"See tools/lguest/lguest.txt.\n",
		MEM_MIN_MB, MEM_MAX_MB);
}

static void __attribute__((noreturn, format(printf, 1, 2))) bad_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	complain(fmt, ap);
	va_end(ap);
	usage(stderr);
	exit(LG_EXIT_USAGE);
}

/* Devices are created in option order; the console is always first. */
static struct vdev *new_device(const struct vdev_type *type)
{
	struct vdev *d;

	if (ndevices >= MAX_DEVICES)
		bad_usage("too many devices (at most %d, with the console)", MAX_DEVICES);
	d = &devices[ndevices];
	vdev_init(d, type, &mem, &env, ndevices);
	ndevices++;
	return d;
}

/* "<mac>" as six hex bytes; NULL or "" means make one up. */
static void parse_mac(const char *s, uint8_t mac[6], const char *arg)
{
	int used = 0, fd;

	if (s && *s) {
		if (sscanf(s, "%2hhx:%2hhx:%2hhx:%2hhx:%2hhx:%2hhx%n", &mac[0], &mac[1],
			   &mac[2], &mac[3], &mac[4], &mac[5], &used) != 6 || s[used])
			bad_usage("--tunnet=%s: '%s' is not a MAC address like 02:00:00:00:00:01",
				  arg, s);
		if (mac[0] & 1)
			bad_usage("--tunnet=%s: %s is a multicast address", arg, s);
		return;
	}
	/* Locally administered, unicast, and random. */
	fd = open("/dev/urandom", O_RDONLY);
	if (fd < 0 || read(fd, mac, 6) != 6)
		fail("cannot read /dev/urandom for a MAC address: %m");
	close(fd);
	mac[0] = (mac[0] & 0xfe) | 0x02;
}

/* Names were checked to fit; the ifreq was zeroed, so it ends in NUL. */
static void set_ifname(struct ifreq *ifr, const char *name)
{
	memcpy(ifr->ifr_name, name, strnlen(name, IFNAMSIZ - 1));
}

/* Bring the tap up, with an address or in a bridge. */
static void configure_tap(const char *tap, const char *bridge, struct in_addr ip,
			  struct in_addr mask)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr = ip };
	struct sockaddr_in netmask = { .sin_family = AF_INET, .sin_addr = mask };
	struct ifreq ifr;
	int sock = socket(AF_INET, SOCK_DGRAM, 0);

	if (sock < 0)
		fail("cannot make a socket to configure %s: %m", tap);
	memset(&ifr, 0, sizeof(ifr));
	if (bridge) {
		set_ifname(&ifr, bridge);
		ifr.ifr_ifindex = if_nametoindex(tap);
		if (!ifr.ifr_ifindex || ioctl(sock, SIOCBRADDIF, &ifr))
			fail("cannot add %s to bridge %s: %m", tap, bridge);
	} else {
		set_ifname(&ifr, tap);
		memcpy(&ifr.ifr_addr, &addr, sizeof(addr));
		if (ioctl(sock, SIOCSIFADDR, &ifr))
			fail("cannot give %s the address %s: %m", tap, inet_ntoa(ip));
		memcpy(&ifr.ifr_netmask, &netmask, sizeof(netmask));
		if (ioctl(sock, SIOCSIFNETMASK, &ifr))
			fail("cannot give %s the netmask %s: %m", tap, inet_ntoa(mask));
	}
	memset(&ifr, 0, sizeof(ifr));
	set_ifname(&ifr, tap);
	if (ioctl(sock, SIOCGIFFLAGS, &ifr))
		fail("cannot read the flags of %s: %m", tap);
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(sock, SIOCSIFFLAGS, &ifr))
		fail("cannot bring %s up: %m", tap);
	close(sock);
}

/*
 * --tunnet=<ipaddr>[:<mac>] or bridge:<name>[:<mac>]: a tap device on the
 * host, which the guest sees as its network card.  (An IPv4 address has
 * no colons, and neither has a bridge's name, so the first colon ends it.)
 * Parsed once to check the options, and again to make the device.
 */
struct net_spec {
	char bridge[IFNAMSIZ];		/* "" for an address */
	char tap[IFNAMSIZ];		/* tap:<name>: one that exists already */
	struct in_addr ip, mask;
	uint8_t mac[6];
};

/*
 * "<ipaddr>[/<prefix>]": the tap's address and its network.  Without a
 * prefix it is /24, never the address's old class (10.x.y.z would put all
 * of 10/8 behind the tap).
 */
static void parse_tap_address(const char *arg, char *ip, struct net_spec *n)
{
	char *slash = strchr(ip, '/'), *end;
	unsigned long prefix = 24;

	if (slash) {
		*slash = '\0';
		errno = 0;
		prefix = strtoul(slash + 1, &end, 10);
		if (errno || slash[1] < '0' || slash[1] > '9' || strlen(slash + 1) > 2 || *end ||
		    prefix < 1 || prefix > 32)
			bad_usage("--tunnet=%s: '/%s' is not a prefix length from 1 to 32",
				  arg, slash + 1);
	}
	if (inet_pton(AF_INET, ip, &n->ip) != 1)
		bad_usage("--tunnet=%s: '%s' is not an IPv4 address (want <ipaddr>[/<prefix>][:<macaddr>] or bridge:<name>[:<macaddr>])",
			  arg, ip);
	n->mask.s_addr = htonl(~0U << (32 - prefix));
}

static void parse_tunnet(const char *arg, struct net_spec *n, bool make_mac)
{
	const char *what = arg, *mac_str;
	char ip[19];
	size_t len;

	memset(n, 0, sizeof(*n));
	if (!strncmp(arg, "bridge:", 7))
		what = arg + 7;
	else if (!strncmp(arg, "tap:", 4))
		what = arg + 4;
	mac_str = strchr(what, ':');
	len = mac_str ? (size_t)(mac_str - what) : strlen(what);
	if (what != arg) {
		if (!len || len >= IFNAMSIZ)
			bad_usage("--tunnet=%s: a %s name has 1 to %d characters", arg,
				  arg[0] == 'b' ? "bridge" : "tap", IFNAMSIZ - 1);
		memcpy(arg[0] == 'b' ? n->bridge : n->tap, what, len);
	} else {
		if (len >= sizeof(ip))
			len = sizeof(ip) - 1;	/* too long: inet_pton refuses it */
		memcpy(ip, what, len);
		ip[len] = '\0';
		parse_tap_address(arg, ip, n);
	}
	if (mac_str || make_mac)
		parse_mac(mac_str ? mac_str + 1 : NULL, n->mac, arg);
}

/*
 * tap:<name>: a tap an administrator made for us ("ip tuntap add <name>
 * mode tap user <you>", given an address and brought up): attaching to
 * it needs no privilege, and we configure nothing.
 */
static void check_tap_up(const char *tap)
{
	struct ifreq ifr;
	int sock = socket(AF_INET, SOCK_DGRAM, 0);

	memset(&ifr, 0, sizeof(ifr));
	set_ifname(&ifr, tap);
	if (sock >= 0 && !ioctl(sock, SIOCGIFFLAGS, &ifr) && !(ifr.ifr_flags & IFF_UP))
		fprintf(stderr, "lguest: warning: tap %s is down: the guest's network will be silent\n",
			tap);
	if (sock >= 0)
		close(sock);
}

static void add_net(const char *arg)
{
	struct net_spec n;
	struct ifreq ifr;
	struct vdev *d;
	int fd;

	parse_tunnet(arg, &n, true);
	/* Attach only: as root, TUNSETIFF would make one (and expand %d). */
	if (n.tap[0] && (strchr(n.tap, '%') || !if_nametoindex(n.tap)))
		fail("--tunnet=tap:%s: there is no such tap (ip tuntap add %s mode tap user <you>)",
		     n.tap, n.tap);
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		fail("cannot open /dev/net/tun: %m (--tunnet needs the tun driver, CONFIG_TUN)");
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (n.tap[0]) {
		set_ifname(&ifr, n.tap);
		if (ioctl(fd, TUNSETIFF, &ifr))
			fail("cannot attach to tap %s: %m (it must be a tap that exists and is yours: ip tuntap add %s mode tap user <you>)",
			     n.tap, n.tap);
	} else {
		strcpy(ifr.ifr_name, "lgtap%d");
		if (ioctl(fd, TUNSETIFF, &ifr))
			fail("cannot create a tap device: %m");
	}
	if (fcntl(fd, F_SETFL, O_NONBLOCK))
		fail("cannot make %s non-blocking: %m", ifr.ifr_name);
	if (n.tap[0])
		check_tap_up(n.tap);
	else
		configure_tap(ifr.ifr_name, n.bridge[0] ? n.bridge : NULL, n.ip, n.mask);

	d = new_device(&net_type);
	net_setup(d, fd, n.mac);
	if (n.tap[0])
		verbose("net: tap %s as it is, guest MAC %02x:%02x:%02x:%02x:%02x:%02x",
			ifr.ifr_name, n.mac[0], n.mac[1], n.mac[2], n.mac[3], n.mac[4], n.mac[5]);
	else if (n.bridge[0])
		verbose("net: %s in bridge %s, guest MAC %02x:%02x:%02x:%02x:%02x:%02x",
			ifr.ifr_name, n.bridge, n.mac[0], n.mac[1], n.mac[2], n.mac[3],
			n.mac[4], n.mac[5]);
	else
		verbose("net: %s with address %s/%d, guest MAC %02x:%02x:%02x:%02x:%02x:%02x",
			ifr.ifr_name, inet_ntoa(n.ip), __builtin_popcount(n.mask.s_addr),
			n.mac[0], n.mac[1], n.mac[2], n.mac[3], n.mac[4], n.mac[5]);
}

/*
 * --block=<file>[,ro][,direct]: read-write if we may (read-only if we may
 * only read, or by request), with O_DIRECT by request.  Parsed once to
 * check the options, and again to make the device.
 */
struct block_spec {
	char file[PATH_MAX];
	bool ro, direct;
};

static void parse_block(const char *arg, struct block_spec *b)
{
	char *opts, *o;

	memset(b, 0, sizeof(*b));
	if (strlen(arg) >= sizeof(b->file))
		bad_usage("--block=%s: the name is too long", arg);
	strcpy(b->file, arg);
	opts = strchr(b->file, ',');
	if (opts)
		*opts++ = '\0';
	if (!b->file[0])
		bad_usage("--block=%s: no file name", arg);
	while (opts && (o = strsep(&opts, ","))) {
		if (!strcmp(o, "ro"))
			b->ro = true;
		else if (!strcmp(o, "direct"))
			b->direct = true;
		else
			bad_usage("--block=%s: unknown option '%s' (want ro or direct)", arg, o);
	}
}

/*
 * Two guests writing one image would wreck it: a writer holds flock()'s
 * exclusive lock on the file, a reader a shared one, and whoever comes
 * second is told.  (flock() locks the file, not this descriptor's copy:
 * other lguests see it, and so does anything else that uses flock().)
 */
static void lock_block(int fd, const char *file, bool ro)
{
	if (!flock(fd, (ro ? LOCK_SH : LOCK_EX) | LOCK_NB))
		return;
	if (errno == EWOULDBLOCK)
		fail("block file %s is in use: another lguest (or program) holds a lock on it%s",
		     file, ro ? " for writing" : "");
	/* A kernel without CONFIG_FILE_LOCKING, or a file system without locks. */
	fprintf(stderr, "lguest: warning: cannot lock block file %s (%m): nothing stops a second guest using it\n",
		file);
}

static void add_block(const char *arg)
{
	int flags = O_CLOEXEC, fd;
	struct block_spec b;
	struct vdev *d;
	off_t size;

	parse_block(arg, &b);
	if (b.direct)
		flags |= O_DIRECT;
	fd = b.ro ? -1 : open(b.file, O_RDWR | flags);
	if (!b.ro && fd < 0 && (errno == EACCES || errno == EROFS || errno == EPERM))
		b.ro = true;
	if (b.ro)
		fd = open(b.file, O_RDONLY | flags);
	if (fd < 0 && errno == EINVAL && b.direct)
		fail("cannot open block file %s with O_DIRECT: its file system does not do direct I/O",
		     b.file);
	if (fd < 0)
		fail("cannot open block file %s: %m", b.file);
	lock_block(fd, b.file, b.ro);
	size = lseek(fd, 0, SEEK_END);
	if (size < 0)
		fail("cannot find the size of block file %s: %m", b.file);
	if (size % 512)
		fprintf(stderr, "lguest: %s: the last %lld bytes (not a whole sector) are unused\n",
			b.file, (long long)(size % 512));
	d = new_device(&block_type);
	block_setup(d, fd, size, b.ro, b.direct);
	if (!block_start_thread(d))
		fail("cannot start the I/O thread of block file %s", b.file);
	verbose("block: %s, %lld sectors%s%s", b.file, (long long)size / 512,
		b.ro ? ", read-only" : "", b.direct ? ", O_DIRECT" : "");
}

static void add_rng(void)
{
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		fail("cannot open /dev/urandom: %m");
	rng_setup(new_device(&rng_type), fd);
	verbose("rng: from /dev/urandom");
}

enum {
	OPT_TUNNET = 1, OPT_BLOCK, OPT_INITRD, OPT_RNG, OPT_USER, OPT_CHROOT, OPT_STATS,
	OPT_STATS_MARKS, OPT_NO_REBOOT, OPT_VERSION, OPT_ESCAPE, OPT_NO_SANDBOX,
	OPT_SANDBOX_SELFTEST,
};

static const struct option long_options[] = {
	{ "verbose",	no_argument,		NULL, 'v' },
	{ "tunnet",	required_argument,	NULL, OPT_TUNNET },
	{ "block",	required_argument,	NULL, OPT_BLOCK },
	{ "initrd",	required_argument,	NULL, OPT_INITRD },
	{ "rng",	no_argument,		NULL, OPT_RNG },
	{ "username",	required_argument,	NULL, OPT_USER },
	{ "chroot",	required_argument,	NULL, OPT_CHROOT },
	{ "stats",	no_argument,		NULL, OPT_STATS },
	{ "stats-marks", no_argument,		NULL, OPT_STATS_MARKS },
	{ "no-reboot",	no_argument,		NULL, OPT_NO_REBOOT },
	{ "version",	no_argument,		NULL, OPT_VERSION },
	{ "escape",	required_argument,	NULL, OPT_ESCAPE },
	{ "no-sandbox",	no_argument,		NULL, OPT_NO_SANDBOX },
	{ "sandbox-selftest", no_argument,	NULL, OPT_SANDBOX_SELFTEST },
	{ "help",	no_argument,		NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

/* --escape=^<key> (a control key: ^a, ^], ...) or none. */
static int parse_escape(const char *arg)
{
	int c = arg[0] == '^' && arg[1] && !arg[2] ? arg[1] : -1;

	if (!strcmp(arg, "none"))
		return -1;
	if (c >= 'a' && c <= 'z')
		c -= 'a' - 'A';
	if (!(c >= 'A' && c <= 'Z') && !strchr("\\]^_", c))
		bad_usage("--escape=%s: want ^a to ^z, ^\\, ^], ^^ or ^_ (a control key), or none",
			  arg);
	return c - '@';
}

/*
 * The options in two passes: first check them all, so that a typo is
 * reported before anything is opened, then create the devices in order.
 */
static void parse_options(int argc, char **argv)
{
	static struct block_spec block_check;
	char *end;
	int c;

	opt.escape = 1;			/* Ctrl-a */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+vh", long_options, NULL)) != -1) {
		switch (c) {
		case 'v':
			opt.verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case OPT_INITRD:
			opt.initrd = optarg;
			break;
		case OPT_USER:
			opt.user = optarg;
			break;
		case OPT_CHROOT:
			opt.chroot = optarg;
			break;
		case OPT_STATS:
			opt.stats = true;
			break;
		case OPT_STATS_MARKS:
			env.console_output = console_marks;
			break;
		case OPT_NO_REBOOT:
			opt.no_reboot = true;
			break;
		case OPT_ESCAPE:
			opt.escape = parse_escape(optarg);
			break;
		case OPT_NO_SANDBOX:
			opt.no_sandbox = true;
			break;
		case OPT_SANDBOX_SELFTEST:
			opt.sandbox_selftest = true;
			break;
		case OPT_VERSION:
			printf("lguest: the lguest Launcher, from Linux %d.%d (its headers), /dev/lguest ABI %d\n",
			       LINUX_VERSION_MAJOR, LINUX_VERSION_PATCHLEVEL, LGUEST_ABI_VERSION);
			exit(0);
		case OPT_TUNNET:
			parse_tunnet(optarg, &(struct net_spec){}, false);
			break;
		case OPT_BLOCK:
			parse_block(optarg, &block_check);
			break;
		case OPT_RNG:
			break;		/* devices: second pass */
		case '?':
		default:
			if (optopt)
				bad_usage("option '%s' is unknown or lacks its argument",
					  argv[optind - 1]);
			bad_usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (argc - optind < 2)
		bad_usage("need the memory size in megabytes and a kernel");
	errno = 0;
	opt.mem_mb = strtoul(argv[optind], &end, 10);
	if (errno || end == argv[optind] || *end || argv[optind][0] == '-')
		bad_usage("memory size '%s' is not a number of megabytes", argv[optind]);
	if (opt.mem_mb < MEM_MIN_MB)
		bad_usage("%lu MB of memory is too small: at least %d MB", opt.mem_mb, MEM_MIN_MB);
	if (opt.mem_mb > MEM_MAX_MB)
		bad_usage("%lu MB of memory is too large: at most %d MB (the guest's lowmem)",
			  opt.mem_mb, MEM_MAX_MB);
	opt.kernel = argv[optind + 1];
	opt.args = argv + optind + 2;
	opt.nargs = argc - optind - 2;
}

/*
 * L:190 The console's size is the terminal's (virtio-console's F_SIZE):
 * at the start and whenever SIGWINCH says it changed.
 */
static void resize_console(void)
{
	struct winsize ws;

	__atomic_store_n(&resized, 0, __ATOMIC_RELAXED);
	if (!ndevices || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) || !ws.ws_col || !ws.ws_row)
		return;
	console_resize(&devices[0], ws.ws_col, ws.ws_row);
}

static void create_devices(int argc, char **argv)
{
	int c;

	console_setup(new_device(&console_type), STDIN_FILENO, STDOUT_FILENO,
		      isatty(STDIN_FILENO) ? opt.escape : -1);
	resize_console();
	optind = 1;
	while ((c = getopt_long(argc, argv, "+vh", long_options, NULL)) != -1) {
		if (c == OPT_TUNNET)
			add_net(optarg);
		else if (c == OPT_BLOCK)
			add_block(optarg);
		else if (c == OPT_RNG)
			add_rng();
	}
}

/*
 * L:050 Guest memory is anonymous memory of ours.  The host reaches it
 * through our page tables, so it costs nothing until touched, and
 * throwing it away (for a reboot) gives zeroed pages again.
 */
static void map_memory(void)
{
	mem.size = (uint64_t)opt.mem_mb << 20;
	mem.base = mmap(NULL, mem.size, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem.base == MAP_FAILED)
		fail("cannot map %lu MB of guest memory: %m", opt.mem_mb);
}

static void read_exactly(int fd, void *buf, size_t len, uint64_t off, const char *what)
{
	ssize_t n;

	while (len) {
		n = pread(fd, buf, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			fail("cannot read %s: %m", what);
		if (n == 0)
			fail("%s is truncated", what);
		buf = (uint8_t *)buf + n;
		len -= n;
		off += n;
	}
}

/* A bzImage starts with a boot sector whose setup header says "HdrS". */
static bool is_bzimage(int fd)
{
	uint8_t sect[0x206];

	return pread(fd, sect, sizeof(sect), 0) == sizeof(sect) &&
	       sect[0x1fe] == 0x55 && sect[0x1ff] == 0xaa && !memcmp(sect + 0x202, "HdrS", 4);
}

static void open_kernel(void)
{
	kernel_fd = open(opt.kernel, O_RDONLY | O_CLOEXEC);
	if (kernel_fd < 0)
		fail("cannot open kernel %s: %m", opt.kernel);
	if (opt.initrd) {
		initrd_fd = open(opt.initrd, O_RDONLY | O_CLOEXEC);
		if (initrd_fd < 0)
			fail("cannot open initrd %s: %m", opt.initrd);
	}
}

static void check_elf_header(const Elf32_Ehdr *eh)
{
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG))
		fail("%s is not an ELF file: lguest needs a vmlinux", opt.kernel);
	if (eh->e_ident[EI_CLASS] != ELFCLASS32 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_machine != EM_386 || eh->e_type != ET_EXEC)
		fail("%s is not a 32-bit x86 executable: lguest needs an i386 vmlinux",
		     opt.kernel);
	if (eh->e_phentsize != sizeof(Elf32_Phdr) || !eh->e_phnum || eh->e_phnum > 64)
		fail("%s has a strange program header table", opt.kernel);
}

/*
 * One loadable segment, at its physical address.  Its virtual address
 * says where the kernel expects to see it once paging is on: the gap is
 * the kernel's PAGE_OFFSET, which must be the same for every segment.
 */
static void load_segment(const Elf32_Phdr *ph, uint32_t *page_offset, bool first)
{
	uint32_t off = ph->p_vaddr - ph->p_paddr;
	void *dst;

	if (ph->p_filesz > ph->p_memsz)
		fail("%s: a segment has more in the file than in memory", opt.kernel);
	dst = gpa_to_ptr(&mem, ph->p_paddr, ph->p_memsz);
	if (!dst)
		fail("%s does not fit in %lu MB: a segment at %#x takes %#x bytes",
		     opt.kernel, opt.mem_mb, ph->p_paddr, ph->p_memsz);
	if (first)
		*page_offset = off;
	else if (off != *page_offset)
		fail("%s: segments disagree on PAGE_OFFSET (%#x and %#x)", opt.kernel,
		     *page_offset, off);
	if (off % PAGE)
		fail("%s: PAGE_OFFSET %#x is not page aligned", opt.kernel, off);
	read_exactly(kernel_fd, dst, ph->p_filesz, ph->p_offset, opt.kernel);
	if ((uint64_t)ph->p_paddr + ph->p_memsz > kernel_end)
		kernel_end = (uint64_t)ph->p_paddr + ph->p_memsz;
	verbose("kernel: segment %#x-%#llx (%#x from the file) at virtual %#x",
		ph->p_paddr, (unsigned long long)ph->p_paddr + ph->p_memsz,
		ph->p_filesz, ph->p_vaddr);
}

/*
 * L:060 The kernel.  A vmlinux is an ELF executable whose segments carry
 * their physical load addresses, and whose entry point is physical too
 * (startup_32 runs before paging).  The host starts the guest with its
 * memory seen both at 0 and at PAGE_OFFSET, so either works.
 */
static void load_kernel(void)
{
	uint32_t page_offset = 0, entry;
	bool loaded = false, entry_ok = false;
	Elf32_Ehdr eh;
	Elf32_Phdr ph;
	int i;

	if (is_bzimage(kernel_fd))
		fail("%s is a bzImage: lguest boots the uncompressed vmlinux (the ELF file at the top of the kernel build directory)", opt.kernel);
	if (pread(kernel_fd, &eh, sizeof(eh), 0) != sizeof(eh))
		fail("%s is not an ELF file (too short): lguest needs a vmlinux", opt.kernel);
	check_elf_header(&eh);

	kernel_end = 0;
	for (i = 0; i < eh.e_phnum; i++) {
		read_exactly(kernel_fd, &ph, sizeof(ph),
			     eh.e_phoff + (uint64_t)i * sizeof(ph), opt.kernel);
		if (ph.p_type != PT_LOAD || !ph.p_memsz)
			continue;
		load_segment(&ph, &page_offset, !loaded);
		loaded = true;
	}
	if (!loaded)
		fail("%s has nothing to load", opt.kernel);

	entry = eh.e_entry;
	if (page_offset && entry >= page_offset)
		entry -= page_offset;
	for (i = 0; i < eh.e_phnum && !entry_ok; i++) {
		read_exactly(kernel_fd, &ph, sizeof(ph),
			     eh.e_phoff + (uint64_t)i * sizeof(ph), opt.kernel);
		entry_ok = ph.p_type == PT_LOAD && entry >= ph.p_paddr &&
			   entry - ph.p_paddr < ph.p_memsz;
	}
	if (!entry_ok)
		fail("%s: entry point %#x is not in a loaded segment", opt.kernel, eh.e_entry);
	if (kernel_end > mem.size - PAGE)
		fail("%s leaves no room in %lu MB", opt.kernel, opt.mem_mb);
	setup.entry = entry;
	setup.page_offset = page_offset;
	verbose("kernel: %s, entry %#x, PAGE_OFFSET %#x", opt.kernel, entry, page_offset);
}

/* The initrd goes as high as it can, page aligned, above the kernel. */
static void load_initrd(struct boot_params *bp)
{
	struct stat st;
	uint64_t addr;

	if (initrd_fd < 0)
		return;
	if (fstat(initrd_fd, &st))
		fail("cannot stat initrd %s: %m", opt.initrd);
	if (!S_ISREG(st.st_mode))
		fail("initrd %s is not a file", opt.initrd);
	if ((uint64_t)st.st_size > mem.size ||
	    ((mem.size - st.st_size) & ~(PAGE - 1)) < ((kernel_end + PAGE - 1) & ~(PAGE - 1)))
		fail("initrd %s (%lld bytes) does not fit in %lu MB above the kernel",
		     opt.initrd, (long long)st.st_size, opt.mem_mb);
	addr = (mem.size - st.st_size) & ~(PAGE - 1);
	read_exactly(initrd_fd, mem.base + addr, st.st_size, 0, opt.initrd);
	bp->hdr.ramdisk_image = addr;
	bp->hdr.ramdisk_size = st.st_size;
	verbose("initrd: %s at %#llx, %lld bytes", opt.initrd, (unsigned long long)addr,
		(long long)st.st_size);
}

static void cmdline_add(const char *s)
{
	size_t used = strlen(cmdline);

	if (used + !!used + strlen(s) >= sizeof(cmdline))
		fail("the kernel command line is longer than %d bytes", CMDLINE_MAX - 1);
	if (used)
		cmdline[used++] = ' ';
	strcpy(cmdline + used, s);
}

/*
 * L:070 The command line tells the guest where its devices are (a
 * virtio_mmio.device=<size>@<address>:<irq> for each), then comes what
 * the user typed.  Unless the user picked a console, the guest's is the
 * virtio console, hvc0.
 */
static void build_cmdline(void)
{
	char dev[64];
	bool console = false;
	unsigned int i;
	int a;

	cmdline[0] = '\0';
	for (i = 0; i < ndevices; i++) {
		snprintf(dev, sizeof(dev), "virtio_mmio.device=4K@%#x:%u",
			 setup.mmio_base + i * VDEV_PAGE, devices[i].irq);
		cmdline_add(dev);
	}
	for (a = 0; a < opt.nargs; a++)
		if (!strncmp(opt.args[a], "console=", 8))
			console = true;
	if (!console)
		cmdline_add("console=hvc0");
	for (a = 0; a < opt.nargs; a++)
		cmdline_add(opt.args[a]);
	verbose("command line: %s", cmdline);
}

/*
 * L:080 The boot parameters, as the x86 boot protocol has them (the
 * "zero page").  We are a bootloader of type 0xff (unnamed) speaking
 * protocol 2.15, and hardware_subarch tells the kernel's startup_32 that
 * it runs under lguest: it then keeps the segments and stack the host set
 * up, and jumps to lguest_entry.  Memory is one RAM range from 0.
 */
static void write_boot_params(void)
{
	struct boot_params *bp = gpa_to_ptr(&mem, BOOT_PARAMS_GPA, sizeof(*bp));

	memset(bp, 0, sizeof(*bp));
	bp->hdr.header = 0x53726448;		/* "HdrS" */
	bp->hdr.version = 0x020f;
	bp->hdr.boot_flag = 0xaa55;
	bp->hdr.type_of_loader = 0xff;
	bp->hdr.loadflags = LOADED_HIGH;
	bp->hdr.hardware_subarch = X86_SUBARCH_LGUEST;
	bp->hdr.cmd_line_ptr = CMDLINE_GPA;
	bp->hdr.cmdline_size = CMDLINE_MAX - 1;
	bp->e820_entries = 1;
	bp->e820_table[0].addr = 0;
	bp->e820_table[0].size = mem.size;
	bp->e820_table[0].type = 1;		/* E820_TYPE_RAM */
	load_initrd(bp);
	memcpy(mem.base + CMDLINE_GPA, cmdline, strlen(cmdline) + 1);
	verbose("boot params at %#x, command line at %#x", BOOT_PARAMS_GPA, CMDLINE_GPA);
}

/* Everything that goes into guest memory; again for every reboot. */
static void load_guest(void)
{
	load_kernel();
	write_boot_params();
}

static void open_lguest(void)
{
	int version;

	lguest_fd = open("/dev/lguest", O_RDWR | O_CLOEXEC);
	if (lguest_fd < 0)
		fail("cannot open /dev/lguest: %m (is the lg module loaded? CONFIG_LGUEST)");
	/* A host that speaks another ABI would misread everything we say. */
	version = ioctl(lguest_fd, LGUEST_GET_ABI_VERSION);
	if (version != LGUEST_ABI_VERSION)
		fail("the host's lguest ABI is version %d, this Launcher speaks %d",
		     version, LGUEST_ABI_VERSION);
}

static void setup_guest(void)
{
	setup.mem_base = (uintptr_t)mem.base;
	setup.mem_pages = mem.size / PAGE;
	setup.mmio_base = mem.size;
	setup.mmio_size = ndevices * VDEV_PAGE;
	setup.boot_params = BOOT_PARAMS_GPA;
	setup.flags = 0;
	setup.reserved = 0;
	if (ioctl(lguest_fd, LGUEST_SETUP, &setup))
		fail("LGUEST_SETUP failed: %m");
}

/*
 * L:090 Dropping privileges.  Everything that needs root is open by now
 * (/dev/lguest, the tap, block files, /dev/urandom), so we can shut
 * ourselves in a chroot and become a nobody; the guest never notices.
 * The user is looked up first, while /etc/passwd is still in reach.
 */
static uid_t run_uid;
static gid_t run_gid;

/* A passwd id field: digits only; an empty one is no id at all (not 0). */
static bool parse_id(const char *field, unsigned long *id)
{
	char *end;

	if (!field || !*field || *field < '0' || *field > '9')
		return false;
	errno = 0;
	*id = strtoul(field, &end, 10);
	return !errno && !*end && *id < (unsigned long)(uid_t)-1;
}

/*
 * /etc/passwd's fields may be empty ("name::1000:1000::/home/name:"):
 * they are split at every colon, never merged as strtok() would, which
 * once took the uid for the password and the gecos for the group.
 */
static void lookup_user(void)
{
	char line[1024], *rest, *field[4];
	unsigned long uid, gid;
	unsigned int i;
	FILE *f;

	if (!opt.user)
		return;
	f = fopen("/etc/passwd", "r");
	if (!f)
		fail("--username=%s: cannot read /etc/passwd: %m", opt.user);
	while (fgets(line, sizeof(line), f)) {
		/* A line too long for us is no one's: skip all of it. */
		if (!strchr(line, '\n') && !feof(f)) {
			int c;

			while ((c = fgetc(f)) != EOF && c != '\n')
				;
			continue;
		}
		line[strcspn(line, "\n")] = '\0';
		rest = line;
		for (i = 0; i < 4; i++)
			field[i] = strsep(&rest, ":");
		if (!field[0] || strcmp(field[0], opt.user))
			continue;
		fclose(f);
		if (!parse_id(field[2], &uid) || !parse_id(field[3], &gid))
			fail("--username=%s: its /etc/passwd line has no numeric uid and gid",
			     opt.user);
		run_uid = uid;
		run_gid = gid;
		return;
	}
	fclose(f);
	fail("unknown user '%s' (not in /etc/passwd)", opt.user);
}

static void drop_privileges(void)
{
	if (opt.chroot) {
		if (chroot(opt.chroot) || chdir("/"))
			fail("cannot chroot to %s: %m", opt.chroot);
		verbose("chrooted to %s", opt.chroot);
	}
	if (opt.user) {
		if (setgroups(1, &run_gid) || setgid(run_gid) || setuid(run_uid))
			fail("cannot become user %s: %m", opt.user);
		if (getuid() != run_uid || geteuid() != run_uid || getgid() != run_gid ||
		    getegid() != run_gid)
			fail("still not user %s after setuid()", opt.user);
		verbose("running as %s (uid %u, gid %u)", opt.user, getuid(), getgid());
	}
}

/*
 * L:300 The input thread.  It polls the input of each device that wants
 * some (the terminal, taps) and, when one is readable, pulls the guest
 * out of LGUEST_RUN with LGUEST_BREAK, so the main thread can do the
 * rest.  Each input is in one of three states, so that a readable fd
 * fires once and is not watched again until the main thread has
 * dealt with it.
 */
enum { INPUT_IDLE, INPUT_WATCHED, INPUT_FIRED };

static int input_state[MAX_DEVICES];
static int input_fd[MAX_DEVICES];
static int waker_pipe[2];

static sem_t input_started;

static void *input_thread(void *unused)
{
	struct pollfd pfd[MAX_DEVICES + 1];
	unsigned int which[MAX_DEVICES + 1], i, n;
	char buf[64];
	bool fired;

	(void)unused;
	sem_post(&input_started);
	for (;;) {
		pfd[0].fd = waker_pipe[0];
		pfd[0].events = POLLIN;
		for (i = 0, n = 1; i < ndevices; i++) {
			if (__atomic_load_n(&input_state[i], __ATOMIC_ACQUIRE) != INPUT_WATCHED)
				continue;
			pfd[n].fd = input_fd[i];
			pfd[n].events = POLLIN;
			which[n++] = i;
		}
		if (poll(pfd, n, -1) < 0)
			continue;
		if (pfd[0].revents && read(waker_pipe[0], buf, sizeof(buf)) < 0)
			continue;
		fired = false;
		for (i = 1; i < n; i++) {
			int watched = INPUT_WATCHED;

			if (pfd[i].revents &&
			    __atomic_compare_exchange_n(&input_state[which[i]], &watched,
							INPUT_FIRED, false, __ATOMIC_ACQ_REL,
							__ATOMIC_ACQUIRE))
				fired = true;
		}
		if (fired)
			ioctl(lguest_fd, LGUEST_BREAK);
	}
	return NULL;
}

/* After anything that may have changed what devices want: tell the thread. */
static void watch_inputs(void)
{
	bool changed = false;
	unsigned int i;

	for (i = 0; i < ndevices; i++) {
		int state = __atomic_load_n(&input_state[i], __ATOMIC_ACQUIRE);
		bool want = vdev_wants_input(&devices[i]);

		if (want && state == INPUT_IDLE) {
			input_fd[i] = devices[i].in_fd;
			__atomic_store_n(&input_state[i], INPUT_WATCHED, __ATOMIC_RELEASE);
			changed = true;
		} else if (!want && state == INPUT_WATCHED) {
			__atomic_store_n(&input_state[i], INPUT_IDLE, __ATOMIC_RELEASE);
			changed = true;
		}
	}
	if (changed && write(waker_pipe[1], "", 1) < 0)
		perror("lguest: waking the input thread");
}

/* The thread fired: feed those devices. */
static void service_inputs(void)
{
	unsigned int i;

	for (i = 0; i < ndevices; i++) {
		if (__atomic_load_n(&input_state[i], __ATOMIC_ACQUIRE) != INPUT_FIRED)
			continue;
		__atomic_store_n(&input_state[i], INPUT_IDLE, __ATOMIC_RELEASE);
		vdev_input(&devices[i]);
	}
}

/*
 * A reboot: the input thread may have fired for a device of the old boot,
 * and the LGUEST_BREAK it sent dies with that boot (LGUEST_SETUP starts
 * afresh), so nothing would ever service it and the input would stay
 * unwatched for good.  Every input starts again from idle; watch_inputs()
 * arms each one once its device is ready in the new boot.
 */
static void forget_inputs(void)
{
	unsigned int i;

	for (i = 0; i < ndevices; i++)
		__atomic_store_n(&input_state[i], INPUT_IDLE, __ATOMIC_RELEASE);
	if (write(waker_pipe[1], "", 1) < 0)
		perror("lguest: waking the input thread");
}

static void start_input_thread(void)
{
	pthread_t thread;

	if (pipe2(waker_pipe, O_CLOEXEC | O_NONBLOCK))
		fail("cannot make a pipe: %m");
	sem_init(&input_started, 0, 0);
	if (pthread_create(&thread, NULL, input_thread, NULL))
		fail("cannot start the input thread");
	/* Set up by the C library, signals and all, before the sandbox. */
	while (sem_wait(&input_started) && errno == EINTR)
		;
}

/* From an I/O thread: the main thread must look at the guest now. */
static void wake_main_thread(void)
{
	ioctl(lguest_fd, LGUEST_BREAK);
}

static void raise_irq(struct vdev *d)
{
	uint32_t irq = d->irq;

	if (ioctl(lguest_fd, LGUEST_IRQ, &irq))
		fail("LGUEST_IRQ %u failed: %m", irq);
}

/*
 * With --stats, what the host counted for the boot that just ended: how
 * often the guest came back to it, and why.
 */
static void print_stats(void)
{
	static const char *const vectors[32] = {
		[1] = "#DB", [3] = "#BP", [6] = "#UD", [7] = "#NM", [13] = "#GP",
		[14] = "#PF", [16] = "#MF", [19] = "#XM", [LGUEST_HCALL_VECTOR] = "hypercall",
	};
	struct lguest_stats st;
	unsigned int i;

	if (!opt.stats)
		return;
	if (ioctl(lguest_fd, LGUEST_GET_STATS, &st)) {
		fprintf(stderr, "lguest: no statistics: %m\n");
		return;
	}
	fprintf(stderr, "lguest: statistics of this boot:\n  entries %llu\n  exits:",
		(unsigned long long)st.runs);
	for (i = 0; i < 32; i++)
		if (st.exits[i])
			fprintf(stderr, " %s%s%u %llu", vectors[i] ? vectors[i] : "vector ",
				vectors[i] ? "/" : "", i, (unsigned long long)st.exits[i]);
	fprintf(stderr, ", host interrupt %llu, system call %llu\n  hypercalls:",
		(unsigned long long)st.exits_irq, (unsigned long long)st.exits_syscall);
	for (i = 0; i < LGUEST_STAT_HCALLS; i++)
		if (st.hcalls[i])
			fprintf(stderr, " %u:%llu", i, (unsigned long long)st.hcalls[i]);
	fprintf(stderr, "\n  page faults: %llu shadowed (%llu in the kernel), %llu the guest's, %llu MMIO;",
		(unsigned long long)st.faults_fixed, (unsigned long long)st.faults_fixed_kernel,
		(unsigned long long)st.faults_reflected, (unsigned long long)st.mmio_exits);
	fprintf(stderr, " %llu entries shadowed around them\n",
		(unsigned long long)st.faults_around);
	fprintf(stderr, "  page-table loads: %llu kept their user half, %llu dropped it\n",
		(unsigned long long)st.pgdir_kept, (unsigned long long)st.pgdir_dropped);
	fprintf(stderr, "  shadow flushes %llu, pages pinned %llu, NMIs inside the Switcher %llu\n",
		(unsigned long long)st.shadow_flushes, (unsigned long long)st.pins,
		(unsigned long long)st.switcher_nmis);
}

/*
 * With --stats-marks, a console line of the guest's that starts with
 * "LGBENCH-MARK: " (as tools/lguest/lgbench prints them) makes us print
 * the host's counters on stderr, "LGSTATS: <the rest of the line> ...",
 * so that a benchmark can tell the exits of each of its workloads.
 */
static void print_marked_stats(const char *mark, const struct lguest_stats *st)
{
	const struct {
		const char *name;
		__u64 value;
	} field[] = {
		{ "exits", st->exits_irq + st->exits_syscall }, { "pf", st->exits[14] },
		{ "hcall", st->exits[LGUEST_HCALL_VECTOR] }, { "irq", st->exits_irq },
		{ "syscall", st->exits_syscall }, { "fixed", st->faults_fixed },
		{ "kfixed", st->faults_fixed_kernel }, { "around", st->faults_around },
		{ "reflected", st->faults_reflected }, { "mmio", st->mmio_exits },
		{ "kept", st->pgdir_kept }, { "dropped", st->pgdir_dropped },
		{ "flushes", st->shadow_flushes }, { "pins", st->pins },
	};
	unsigned long long exits = field[0].value;
	unsigned int i;

	for (i = 0; i < 32; i++)
		exits += st->exits[i];
	fprintf(stderr, "LGSTATS: %s exits=%llu", mark, exits);
	for (i = 1; i < ARRAY_SIZE(field); i++)
		fprintf(stderr, " %s=%llu", field[i].name, (unsigned long long)field[i].value);
	for (i = 0; i < LGUEST_STAT_HCALLS; i++)
		if (st->hcalls[i])
			fprintf(stderr, " hc%u=%llu", i, (unsigned long long)st->hcalls[i]);
	fputc('\n', stderr);
}

static void console_marks(const void *buf, size_t len)
{
	static char line[256];
	static size_t used;
	const char *p = buf;
	struct lguest_stats st;

	for (; len; len--, p++) {
		if (*p != '\n') {
			if (*p != '\r' && used < sizeof(line) - 1)
				line[used++] = *p;
			continue;
		}
		line[used] = '\0';
		used = 0;
		if (strncmp(line, "LGBENCH-MARK: ", 14) || ioctl(lguest_fd, LGUEST_GET_STATS, &st))
			continue;
		print_marked_stats(line + 14, &st);
	}
}

static void __attribute__((noreturn)) guest_died(const char *why)
{
	fprintf(stderr, "lguest: guest died: %s\n", why);
	print_stats();
	exit(LG_EXIT_KILLED);
}

/* Where a guest the host killed was: the first thing one wants to know. */
static void dump_registers(void)
{
	struct lguest_vcpu_regs r;

	if (ioctl(lguest_fd, LGUEST_GET_REGS, &r))
		return;
	fprintf(stderr,
		"lguest: registers: eip %08x esp %08x eflags %08x cs %04x ss %04x\n"
		"lguest:   eax %08x ebx %08x ecx %08x edx %08x\n"
		"lguest:   esi %08x edi %08x ebp %08x ds %04x es %04x fs %04x gs %04x\n",
		r.eip, r.esp, r.eflags, r.cs, r.ss, r.eax, r.ebx, r.ecx, r.edx,
		r.esi, r.edi, r.ebp, r.ds, r.es, r.fs, r.gs);
}

/* A register by ModRM number, at the width the instruction used. */
static uint32_t *reg_ptr(struct lguest_vcpu_regs *r, unsigned int n)
{
	uint32_t *order[8] = { &r->eax, &r->ecx, &r->edx, &r->ebx,
			       &r->esp, &r->ebp, &r->esi, &r->edi };

	return order[n & 7];
}

static uint32_t get_reg(struct lguest_vcpu_regs *r, unsigned int n, unsigned int size)
{
	/* Byte registers 4-7 are %ah, %ch, %dh and %bh. */
	if (size == 1)
		return n < 4 ? *reg_ptr(r, n) & 0xff : (*reg_ptr(r, n - 4) >> 8) & 0xff;
	if (size == 2)
		return *reg_ptr(r, n) & 0xffff;
	return *reg_ptr(r, n);
}

static void set_reg(struct lguest_vcpu_regs *r, unsigned int n, unsigned int size, uint32_t v)
{
	uint32_t *p;

	if (size == 1) {
		p = reg_ptr(r, n < 4 ? n : n - 4);
		if (n < 4)
			*p = (*p & ~0xffU) | (v & 0xff);
		else
			*p = (*p & ~0xff00U) | ((v & 0xff) << 8);
	} else if (size == 2) {
		p = reg_ptr(r, n);
		*p = (*p & ~0xffffU) | (v & 0xffff);
	} else {
		*reg_ptr(r, n) = v;
	}
}

/* What a read of size bytes leaves in a register of reg_size bytes. */
static uint32_t extend(const struct mmio_insn *m, uint32_t v)
{
	uint32_t sign = 1U << (8 * m->size - 1);

	if (m->size < 4)
		v &= (1U << (8 * m->size)) - 1;
	if (m->sign_extend && (v & sign))
		v |= ~((sign << 1) - 1);
	return v;
}

/*
 * L:160 An access to the device window.  The host gave us the address,
 * whether it was a write, and the instruction's bytes; the instruction
 * tells us the width and which register (or immediate) is involved.  We
 * do the access, put the result in the register and step %eip past the
 * instruction, as the CPU would have.
 */
static void handle_mmio(const struct lguest_exit *e)
{
	struct lguest_vcpu_regs r;
	struct mmio_insn m;
	uint8_t code[16];
	uint32_t off = e->addr - setup.mmio_base, val;
	struct vdev *d;
	char why[160];

	memcpy(code, e->arg, sizeof(code));
	if (ioctl(lguest_fd, LGUEST_GET_REGS, &r))
		fail("LGUEST_GET_REGS failed: %m");
	if (mmio_decode(code, sizeof(code), &m)) {
		snprintf(why, sizeof(why), "device access at %#x from eip %#x by an instruction lguest does not emulate (%02x %02x %02x %02x %02x %02x)", e->addr, r.eip,
			 code[0], code[1], code[2], code[3], code[4], code[5]);
		guest_died(why);
	}
	if (m.write != !!(e->errcode & 2)) {
		snprintf(why, sizeof(why), "device access at %#x from eip %#x: the instruction does not match the fault", e->addr, r.eip);
		guest_died(why);
	}
	if (e->addr < setup.mmio_base || off / VDEV_PAGE >= ndevices ||
	    off % VDEV_PAGE + m.size > VDEV_PAGE) {
		snprintf(why, sizeof(why), "%u-byte access at %#x is outside the device window",
			 m.size, e->addr);
		guest_died(why);
	}
	d = &devices[off / VDEV_PAGE];
	off %= VDEV_PAGE;
	if (m.write) {
		val = m.has_imm ? m.imm : get_reg(&r, m.reg, m.size);
		vdev_mmio_write(d, off, m.size, val);
	} else if (vdev_mmio_read(d, off, m.size, &val)) {
		set_reg(&r, m.reg, m.reg_size, extend(&m, val));
	}
	if (guest_is_bad())
		guest_died(guest_fault);
	r.eip += m.len;
	if (ioctl(lguest_fd, LGUEST_SET_REGS, &r))
		fail("LGUEST_SET_REGS failed: %m");
}

/* Early console text, straight from guest memory to stdout. */
static void handle_console(const struct lguest_exit *e)
{
	const char *text = gpa_to_ptr(&mem, e->arg[0], e->arg[1]);

	if (!text)
		guest_died("early console text outside its memory");
	fwrite(text, 1, e->arg[1], stdout);
	fflush(stdout);
}

/*
 * L:170 A reboot: every device forgets the guest, memory is thrown away
 * (fresh pages read as zero), the kernel and initrd are loaded again from
 * the files we kept open, and the host sets up a new guest on the same
 * /dev/lguest.  None of it needs the privileges we may have dropped.
 */
static void restart_guest(void)
{
	unsigned int i;

	for (i = 0; i < ndevices; i++)
		vdev_reset(&devices[i]);
	forget_inputs();
	/*
	 * A new mapping over the old one: fresh pages that read as zero
	 * (madvise() would do, but small host kernels may lack it).
	 */
	if (mmap(mem.base, mem.size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0) == MAP_FAILED)
		fail("cannot clear guest memory: %m");
	load_guest();
	setup_guest();
	watch_inputs();
}

static void handle_shutdown(const struct lguest_exit *e)
{
	print_stats();
	if (e->arg[0] == LGUEST_SHUTDOWN_RESTART && opt.no_reboot) {
		fprintf(stderr, "lguest: guest restarting: %s; stopping instead (--no-reboot)\n",
			e->message);
		exit(LG_EXIT_POWER_OFF);
	}
	if (e->arg[0] == LGUEST_SHUTDOWN_RESTART) {
		fprintf(stderr, "lguest: guest restarting: %s\n", e->message);
		restart_guest();
		return;
	}
	if (e->arg[0] == LGUEST_SHUTDOWN_CRASH) {
		fprintf(stderr, "lguest: guest crashed: %s\n", e->message);
		exit(LG_EXIT_CRASH);
	}
	fprintf(stderr, "lguest: guest powered off: %s\n", e->message);
	exit(LG_EXIT_POWER_OFF);
}

/*
 * L:175 From here on lguest only runs the guest and its devices: the
 * sandbox (sandbox.c) keeps it to that, with no new privileges.
 */
static void enter_sandbox(void)
{
	const char *why;

	if (opt.no_sandbox) {
		verbose("no sandbox (--no-sandbox)");
		return;
	}
	why = sandbox_start(opt.sandbox_selftest, restore_terminal);
	if (why)
		fail("%s: %m (--no-sandbox runs without one)", why);
	verbose("sandboxed: seccomp filter and no new privileges");
}

/* Descriptors we did not open have no business in a guest's Launcher. */
static void close_inherited(void)
{
	if (syscall(__NR_close_range, 3, ~0U, 0)) {
		int fd;

		for (fd = 3; fd < 1024; fd++)
			close(fd);
	}
}

/* L:180 The main loop: run the guest, answer it, again. */
static void __attribute__((noreturn)) run_loop(void)
{
	struct lguest_exit e;

	for (;;) {
		if (__atomic_load_n(&resized, __ATOMIC_RELAXED))
			resize_console();
		if (ioctl(lguest_fd, LGUEST_RUN, &e)) {
			if (errno == EINTR)
				continue;
			fail("LGUEST_RUN failed: %m");
		}
		switch (e.reason) {
		case LGUEST_EXIT_MMIO:
			handle_mmio(&e);
			break;
		case LGUEST_EXIT_CONSOLE:
			handle_console(&e);
			break;
		case LGUEST_EXIT_SHUTDOWN:
			handle_shutdown(&e);
			break;
		case LGUEST_EXIT_DEAD:
			dump_registers();
			guest_died(e.message);
		case LGUEST_EXIT_BREAK:
			service_inputs();
			break;
		default:
			fail("LGUEST_RUN gave an unknown exit %u", e.reason);
		}
		if (guest_is_bad())
			guest_died(guest_fault);
		watch_inputs();
	}
}

int main(int argc, char **argv)
{
	/* Nothing inherited reaches the guest's devices, or the sandbox. */
	close_inherited();
	parse_options(argc, argv);
	lookup_user();
	map_memory();
	open_kernel();
	setvbuf(stdout, NULL, _IONBF, 0);
	create_devices(argc, argv);
	setup.mmio_base = mem.size;	/* the command line needs it */
	build_cmdline();
	load_guest();
	verbose("memory: %lu MB at %p; device window %#llx-%#llx, %u devices",
		opt.mem_mb, mem.base, (unsigned long long)mem.size,
		(unsigned long long)mem.size + ndevices * VDEV_PAGE, ndevices);
	open_lguest();
	setup_guest();
	drop_privileges();
	setup_terminal();
	start_input_thread();
	watch_inputs();
	enter_sandbox();
	run_loop();
}
