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
 * (mmio.c); the real work happens in virtq.c and the device files, which
 * walk the guest's rings.  Input (the terminal, the tap) is watched by a
 * second thread, which only pokes us with LGUEST_BREAK, and the guest is
 * never polled (inputs.c).  Device state stays in this thread, but for
 * disks and shared folders: each has an I/O thread, so that a slow
 * request does not stop the guest (vdev_start_io() in virtq.c).
 *
 * This file reads the options, creates the devices, drops privileges and
 * puts it all together (main()); lguest.h says where the rest is.
 *
 * See tools/lguest/lguest.txt for how to use it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <linux/version.h>
#include "lguest.h"
#include "sandbox.h"

/* The host's ABI has one layout for 32- and 64-bit Launchers. */
_Static_assert(sizeof(struct lguest_setup) == 40, "struct lguest_setup");
_Static_assert(sizeof(struct lguest_vcpu_regs) == 64, "struct lguest_vcpu_regs");
_Static_assert(sizeof(struct lguest_exit) == 160, "struct lguest_exit");
/* Disk images may be larger than 2 GiB: see the Makefile. */
_Static_assert(sizeof(off_t) == 8, "build with -D_FILE_OFFSET_BITS=64");

struct options opt;
struct guest_mem mem;
int lguest_fd = -1;
struct lguest_setup setup;
struct vdev devices[MAX_DEVICES];
unsigned int ndevices;

struct vdev_env env = {
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

void __attribute__((noreturn, format(printf, 1, 2))) fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	complain(fmt, ap);
	va_end(ap);
	exit(LG_EXIT_ERROR);
}

void __attribute__((format(printf, 1, 2))) verbose(const char *fmt, ...)
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
 * L:040 Options.  They follow the classic Launcher: options, then the
 * memory size in megabytes, the kernel, and anything else goes on the
 * guest's command line.
 */
static void usage(FILE *f)
{
	fprintf(f,
		"usage: lguest [--verbose] [--tunnet=<ipaddr>[/<prefix>][:<macaddr>]|bridge:<bridgename>[:<macaddr>]|\n"
		"                            tap:<tapname>[:<macaddr>]]\n"
		"              [--block=<filename>[,ro][,direct]] [--share=<dir>,<tag>[,ro]]\n"
		"              [--initrd=<filename>] [--rng]\n"
		"              [--username=<user>] [--chroot=<dir>] [--stats] [--stats-marks]\n"
		"              [--no-reboot] [--version] <mem-in-MB> vmlinux [kernel args...]\n"
		"Run vmlinux as an lguest guest with <mem-in-MB> (%d-%d) megabytes of memory.\n"
		"vmlinux is the ELF kernel, not a bzImage: a bzImage starts in its decompressor,\n"
		"which loads its own GDT and runs with paging off; a ring-1 guest can do neither.\n"
		"--tunnet, --block and --share may be repeated.  Exit status: 0 powered off, 1 lguest's\n"
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
	if (!vdev_start_io(d))
		fail("cannot start the I/O thread of tap %s", ifr.ifr_name);
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
	if (!vdev_start_io(d))
		fail("cannot start the I/O thread of block file %s", b.file);
	verbose("block: %s, %lld sectors%s%s", b.file, (long long)size / 512,
		b.ro ? ", read-only" : "", b.direct ? ", O_DIRECT" : "");
}

/*
 * L:045 --share=DIR,TAG[,ro]: a directory for the guest's
 * mount -t 9p -o trans=virtio TAG /mnt (p9.c serves it).  We keep one
 * descriptor of it, opened now, and reach everything through that.
 */
struct share_spec {
	char dir[PATH_MAX];
	const char *tag;
	bool ro;
};

static void parse_share(const char *arg, struct share_spec *sh)
{
	const char *t;
	char *opts;

	memset(sh, 0, sizeof(*sh));
	if (strlen(arg) >= sizeof(sh->dir))
		bad_usage("--share=%s: the name is too long", arg);
	strcpy(sh->dir, arg);
	opts = strrchr(sh->dir, ',');
	if (opts && !strcmp(opts, ",ro")) {
		sh->ro = true;
		*opts = '\0';
	}
	opts = strrchr(sh->dir, ',');
	if (!opts || opts == sh->dir || !opts[1])
		bad_usage("--share=%s: want <dir>,<tag>[,ro]", arg);
	*opts++ = '\0';
	sh->tag = opts;
	if (strlen(opts) > VDEV_CONFIG_MAX - 2)
		bad_usage("--share=%s: the tag is longer than %d bytes", arg, VDEV_CONFIG_MAX - 2);
	for (t = opts; *t; t++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-", *t))
			bad_usage("--share=%s: a tag is letters, digits, '_', '.' and '-'", arg);
}

static void add_share(const char *arg)
{
	struct share_spec sh;
	struct vdev *d;
	int fd;

	parse_share(arg, &sh);
	fd = open(sh.dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		fail("cannot open shared directory %s: %m", sh.dir);
	d = new_device(&p9_type);
	if (!p9_setup(d, fd, sh.tag, sh.ro))
		fail("out of memory for shared directory %s", sh.dir);
	if (!vdev_start_io(d))
		fail("cannot start the I/O thread of shared directory %s", sh.dir);
	opt.shares = true;
	verbose("share: %s as '%s'%s", sh.dir, sh.tag, sh.ro ? ", read-only" : "");
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
	OPT_SANDBOX_SELFTEST, OPT_SHARE,
};

static const struct option long_options[] = {
	{ "verbose",	no_argument,		NULL, 'v' },
	{ "tunnet",	required_argument,	NULL, OPT_TUNNET },
	{ "block",	required_argument,	NULL, OPT_BLOCK },
	{ "share",	required_argument,	NULL, OPT_SHARE },
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
	static struct share_spec share_check;
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
		case OPT_SHARE:
			parse_share(optarg, &share_check);
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

static void create_devices(int argc, char **argv)
{
	int c;

	console_setup(new_device(&console_type), STDIN_FILENO, STDOUT_FILENO,
		      isatty(STDIN_FILENO) ? opt.escape : -1);
	resize_console(false);
	optind = 1;
	while ((c = getopt_long(argc, argv, "+vh", long_options, NULL)) != -1) {
		if (c == OPT_TUNNET)
			add_net(optarg);
		else if (c == OPT_BLOCK)
			add_block(optarg);
		else if (c == OPT_SHARE)
			add_share(optarg);
		else if (c == OPT_RNG)
			add_rng();
	}
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
	why = sandbox_start(opt.sandbox_selftest, opt.shares, restore_terminal);
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
