// SPDX-License-Identifier: GPL-2.0
/*
 * L:250 The shared folder: a virtio-9p device that serves one host
 * directory to the guest in 9P2000.L, the dialect Linux's v9fs speaks
 * (mount -t 9p -o trans=virtio TAG /mnt).  Each request is one buffer
 * chain: the T-message in the chain's "out" half, room for the R-message
 * in its "in" half; big reads and writes put their data in further
 * descriptors (the guest's zero-copy path), which to us is just a longer
 * message.
 *
 * The guest names files by fids, numbers it chooses, each standing for a
 * path beneath the shared directory.  Here is the whole of the
 * confinement: every file is reached by openat2() from the directory's
 * descriptor with RESOLVE_BENEATH and RESOLVE_NO_SYMLINKS, so the host's
 * kernel refuses anything that would leave it, and operations on a
 * directory entry itself (unlink, rename, readlink, ...) take its parent
 * opened that way plus one checked name.  A symbolic link is never
 * followed here: the guest reads it and follows it in its own tree.
 * Guest root is the Launcher's user in the shared directory, except that
 * set-user-ID and set-group-ID bits are dropped (from new files, chmod,
 * and files opened to be changed) and device nodes can neither be made
 * nor opened, so that a guest cannot leave the host a program that runs
 * with more rights, nor reach a host device through the share.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/openat2.h>
#include <linux/virtio_9p.h>
#include <linux/virtio_ids.h>
#include "virtq.h"

/*
 * The protocol's numbers (include/net/9p/9p.h has them, but it is not a
 * uapi header).  A reply is its request's type plus one; Rlerror carries
 * a Linux errno.
 */
enum {
	P9_TLERROR = 6, P9_TSTATFS = 8, P9_TLOPEN = 12, P9_TLCREATE = 14,
	P9_TSYMLINK = 16, P9_TMKNOD = 18, P9_TRENAME = 20, P9_TREADLINK = 22,
	P9_TGETATTR = 24, P9_TSETATTR = 26, P9_TXATTRWALK = 30,
	P9_TXATTRCREATE = 32, P9_TREADDIR = 40, P9_TFSYNC = 50, P9_TLOCK = 52,
	P9_TGETLOCK = 54, P9_TLINK = 70, P9_TMKDIR = 72, P9_TRENAMEAT = 74,
	P9_TUNLINKAT = 76, P9_TVERSION = 100, P9_TAUTH = 102, P9_TATTACH = 104,
	P9_TFLUSH = 108, P9_TWALK = 110, P9_TREAD = 116, P9_TWRITE = 118,
	P9_TCLUNK = 120, P9_TREMOVE = 122, P9_TMAX = 128,
};

#define P9_HDR		7		/* size[4] type[1] tag[2] */
#define P9_IOHDR	(P9_HDR + 4)	/* ... count[4]: Rread, Rreaddir */
#define P9_MSIZE	(128 * 1024 + 24)	/* Linux's default msize */
#define P9_MAXWELEM	16		/* names in one Twalk */
#define P9_MAX_FIDS	4096
#define P9_NOFID	0xffffffffU
#define P9_BUCKETS	256
#define P9_QTDIR	0x80
#define P9_QTSYMLINK	0x02
#define P9_LOCK_UNLCK	2
#define P9_STATS_BASIC	0x7ffULL
#define P9_REMOVEDIR	0x200		/* Tunlinkat's flag */

/* Tsetattr's valid bits. */
#define P9_ATTR_MODE	0x001
#define P9_ATTR_UID	0x002
#define P9_ATTR_GID	0x004
#define P9_ATTR_SIZE	0x008
#define P9_ATTR_ATIME	0x010
#define P9_ATTR_MTIME	0x020
#define P9_ATTR_ATIME_SET 0x080
#define P9_ATTR_MTIME_SET 0x100

/* The open flags we pass on (9P2000.L's are Linux's x86 values). */
#define P9_OPEN_FLAGS	(O_ACCMODE | O_TRUNC | O_APPEND | O_DSYNC | O_SYNC | \
			 O_DIRECTORY | O_LARGEFILE)

struct p9_fid {
	uint32_t id;
	struct p9_fid *next;		/* in its bucket */
	char *path;			/* beneath the share: "." or "a/b" */
	int fd;				/* opened by Tlopen/Tlcreate, or -1 */
};

struct p9_share {
	int root;			/* the shared directory, O_PATH */
	bool ro;
	bool versioned;			/* Tversion seen */
	uint32_t msize;
	unsigned int nfids;
	struct p9_fid *fids[P9_BUCKETS];
	uint8_t req[P9_MSIZE], rep[P9_MSIZE];
	uint8_t dents[P9_MSIZE];	/* Treaddir's getdents64() */
};

/*
 * Descriptors the fids hold open, against the process's limit: every
 * share counts (they all live in one descriptor table), and together
 * they may take half of it.
 */
static unsigned int open_fds, max_open_fds;

/* A message being read or written: a bad field marks it, and it stops. */
struct p9_msg {
	uint8_t *buf;
	size_t len, pos;
	bool bad;
};

static void *take(struct p9_msg *m, size_t n)
{
	void *p = m->buf + m->pos;

	if (m->bad || m->pos > m->len || n > m->len - m->pos) {
		m->bad = true;
		return NULL;
	}
	m->pos += n;
	return p;
}

static uint64_t get_le(struct p9_msg *m, unsigned int n)
{
	uint8_t *p = take(m, n);
	uint64_t v = 0;

	while (p && n--)
		v = v << 8 | p[n];
	return v;
}

#define get8(m)		((uint8_t)get_le(m, 1))
#define get16(m)	((uint16_t)get_le(m, 2))
#define get32(m)	((uint32_t)get_le(m, 4))
#define get64(m)	get_le(m, 8)

/* A string: its length, then its bytes; as a C string in out[PATH_MAX]. */
static bool get_str(struct p9_msg *m, char *out)
{
	uint16_t len = get16(m);
	char *p = take(m, len);

	if (!p || len >= PATH_MAX || memchr(p, '\0', len)) {
		m->bad = true;
		return false;
	}
	memcpy(out, p, len);
	out[len] = '\0';
	return true;
}

static void put_le(struct p9_msg *m, uint64_t v, unsigned int n)
{
	uint8_t *p = take(m, n);

	while (p && n--) {
		*p++ = v;
		v >>= 8;
	}
}

#define put8(m, v)	put_le(m, v, 1)
#define put16(m, v)	put_le(m, v, 2)
#define put32(m, v)	put_le(m, v, 4)
#define put64(m, v)	put_le(m, v, 8)

static void put_str(struct p9_msg *m, const char *s)
{
	size_t len = strlen(s);
	void *p;

	put16(m, len);
	p = take(m, len);
	if (p)
		memcpy(p, s, len);
}

/* A qid: what the guest's inode cache knows a file by. */
static void put_qid(struct p9_msg *m, mode_t mode, uint64_t ino)
{
	put8(m, S_ISDIR(mode) ? P9_QTDIR : S_ISLNK(mode) ? P9_QTSYMLINK : 0);
	put32(m, 0);
	put64(m, ino);
}

/* The fids. */
static struct p9_fid **bucket(struct p9_share *s, uint32_t id)
{
	return &s->fids[(id ^ id >> 8 ^ id >> 16) % P9_BUCKETS];
}

static struct p9_fid *find_fid(struct p9_share *s, uint32_t id)
{
	struct p9_fid *f;

	for (f = *bucket(s, id); f; f = f->next)
		if (f->id == id)
			return f;
	return NULL;
}

/* A new fid for path (which it takes), or NULL with errno. */
static struct p9_fid *new_fid(struct p9_share *s, uint32_t id, char *path)
{
	struct p9_fid *f;

	if (id == P9_NOFID || find_fid(s, id)) {
		errno = EBADF;
		return NULL;
	}
	if (s->nfids >= P9_MAX_FIDS) {
		errno = EMFILE;
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		errno = ENOMEM;
		return NULL;
	}
	f->id = id;
	f->path = path;
	f->fd = -1;
	f->next = *bucket(s, id);
	*bucket(s, id) = f;
	s->nfids++;
	return f;
}

static void drop_fid(struct p9_share *s, struct p9_fid *f)
{
	struct p9_fid **pp = bucket(s, f->id);

	while (*pp != f)
		pp = &(*pp)->next;
	*pp = f->next;
	if (f->fd >= 0) {
		close(f->fd);
		__atomic_fetch_sub(&open_fds, 1, __ATOMIC_RELAXED);
	}
	free(f->path);
	free(f);
	s->nfids--;
}

static void drop_all_fids(struct p9_share *s)
{
	unsigned int i;

	for (i = 0; i < P9_BUCKETS; i++)
		while (s->fids[i])
			drop_fid(s, s->fids[i]);
}

/*
 * Names and paths.  A name from the guest is one component: not empty,
 * no slash, not "." or "..".  A path is built only from such names, so it
 * never climbs; openat2() checks the same again, and symbolic links.
 */
static bool good_name(const char *name)
{
	return name[0] && !strchr(name, '/') && strcmp(name, ".") && strcmp(name, "..");
}

static char *join(const char *dir, const char *name)
{
	char *p;

	if (!strcmp(dir, "."))
		return strdup(name);
	if (strlen(dir) + 1 + strlen(name) >= PATH_MAX || asprintf(&p, "%s/%s", dir, name) < 0)
		return NULL;
	return p;
}

/* The path's directory, lexically: "a/b" -> "a", "a" -> ".". */
static char *parent_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? strndup(path, slash - path) : strdup(".");
}

static int open_beneath(struct p9_share *s, const char *path, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = flags | O_NOFOLLOW | O_CLOEXEC,
		.mode = flags & O_CREAT ? mode : 0,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};

	return syscall(__NR_openat2, s->root, path, &how, sizeof(how));
}

/* The file a fid names, to look at (O_PATH: a symlink is itself). */
static int stat_fid(struct p9_share *s, const struct p9_fid *f, struct stat *st)
{
	int fd, ret;

	if (f->fd >= 0)
		return fstat(f->fd, st) ? -errno : 0;
	fd = open_beneath(s, f->path, O_PATH, 0);
	if (fd < 0)
		return -errno;
	ret = fstat(fd, st) ? -errno : 0;
	close(fd);
	return ret;
}

/* The directory a fid names, as the parent of one of its entries. */
static int open_dir(struct p9_share *s, const struct p9_fid *dir)
{
	int fd = open_beneath(s, dir->path, O_PATH | O_DIRECTORY, 0);

	return fd < 0 ? -errno : fd;
}

/* The parent of a fid's own entry, and that entry's name in it. */
static int open_parent(struct p9_share *s, const struct p9_fid *f, const char **name)
{
	char *dir;
	int fd;

	if (!strcmp(f->path, "."))
		return -EBUSY;		/* the shared directory itself */
	*name = strrchr(f->path, '/') ? strrchr(f->path, '/') + 1 : f->path;
	dir = parent_of(f->path);
	if (!dir)
		return -ENOMEM;
	fd = open_beneath(s, dir, O_PATH | O_DIRECTORY, 0);
	free(dir);
	return fd < 0 ? -errno : fd;
}

/*
 * The directory fid dir, opened to add or remove its entry name, after
 * the checks every such request makes.  The descriptor, or a negative
 * errno.
 */
static int entry_dir(struct p9_share *s, const struct p9_fid *dir, const char *name)
{
	if (!dir)
		return -EBADF;
	if (!good_name(name))
		return -EINVAL;
	if (s->ro)
		return -EROFS;
	return open_dir(s, dir);
}

/* The qid of entry name in directory dirfd (just made). */
static int put_entry_qid(struct p9_msg *out, int dirfd, const char *name)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW))
		return -errno;
	put_qid(out, st.st_mode, st.st_ino);
	return 0;
}

static bool plain(mode_t mode)
{
	return S_ISREG(mode) || S_ISDIR(mode);
}

/*
 * A file to read or write, beneath the share: only a regular file or a
 * directory.  Opening a FIFO would hang this I/O thread, and a device
 * node is the host's device: both are refused before they are opened,
 * and again after (O_NONBLOCK keeps that open from waiting, should a
 * host program swap one in; regular files and directories ignore it).
 * A set-ID file opened to be changed loses those bits first: a write by
 * a Launcher with CAP_FSETID would leave them.  Returns the descriptor or
 * a negative errno.
 */
static int open_file(struct p9_share *s, const char *path, int flags, mode_t mode)
{
	bool change = (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC);
	struct stat st;
	int fd;

	if (__atomic_load_n(&open_fds, __ATOMIC_RELAXED) >= max_open_fds)
		return -EMFILE;
	fd = open_beneath(s, path, O_PATH, 0);
	if (fd < 0 && !((flags & O_CREAT) && errno == ENOENT))
		return -errno;
	if (fd >= 0) {
		int err = fstat(fd, &st) ? -errno : S_ISLNK(st.st_mode) ? -ELOOP :
			  !plain(st.st_mode) ? -EPERM : 0;

		close(fd);
		if (err)
			return err;
	}
	fd = open_beneath(s, path, flags | O_NONBLOCK, mode);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !plain(st.st_mode) ||
	    (change && S_ISREG(st.st_mode) && (st.st_mode & (S_ISUID | S_ISGID)) &&
	     fchmod(fd, st.st_mode & (S_ISVTX | 0777)))) {
		close(fd);
		return -EPERM;
	}
	__atomic_fetch_add(&open_fds, 1, __ATOMIC_RELAXED);
	return fd;
}

/* The guest's mode for something new: no set-ID bits (see the top). */
static mode_t new_mode(uint32_t mode)
{
	return mode & (S_ISVTX | 0777);
}

/*
 * Rename moves every fid beneath old along: other fids name paths, and
 * the guest still holds them (its dentries).
 */
static void moved(struct p9_share *s, const char *old, const char *new)
{
	size_t len = strlen(old);
	struct p9_fid *f;
	unsigned int i;
	char *p;

	for (i = 0; i < P9_BUCKETS; i++) {
		for (f = s->fids[i]; f; f = f->next) {
			if (strncmp(f->path, old, len) || (f->path[len] && f->path[len] != '/'))
				continue;
			if (asprintf(&p, "%s%s", new, f->path + len) < 0)
				continue;	/* it goes stale; the guest gets ENOENT */
			free(f->path);
			f->path = p;
		}
	}
}

/*
 * The operations: each reads its request from in (after the header),
 * writes its reply into out (after the header) and returns 0, or a
 * negative errno for an Rlerror.
 */
typedef int (*p9_op)(struct p9_share *s, struct p9_msg *in, struct p9_msg *out);

static int p9_version(struct p9_share *s, struct p9_msg *in, struct p9_msg *out)
{
	uint32_t msize = get32(in);
	char version[PATH_MAX];

	if (!get_str(in, version))
		return -EPROTO;
	drop_all_fids(s);
	s->msize = msize < P9_MSIZE ? msize : P9_MSIZE;
	s->versioned = s->msize >= 4096 && !strcmp(version, "9P2000.L");
	put32(out, s->msize);
	put_str(out, s->versioned ? "9P2000.L" : "unknown");
	return 0;
}

static int p9_attach(struct p9_share *s, struct p9_msg *in, struct p9_msg *out)
{
	uint32_t fid = get32(in);
	char name[PATH_MAX], *root;
	struct p9_fid *f;
	struct stat st;

	take(in, 4);				/* afid: no authentication */
	if (!get_str(in, name) || !get_str(in, name))	/* uname, aname */
		return -EPROTO;
	root = strdup(".");
	f = root ? new_fid(s, fid, root) : NULL;
	if (!f) {
		free(root);
		return -errno;
	}
	if (fstat(s->root, &st)) {
		drop_fid(s, f);
		return -errno;
	}
	put_qid(out, st.st_mode, st.st_ino);
	return 0;
}

/* One step of a walk: ".." climbs lexically, and never above the share. */
static char *walk_step(const char *path, const char *name)
{
	bool up = !strcmp(name, "..");
	char *p;

	if (!up && !good_name(name)) {
		errno = ENOENT;
		return NULL;
	}
	p = up ? parent_of(path) : join(path, name);
	if (!p)
		errno = ENOMEM;
	return p;
}

static int p9_walk(struct p9_share *s, struct p9_msg *in, struct p9_msg *out)
{
	uint32_t fid = get32(in), newfid = get32(in);
	uint16_t n = get16(in), i;
	struct p9_fid *f = find_fid(s, fid), *nf;
	char name[PATH_MAX], *path, *next;
	size_t nwqid_at = out->pos;
	int fd, err = 0;
	struct stat st;

	if (!f || (newfid != fid && find_fid(s, newfid)))
		return -EBADF;
	if (n > P9_MAXWELEM)
		return -EINVAL;
	if (f->fd >= 0)
		return -EBADF;			/* 9P: no walking from an open fid */
	path = strdup(f->path);
	if (!path)
		return -ENOMEM;
	put16(out, 0);
	for (i = 0; i < n; i++) {
		if (!get_str(in, name)) {
			free(path);
			return -EPROTO;
		}
		next = walk_step(path, name);
		fd = next ? open_beneath(s, next, O_PATH, 0) : -1;
		err = !next || fd < 0 ? -errno : 0;
		if (!err && fstat(fd, &st))
			err = -errno;
		if (fd >= 0)
			close(fd);
		if (err) {
			free(next);
			break;
		}
		free(path);
		path = next;
		put_qid(out, st.st_mode, st.st_ino);
	}
	/* The first step failing is an error; a later one, a short walk. */
	if (i == 0 && n) {
		free(path);
		return err;
	}
	memcpy(out->buf + nwqid_at, &(uint16_t){ i }, 2);
	if (i < n) {
		free(path);
		return 0;
	}
	if (newfid == fid) {
		free(f->path);
		f->path = path;
		return 0;
	}
	nf = new_fid(s, newfid, path);
	if (!nf) {
		free(path);
		return -errno;
	}
	return 0;
}

static int p9_clunk(struct p9_share *s, struct p9_msg *in, struct p9_msg *out)
{
	struct p9_fid *f = find_fid(s, get32(in));

	(void)out;
	if (!f)
		return -EBADF;
	drop_fid(s, f);
	return 0;
}

static int p9_getattr(struct p9_share *s, struct p9_msg *in, struct p9_msg *out)
{
	struct p9_fid *f = find_fid(s, get32(in));
	struct stat st;
	int err;

	if (!f)
		return -EBADF;
	err = stat_fid(s, f, &st);
	if (err)
		return err;
	put64(out, P9_STATS_BASIC);
	put_qid(out, st.st_mode, st.st_ino);
	put32(out, st.st_mode);
	put32(out, st.st_uid);
	put32(out, st.st_gid);
	put64(out, st.st_nlink);
	put64(out, st.st_rdev);
	put64(out, st.st_size);
	put64(out, st.st_blksize);
	put64(out, st.st_blocks);
	put64(out, st.st_atim.tv_sec);
	put64(out, st.st_atim.tv_nsec);
	put64(out, st.st_mtim.tv_sec);
	put64(out, st.st_mtim.tv_nsec);
	put64(out, st.st_ctim.tv_sec);
	put64(out, st.st_ctim.tv_nsec);
	put64(out, 0);				/* btime, gen, data_version */
	put64(out, 0);
	put64(out, 0);
	put64(out, 0);
	return 0;
}

/* The times of a Tsetattr: the guest's, now, or left alone. */
static void set_time(struct timespec *ts, uint32_t valid, uint32_t is, uint32_t set,
		     uint64_t sec, uint64_t nsec)
{
	ts->tv_sec = sec;
	ts->tv_nsec = !(valid & is) ? UTIME_OMIT : (valid & set) ? (long)nsec : UTIME_NOW;
}

static int p9_setattr(struct p9_share *s, struct p9_msg *in, struct p9_msg *out)
{
	struct p9_fid *f = find_fid(s, get32(in));
	uint32_t valid = get32(in), mode = get32(in), uid = get32(in), gid = get32(in);
	uint64_t size = get64(in), as = get64(in), an = get64(in), ms = get64(in), mn = get64(in);
	struct timespec ts[2];
	int fd, err = 0;

	(void)out;
	if (!f)
		return -EBADF;
	if (s->ro)
		return -EROFS;
	/* The shared directory's own mode and owner are the host's. */
	if (!strcmp(f->path, ".") && (valid & (P9_ATTR_MODE | P9_ATTR_UID | P9_ATTR_GID)))
		return -EPERM;
	fd = open_beneath(s, f->path, O_PATH, 0);
	if (fd < 0)
		return -errno;
	if ((valid & P9_ATTR_MODE) &&
	    syscall(__NR_fchmodat2, fd, "", new_mode(mode), AT_EMPTY_PATH))
		err = -errno;
	if (!err && (valid & (P9_ATTR_UID | P9_ATTR_GID)) &&
	    fchownat(fd, "", valid & P9_ATTR_UID ? uid : (uid_t)-1,
		     valid & P9_ATTR_GID ? gid : (gid_t)-1, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
		err = -errno;
	if (!err && (valid & P9_ATTR_SIZE)) {
		/* O_PATH cannot truncate: open it for writing, still beneath. */
		int wfd = f->fd >= 0 ? f->fd : open_file(s, f->path, O_WRONLY, 0);

		if (wfd < 0)
			err = wfd;
		else if (ftruncate(wfd, size))
			err = -errno;
		if (wfd >= 0 && wfd != f->fd) {
			close(wfd);
			__atomic_fetch_sub(&open_fds, 1, __ATOMIC_RELAXED);
		}
	}
	if (!err && (valid & (P9_ATTR_ATIME | P9_ATTR_MTIME))) {
		set_time(&ts[0], valid, P9_ATTR_ATIME, P9_ATTR_ATIME_SET, as, an);
		set_time(&ts[1], valid, P9_ATTR_MTIME, P9_ATTR_MTIME_SET, ms, mn);
		if (utimensat(fd, "", ts, AT_EMPTY_PATH))
			err = -errno;
	}
	close(fd);
	return err;
}

static int p9_lopen(struct p9_share *s, struct p9_msg *in, struct p9_msg *out)
{
	struct p9_fid *f = find_fid(s, get32(in));
	uint32_t flags = get32(in) & P9_OPEN_FLAGS;
	struct stat st;
	int fd;

	if (!f)
		return -EBADF;
	if (f->fd >= 0 || (flags & O_ACCMODE) == O_ACCMODE)
		return -EINVAL;
	if (s->ro && ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC)))
		return -EROFS;
	fd = open_file(s, f->path, flags, 0);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st)) {
		close(fd);
		__atomic_fetch_sub(&open_fds, 1, __ATOMIC_RELAXED);
		return -errno;
	}
	f->fd = fd;
	put_qid(out, st.st_mode, st.st_ino);
	put32(out, 0);				/* iounit: msize */
	return 0;
}

static int p9_lcreate(struct p9_share *s, struct p9_msg *in, struct p9_msg *out)
{
	struct p9_fid *f = find_fid(s, get32(in));
	char name[PATH_MAX], *path;
	uint32_t flags, mode;
	struct stat st;
	int fd;

	if (!get_str(in, name))
		return -EPROTO;
	flags = (get32(in) & (P9_OPEN_FLAGS | O_EXCL)) | O_CREAT;
	mode = get32(in);
	take(in, 4);				/* gid: ours */
	if (!f || f->fd >= 0)
		return -EBADF;
	if (!good_name(name))
		return -EINVAL;
	if (s->ro)
		return -EROFS;
	path = join(f->path, name);
	if (!path)
		return -ENOMEM;
	fd = open_file(s, path, flags, new_mode(mode));
	if (fd < 0 || fstat(fd, &st)) {
		int err = fd < 0 ? fd : -errno;

		if (fd >= 0) {
			close(fd);
			__atomic_fetch_sub(&open_fds, 1, __ATOMIC_RELAXED);
		}
		free(path);
		return err;
	}
	/* The fid now stands for the new file, opened. */
	free(f->path);
	f->path = path;
	f->fd = fd;
	put_qid(out, st.st_mode, st.st_ino);
	put32(out, 0);
	return 0;
}

static int p9_read(struct p9_share *s, struct p9_msg *in, struct p9_msg *out)
{
	struct p9_fid *f = find_fid(s, get32(in));
	uint64_t off = get64(in);
	uint32_t count = get32(in);
	size_t room = out->len - out->pos - 4;
	ssize_t n;

	if (!f || f->fd < 0)
		return -EBADF;
	if (off > INT64_MAX)
		return -EINVAL;
	if (count > room)
		count = room;
	n = pread(f->fd, out->buf + out->pos + 4, count, off);
	if (n < 0)
		return -errno;
	put32(out, n);
	take(out, n);
	return 0;
}

static int p9_write(struct p9_share *s, struct p9_msg *in, struct p9_msg *out)
{
	struct p9_fid *f = find_fid(s, get32(in));
	uint64_t off = get64(in);
	uint32_t count = get32(in);
	void *data = take(in, count);
	ssize_t n;

	if (!data)
		return -EPROTO;
	if (!f || f->fd < 0)
		return -EBADF;
	if (s->ro)
		return -EROFS;
	if (off > INT64_MAX)
		return -EINVAL;
	n = pwrite(f->fd, data, count, off);
	if (n < 0)
		return -errno;
	put32(out, n);
	return 0;
}

/*
 * Rreaddir: entries from the directory's own offsets on, as many as fit;
 * the next Treaddir starts at the last offset we sent.
 */
static int p9_readdir(struct p9_share *s, struct p9_msg *in, struct p9_msg *out)
{
	struct p9_fid *f = find_fid(s, get32(in));
	uint64_t off = get64(in);
	size_t room = out->len - out->pos - 4, start = out->pos;
	uint32_t count = get32(in);
	struct dirent64 *de;
	long n, i;

	if (!f || f->fd < 0)
		return -EBADF;
	if (count < room)
		room = count;
	if (off > INT64_MAX)
		return -EINVAL;
	if (lseek(f->fd, off, SEEK_SET) < 0)
		return -errno;
	n = syscall(__NR_getdents64, f->fd, s->dents, room < sizeof(s->dents) ? room : sizeof(s->dents));
	if (n < 0)
		return -errno;
	put32(out, 0);
	for (i = 0; i < n; i += de->d_reclen) {
		de = (struct dirent64 *)(s->dents + i);
		/* qid[13] offset[8] type[1] name[s] */
		if (out->pos - start - 4 + 24 + strlen(de->d_name) > room)
			break;
		put_qid(out, de->d_type == DT_DIR ? S_IFDIR : de->d_type == DT_LNK ? S_IFLNK : 0,
			de->d_ino);
		put64(out, de->d_off);
		put8(out, de->d_type);
		put_str(out, de->d_name);
	}
	memcpy(out->buf + start, &(uint32_t){ out->pos - start - 4 }, 4);
	return 0;
}

static int p9_mkdir(struct p9_share *s, struct p9_msg *in, struct p9_msg *out)
{
	struct p9_fid *f = find_fid(s, get32(in));
	char name[PATH_MAX];
	uint32_t mode;
	int dfd, err;

	if (!get_str(in, name))
		return -EPROTO;
	mode = get32(in);
	take(in, 4);				/* gid */
	dfd = entry_dir(s, f, name);
	if (dfd < 0)
		return dfd;
	err = mkdirat(dfd, name, new_mode(mode)) ? -errno : put_entry_qid(out, dfd, name);
	close(dfd);
	return err;
}

static int p9_symlink(struct p9_share *s, struct p9_msg *in, struct p9_msg *out)
{
	struct p9_fid *f = find_fid(s, get32(in));
	char name[PATH_MAX], target[PATH_MAX];
	int dfd, err;

	if (!get_str(in, name) || !get_str(in, target))
		return -EPROTO;
	take(in, 4);				/* gid */
	dfd = entry_dir(s, f, name);
	if (dfd < 0)
		return dfd;
	/* The target is only text for the guest to follow: we never do. */
	err = symlinkat(target, dfd, name) ? -errno : put_entry_qid(out, dfd, name);
	close(dfd);
	return err;
}

static int p9_readlink(struct p9_share *s, struct p9_msg *in, struct p9_msg *out)
{
	struct p9_fid *f = find_fid(s, get32(in));
	char target[PATH_MAX];
	ssize_t n;
	int fd;

	if (!f)
		return -EBADF;
	fd = open_beneath(s, f->path, O_PATH, 0);
	if (fd < 0)
		return -errno;
	n = readlinkat(fd, "", target, sizeof(target) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	put_str(out, target);
	return 0;
}

static int p9_link(struct p9_share *s, struct p9_msg *in, struct p9_msg *out)
{
	struct p9_fid *dir = find_fid(s, get32(in)), *f = find_fid(s, get32(in));
	char name[PATH_MAX];
	const char *old;
	int dfd, ofd, err;

	(void)out;
	if (!get_str(in, name))
		return -EPROTO;
	if (!f)
		return -EBADF;
	dfd = entry_dir(s, dir, name);
	if (dfd < 0)
		return dfd;
	ofd = open_parent(s, f, &old);
	err = ofd < 0 ? ofd : linkat(ofd, old, dfd, name, 0) ? -errno : 0;
	if (ofd >= 0)
		close(ofd);
	close(dfd);
	return err;
}

/* Would every fid beneath from still have a path once it is beneath to? */
static bool moves_fit(struct p9_share *s, const char *from, const char *to)
{
	size_t len = strlen(from), grow = strlen(to);
	struct p9_fid *f;
	unsigned int i;

	for (i = 0; i < P9_BUCKETS; i++)
		for (f = s->fids[i]; f; f = f->next)
			if (!strncmp(f->path, from, len) && (!f->path[len] || f->path[len] == '/') &&
			    grow + strlen(f->path) - len >= PATH_MAX)
				return false;
	return true;
}

/* Rename entry oldname of odir to newname of ndir, and move the fids. */
static int rename_entry(struct p9_share *s, struct p9_fid *odir, const char *oldname,
			struct p9_fid *ndir, const char *newname)
{
	char *from = join(odir->path, oldname), *to = join(ndir->path, newname);
	int ofd = -1, nfd = -1, err;

	if (!from || !to) {
		err = -ENOMEM;
		goto out;
	}
	ofd = open_dir(s, odir);
	nfd = ofd < 0 ? ofd : open_dir(s, ndir);
	if (ofd < 0 || nfd < 0) {
		err = ofd < 0 ? ofd : nfd;
		goto out;
	}
	/* A fid's path could otherwise grow with every rename, without end. */
	if (!moves_fit(s, from, to))
		err = -ENAMETOOLONG;
	else
		err = renameat(ofd, oldname, nfd, newname) ? -errno : 0;
	if (!err)
		moved(s, from, to);
out:
	if (nfd >= 0)
		close(nfd);
	if (ofd >= 0)
		close(ofd);
	free(from);
	free(to);
	return err;
}

static int p9_renameat(struct p9_share *s, struct p9_msg *in, struct p9_msg *out)
{
	struct p9_fid *odir = find_fid(s, get32(in)), *ndir;
	char oldname[PATH_MAX], newname[PATH_MAX];

	(void)out;
	if (!get_str(in, oldname))
		return -EPROTO;
	ndir = find_fid(s, get32(in));
	if (!get_str(in, newname))
		return -EPROTO;
	if (!odir || !ndir)
		return -EBADF;
	if (!good_name(oldname) || !good_name(newname))
		return -EINVAL;
	if (s->ro)
		return -EROFS;
	return rename_entry(s, odir, oldname, ndir, newname);
}

/* The old Trename: a fid's own entry to a new name in another fid. */
static int p9_rename(struct p9_share *s, struct p9_msg *in, struct p9_msg *out)
{
	struct p9_fid *f = find_fid(s, get32(in)), *ndir = find_fid(s, get32(in));
	struct p9_fid odir = { .fd = -1 };
	char newname[PATH_MAX];
	const char *oldname;
	int err;

	(void)out;
	if (!get_str(in, newname))
		return -EPROTO;
	if (!f || !ndir)
		return -EBADF;
	if (!good_name(newname) || !strcmp(f->path, "."))
		return -EINVAL;
	if (s->ro)
		return -EROFS;
	oldname = strrchr(f->path, '/') ? strrchr(f->path, '/') + 1 : f->path;
	odir.path = parent_of(f->path);
	if (!odir.path)
		return -ENOMEM;
	err = rename_entry(s, &odir, oldname, ndir, newname);
	free(odir.path);
	return err;
}

static int p9_unlinkat(struct p9_share *s, struct p9_msg *in, struct p9_msg *out)
{
	struct p9_fid *f = find_fid(s, get32(in));
	char name[PATH_MAX];
	uint32_t flags;
	int dfd, err;

	(void)out;
	if (!get_str(in, name))
		return -EPROTO;
	flags = get32(in);
	dfd = entry_dir(s, f, name);
	if (dfd < 0)
		return dfd;
	err = unlinkat(dfd, name, flags & P9_REMOVEDIR ? AT_REMOVEDIR : 0) ? -errno : 0;
	close(dfd);
	return err;
}

static int p9_fsync(struct p9_share *s, struct p9_msg *in, struct p9_msg *out)
{
	struct p9_fid *f = find_fid(s, get32(in));
	uint32_t datasync = get32(in);

	(void)out;
	if (!f || f->fd < 0)
		return -EBADF;
	return (datasync ? fdatasync(f->fd) : fsync(f->fd)) ? -errno : 0;
}

static int p9_statfs(struct p9_share *s, struct p9_msg *in, struct p9_msg *out)
{
	struct statfs sf;

	if (!find_fid(s, get32(in)))
		return -EBADF;
	if (fstatfs(s->root, &sf))
		return -errno;
	put32(out, sf.f_type);
	put32(out, sf.f_bsize);
	put64(out, sf.f_blocks);
	put64(out, sf.f_bfree);
	put64(out, sf.f_bavail);
	put64(out, sf.f_files);
	put64(out, sf.f_ffree);
	put64(out, 0);				/* fsid */
	put32(out, sf.f_namelen);
	return 0;
}

/*
 * Locks are the guest's business: its processes share one host file.
 * Tlock always succeeds and Tgetlock finds nothing in the way.
 */
static int p9_lock(struct p9_share *s, struct p9_msg *in, struct p9_msg *out)
{
	if (!find_fid(s, get32(in)))
		return -EBADF;
	put8(out, 0);				/* P9_LOCK_SUCCESS */
	return 0;
}

static int p9_getlock(struct p9_share *s, struct p9_msg *in, struct p9_msg *out)
{
	uint64_t start, length;
	char client[PATH_MAX];
	uint32_t proc;

	if (!find_fid(s, get32(in)))
		return -EBADF;
	take(in, 1);				/* type */
	start = get64(in);
	length = get64(in);
	proc = get32(in);
	if (!get_str(in, client))
		return -EPROTO;
	put8(out, P9_LOCK_UNLCK);
	put64(out, start);
	put64(out, length);
	put32(out, proc);
	put_str(out, client);
	return 0;
}

/* Requests are served in order, so none is in flight to flush. */
static int p9_flush(struct p9_share *s, struct p9_msg *in, struct p9_msg *out)
{
	(void)s;
	(void)in;
	(void)out;
	return 0;
}

static const p9_op p9_ops[P9_TMAX] = {
	[P9_TVERSION] = p9_version,	[P9_TATTACH] = p9_attach,
	[P9_TWALK] = p9_walk,		[P9_TCLUNK] = p9_clunk,
	[P9_TGETATTR] = p9_getattr,	[P9_TSETATTR] = p9_setattr,
	[P9_TLOPEN] = p9_lopen,		[P9_TLCREATE] = p9_lcreate,
	[P9_TREAD] = p9_read,		[P9_TWRITE] = p9_write,
	[P9_TREADDIR] = p9_readdir,	[P9_TMKDIR] = p9_mkdir,
	[P9_TSYMLINK] = p9_symlink,	[P9_TREADLINK] = p9_readlink,
	[P9_TLINK] = p9_link,		[P9_TRENAMEAT] = p9_renameat,
	[P9_TRENAME] = p9_rename,	[P9_TUNLINKAT] = p9_unlinkat,
	[P9_TFSYNC] = p9_fsync,		[P9_TSTATFS] = p9_statfs,
	[P9_TLOCK] = p9_lock,		[P9_TGETLOCK] = p9_getlock,
	[P9_TFLUSH] = p9_flush,
	/* Tmknod (device nodes), Txattr*, Tauth, Tremove: EOPNOTSUPP. */
};

/*
 * One message: req[0, len) in, rep[0, room) out; returns the reply's
 * length.  A message we cannot parse gets EPROTO, never more: the guest's
 * 9p client is its own business, not the Launcher's.
 */
size_t p9_handle(struct p9_share *s, size_t len, size_t room)
{
	struct p9_msg in = { .buf = s->req, .len = len }, out = { .buf = s->rep, .len = room };
	uint32_t size = get32(&in);
	uint8_t type = get8(&in);
	uint16_t tag = get16(&in);
	p9_op op = type < P9_TMAX ? p9_ops[type] : NULL;
	int err;

	/* The size field may only shorten the message, never end it early. */
	if (size < P9_HDR)
		in.bad = true;
	else if (size < len)
		in.len = size;
	take(&out, P9_HDR);
	if (in.bad)
		err = -EPROTO;
	else if (!op)
		err = -EOPNOTSUPP;
	else if (!s->versioned && type != P9_TVERSION)
		err = -EPROTO;
	else
		err = op(s, &in, &out);
	if (!err && (in.bad || out.bad))
		err = in.bad ? -EPROTO : -ERANGE;
	if (err) {
		out.pos = P9_HDR;
		out.bad = false;
		put32(&out, -err);
		type = P9_TLERROR;
	}
	out.len = out.pos;
	out.pos = 0;
	put32(&out, out.len);
	put8(&out, type + 1);
	put16(&out, tag);
	return out.len;
}

static void p9_reset(struct vdev *d);

/* The device: one queue of requests, served by an I/O thread. */
static bool p9_request(struct vdev *d, const struct vq_chain *c, uint32_t *used)
{
	struct p9_share *s = d->share;
	size_t room = c->in_len < s->msize ? c->in_len : s->msize;
	size_t len;

	if (!s->msize)
		room = c->in_len < P9_MSIZE ? c->in_len : P9_MSIZE;
	if (c->out_len < P9_HDR || c->out_len > sizeof(s->req) || room < P9_IOHDR)
		return guest_bad("virtio-9p: request %u of %zu bytes with %zu for the reply",
				 c->head, c->out_len, c->in_len);
	len = iov_to_buf(c->out, c->n_out, 0, s->req, c->out_len);
	len = p9_handle(s, len, room);
	*used = buf_to_iov(c->in, c->n_in, 0, s->rep, len);
	return true;
}

const struct vdev_type p9_type = {
	.name = "9p",
	.device_id = VIRTIO_ID_9P,
	.nqueues = 1,
	.input_queue = -1,
	.request = p9_request,
	.reset = p9_reset,
};

/* Share the directory root_fd (O_PATH, ours now) as tag; false if too long. */
bool p9_setup(struct vdev *d, int root_fd, const char *tag, bool ro)
{
	size_t len = strlen(tag);
	struct p9_share *s;

	if (len > VDEV_CONFIG_MAX - 2)
		return false;
	s = calloc(1, sizeof(*s));
	if (!s)
		return false;
	if (!max_open_fds) {
		struct rlimit rl;

		max_open_fds = !getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < 2048 ?
			       rl.rlim_cur / 2 : 1024;
	}
	s->root = root_fd;
	s->ro = ro;
	d->share = s;
	d->features |= 1ULL << VIRTIO_9P_MOUNT_TAG;
	d->config[0] = len;
	d->config[1] = len >> 8;
	memcpy(d->config + 2, tag, len);
	d->config_len = 2 + len;
	return true;
}

uint8_t *p9_buffers(struct p9_share *s, uint8_t **rep)
{
	*rep = s->rep;
	return s->req;
}

/* For harnesses: give back what p9_setup() took (a no-op on other devices). */
void p9_release(struct vdev *d)
{
	if (d->type != &p9_type || !d->share)
		return;
	drop_all_fids(d->share);
	close(d->share->root);
	free(d->share);
	d->share = NULL;
}

/* A reset (or a reboot) forgets every fid: the guest attaches again. */
static void p9_reset(struct vdev *d)
{
	if (d->share) {
		drop_all_fids(d->share);
		d->share->versioned = false;
		d->share->msize = 0;
	}
}
