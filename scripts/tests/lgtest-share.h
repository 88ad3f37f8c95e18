/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lgtest-share.h: the shared folder of tests/guest-boot (lguest --share),
 * as the host's init (tests/guest-boot-init.c) fills it and the guest's
 * (scripts/guest/lginit.c, lginit.share) leaves it; each checks the other.
 *
 *   SHARE_HOSTFILE  the host's, which the guest reads
 *   SHARE_ABS, SHARE_UP  symlinks to "/lgsecret" and "../lgsecret": the
 *                   host has such files, the guest must not see them
 *                   (it follows a symlink in its own tree, never ours)
 *   guest-dir/      made by the guest: "big" (SHARE_BIG bytes of
 *                   share_byte(), written as "tmp" and renamed, mode
 *                   0640), "link" -> "big"; "gone" made and deleted
 */
#define SHARE_TAG	"hostshare"
#define SHARE_HOSTDIR	"/tmp/share"
#define SHARE_HOSTFILE	"hostfile"
#define SHARE_HOSTTEXT	"from the host\n"
#define SHARE_SECRET	"SECRET of the host\n"
#define SHARE_ABS	"abs"
#define SHARE_UP	"up"
#define SHARE_BIG	(1 << 20)

static inline unsigned char share_byte(size_t i)
{
	return (unsigned char)(i * 13 + i / 4093);
}
