// SPDX-License-Identifier: GPL-2.0
/*
 * H:160 The guest's Global Descriptor Table.
 *
 * A guest kernel describes its segments like any kernel, but the CPU uses
 * our copy of its GDT while the guest runs, so every entry is checked
 * first.  A guest may have code and data segments for rings 1 and 3, and
 * nothing else: no system descriptors (TSS, LDT, gates), no ring-0 or ring-2
 * segment, nothing conforming or expanding down, and no segment reaching
 * the Switcher at the top of the address space.  The entries the Switcher
 * owns are not the guest's to write.  Breaking a rule kills the guest.
 *
 * Every entry is stored with its accessed bit set: the CPU would set it
 * when a selector is loaded, and the table it uses is read-only to the
 * guest, so that write would fault.
 */
#include <linux/kernel.h>
#include <linux/nospec.h>
#include <asm/desc.h>
#include "lg.h"

#define DESC_ACCESSED	0x00000100	/* in the high word */
#define DESC_TYPE_CODE	0x00000800
#define DESC_TYPE_DIR	0x00000400	/* conforming code, expand-down data */
#define DESC_S		0x00001000
#define DESC_PRESENT	0x00008000
#define DESC_DPL(hi)	(((hi) >> 13) & 3)
#define DESC_L		0x00200000

/*
 * The ABI names the slots of the guest's GDT: Linux's 32-bit layout, which
 * on a 32-bit host is also the host's own.
 */
#ifdef CONFIG_X86_32
#define LG_SAME_SLOT(name) static_assert(LGUEST_##name == (name))
LG_SAME_SLOT(GDT_ENTRIES);
LG_SAME_SLOT(GDT_ENTRY_TLS_MIN);
LG_SAME_SLOT(GDT_ENTRY_TLS_ENTRIES);
LG_SAME_SLOT(GDT_ENTRY_KERNEL_CS);
LG_SAME_SLOT(GDT_ENTRY_KERNEL_DS);
LG_SAME_SLOT(GDT_ENTRY_TSS);
LG_SAME_SLOT(GDT_ENTRY_LDT);
LG_SAME_SLOT(GDT_ENTRY_DOUBLEFAULT_TSS);
#endif

static bool reserved_entry(u32 idx)
{
	return idx == LGUEST_GDT_ENTRY_SWITCHER_CS || idx == LGUEST_GDT_ENTRY_SWITCHER_DS ||
		idx == LGUEST_GDT_ENTRY_SWITCHER64_CS || idx == LGUEST_GDT_ENTRY_SWITCHER64_DS ||
		idx == LGUEST_GDT_ENTRY_TSS || idx == LGUEST_GDT_ENTRY_LDT ||
		idx == LGUEST_GDT_ENTRY_DOUBLEFAULT_TSS;
}

static u32 desc_base(u32 lo, u32 hi)
{
	return (lo >> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000);
}

static u32 desc_limit(u32 lo, u32 hi)
{
	u32 limit = (lo & 0xffff) | (hi & 0x000f0000);

	if (hi & (1 << 23))		/* granularity: 4k units */
		limit = (limit << PAGE_SHIFT) | (PAGE_SIZE - 1);
	return limit;
}

/* Check one descriptor the guest wants at index idx; false kills it. */
static bool check_descriptor(struct lguest *lg, u32 idx, u32 lo, u32 hi)
{
	u64 end;

	/*
	 * The CPU ignores the rest of a not-present entry, and loading one only
	 * faults; set_entry() stores it as all zeroes.
	 */
	if (!(hi & DESC_PRESENT))
		return true;
	/*
	 * S clear: a system descriptor.  A call gate could lead into the Switcher's
	 * ring-0 code segment, and a far jump to a TSS is a task switch that loads
	 * every register, CR3 and %cs included, from memory the guest chose.
	 */
	if (!(hi & DESC_S)) {
		lguest_kill(lg, "GDT entry %u: system descriptor %#x:%#x", idx, hi, lo);
		return false;
	}
	/*
	 * A guest has rings 1 and 3 only; code with DPL 0 would run with the
	 * host's privilege if anything ever transferred to it.
	 */
	if (DESC_DPL(hi) != 1 && DESC_DPL(hi) != 3) {
		lguest_kill(lg, "GDT entry %u: ring-%u segment %#x:%#x", idx, DESC_DPL(hi), hi, lo);
		return false;
	}
	/*
	 * Conforming code runs at the privilege of whoever jumps to it, so its DPL
	 * no longer says which ring runs it.  Expand-down data covers the offsets
	 * above its limit, for a 32-bit segment up to 4 GiB and so the Switcher,
	 * which the end computed below would not show.
	 */
	if (hi & DESC_TYPE_DIR) {
		lguest_kill(lg, "GDT entry %u: %s segment", idx,
			    hi & DESC_TYPE_CODE ? "conforming" : "expand-down");
		return false;
	}
	/*
	 * On a 64-bit host the L bit makes a code segment a 64-bit one: far
	 * calls to it would leave compatibility mode, and ring 1 could then
	 * address the Switcher above 4 GiB.  A 32-bit host takes the bit for a
	 * reserved one.  No guest needs it.
	 */
	if (hi & DESC_L) {
		lguest_kill(lg, "GDT entry %u: 64-bit segment %#x:%#x", idx, hi, lo);
		return false;
	}
	/*
	 * Ring 1 is supervisor mode to the paging unit, so the shadow page tables
	 * do not keep the guest kernel out of the Switcher's pages: the segment
	 * limits must.  The sum is done in 64 bits because the CPU wraps linear
	 * addresses, and a segment whose end passes 4 GiB covers the top too.
	 * A 64-bit host's Switcher lies above 4 GiB: there the check only keeps
	 * segments from wrapping.
	 */
	end = (u64)desc_base(lo, hi) + desc_limit(lo, hi);
	if (end >= lguest_guest_top()) {
		lguest_kill(lg, "GDT entry %u: segment %#x-%#llx reaches %s", idx,
			    desc_base(lo, hi), end,
			    IS_ENABLED(CONFIG_X86_64) ? "past 4 GiB" : "the Switcher");
		return false;
	}
	return true;
}

static void set_entry(struct lguest *lg, u32 idx, u32 lo, u32 hi, unsigned int changed)
{
	struct desc_struct *d = &lg->gdt[idx];

	if (!(hi & DESC_PRESENT)) {
		lo = 0;
		hi = 0;
	} else {
		hi |= DESC_ACCESSED;
	}
	memcpy(d, &lo, 4);
	memcpy((char *)d + 4, &hi, 4);
	lg->changed |= changed;
	/*
	 * The segment registers x86/core.c last found good may have relied on the
	 * entry that was here.
	 */
	lg->segs_ok[0].valid = false;
	lg->segs_ok[1].valid = false;
}

/**
 * lguest_load_gdt_entry() - Check and install one entry of the guest's GDT.
 * @lg: the guest.
 * @idx: the index of the entry.
 * @lo: the low word of the descriptor.
 * @hi: the high word of the descriptor.
 *
 * An index that is not the guest's (the host's reserved slots, or beyond
 * the table) or a descriptor that breaks the rules kills the guest.  The
 * CPU's copy of the GDT and IDT is brought up to date before the guest
 * next runs.
 *
 * Context: Process context, the guest's lock held.
 */
void lguest_load_gdt_entry(struct lguest *lg, u32 idx, u32 lo, u32 hi)
{
	lockdep_assert_held(&lg->lock);

	/*
	 * The reserved slots are filled by the host: the Switcher's segments, which
	 * every gate of the real IDT names, and the TSS its ltr loads.  The guest
	 * has no LDT, and no double-fault task to put in the last one.
	 */
	if (idx >= LGUEST_GDT_ENTRIES || reserved_entry(idx)) {
		lguest_kill(lg, "GDT entry %u is not the guest's", idx);
		return;
	}
	/*
	 * idx comes from a guest register: keep it in bounds when the check above
	 * is mispredicted, too.
	 */
	idx = array_index_nospec(idx, LGUEST_GDT_ENTRIES);
	/* The gates the IDT lets through directly depend on the GDT. */
	if (check_descriptor(lg, idx, lo, hi))
		set_entry(lg, idx, lo, hi, LG_CHANGED_GDT | LG_CHANGED_IDT);
}

/**
 * lguest_load_tls() - Check and install the guest's TLS entries.
 * @lg: the guest.
 * @gpa: the guest-physical address of LGUEST_GDT_ENTRY_TLS_ENTRIES descriptors.
 *
 * The entries are read once and installed in order; the first one that
 * breaks the rules kills the guest, and those after it are left as they
 * were.  A bad @gpa kills the guest, and the entries are emptied.
 *
 * Context: Process context, the guest's lock held.  May sleep.
 */
void lguest_load_tls(struct lguest *lg, u32 gpa)
{
	u32 tls[LGUEST_GDT_ENTRY_TLS_ENTRIES][2];
	unsigned int i;

	lockdep_assert_held(&lg->lock);

	/*
	 * Check and install this one copy, which neither the guest nor another
	 * thread of the Launcher can change in between.  A bad gpa kills the
	 * guest and leaves the copy zeroed: three empty entries.
	 */
	lguest_read(lg, tls, gpa, sizeof(tls));
	for (i = 0; i < LGUEST_GDT_ENTRY_TLS_ENTRIES; i++) {
		/* A refused entry has killed the guest; the rest no longer matter. */
		if (!check_descriptor(lg, LGUEST_GDT_ENTRY_TLS_MIN + i, tls[i][0], tls[i][1]))
			return;
		set_entry(lg, LGUEST_GDT_ENTRY_TLS_MIN + i, tls[i][0], tls[i][1], LG_CHANGED_TLS);
	}
}

/**
 * lguest_init_gdt() - Give a new guest its first GDT.
 * @lg: the guest.
 *
 * Every entry is empty but the kernel's code and data segments: flat,
 * ring 1, and ending just below the Switcher.
 */
void lguest_init_gdt(struct lguest *lg)
{
	u32 pages = (lguest_guest_top() >> PAGE_SHIFT) - 1;
	u32 lo = pages & 0xffff;
	u32 hi = (pages & 0xf0000) | DESC_PRESENT | DESC_S | (1 << 13) |
		 (1 << 22) | (1 << 23);

	/*
	 * The limit is in pages (G set), so the last byte either segment reaches
	 * is the one just below the Switcher.  DPL 1, 32-bit (D/B), and 0x200 makes
	 * the code readable and the data writable.  Everything else stays empty
	 * until the guest loads its own GDT.
	 */
	memset(lg->gdt, 0, sizeof(lg->gdt));
	set_entry(lg, LGUEST_GDT_ENTRY_KERNEL_CS, lo, hi | DESC_TYPE_CODE | 0x200, LG_CHANGED_GDT);
	set_entry(lg, LGUEST_GDT_ENTRY_KERNEL_DS, lo, hi | 0x200, LG_CHANGED_GDT);
}

/**
 * lguest_selector_ok() - Check a selector for one of the guest's segment registers.
 * @lg: the guest.
 * @sel: the selector.
 * @rpl: the ring the guest runs in with it, 1 or 3.
 * @code: true for %cs, false for a data or stack register.
 *
 * For %cs, @sel must name a present code segment of ring @rpl and carry
 * that RPL.  For data, it may be null, or name a present data segment
 * that ring @rpl may load, as the CPU checks too: a DPL no lower than
 * @rpl nor than the selector's own RPL (a ring-1 kernel uses selectors
 * with RPL 0 and 3).  Selectors into the LDT or the host's slots never
 * pass.
 *
 * Return: true if the guest may hold @sel there.
 */
bool lguest_selector_ok(struct lguest *lg, u32 sel, int rpl, bool code)
{
	u32 idx = sel >> 3, hi;

	/*
	 * A segment register takes only the low 16 bits, so anything above them
	 * would make the index checked here differ from the one the CPU uses.  TI
	 * names the LDT, and the Switcher runs the guest with a null one.
	 */
	if (sel > 0xffff || (sel & SEGMENT_TI_MASK))
		return false;
	/* A null selector is fine in a data register until used, never in %cs. */
	if (idx == 0)
		return !code;
	if (idx >= LGUEST_GDT_ENTRIES || reserved_entry(idx))
		return false;
	idx = array_index_nospec(idx, LGUEST_GDT_ENTRIES);
	/*
	 * The Switcher loads these registers in ring 0, where a not-present
	 * segment would raise #NP inside it.
	 */
	memcpy(&hi, (char *)&lg->gdt[idx] + 4, 4);
	if (!(hi & DESC_PRESENT))
		return false;
	/*
	 * An iret into non-conforming code wants the selector's RPL and the
	 * descriptor's DPL both equal to the new CPL.  For data, the Switcher's
	 * pop in ring 0 wants DPL >= RPL, and iret to ring rpl then clears any data
	 * register whose DPL is below the new CPL.
	 */
	if (code)
		return (sel & 3) == rpl && (hi & DESC_TYPE_CODE) && DESC_DPL(hi) == rpl;
	return !(hi & DESC_TYPE_CODE) && DESC_DPL(hi) >= max_t(u32, rpl, sel & 3);
}

#define DESC_WRITABLE	0x00000200	/* data: writable */

/*
 * H:165 Can the Switcher's iret (in ring 0, where a fault would hit the host)
 * load cs:eip and ss?  Beyond lguest_selector_ok(), iret wants a
 * writable, non-null stack segment of exactly the new ring, and eip
 * within the code segment's limit.
 */
/**
 * lguest_iret_ok() - Check that the Switcher's iret can take the guest somewhere.
 * @lg: the guest.
 * @cs: the code segment selector to return to; its RPL gives the ring.
 * @ss: the stack segment selector.
 * @eip: the instruction pointer.
 *
 * Return: true if @cs and @ss name segments that iret accepts for the ring
 * @cs gives (1 or 3), and @eip lies within the code segment's limit.
 */
bool lguest_iret_ok(struct lguest *lg, u32 cs, u32 ss, u32 eip)
{
	int rpl = cs & SEGMENT_RPL_MASK;
	u32 lo, hi, cs_idx, ss_idx;

	/*
	 * Returning to an outer ring, iret also pops %ss, which must not be null
	 * and must carry the same RPL as %cs.
	 */
	if ((rpl != 1 && rpl != 3) || (ss & SEGMENT_RPL_MASK) != rpl || !(ss >> 3))
		return false;
	if (!lguest_selector_ok(lg, cs, rpl, true) || !lguest_selector_ok(lg, ss, rpl, false))
		return false;
	/*
	 * The clamps inside lguest_selector_ok() do not carry over to the indices
	 * computed here.
	 */
	cs_idx = array_index_nospec(cs >> 3, LGUEST_GDT_ENTRIES);
	ss_idx = array_index_nospec(ss >> 3, LGUEST_GDT_ENTRIES);
	memcpy(&hi, (char *)&lg->gdt[ss_idx] + 4, 4);
	/*
	 * The stack segment is held to more than a data register: its DPL must be
	 * the new CPL exactly, and it must be writable.
	 */
	if (DESC_DPL(hi) != rpl || !(hi & DESC_WRITABLE))
		return false;
	/* An eip beyond the code segment's limit is a #GP in the iret itself. */
	memcpy(&lo, &lg->gdt[cs_idx], 4);
	memcpy(&hi, (char *)&lg->gdt[cs_idx] + 4, 4);
	return eip <= desc_limit(lo, hi);
}

/**
 * lguest_segment_limit() - Find the limit of one of the guest's segments.
 * @lg: the guest.
 * @sel: a selector lguest_selector_ok() has passed.
 *
 * Return: the segment's limit: the offset of its last byte.
 */
u32 lguest_segment_limit(struct lguest *lg, u32 sel)
{
	u32 idx = array_index_nospec(sel >> 3, LGUEST_GDT_ENTRIES), lo, hi;

	memcpy(&lo, &lg->gdt[idx], 4);
	memcpy(&hi, (char *)&lg->gdt[idx] + 4, 4);
	return desc_limit(lo, hi);
}

/**
 * lguest_copy_gdt() - Build the GDT the CPU uses while the guest runs.
 * @lg: the guest.
 * @gdt: the table to fill, LGUEST_GDT_ENTRIES descriptors.
 *
 * The guest's entries, and the Switcher's code and data segments in the
 * slots kept for them.
 */
void lguest_copy_gdt(struct lguest *lg, struct desc_struct *gdt)
{
	memcpy(gdt, lg->gdt, sizeof(lg->gdt));
	/*
	 * The guest's own copy of these two slots is always empty.  The Switcher
	 * and the gates of the real IDT name them, so they must be present in
	 * this table whenever it is loaded.
	 */
	lguest_switcher_descs(&gdt[LGUEST_CS >> 3], &gdt[LGUEST_DS >> 3]);
}
