// SPDX-License-Identifier: GPL-2.0
/*
 * Loading a guest: its memory, the kernel and initrd in it, and the boot
 * parameters a bootloader would write; again for every reboot.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <asm/bootparam.h>
#include <asm/lguest_hcall.h>
#include "lguest.h"

static int kernel_fd = -1, initrd_fd = -1;
static uint64_t kernel_end;		/* first byte after the loaded kernel */
static char cmdline[CMDLINE_MAX];

/*
 * L:050 Guest memory is anonymous memory of ours.  The host reaches it
 * through our page tables, so it costs nothing until touched, and
 * throwing it away (for a reboot) gives zeroed pages again.
 */
void map_memory(void)
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

void open_kernel(void)
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

/* Notes are padded to four bytes, names and descriptors alike. */
#define NOTE_ALIGN(n)	(((n) + 3) & ~3u)
#define NOTES_MAX	65536

/* Look through one PT_NOTE segment for the "lguest" entry note. */
static bool entry_in_notes(const Elf32_Phdr *ph, uint32_t *entry)
{
	static const char name[] = "lguest";
	static uint8_t buf[NOTES_MAX];
	uint32_t pos = 0, size = ph->p_filesz, namesz, descsz;
	Elf32_Nhdr nh;

	if (size > sizeof(buf))
		fail("%s: a note segment of %u bytes is too large", opt.kernel, size);
	read_exactly(kernel_fd, buf, size, ph->p_offset, opt.kernel);
	while (size - pos >= sizeof(nh)) {
		memcpy(&nh, buf + pos, sizeof(nh));
		pos += sizeof(nh);
		/* Both sizes are checked before padding, which could wrap. */
		if (nh.n_namesz > size || nh.n_descsz > size)
			fail("%s: a note runs past the end of its segment", opt.kernel);
		namesz = NOTE_ALIGN(nh.n_namesz);
		descsz = NOTE_ALIGN(nh.n_descsz);
		if (namesz + descsz > size - pos)
			fail("%s: a note runs past the end of its segment", opt.kernel);
		if (nh.n_namesz == sizeof(name) && !memcmp(buf + pos, name, sizeof(name)) &&
		    nh.n_type == LGUEST_ELFNOTE_ENTRY) {
			if (nh.n_descsz != sizeof(*entry))
				fail("%s: its lguest entry note has %u bytes, not 4", opt.kernel,
				     nh.n_descsz);
			memcpy(entry, buf + pos + namesz, sizeof(*entry));
			return true;
		}
		pos += namesz + descsz;
	}
	return false;
}

/*
 * L:060 The kernel.  A vmlinux is an ELF executable whose segments carry
 * their physical load addresses.  Its entry point is startup_32's, for
 * bare metal; a kernel that can be an lguest guest names its own in an
 * ELF note (LGUEST_ELFNOTE_ENTRY), a physical address too.  The host
 * starts the guest with its memory seen both at 0 and at PAGE_OFFSET.
 */
static uint32_t find_entry(const Elf32_Ehdr *eh)
{
	uint32_t entry;
	Elf32_Phdr ph;
	int i;

	for (i = 0; i < eh->e_phnum; i++) {
		read_exactly(kernel_fd, &ph, sizeof(ph),
			     eh->e_phoff + (uint64_t)i * sizeof(ph), opt.kernel);
		if (ph.p_type == PT_NOTE && entry_in_notes(&ph, &entry))
			return entry;
	}
	fail("%s has no lguest entry note: it is not a kernel built with CONFIG_LGUEST_GUEST",
	     opt.kernel);
}

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

	entry = find_entry(&eh);
	for (i = 0; i < eh.e_phnum && !entry_ok; i++) {
		read_exactly(kernel_fd, &ph, sizeof(ph),
			     eh.e_phoff + (uint64_t)i * sizeof(ph), opt.kernel);
		entry_ok = ph.p_type == PT_LOAD && entry >= ph.p_paddr &&
			   entry - ph.p_paddr < ph.p_memsz;
	}
	if (!entry_ok)
		fail("%s: entry point %#x is not in a loaded segment", opt.kernel, entry);
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
void build_cmdline(void)
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
 * protocol 2.15.  hardware_subarch says lguest, as the boot protocol
 * has it, though the kernel learns that from where it starts (L:060).
 * Memory is one RAM range from 0.
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
void load_guest(void)
{
	load_kernel();
	write_boot_params();
}
