/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lgtest-disk.h: where the guest's init (scripts/guest/lginit.c) and the
 * host's (tests/guest-boot-init.c) leave their marks on the block device,
 * and what they write there; each checks the other's.
 *
 *   BLOCK_OFFSET  lginit's pattern (block_pattern()), found by the host
 *   ZERO_OFFSET   the host's data, which lginit discards and zeroes
 *   HIGH_OFFSET   above 4 GiB: high_pattern(1) of the host's, read by
 *                 lginit, then high_pattern(2) of lginit's right after
 */
#define BLOCK_OFFSET	(64 << 10)
#define BLOCK_BYTES	(256 << 10)
#define ZERO_OFFSET	(2 << 20)
#define ZERO_BYTES	(1 << 20)
#define HIGH_OFFSET	((4ULL << 30) + (1 << 20))
#define HIGH_BYTES	4096

static inline unsigned char block_pattern_byte(size_t i)
{
	return (unsigned char)(i * 7 + i / 4096);
}

static void high_pattern(unsigned char *buf, unsigned int seed)
{
	size_t i;

	for (i = 0; i < HIGH_BYTES; i++)
		buf[i] = (unsigned char)(i * 11 + seed * 101);
}
