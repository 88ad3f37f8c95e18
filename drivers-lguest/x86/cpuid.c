// SPDX-License-Identifier: GPL-2.0
/*
 * The CPUID filter: what of the host's CPU a ring-1 guest may be told of.
 */
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/cpufeature.h>
#include <asm/cpuid/api.h>
#include <asm/pgtable_types.h>
#include "../lg.h"

#define CPUID_BIT(feature)	BIT((feature) & 31)

/* Leaf 1, %edx: what a ring-1 kernel must not try to use. */
#define LG_CPUID1_EDX_HIDE (CPUID_BIT(X86_FEATURE_VME) | CPUID_BIT(X86_FEATURE_DE) | \
	CPUID_BIT(X86_FEATURE_PSE) | CPUID_BIT(X86_FEATURE_MCE) | CPUID_BIT(X86_FEATURE_APIC) | \
	CPUID_BIT(X86_FEATURE_SEP) | CPUID_BIT(X86_FEATURE_MTRR) | CPUID_BIT(X86_FEATURE_PGE) | \
	CPUID_BIT(X86_FEATURE_MCA) | CPUID_BIT(X86_FEATURE_PSE36) | CPUID_BIT(X86_FEATURE_DS) | \
	CPUID_BIT(X86_FEATURE_ACPI) | CPUID_BIT(X86_FEATURE_ACC) | CPUID_BIT(X86_FEATURE_PBE))

/* Leaf 1, %ecx: no monitor, no virtualization, no XSAVE state, no x2APIC. */
#define LG_CPUID1_ECX_HIDE (CPUID_BIT(X86_FEATURE_DTES64) | CPUID_BIT(X86_FEATURE_MWAIT) | \
	CPUID_BIT(X86_FEATURE_DSCPL) | CPUID_BIT(X86_FEATURE_VMX) | CPUID_BIT(X86_FEATURE_SMX) | \
	CPUID_BIT(X86_FEATURE_EST) | CPUID_BIT(X86_FEATURE_TM2) | CPUID_BIT(X86_FEATURE_PDCM) | \
	CPUID_BIT(X86_FEATURE_PCID) | CPUID_BIT(X86_FEATURE_X2APIC) | \
	CPUID_BIT(X86_FEATURE_TSC_DEADLINE_TIMER) | CPUID_BIT(X86_FEATURE_XSAVE) | \
	CPUID_BIT(X86_FEATURE_OSXSAVE) | CPUID_BIT(X86_FEATURE_AVX) | CPUID_BIT(X86_FEATURE_FMA) | \
	CPUID_BIT(X86_FEATURE_F16C))

/*
 * H:170 The CPU as a guest may see it.  Ring 1 cannot trap cpuid, so a guest
 * asks for this with LHCALL_CPUID instead; the host decides, knowing
 * what the Switcher and the shadow page tables give a guest: no large
 * or global pages, no local APIC, sysenter, machine checks or MTRRs, no
 * XSAVE (guests keep their FPU state with fxsave), no SMEP/SMAP/UMIP, no
 * hardware virtualization, and a hypervisor leaf that names lguest.
 */
/**
 * lguest_arch_cpuid() - Answer the guest's cpuid.
 * @leaf: the leaf, as in %eax.
 * @subleaf: the subleaf, as in %ecx.
 * @r: filled with %eax, %ebx, %ecx and %edx, in that order.
 *
 * The host CPU's answer, less what a guest cannot have.  Leaves
 * LGUEST_CPUID_LEAF to LGUEST_CPUID_LEAF + 0xffff are lguest's: all 0, but
 * for LGUEST_CPUID_LEAF itself, which names lguest.
 */
void lguest_arch_cpuid(u32 leaf, u32 subleaf, u32 *r)
{
	if ((leaf & 0xffff0000) == LGUEST_CPUID_LEAF) {
		memset(r, 0, 4 * sizeof(*r));
		if (leaf == LGUEST_CPUID_LEAF) {
			r[0] = LGUEST_CPUID_LEAF;
			memcpy(&r[1], "LguestLguest", 12);
		}
		return;
	}
	cpuid_count(leaf, subleaf, &r[0], &r[1], &r[2], &r[3]);
	switch (leaf) {
	case 1:
		r[1] &= 0x0000ffff;		/* no APIC IDs */
		r[2] &= ~LG_CPUID1_ECX_HIDE;
		r[2] |= CPUID_BIT(X86_FEATURE_HYPERVISOR);
		r[3] &= ~LG_CPUID1_EDX_HIDE;
		break;
	case 7:
		/* Plain instruction-set extensions only. */
		if (subleaf == 0) {
			r[0] = 0;
			r[1] &= CPUID_BIT(X86_FEATURE_BMI1) | CPUID_BIT(X86_FEATURE_BMI2) |
				CPUID_BIT(X86_FEATURE_ERMS) | CPUID_BIT(X86_FEATURE_ADX);
			r[2] = 0;
			r[3] = 0;
			break;
		}
		fallthrough;
	case 5: case 6: case 0xa: case 0xb: case 0xd: case 0xf: case 0x10: case 0x1f:
		/* Power, performance counters, topology, XSAVE, QoS. */
		memset(r, 0, 4 * sizeof(*r));
		break;
	case 0x80000001:
		r[2] &= ~CPUID_BIT(X86_FEATURE_SVM);
		r[3] &= ~(CPUID_BIT(X86_FEATURE_SYSCALL) | CPUID_BIT(X86_FEATURE_GBPAGES) |
			  CPUID_BIT(X86_FEATURE_LM));
		if (!(__supported_pte_mask & _PAGE_NX))
			r[3] &= ~CPUID_BIT(X86_FEATURE_NX);
		break;
	}
}
