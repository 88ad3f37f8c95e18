// SPDX-License-Identifier: GPL-2.0
/*
 * p9_check: the shared folder's server (p9.c) against a real directory,
 * message by message, as a guest that wants out would send them: "..",
 * absolute and relative symbolic links out of the share, a symlink loop,
 * names with slashes, set-ID bits, device nodes, a read-only share,
 * malformed messages and a fid flood; and, between those, the ordinary
 * work (create, write, read back, rename, link, delete, list).  Nothing
 * outside the shared directory may change.  Prints "ok"/"FAIL" lines;
 * exit status 1 on any failure.  Needs no guest and no /dev/lguest.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "../virtq.h"

static unsigned int failures;
static struct p9_share *share;
static uint8_t *req, *rep;
static size_t req_len, rep_len, rep_pos;

static void expect(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s ", ok ? "ok" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!ok)
		failures++;
}

/* Building a T-message: begin, fields, then call(). */
static void put(uint64_t v, unsigned int n)
{
	while (n--) {
		req[req_len++] = v;
		v >>= 8;
	}
}

static void begin(uint8_t type)
{
	req_len = 0;
	put(0, 4);
	put(type, 1);
	put(1, 2);			/* tag */
}

static void str(const char *s)
{
	put(strlen(s), 2);
	memcpy(req + req_len, s, strlen(s));
	req_len += strlen(s);
}

static uint64_t get(unsigned int n)
{
	uint64_t v = 0;

	while (n--)
		v |= (uint64_t)rep[rep_pos + n] << 8 * n;
	return v;
}

static uint64_t next(unsigned int n)
{
	uint64_t v = get(n);

	rep_pos += n;
	return v;
}

/* Send it; returns 0 for the expected R-message, else the Rlerror errno. */
static int call(void)
{
	uint8_t type = req[4];

	memcpy(req, &(uint32_t){ req_len }, 4);
	rep_len = p9_handle(share, req_len, 8192);
	rep_pos = 7;
	if (rep[4] == 7)
		return (int)get(4);
	if (rep[4] != type + 1)
		return -1;
	return 0;
}

static int version(void)
{
	begin(100);
	put(8192, 4);
	str("9P2000.L");
	return call();
}

static int attach(uint32_t fid)
{
	begin(104);
	put(fid, 4);
	put(~0U, 4);
	str("root");
	str("");
	put(0, 4);
	return call();
}

/* Twalk: returns the errno, or 0 with *nwqid set. */
static int walk(uint32_t fid, uint32_t newfid, unsigned int *nwqid, int n, ...)
{
	va_list ap;
	int err, i;

	begin(110);
	put(fid, 4);
	put(newfid, 4);
	put(n, 2);
	va_start(ap, n);
	for (i = 0; i < n; i++)
		str(va_arg(ap, const char *));
	va_end(ap);
	err = call();
	*nwqid = err ? 0 : next(2);
	return err;
}

static int clunk(uint32_t fid)
{
	begin(120);
	put(fid, 4);
	return call();
}

static int lopen(uint32_t fid, uint32_t flags)
{
	begin(12);
	put(fid, 4);
	put(flags, 4);
	return call();
}

static int lcreate(uint32_t fid, const char *name, uint32_t flags, uint32_t mode)
{
	begin(14);
	put(fid, 4);
	str(name);
	put(flags, 4);
	put(mode, 4);
	put(0, 4);
	return call();
}

static int read_fid(uint32_t fid, char *buf, size_t len)
{
	uint32_t n;
	int err;

	begin(116);
	put(fid, 4);
	put(0, 8);
	put(len - 1, 4);
	err = call();
	if (err)
		return err;
	n = next(4);
	memcpy(buf, rep + rep_pos, n);
	buf[n] = '\0';
	return 0;
}

static int write_fid(uint32_t fid, const char *data)
{
	begin(118);
	put(fid, 4);
	put(0, 8);
	put(strlen(data), 4);
	memcpy(req + req_len, data, strlen(data));
	req_len += strlen(data);
	return call();
}

/* Tgetattr: the mode and link count, or the errno. */
static int getattr(uint32_t fid, uint32_t *mode, uint64_t *nlink)
{
	int err;

	begin(24);
	put(fid, 4);
	put(0x7ff, 8);
	err = call();
	if (err)
		return err;
	rep_pos += 8 + 13;
	*mode = next(4);
	rep_pos += 8;
	*nlink = next(8);
	return 0;
}

static int dir_op(uint8_t type, uint32_t fid, const char *name, const char *arg, uint32_t n)
{
	begin(type);
	put(fid, 4);
	str(name);
	if (arg)
		str(arg);
	put(n, 4);
	if (type == 18)
		put(0, 8);			/* Tmknod: major, minor */
	if (type == 72 || type == 16 || type == 18)
		put(0, 4);			/* gid */
	return call();
}

static bool host_has(const char *path)
{
	struct stat st;

	return !lstat(path, &st);
}

static char *slurp(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, len - 1);

	if (fd >= 0)
		close(fd);
	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

static void make_tree(const char *top)
{
	char p[PATH_MAX];
	int fd;

	if (chdir(top))
		exit(2);
	mkdir("share", 0755);
	mkdir("share/sub", 0755);
	mkdir("outside", 0755);
	fd = open("share/file", O_CREAT | O_WRONLY, 0644);
	if (fd < 0 || write(fd, "hello", 5) != 5)
		exit(2);
	close(fd);
	fd = open("outside/secret", O_CREAT | O_WRONLY, 0600);
	if (fd < 0 || write(fd, "SECRET", 6) != 6)
		exit(2);
	close(fd);
	fd = open("share/suid", O_CREAT | O_WRONLY, 0755);
	if (fd < 0 || write(fd, "#!/bin/sh\n", 10) != 10 || fchmod(fd, 04755))
		exit(2);
	close(fd);
	if (mkfifo("share/fifo", 0644))
		exit(2);
	snprintf(p, sizeof(p), "%s/outside", top);
	if (symlink(p, "share/abs") || symlink("../outside", "share/up") ||
	    symlink("loop", "share/loop") || symlink("sub", "share/dirlink"))
		exit(2);
}

/* Each escape: refused or kept inside, whatever the guest sends. */
static void escapes(void)
{
	unsigned int nw;
	char buf[64];
	int err;

	err = walk(0, 2, &nw, 1, "..");
	expect(!err && nw == 1, "walk ..: stays at the share (err %d, %u qids)", err, nw);
	err = walk(2, 3, &nw, 1, "outside");
	expect(err == ENOENT, "walk .. then outside: ENOENT (err %d)", err);
	err = walk(0, 4, &nw, 4, "..", "..", "outside", "secret");
	expect(!err && nw == 2, "walk ../../outside/secret: stops after the two .. (%u)", nw);
	err = lopen(4, O_RDONLY);
	expect(err == EBADF, "... and made no fid (err %d)", err);
	err = walk(0, 5, &nw, 2, "abs", "secret");
	expect(!err && nw == 1, "walk through an absolute symlink: stops at it (%u)", nw);
	err = walk(0, 5, &nw, 2, "up", "secret");
	expect(!err && nw == 1, "walk through ../outside symlink: stops at it (%u)", nw);
	err = walk(0, 5, &nw, 2, "dirlink", "file");
	expect(!err && nw == 1, "walk through a symlink inside: stops too (%u)", nw);
	err = walk(0, 6, &nw, 1, "abs");
	expect(!err && nw == 1, "walk to a symlink itself: fine");
	err = lopen(6, O_RDONLY);
	expect(err == ELOOP, "lopen of the absolute symlink: ELOOP (err %d)", err);
	begin(22);
	put(6, 4);
	err = call();
	next(2);
	expect(!err && !strncmp((char *)rep + rep_pos, "/", 1),
	       "readlink gives its text for the guest to follow (err %d)", err);
	err = walk(0, 7, &nw, 1, "loop");
	err = err ? err : lopen(7, O_RDONLY);
	expect(err == ELOOP, "lopen of a symlink loop: ELOOP (err %d)", err);
	err = walk(0, 8, &nw, 1, "sub/../../outside");
	expect(err == ENOENT, "a name with slashes: ENOENT (err %d)", err);
	err = walk(0, 8, &nw, 1, ".");
	expect(err == ENOENT, "the name '.': ENOENT (err %d)", err);
	err = walk(0, 8, &nw, 1, "");
	expect(err == ENOENT, "an empty name: ENOENT (err %d)", err);
	err = walk(0, 8, &nw, 0);
	err = err ? err : lcreate(8, "../escaped", O_RDWR, 0644);
	expect(err == EINVAL, "lcreate ../escaped: EINVAL (err %d)", err);
	err = dir_op(72, 8, "..", NULL, 0755);
	expect(err == EINVAL, "mkdir ..: EINVAL (err %d)", err);
	err = dir_op(76, 8, "../outside/secret", NULL, 0);
	expect(err == EINVAL, "unlinkat ../outside/secret: EINVAL (err %d)", err);
	err = dir_op(18, 8, "dev", NULL, S_IFCHR | 0666);
	expect(err == EOPNOTSUPP, "mknod (a device node): EOPNOTSUPP (err %d)", err);
	/* A symlink the guest makes is text, never followed here either. */
	err = dir_op(16, 8, "shadow", "/etc/shadow", 0);
	expect(!err, "symlink shadow -> /etc/shadow: made (err %d)", err);
	err = walk(0, 9, &nw, 1, "shadow");
	err = err ? err : lopen(9, O_RDONLY);
	expect(err == ELOOP, "... and lopen of it: ELOOP (err %d)", err);
	expect(!strcmp(slurp("outside/secret", buf, sizeof(buf)), "SECRET") &&
	       !host_has("escaped") && !host_has("outside/escaped"),
	       "nothing outside the share changed");
	clunk(2);
	clunk(5);
	clunk(6);
	clunk(7);
	clunk(8);
	clunk(9);
}

/* The guest's ordinary work. */
static void round_trip(void)
{
	unsigned int nw;
	uint64_t nlink;
	uint32_t mode;
	char buf[64];
	int err;

	err = walk(0, 10, &nw, 0);
	err = err ? err : lcreate(10, "new", O_RDWR, 04755);
	err = err ? err : write_fid(10, "data");
	expect(!err, "create and write new (err %d)", err);
	err = getattr(10, &mode, &nlink);
	expect(!err && (mode & 07777) == 0755, "... with no set-user-ID bit (mode %o)", mode);
	err = walk(0, 11, &nw, 1, "new");
	err = err ? err : lopen(11, O_RDONLY);
	err = err ? err : read_fid(11, buf, sizeof(buf));
	expect(!err && !strcmp(buf, "data"), "read new back: '%s' (err %d)", buf, err);
	err = dir_op(72, 0, "d", NULL, 02775);
	expect(!err, "mkdir d (err %d)", err);
	err = walk(0, 12, &nw, 1, "d");
	err = err ? err : getattr(12, &mode, &nlink);
	expect(!err && S_ISDIR(mode) && !(mode & S_ISGID), "... a directory, no set-group-ID (%o)",
	       mode);
	err = walk(12, 13, &nw, 0);
	err = err ? err : lcreate(13, "in", O_RDWR, 0600);
	expect(!err, "create d/in (err %d)", err);
	begin(74);
	put(0, 4);
	str("d");
	put(0, 4);
	str("d2");
	err = call();
	expect(!err && host_has("share/d2/in"), "renameat d d2 (err %d)", err);
	err = walk(12, 14, &nw, 1, "in");
	expect(!err && nw == 1, "the fid of d moved along to d2 (err %d)", err);
	begin(70);
	put(0, 4);
	put(11, 4);
	str("hard");
	err = call();
	err = err ? err : getattr(11, &mode, &nlink);
	expect(!err && nlink == 2, "link new hard: two links (err %d, %llu)", err,
	       (unsigned long long)nlink);
	begin(26);
	put(11, 4);
	put(1, 4);				/* P9_ATTR_MODE */
	put(06777, 4);
	put(0, 4);
	put(0, 4);
	put(0, 8);
	put(0, 8);
	put(0, 8);
	put(0, 8);
	put(0, 8);
	err = call();
	err = err ? err : getattr(11, &mode, &nlink);
	expect(!err && (mode & 07777) == 0777, "setattr 6777: set-ID bits dropped (%o)", mode);
	err = dir_op(76, 0, "new", NULL, 0);
	expect(!err && !host_has("share/new"), "unlinkat new (err %d)", err);
	err = dir_op(76, 0, "d2", NULL, 0x200);
	expect(err == ENOTEMPTY, "unlinkat a full directory: ENOTEMPTY (err %d)", err);
	err = walk(0, 15, &nw, 0);
	err = err ? err : lopen(15, O_RDONLY | O_DIRECTORY);
	begin(40);
	put(15, 4);
	put(0, 8);
	put(4096, 4);
	err = err ? err : call();
	expect(!err && memmem(rep, rep_len, "file", 4) && memmem(rep, rep_len, "d2", 2) &&
	       !memmem(rep, rep_len, "secret", 6), "readdir of the share (err %d)", err);
	clunk(10);
	clunk(11);
	clunk(12);
	clunk(13);
	clunk(14);
	clunk(15);
}

static void on_alarm(int sig)
{
	(void)sig;
	printf("FAIL the server hung (an open that never returns?)\n");
	exit(1);
}

/*
 * What an attacker's review found: a size field that ends the message in
 * its header, paths that grow with every rename, set-ID files opened for
 * writing, FIFOs and device nodes in the share, descriptors without a
 * bound, and the share's own mode.
 */
static void review(void)
{
	char deep[PATH_MAX], name[251], buf[64];
	unsigned int nw, i, opened;
	struct stat st;
	int err;

	/* A full Twrite of 2 MiB whose size field says 3. */
	err = walk(0, 30, &nw, 0);
	err = err ? err : lcreate(30, "leak", O_RDWR, 0644);
	begin(118);
	put(30, 4);
	put(0, 8);
	put(2 << 20, 4);
	memset(req + req_len, 'x', 64);
	req_len += 64;
	memcpy(req, &(uint32_t){ 3 }, 4);
	rep_len = p9_handle(share, req_len, 8192);
	err = rep[4] == 7 ? (int)(rep[7] | rep[8] << 8) : 0;
	expect(err == EPROTO && !stat("share/leak", &st) && st.st_size == 0,
	       "a size field inside the header: EPROTO, nothing written (err %d, %lld bytes)",
	       err, (long long)st.st_size);
	clunk(30);

	/* Fids 16 names deep, then a long new name for their top. */
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	strcpy(deep, "share/deep");
	mkdir(deep, 0755);
	for (i = 0; i < 16; i++) {
		strcat(deep, "/");
		strcat(deep, name);
		mkdir(deep, 0755);
	}
	err = walk(0, 31, &nw, 16, "deep", name, name, name, name, name, name, name, name, name,
		   name, name, name, name, name, name);
	err = err ? err : walk(31, 31, &nw, 1, name);
	expect(!err && nw == 1, "a fid 17 names deep (err %d)", err);
	begin(74);
	put(0, 4);
	str("deep");
	put(0, 4);
	str(name);
	err = call();
	expect(err == ENAMETOOLONG && host_has("share/deep"),
	       "a rename that would take a fid past PATH_MAX: ENAMETOOLONG (err %d)", err);
	clunk(31);

	err = walk(0, 32, &nw, 1, "suid");
	err = err ? err : lopen(32, O_WRONLY);
	expect(!err && !stat("share/suid", &st) && !(st.st_mode & (S_ISUID | S_ISGID)),
	       "a set-user-ID file opened for writing loses the bit (err %d, mode %o)", err,
	       st.st_mode & 07777);
	clunk(32);

	signal(SIGALRM, on_alarm);
	alarm(10);
	err = walk(0, 33, &nw, 1, "fifo");
	err = err ? err : lopen(33, O_RDONLY);
	expect(err == EPERM, "lopen of a FIFO: EPERM at once, not a hang (err %d)", err);
	clunk(33);
	err = walk(0, 33, &nw, 1, "fifo");
	begin(26);
	put(33, 4);
	put(8, 4);				/* P9_ATTR_SIZE */
	memset(req + req_len, 0, 52);
	req_len += 52;
	err = err ? err : call();
	expect(err == EPERM, "truncating a FIFO: EPERM at once (err %d)", err);
	clunk(33);
	alarm(0);
	if (!mknod("share/null", S_IFCHR | 0666, makedev(1, 3))) {
		err = walk(0, 34, &nw, 1, "null");
		err = err ? err : lopen(34, O_RDWR);
		expect(err == EPERM, "lopen of a device node: EPERM (err %d)", err);
		clunk(34);
	} else {
		printf("ok # SKIP a device node (mknod: %s)\n", strerror(errno));
	}

	for (i = 0, opened = 0, err = 0; i < 200 && !err; i++) {
		err = walk(0, 100 + i, &nw, 1, "file");
		err = err ? err : lopen(100 + i, O_RDONLY);
		opened += !err;
	}
	expect(err == EMFILE && opened == 64, "open fids stop at half the descriptor limit (%u, err %d)",
	       opened, err);
	for (i = 0; i < 200; i++)
		clunk(100 + i);
	err = walk(0, 35, &nw, 1, "file");
	err = err ? err : lopen(35, O_RDONLY);
	expect(!err, "... and open again once clunked (err %d)", err);
	clunk(35);

	begin(26);
	put(0, 4);
	put(1, 4);				/* P9_ATTR_MODE */
	put(0, 4);
	memset(req + req_len, 0, 48);
	req_len += 48;
	err = call();
	expect(err == EPERM && !stat("share", &st) && (st.st_mode & 0777) == 0755,
	       "chmod of the share itself: EPERM (err %d)", err);
	(void)buf;
}

/* Messages no client would send. */
static void malformed(void)
{
	unsigned int nw, i;
	int err;

	begin(110);
	req_len = 5;
	err = call();
	expect(err == EPROTO, "a message shorter than its header: EPROTO (err %d)", err);
	begin(110);
	put(0, 4);
	put(20, 4);
	put(1, 2);
	put(500, 2);				/* a name longer than the message */
	err = call();
	expect(err == EPROTO, "a string past the end: EPROTO (err %d)", err);
	err = walk(0, 20, &nw, 17, "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a",
		   "a", "a", "a", "a", "a");
	expect(err == EINVAL, "17 names in one walk: EINVAL (err %d)", err);
	begin(200);
	err = call();
	expect(err == EOPNOTSUPP, "an unknown message: EOPNOTSUPP (err %d)", err);
	err = walk(12345, 21, &nw, 0);
	expect(err == EBADF, "walk from a fid never made: EBADF (err %d)", err);
	err = walk(0, 0xffffffff, &nw, 0);
	expect(err == EBADF, "NOFID as a new fid: EBADF (err %d)", err);
	for (i = 0, err = 0; i < 5000 && !err; i++)
		err = walk(0, 1000 + i, &nw, 0);
	expect(err == EMFILE && i > 4000, "a fid flood stops at the limit (EMFILE after %u)", i);
	for (i = 0; i < 5000; i++)
		clunk(1000 + i);
	err = version();
	err = err ? err : walk(0, 22, &nw, 0);
	expect(err == EBADF, "Tversion forgets every fid (err %d)", err);
}

static void read_only(struct vdev *d, int root)
{
	unsigned int nw;
	int err;

	expect(p9_setup(d, root, "ro", true), "a read-only share");
	share = d->share;
	req = p9_buffers(share, &rep);
	version();
	attach(0);
	err = walk(0, 1, &nw, 0);
	err = err ? err : lcreate(1, "x", O_RDWR, 0644);
	expect(err == EROFS, "read-only: lcreate EROFS (err %d)", err);
	err = walk(0, 2, &nw, 1, "file");
	err = err ? err : lopen(2, O_WRONLY);
	expect(err == EROFS, "read-only: lopen for writing EROFS (err %d)", err);
	err = lopen(2, O_RDONLY);
	expect(!err, "read-only: lopen for reading works (err %d)", err);
	err = dir_op(72, 0, "x", NULL, 0755);
	expect(err == EROFS && !host_has("share/x"), "read-only: mkdir EROFS (err %d)", err);
}

int main(void)
{
	char top[] = "/tmp/p9_check.XXXXXX";
	static struct vdev d, d_ro;
	struct guest_mem mem = { 0 };
	char cmd[64 + sizeof(top)];
	int root;

	/* 128 descriptors: the server may keep 64 of them open. */
	if (!mkdtemp(top) || setrlimit(RLIMIT_NOFILE, &(struct rlimit){ 128, 128 }))
		return 2;
	make_tree(top);
	root = open("share", O_PATH | O_DIRECTORY);
	vdev_init(&d, &p9_type, &mem, NULL, 0);
	expect(p9_setup(&d, root, "hostshare", false), "a share");
	expect(d.config[0] == 9 && !memcmp(d.config + 2, "hostshare", 9), "its tag in config");
	share = d.share;
	req = p9_buffers(share, &rep);
	expect(attach(0) == EPROTO, "attach before Tversion: EPROTO");
	expect(!version() && get(4) == 8192, "version 9P2000.L, msize 8192");
	expect(!attach(0), "attach");
	escapes();
	round_trip();
	review();
	malformed();
	vdev_init(&d_ro, &p9_type, &mem, NULL, 1);
	read_only(&d_ro, open("share", O_PATH | O_DIRECTORY));
	snprintf(cmd, sizeof(cmd), "rm -rf %s", top);
	if (system(cmd))
		printf("# could not remove %s\n", top);
	printf("%s: %u failed\n", failures ? "FAIL" : "PASS", failures);
	return failures ? 1 : 0;
}
