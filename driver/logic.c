// SPDX-License-Identifier: GPL-2.0-only
/*
 * The module's pure logic: decisions that depend on their arguments alone
 * (no device, no lock, no allocation, no global state), so that each can
 * be checked against its specification without hardware.
 *
 * Linked into vfio-pci-dmabuf.ko; on kernels with CONFIG_KUNIT, kunit.c
 * includes this file, so vfio-pci-dmabuf-kunit.ko tests the very same code
 * without vfio-pci-dmabuf exporting anything.
 *
 * Every value that may come from a user or a device register is combined
 * with check_add_overflow()/check_mul_overflow(), never with bare
 * arithmetic.
 */
#include <linux/math64.h>
#include <linux/nvme.h>
#include <linux/overflow.h>
#include <linux/sizes.h>

#include "vpd.h"

/*
 * sg entries of one merged run of @len bytes (below VPD_MAX_TOTAL): 0 for
 * an empty run.
 */
static unsigned int vpd_run_segs(u64 len)
{
	/* Not DIV_ROUND_UP: len + VPD_MAX_SEG - 1 may wrap. */
	if (likely(len <= VPD_MAX_SEG))
		return len != 0;
	return div64_u64(len - 1, VPD_MAX_SEG) + 1;
}

/*
 * sg entries of converted ranges, as the fill of vpd_sgt_map() makes
 * them: each run of vpd_ranges_next_merged() cut into segments.  Cannot
 * overflow for ranges that vpd_ranges_convert() accepted (see there).
 */
static unsigned int vpd_sg_count(const struct vpd_range *r, u32 nr)
{
	unsigned int n = 0;
	phys_addr_t phys;
	u32 idx = 0;
	u64 len;

	while (vpd_ranges_next_merged(r, nr, &idx, &phys, &len))
		n += vpd_run_segs(len);
	return n;
}

/*
 * Ranges of a VFIO_DEVICE_FEATURE_DMA_BUF request against @bar, with
 * upstream's errnos in upstream's order (Linux 7.2, vfio_pci_dmabuf.c:
 * validate_dmabuf_input(), then the provider lookup, then
 * vfio_pci_core_fill_phys_vec()), so that a request with several faults
 * fails as it would there:
 *
 *  1. every range: length 0, offset or length not page aligned: -EINVAL;
 *     the running sum of the lengths overflows size_t: -EINVAL;
 *  2. the sum has bit 63 set: -EINVAL (upstream: dma_iova_try_alloc()
 *     uses that bit as a flag and would WARN on such a size);
 *  3. the BAR is not a memory BAR: -EINVAL;
 *  4. every range, in order: BAR start + offset or + length wraps the
 *     physical address: -EOVERFLOW; ends beyond the BAR: -EINVAL.
 *
 * The first fault is described in @fault.  On success each entry of @r
 * is a struct vpd_range now, converted in place (each read whole before
 * it is written; both are 16 bytes), *@total is the sum of the lengths
 * (the dma-buf size) and *@nents the number of sg entries of every table
 * of these ranges: each run of ranges that continue each other in the
 * BAR, in user order, is one run (what vpd_ranges_next_merged() makes of
 * them), cut into segments of at most VPD_MAX_SEG bytes.  Below
 * VPD_MAX_SEG bytes in all, no run is cut, so the pass counts runs alone
 * (a compare per range); a larger buffer is counted again, run by run
 * (vpd_sg_count()).
 *
 * One pass does it all, since an export may have VPD_MAX_RANGES ranges:
 * a fault of step 1 ends it at once (the first one wins over everything
 * else), and a fault of step 4 (or 3) is only noted, the pass going on
 * with step 1's checks alone; that range and those after it stay as the
 * user gave them, so a refusal can quote the range it names.
 */
int vpd_ranges_convert(struct vfio_region_dma_range *r, u32 nr,
		       const struct vpd_bar *bar, size_t *total,
		       unsigned int *nents, struct vpd_range_fault *fault)
{
	struct vpd_range *vr = (struct vpd_range *)r;
	/*
	 * Locals, not loads through @bar and stores through @fault in the
	 * loop: the stores into @r may alias either as far as the compiler
	 * knows, and a reload per range would cost as much as the checks.
	 */
	const phys_addr_t bar_phys = bar->phys;
	const u64 bar_len = bar->len;
	/* The first fault of steps 3 and 4, if any. */
	enum vpd_range_why late = bar->mem ? VPD_RANGE_OK : VPD_RANGE_NOT_MEM;
	/*
	 * Where the range before ended: at first an address no range starts
	 * at (its end would wrap), so that the first range starts a run.
	 */
	phys_addr_t run_end = (phys_addr_t)-1;
	enum vpd_range_why why;
	unsigned int runs = 0;
	u32 i = 0, late_i = 0;
	size_t sum = 0;

	/*
	 * The count cannot overflow: each run of L bytes has at most
	 * L / VPD_MAX_SEG + 1 entries, so all of them at most the total
	 * (below VPD_MAX_TOTAL, step 2) / VPD_MAX_SEG + VPD_MAX_RANGES.
	 */
	BUILD_BUG_ON(VPD_MAX_TOTAL / VPD_MAX_SEG + VPD_MAX_RANGES >= UINT_MAX);

	if (!nr) {
		why = VPD_RANGE_NONE;
		goto fail;
	}
	for (i = 0; i < nr; i++) {
		u64 off = r[i].offset, len = r[i].length;
		phys_addr_t start, end;

		if (!len || !PAGE_ALIGNED(off) || !PAGE_ALIGNED(len)) {
			why = VPD_RANGE_UNALIGNED;
			goto fail;
		}
		if (len > SIZE_MAX || check_add_overflow(sum, (size_t)len, &sum)) {
			why = VPD_RANGE_TOTAL;
			goto fail;
		}
		if (late)
			continue;
		if (check_add_overflow(bar_phys, off, &start) ||
		    check_add_overflow(start, len, &end)) {
			late = VPD_RANGE_OVERFLOW;
			late_i = i;
			continue;
		}
		/* end > start >= bar_phys: the difference is exact. */
		if ((u64)(end - bar_phys) > bar_len) {
			late = VPD_RANGE_BEYOND_BAR;
			late_i = i;
			continue;
		}
		/* A range that does not continue the one before starts a run. */
		runs += start != run_end;
		run_end = end;
		vr[i].phys = start;
		vr[i].end = sum;
	}
	i = 0;
	if ((u64)sum >= VPD_MAX_TOTAL) {
		why = VPD_RANGE_TOTAL;
		goto fail;
	}
	if (late) {
		i = late_i;
		why = late;
		goto fail;
	}
	fault->index = 0;
	fault->why = VPD_RANGE_OK;
	*total = sum;
	/* No run longer than the buffer, nor than one segment then. */
	*nents = likely(sum <= VPD_MAX_SEG) ? runs : vpd_sg_count(vr, nr);
	return 0;

fail:
	fault->index = i;
	fault->why = why;
	return why == VPD_RANGE_OVERFLOW ? -EOVERFLOW : -EINVAL;
}

/*
 * The range holding byte @off of a buffer laid out as @r[0..@nr) in order,
 * range i ending before @r[i].end (strictly ascending: the running sum of
 * lengths that are never 0 in an export).  Binary search for the first
 * end above @off: a buffer may have VPD_MAX_RANGES ranges and this runs on
 * every CPU page fault.  Returns the index, or @nr when @off lies beyond
 * the last range.
 */
u32 vpd_ranges_find(const struct vpd_range *r, u32 nr, u64 off)
{
	u32 lo = 0, hi = nr;

	/* Every range below lo ends at or before off; range hi ends after. */
	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;

		if (r[mid].end <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * NVMe Controller Memory Buffer window from CMBLOC and CMBSZ (NVMe 1.4,
 * 3.1.11/3.1.12): BIR in CMBLOC bits 2:0, OFST in bits 31:12; SZU in CMBSZ
 * bits 11:8 gives the unit, 4 KiB << (4 * SZU), i.e. 4 KiB ... 64 GiB for
 * SZU 0..6 (7..15 are reserved); SZ in bits 31:12.  OFST and SZ count
 * units.  The unit exceeds 32 bits from SZU 5 on: all of it is 64-bit
 * arithmetic.  Returns 0 and the window, or -EINVAL for a reserved SZU or
 * a BIR that names no BAR, or -EOVERFLOW (not reachable with 20-bit fields
 * and a 36-bit unit, but checked rather than assumed).
 */
int vpd_nvme_cmb_decode(u32 cmbloc, u32 cmbsz, u8 *bir, u64 *offset,
			u64 *size)
{
	u32 szu = (cmbsz >> NVME_CMBSZ_SZU_SHIFT) & NVME_CMBSZ_SZU_MASK;
	u64 sz = (cmbsz >> NVME_CMBSZ_SZ_SHIFT) & NVME_CMBSZ_SZ_MASK;
	u64 ofst = NVME_CMB_OFST(cmbloc);
	u64 unit, off, len, end;

	if (szu > VPD_NVME_CMBSZ_SZU_MAX ||
	    NVME_CMB_BIR(cmbloc) >= PCI_STD_NUM_BARS)
		return -EINVAL;
	unit = (u64)SZ_4K << (4 * szu);
	if (check_mul_overflow(sz, unit, &len) ||
	    check_mul_overflow(ofst, unit, &off) ||
	    check_add_overflow(off, len, &end))
		return -EOVERFLOW;
	*bir = NVME_CMB_BIR(cmbloc);
	*offset = off;
	*size = len;
	return 0;
}

/* Whether [@off, @off + @len) lies inside the window [@win_off, +@win_size). */
bool vpd_cmb_contains(u64 win_off, u64 win_size, u64 off, u64 len)
{
	/* Differences only: no sum that could wrap. */
	return off >= win_off && off - win_off <= win_size &&
	       len <= win_size - (off - win_off);
}

/*
 * Key of an importer in an exporter's P2P cache (an xarray index): its PCI
 * domain, bus and devfn, without loss.  Domains are 32-bit (VMD's start at
 * 0x10000), so on 64-bit the key is domain << 16 | bus << 8 | devfn.  A
 * 32-bit unsigned long cannot hold every domain: false then (and for a
 * negative domain), and the importer is not cached, rather than sharing a
 * key with another device.
 */
bool vpd_p2p_key(int domain, u16 dev_id, unsigned long *key)
{
	if (domain < 0 || (unsigned long)domain > (ULONG_MAX >> 16))
		return false;
	*key = (unsigned long)domain << 16 | dev_id;
	return true;
}
