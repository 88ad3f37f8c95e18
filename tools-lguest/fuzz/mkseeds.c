// SPDX-License-Identifier: GPL-2.0
/*
 * mkseeds DIR: write a few well-formed inputs for fuzz-virtq, one per
 * device and request kind, so the fuzzer starts from rings that work and
 * mutates from there rather than searching for them.
 *
 * Queue 0's rings are at 0x1000/0x2000/0x3000, queue 1's at
 * 0x4000/0x5000/0x6000, both of 8 entries; each has one chain of three
 * descriptors (16 bytes to read, 512 and 1 byte to write) at 0x8000.
 * The 9p seeds read 32 bytes instead: a Tversion, or a Tattach after it.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define HDR_SIZE	29
#define OPS_SIZE	256
#define IMG_SIZE	0x8600

static uint8_t in[HDR_SIZE + OPS_SIZE + IMG_SIZE];

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v);
	put16(p + 2, v >> 16);
}

static void put_desc(uint8_t *img, uint32_t table, int i, uint32_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	uint8_t *d = img + table + 16 * i;

	put32(d, addr);
	put32(d + 8, len);
	put16(d + 12, flags);
	put16(d + 14, next);
}

static void queue(int q, uint8_t *img, uint16_t readable_first)
{
	uint8_t *h = in + 1 + 14 * q;
	uint32_t base = 0x1000 + 0x3000 * q;

	put16(h, 8);
	put32(h + 2, base);
	put32(h + 6, base + 0x1000);
	put32(h + 10, base + 0x2000);
	/* flags NEXT = 1, WRITE = 2 */
	put_desc(img, base, 0, 0x8000, 16, readable_first ? 1 : 3, 1);
	put_desc(img, base, 1, 0x8100, 512, 3, 2);
	put_desc(img, base, 2, 0x8400, 1, 2, 0);
	put16(img + base + 0x1000 + 2, 1);	/* avail idx */
	put16(img + base + 0x1000 + 4, 0);	/* ring[0]: head 0 */
}

static void op(int n, uint8_t kind, uint8_t size, uint16_t off, uint32_t val)
{
	uint8_t *o = in + HDR_SIZE + 8 * n;

	o[0] = kind;
	o[1] = size;
	put16(o + 2, off);
	put32(o + 4, val);
}

static int write_seed(const char *dir, const char *name)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(in, sizeof(in), 1, f) != 1 || fclose(f)) {
		perror(path);
		return 1;
	}
	return 0;
}

/* 9p: Tversion (msize 8192, "9P2000.L") in the chain's first 32 bytes. */
static void p9_seed(uint8_t *img, int attach)
{
	static const uint8_t version[21] = { 21, 0, 0, 0, 100, 1, 0, 0, 32, 0, 0, 8, 0,
					     '9', 'P', '2', '0', '0', '0', '.', 'L' };
	static const uint8_t attach_msg[23] = { 23, 0, 0, 0, 104, 2, 0, 0, 0, 0, 0,
						0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0 };

	put_desc(img, 0x1000, 0, 0x8000, 32, 1, 1);
	memcpy(img + 0x8000, attach ? attach_msg : version, attach ? 23 : 21);
}

int main(int argc, char **argv)
{
	uint8_t *img = in + HDR_SIZE + OPS_SIZE;
	static const char *names[5] = { "console", "block", "net", "rng", "9p" };
	int dev, blk_type, err = 0;
	char name[64];

	if (argc != 2) {
		fprintf(stderr, "usage: mkseeds DIR\n");
		return 2;
	}
	for (dev = 0; dev < 5; dev++) {
		for (blk_type = 0; blk_type < (dev == 1 ? 4 : dev == 4 ? 2 : 1); blk_type++) {
			static const uint32_t types[4] = { 0, 1, 4, 8 };

			memset(in, 0, sizeof(in));
			in[0] = dev == 4 ? 3 | 8 | (blk_type & 1) << 2 : dev;
			queue(0, img, dev == 1 || dev == 0 || dev == 4);
			queue(1, img, 1);
			put32(img + 0x8000, types[blk_type]);	/* block header */
			put32(img + 0x8008, 3);			/* sector */
			if (dev == 1 && (blk_type & 1))
				in[0] |= 8;			/* O_DIRECT's bounce path */
			if (dev == 4)
				p9_seed(img, blk_type);
			op(0, 0, 2, 0, 0);	/* kick queue 0 */
			op(1, 0, 2, 0, 1);	/* kick queue 1 */
			op(2, 3, 2, 0, 100);	/* input */
			op(3, 1, 2, 0x60, 0);	/* read the interrupt status */
			op(4, 1, 0, 0x100, 0);	/* a byte of config */
			snprintf(name, sizeof(name), "seed-%s-%d", names[dev], blk_type);
			err |= write_seed(argv[1], name);
		}
	}
	return err;
}
