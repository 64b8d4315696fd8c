// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests of vfio-pci-dmabuf's pure logic (logic.c), built as
 * vfio-pci-dmabuf-kunit.ko for kernels with CONFIG_KUNIT (driver/Kbuild).
 *
 * logic.c is included below, so these tests run the very code linked into
 * vfio-pci-dmabuf.ko, which exports nothing for them.  Loading the module
 * runs every suite; the results are in /sys/kernel/debug/kunit/<suite>/
 * (checked in the guest by tests/guest/dmabuf_kunit.c).
 *
 * Expected values are written out as literals wherever possible rather
 * than computed the way the code under test computes them.
 */
#include <kunit/test.h>
#include <linux/module.h>

#include "logic.c"

#define CMBSZ(sz, szu)		((u32)(sz) << 12 | (u32)(szu) << 8)
#define CMBLOC(ofst, bir)	((u32)(ofst) << 12 | (u32)(bir))

/* --- NVMe CMB window ------------------------------------------------------ */

/* Units of SZU 0..6: 4 KiB, 64 KiB, 1 MiB, 16 MiB, 256 MiB, 4 GiB, 64 GiB. */
static const u64 vpd_test_cmb_units[] = {
	0x1000ULL, 0x10000ULL, 0x100000ULL, 0x1000000ULL, 0x10000000ULL,
	0x100000000ULL, 0x1000000000ULL,
};

static void vpd_test_cmb_every_unit(struct kunit *test)
{
	u64 offset, size;
	u32 szu;
	u8 bir;

	for (szu = 0; szu < ARRAY_SIZE(vpd_test_cmb_units); szu++) {
		u64 unit = vpd_test_cmb_units[szu];

		offset = 0;
		size = 0;
		bir = 0xff;
		KUNIT_ASSERT_EQ_MSG(test, 0,
				    vpd_nvme_cmb_decode(CMBLOC(2, 2),
							CMBSZ(3, szu), &bir,
							&offset, &size),
				    "SZU %u", szu);
		KUNIT_EXPECT_EQ_MSG(test, 2, bir, "SZU %u", szu);
		KUNIT_EXPECT_EQ_MSG(test, 2 * unit, offset, "SZU %u", szu);
		KUNIT_EXPECT_EQ_MSG(test, 3 * unit, size, "SZU %u", szu);
	}
}

/* The units beyond 32 bits, spelled out: 4 GiB and 64 GiB. */
static void vpd_test_cmb_4g_unit(struct kunit *test)
{
	u64 offset, size;
	u8 bir;

	KUNIT_ASSERT_EQ(test, 0, vpd_nvme_cmb_decode(CMBLOC(1, 4), CMBSZ(1, 5),
						     &bir, &offset, &size));
	KUNIT_EXPECT_EQ(test, 4, bir);
	KUNIT_EXPECT_EQ(test, 0x100000000ULL, offset);
	KUNIT_EXPECT_EQ(test, 0x100000000ULL, size);
}

static void vpd_test_cmb_64g_unit(struct kunit *test)
{
	u64 offset, size;
	u8 bir;

	KUNIT_ASSERT_EQ(test, 0, vpd_nvme_cmb_decode(CMBLOC(0, 2), CMBSZ(2, 6),
						     &bir, &offset, &size));
	KUNIT_EXPECT_EQ(test, 2, bir);
	KUNIT_EXPECT_EQ(test, 0ULL, offset);
	KUNIT_EXPECT_EQ(test, 0x2000000000ULL, size);
}

/* Every field at its maximum: (2^20 - 1) * 64 GiB, exact in 64 bits. */
static void vpd_test_cmb_largest(struct kunit *test)
{
	u64 offset, size;
	u8 bir;

	KUNIT_ASSERT_EQ(test, 0,
			vpd_nvme_cmb_decode(CMBLOC(0xfffff, 5),
					    CMBSZ(0xfffff, 6), &bir, &offset,
					    &size));
	KUNIT_EXPECT_EQ(test, 5, bir);
	KUNIT_EXPECT_EQ(test, 0xfffff000000000ULL, offset);
	KUNIT_EXPECT_EQ(test, 0xfffff000000000ULL, size);
}

/* The other bits of the registers do not leak into the window. */
static void vpd_test_cmb_ignores_flags(struct kunit *test)
{
	u64 offset, size;
	u8 bir;

	/* CMBSZ bits 4:0 are capability flags; CMBLOC bits 11:3 others. */
	KUNIT_ASSERT_EQ(test, 0,
			vpd_nvme_cmb_decode(CMBLOC(1, 2) | 0xff8,
					    CMBSZ(1, 2) | 0x1f, &bir, &offset,
					    &size));
	KUNIT_EXPECT_EQ(test, 2, bir);
	KUNIT_EXPECT_EQ(test, 0x100000ULL, offset);
	KUNIT_EXPECT_EQ(test, 0x100000ULL, size);
}

/* SZU 7..15 are reserved: no window, and nothing written. */
static void vpd_test_cmb_reserved_szu(struct kunit *test)
{
	u64 offset = 0x1234, size = 0x5678;
	u32 szu;
	u8 bir = 0x9a;

	for (szu = 7; szu <= 15; szu++) {
		KUNIT_EXPECT_EQ_MSG(test, -EINVAL,
				    vpd_nvme_cmb_decode(CMBLOC(1, 2),
							CMBSZ(1, szu), &bir,
							&offset, &size),
				    "SZU %u", szu);
	}
	KUNIT_EXPECT_EQ(test, 0x1234ULL, offset);
	KUNIT_EXPECT_EQ(test, 0x5678ULL, size);
	KUNIT_EXPECT_EQ(test, 0x9a, bir);
}

/* BIR 6 and 7 name no BAR. */
static void vpd_test_cmb_bad_bir(struct kunit *test)
{
	u64 offset, size;
	u8 bir;

	KUNIT_EXPECT_EQ(test, -EINVAL,
			vpd_nvme_cmb_decode(CMBLOC(0, 6), CMBSZ(1, 0), &bir,
					    &offset, &size));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			vpd_nvme_cmb_decode(CMBLOC(0, 7), CMBSZ(1, 0), &bir,
					    &offset, &size));
}

static void vpd_test_cmb_contains(struct kunit *test)
{
	const u64 wo = 0x100000, ws = 0x40000;	/* window 1 MiB + 256 KiB */

	KUNIT_EXPECT_TRUE(test, vpd_cmb_contains(wo, ws, wo, ws));
	KUNIT_EXPECT_TRUE(test, vpd_cmb_contains(wo, ws, wo + 0x1000, 0x1000));
	KUNIT_EXPECT_TRUE(test, vpd_cmb_contains(wo, ws, wo + ws - 0x1000,
						 0x1000));
	/* Starts before, ends after, starts at or beyond the end. */
	KUNIT_EXPECT_FALSE(test, vpd_cmb_contains(wo, ws, wo - 0x1000,
						  0x2000));
	KUNIT_EXPECT_FALSE(test, vpd_cmb_contains(wo, ws, wo + ws - 0x1000,
						  0x2000));
	KUNIT_EXPECT_FALSE(test, vpd_cmb_contains(wo, ws, wo + ws, 0x1000));
	KUNIT_EXPECT_FALSE(test, vpd_cmb_contains(wo, ws, wo + 2 * ws,
						  0x1000));
	/* A length whose end would wrap is not inside. */
	KUNIT_EXPECT_FALSE(test, vpd_cmb_contains(wo, ws, wo + 0x1000,
						  U64_MAX));
	/* Windows in the 64 GiB range. */
	KUNIT_EXPECT_TRUE(test, vpd_cmb_contains(0x1000000000ULL,
						 0x1000000000ULL,
						 0x1fff000000ULL, 0x1000000));
	KUNIT_EXPECT_FALSE(test, vpd_cmb_contains(0x1000000000ULL,
						  0x1000000000ULL,
						  0x1fff000000ULL, 0x2000000));
}

static struct kunit_case vpd_cmb_cases[] = {
	KUNIT_CASE(vpd_test_cmb_every_unit),
	KUNIT_CASE(vpd_test_cmb_4g_unit),
	KUNIT_CASE(vpd_test_cmb_64g_unit),
	KUNIT_CASE(vpd_test_cmb_largest),
	KUNIT_CASE(vpd_test_cmb_ignores_flags),
	KUNIT_CASE(vpd_test_cmb_reserved_szu),
	KUNIT_CASE(vpd_test_cmb_bad_bir),
	KUNIT_CASE(vpd_test_cmb_contains),
	{}
};

static struct kunit_suite vpd_cmb_suite = {
	.name = "vfio_pci_dmabuf_cmb",
	.test_cases = vpd_cmb_cases,
};

/* --- sg entries ----------------------------------------------------------- */

#define PG	0x1000ULL
/* ALIGN_DOWN(UINT_MAX, 4 KiB) for 4 KiB pages. */
#define SEG	0xfffff000ULL

static void vpd_test_sg_max_seg(struct kunit *test)
{
	if (PAGE_SIZE != 0x1000)
		kunit_skip(test, "literals assume 4 KiB pages");
	KUNIT_EXPECT_EQ(test, SEG, VPD_MAX_SEG);
}

/*
 * The sg tests write ranges as address and length; struct vpd_range keeps
 * the running end instead (vpd.h).  Ends sum modulo 2^64, so that tables
 * whose lengths wrap (impossible in an export) still give back each
 * length through vpd_range_len().
 */
struct vpd_test_range {
	phys_addr_t phys;
	u64 len;
};

static const struct vpd_range *vpd_test_ranges(struct kunit *test,
					       const struct vpd_test_range *in,
					       u32 nr)
{
	struct vpd_range *r;
	u64 end = 0;
	u32 i;

	r = kunit_kcalloc(test, nr, sizeof(*r), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);
	for (i = 0; i < nr; i++) {
		end += in[i].len;
		r[i].phys = in[i].phys;
		r[i].end = end;
	}
	return r;
}

/*
 * Entries the fill of vpd_sgt_map() makes of @r: vpd_sg_count() walks the
 * runs with the fill's iterator.
 */
static unsigned int vpd_test_count(struct kunit *test,
				   const struct vpd_test_range *r, u32 nr)
{
	return vpd_sg_count(vpd_test_ranges(test, r, nr), nr);
}

static void vpd_test_sg_single(struct kunit *test)
{
	const struct vpd_test_range r[] = { { .phys = 0x80000000, .len = PG } };

	KUNIT_EXPECT_EQ(test, 1, vpd_test_count(test, r, 1));
}

/* Ranges continuing each other in user order become one entry. */
static void vpd_test_sg_adjacent_merge(struct kunit *test)
{
	const struct vpd_test_range r[] = {
		{ .phys = 0x80020000, .len = PG },
		{ .phys = 0x80021000, .len = 2 * PG },
		{ .phys = 0x80023000, .len = PG },
	};
	const struct vpd_range *vr = vpd_test_ranges(test, r, 3);
	phys_addr_t phys;
	u32 idx = 0;
	u64 len;

	KUNIT_EXPECT_EQ(test, 1, vpd_test_count(test, r, 3));
	KUNIT_ASSERT_TRUE(test, vpd_ranges_next_merged(vr, 3, &idx, &phys,
						       &len));
	KUNIT_EXPECT_EQ(test, (u64)0x80020000, (u64)phys);
	KUNIT_EXPECT_EQ(test, 4 * PG, len);
	KUNIT_EXPECT_EQ(test, 3, idx);
	KUNIT_EXPECT_FALSE(test, vpd_ranges_next_merged(vr, 3, &idx, &phys,
							&len));
}

/* A gap, or a range preceding its predecessor, starts a new entry. */
static void vpd_test_sg_no_merge(struct kunit *test)
{
	const struct vpd_test_range r[] = {
		{ .phys = 0x80020000, .len = PG },
		{ .phys = 0x80022000, .len = PG },
		{ .phys = 0x80021000, .len = PG },
		{ .phys = 0x80022000, .len = PG },
	};

	KUNIT_EXPECT_EQ(test, 3, vpd_test_count(test, r, 4));
}

/* Entries are cut at VPD_MAX_SEG, whole ranges and merged runs alike. */
static void vpd_test_sg_split(struct kunit *test)
{
	const struct vpd_test_range exact[] = { { .phys = 0, .len = SEG } };
	const struct vpd_test_range over[] = { { .phys = 0, .len = SEG + PG } };
	const struct vpd_test_range four_g[] = { { .phys = 0, .len = 1ULL << 32 } };
	const struct vpd_test_range big[] = { { .phys = 0, .len = 3 * SEG + 1 } };
	const struct vpd_test_range merged[] = {
		{ .phys = 0x100000000ULL, .len = 0xc0000000ULL },
		{ .phys = 0x1c0000000ULL, .len = 0xc0000000ULL },
	};

	if (PAGE_SIZE != 0x1000)
		kunit_skip(test, "literals assume 4 KiB pages");
	KUNIT_EXPECT_EQ(test, 1, vpd_test_count(test, exact, 1));
	KUNIT_EXPECT_EQ(test, 2, vpd_test_count(test, over, 1));
	KUNIT_EXPECT_EQ(test, 2, vpd_test_count(test, four_g, 1));
	KUNIT_EXPECT_EQ(test, 4, vpd_test_count(test, big, 1));
	/* 3 GiB + 3 GiB adjacent: one 6 GiB run, two entries. */
	KUNIT_EXPECT_EQ(test, 2, vpd_test_count(test, merged, 2));
}

/* A run whose end address wraps is not continued at address 0. */
static void vpd_test_sg_no_merge_across_wrap(struct kunit *test)
{
	const struct vpd_test_range r[] = {
		{ .phys = (phys_addr_t)(U64_MAX - PG + 1), .len = PG },
		{ .phys = 0, .len = PG },
	};

	if (sizeof(phys_addr_t) < sizeof(u64))
		kunit_skip(test, "32-bit phys_addr_t");
	KUNIT_EXPECT_EQ(test, 2, vpd_test_count(test, r, 2));
}

/* Adjacent ranges whose summed length would wrap stay two runs. */
static void vpd_test_sg_no_merge_length_wrap(struct kunit *test)
{
	const struct vpd_test_range r[] = {
		{ .phys = 0, .len = 1ULL << 63 },
		{ .phys = (phys_addr_t)(1ULL << 63), .len = 1ULL << 63 },
	};
	const struct vpd_range *vr = vpd_test_ranges(test, r, 2);
	phys_addr_t phys;
	u32 idx = 0;
	u64 len;

	if (sizeof(phys_addr_t) < sizeof(u64))
		kunit_skip(test, "32-bit phys_addr_t");
	KUNIT_ASSERT_TRUE(test, vpd_ranges_next_merged(vr, 2, &idx, &phys,
						       &len));
	KUNIT_EXPECT_EQ(test, 1ULL << 63, len);
	KUNIT_EXPECT_EQ(test, 1, idx);
	KUNIT_ASSERT_TRUE(test, vpd_ranges_next_merged(vr, 2, &idx, &phys,
						       &len));
	KUNIT_EXPECT_EQ(test, 1ULL << 63, (u64)phys);
	KUNIT_EXPECT_EQ(test, 1ULL << 63, len);
	KUNIT_EXPECT_FALSE(test, vpd_ranges_next_merged(vr, 2, &idx, &phys,
							&len));
}

/* Entries of one run: none for nothing, else its length in segments. */
static void vpd_test_sg_run_segs(struct kunit *test)
{
	if (PAGE_SIZE != 0x1000)
		kunit_skip(test, "literals assume 4 KiB pages");
	KUNIT_EXPECT_EQ(test, 0, vpd_run_segs(0));
	KUNIT_EXPECT_EQ(test, 1, vpd_run_segs(PG));
	KUNIT_EXPECT_EQ(test, 1, vpd_run_segs(SEG));
	KUNIT_EXPECT_EQ(test, 2, vpd_run_segs(SEG + PG));
	KUNIT_EXPECT_EQ(test, 2, vpd_run_segs(1ULL << 32));
	/* The longest run of an export, just below 2^63. */
	KUNIT_EXPECT_EQ(test, 0x80000801U, vpd_run_segs((1ULL << 63) - PG));
}

static struct kunit_case vpd_sg_cases[] = {
	KUNIT_CASE(vpd_test_sg_max_seg),
	KUNIT_CASE(vpd_test_sg_single),
	KUNIT_CASE(vpd_test_sg_adjacent_merge),
	KUNIT_CASE(vpd_test_sg_no_merge),
	KUNIT_CASE(vpd_test_sg_split),
	KUNIT_CASE(vpd_test_sg_no_merge_across_wrap),
	KUNIT_CASE(vpd_test_sg_no_merge_length_wrap),
	KUNIT_CASE(vpd_test_sg_run_segs),
	{}
};

static struct kunit_suite vpd_sg_suite = {
	.name = "vfio_pci_dmabuf_sg",
	.test_cases = vpd_sg_cases,
};

/* --- export ranges -------------------------------------------------------- */

#define BAR_LEN		0x1000000ULL		/* 16 MiB */
#define BAR_PHYS	0xfe000000ULL		/* a typical 32-bit BAR */

/* A memory BAR at @phys of @len bytes. */
static struct vpd_bar vpd_test_mem_bar(phys_addr_t phys, u64 len)
{
	return (struct vpd_bar){ .phys = phys, .len = len, .mem = true };
}

/*
 * vpd_ranges_convert() of a copy of @r (it converts in place), whose
 * result is kept in *@out when @out is not NULL.
 */
static int vpd_test_convert(struct kunit *test,
			    const struct vfio_region_dma_range *r, u32 nr,
			    struct vpd_bar bar, size_t *total,
			    unsigned int *nents, struct vpd_range_fault *f,
			    const struct vpd_range **out)
{
	struct vfio_region_dma_range *copy = NULL;
	int ret;

	if (nr) {
		copy = kunit_kmalloc_array(test, nr, sizeof(*r), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, copy);
		memcpy(copy, r, nr * sizeof(*r));
	}
	ret = vpd_ranges_convert(copy, nr, &bar, total, nents, f);
	if (out)
		*out = (const struct vpd_range *)copy;
	return ret;
}

static int vpd_test_check_bar(struct kunit *test,
			      const struct vfio_region_dma_range *r, u32 nr,
			      struct vpd_bar bar, size_t *total,
			      struct vpd_range_fault *f)
{
	unsigned int nents = 0x5a5a;
	int ret;

	*total = 0x5a5a;
	ret = vpd_test_convert(test, r, nr, bar, total, &nents,
			       f, NULL);
	/* Both or neither. */
	if (ret && nents != 0x5a5a)
		return -EBADE;
	return ret;
}

static int vpd_test_check(struct kunit *test,
			  const struct vfio_region_dma_range *r, u32 nr,
			  u64 bar_len, size_t *total,
			  struct vpd_range_fault *f)
{
	return vpd_test_check_bar(test, r, nr, vpd_test_mem_bar(BAR_PHYS, bar_len),
				  total, f);
}

static void vpd_test_ranges_ok(struct kunit *test)
{
	const struct vfio_region_dma_range r[] = {
		{ .offset = 0, .length = PG },
		{ .offset = 0x10000, .length = 3 * PG },
		{ .offset = BAR_LEN - PG, .length = PG },	/* ends at the end */
		{ .offset = 0, .length = BAR_LEN },		/* whole BAR */
	};
	struct vpd_range_fault f;
	size_t total;

	KUNIT_EXPECT_EQ(test, 0, vpd_test_check(test, r, 4, BAR_LEN, &total, &f));
	KUNIT_EXPECT_EQ(test, (size_t)(5 * PG + BAR_LEN), total);
	KUNIT_EXPECT_EQ(test, VPD_RANGE_OK, f.why);
}

static void vpd_test_ranges_none(struct kunit *test)
{
	struct vpd_range_fault f;
	size_t total;

	KUNIT_EXPECT_EQ(test, -EINVAL,
			vpd_test_check(test, NULL, 0, BAR_LEN, &total, &f));
	KUNIT_EXPECT_EQ(test, VPD_RANGE_NONE, f.why);
	KUNIT_EXPECT_EQ(test, (size_t)0x5a5a, total);
}

/* Length 0 and each kind of misalignment; the index is the first bad one. */
static void vpd_test_ranges_unaligned(struct kunit *test)
{
	static const struct {
		u64 offset, length;
	} bad[] = {
		{ 0, 0 }, { 0x10, PG }, { PG, 0x800 }, { PG + 1, PG - 1 },
	};
	struct vfio_region_dma_range r[2] = {
		{ .offset = 0, .length = PG },
	};
	struct vpd_range_fault f;
	size_t total;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		r[1].offset = bad[i].offset;
		r[1].length = bad[i].length;
		KUNIT_EXPECT_EQ_MSG(test, -EINVAL,
				    vpd_test_check(test, r, 2, BAR_LEN, &total, &f),
				    "case %u", i);
		KUNIT_EXPECT_EQ_MSG(test, VPD_RANGE_UNALIGNED, f.why,
				    "case %u", i);
		KUNIT_EXPECT_EQ_MSG(test, 1, f.index, "case %u", i);
		KUNIT_EXPECT_EQ(test, (size_t)0x5a5a, total);
	}
}

/*
 * Contract (upstream 7.2, vfio_pci_core_fill_phys_vec()): EOVERFLOW when
 * BAR start + offset, or that + length, wraps the physical address, even
 * with a BAR "that large".
 */
static void vpd_test_ranges_overflow(struct kunit *test)
{
	const struct vfio_region_dma_range r[] = {
		{ .offset = 0, .length = PG },
		{ .offset = U64_MAX & ~(PG - 1), .length = PG },
	};
	/* offset + length fits 64 bits; BAR start + offset does not. */
	const struct vfio_region_dma_range phys_wrap[] = {
		{ .offset = (u64)-BAR_PHYS, .length = PG },
	};
	/* BAR start + offset fits; + length does not. */
	const struct vfio_region_dma_range end_wrap[] = {
		{ .offset = (u64)-BAR_PHYS - PG, .length = 2 * PG },
	};
	struct vpd_range_fault f;
	size_t total;

	KUNIT_EXPECT_EQ(test, -EOVERFLOW,
			vpd_test_check(test, r, 2, U64_MAX, &total, &f));
	KUNIT_EXPECT_EQ(test, VPD_RANGE_OVERFLOW, f.why);
	KUNIT_EXPECT_EQ(test, 1, f.index);
	if (sizeof(phys_addr_t) < sizeof(u64))
		kunit_skip(test, "32-bit phys_addr_t");
	KUNIT_EXPECT_EQ(test, -EOVERFLOW,
			vpd_test_check(test, phys_wrap, 1, BAR_LEN, &total, &f));
	KUNIT_EXPECT_EQ(test, VPD_RANGE_OVERFLOW, f.why);
	KUNIT_EXPECT_EQ(test, -EOVERFLOW,
			vpd_test_check(test, end_wrap, 1, BAR_LEN, &total, &f));
	KUNIT_EXPECT_EQ(test, VPD_RANGE_OVERFLOW, f.why);
}

static void vpd_test_ranges_beyond_bar(struct kunit *test)
{
	const struct vfio_region_dma_range ends_after[] = {
		{ .offset = BAR_LEN - PG, .length = 2 * PG },
	};
	const struct vfio_region_dma_range starts_after[] = {
		{ .offset = 0, .length = PG },
		{ .offset = 0, .length = PG },
		{ .offset = BAR_LEN, .length = PG },
	};
	struct vpd_range_fault f;
	size_t total;

	KUNIT_EXPECT_EQ(test, -EINVAL,
			vpd_test_check(test, ends_after, 1, BAR_LEN, &total, &f));
	KUNIT_EXPECT_EQ(test, VPD_RANGE_BEYOND_BAR, f.why);
	KUNIT_EXPECT_EQ(test, 0, f.index);
	KUNIT_EXPECT_EQ(test, -EINVAL,
			vpd_test_check(test, starts_after, 3, BAR_LEN, &total, &f));
	KUNIT_EXPECT_EQ(test, VPD_RANGE_BEYOND_BAR, f.why);
	KUNIT_EXPECT_EQ(test, 2, f.index);
}

/*
 * Contract (upstream 7.2, validate_dmabuf_input()): EINVAL when the sum of
 * the lengths wraps size_t or reaches 2^63, whatever the BAR.
 */
static void vpd_test_ranges_total_overflow(struct kunit *test)
{
	const struct vfio_region_dma_range r[] = {
		{ .offset = 0, .length = 1ULL << 62 },
		{ .offset = 0, .length = (1ULL << 62) - PG },
		{ .offset = 0, .length = PG },
		{ .offset = 0, .length = 1ULL << 63 },
		{ .offset = 0, .length = 1ULL << 63 },
	};
	/* A BAR as large as can be: only the total can be wrong. */
	struct vpd_bar all = vpd_test_mem_bar(0, U64_MAX);
	struct vpd_range_fault f;
	size_t total;

	if (sizeof(size_t) < sizeof(u64))
		kunit_skip(test, "32-bit size_t: each range alone overflows");
	/* 2^63 - 4 KiB: the largest size there is. */
	KUNIT_EXPECT_EQ(test, 0, vpd_test_check_bar(test, r, 2, all, &total, &f));
	KUNIT_EXPECT_EQ(test, (size_t)((1ULL << 63) - PG), total);
	/* Exactly 2^63. */
	KUNIT_EXPECT_EQ(test, -EINVAL,
			vpd_test_check_bar(test, r, 3, all, &total, &f));
	KUNIT_EXPECT_EQ(test, VPD_RANGE_TOTAL, f.why);
	/* 2^63 in one range. */
	KUNIT_EXPECT_EQ(test, -EINVAL,
			vpd_test_check_bar(test, &r[3], 1, all, &total, &f));
	KUNIT_EXPECT_EQ(test, VPD_RANGE_TOTAL, f.why);
	/* Wraps size_t: the range that makes it wrap. */
	KUNIT_EXPECT_EQ(test, -EINVAL,
			vpd_test_check_bar(test, &r[3], 2, all, &total, &f));
	KUNIT_EXPECT_EQ(test, VPD_RANGE_TOTAL, f.why);
	KUNIT_EXPECT_EQ(test, 1, f.index);
}

/* Contract: an I/O port BAR is EINVAL, after the checks of the lengths. */
static void vpd_test_ranges_not_mem(struct kunit *test)
{
	const struct vfio_region_dma_range ok[] = {
		{ .offset = 0, .length = PG },
	};
	const struct vfio_region_dma_range unaligned[] = {
		{ .offset = 0, .length = PG },
		{ .offset = 0x800, .length = PG },
	};
	struct vpd_bar io = { .phys = 0xc000, .len = 0x100, .mem = false };
	struct vpd_range_fault f;
	size_t total;

	KUNIT_EXPECT_EQ(test, -EINVAL,
			vpd_test_check_bar(test, ok, 1, io, &total, &f));
	KUNIT_EXPECT_EQ(test, VPD_RANGE_NOT_MEM, f.why);
	KUNIT_EXPECT_EQ(test, -EINVAL,
			vpd_test_check_bar(test, unaligned, 2, io, &total, &f));
	KUNIT_EXPECT_EQ(test, VPD_RANGE_UNALIGNED, f.why);
	KUNIT_EXPECT_EQ(test, 1, f.index);
}

/*
 * Contract: upstream's order.  Every range's length and alignment, and the
 * total, are checked before any range is placed in the BAR; then the
 * ranges are placed in order, the first fault winning.
 */
static void vpd_test_ranges_order(struct kunit *test)
{
	/* Overflowing range first, unaligned one second: EINVAL. */
	const struct vfio_region_dma_range wrap_then_unaligned[] = {
		{ .offset = U64_MAX & ~(PG - 1), .length = 2 * PG },
		{ .offset = 0x800, .length = PG },
	};
	/* Overflowing range, and a total of 2^63 or more: EINVAL. */
	const struct vfio_region_dma_range wrap_and_huge[] = {
		{ .offset = U64_MAX & ~(PG - 1), .length = 2 * PG },
		{ .offset = 0, .length = 1ULL << 63 },
	};
	/* Beyond the BAR first, overflowing second: EINVAL. */
	const struct vfio_region_dma_range beyond_then_wrap[] = {
		{ .offset = BAR_LEN, .length = PG },
		{ .offset = U64_MAX & ~(PG - 1), .length = 2 * PG },
	};
	/* Overflowing first, beyond the BAR second: EOVERFLOW. */
	const struct vfio_region_dma_range wrap_then_beyond[] = {
		{ .offset = U64_MAX & ~(PG - 1), .length = 2 * PG },
		{ .offset = BAR_LEN, .length = PG },
	};
	struct vpd_range_fault f;
	size_t total;

	KUNIT_EXPECT_EQ(test, -EINVAL,
			vpd_test_check(test, wrap_then_unaligned, 2, BAR_LEN, &total,
				       &f));
	KUNIT_EXPECT_EQ(test, VPD_RANGE_UNALIGNED, f.why);
	KUNIT_EXPECT_EQ(test, 1, f.index);
	if (sizeof(size_t) == sizeof(u64)) {
		KUNIT_EXPECT_EQ(test, -EINVAL,
				vpd_test_check(test, wrap_and_huge, 2, BAR_LEN,
					       &total, &f));
		KUNIT_EXPECT_EQ(test, VPD_RANGE_TOTAL, f.why);
	}
	KUNIT_EXPECT_EQ(test, -EINVAL,
			vpd_test_check(test, beyond_then_wrap, 2, BAR_LEN, &total,
				       &f));
	KUNIT_EXPECT_EQ(test, VPD_RANGE_BEYOND_BAR, f.why);
	KUNIT_EXPECT_EQ(test, 0, f.index);
	KUNIT_EXPECT_EQ(test, -EOVERFLOW,
			vpd_test_check(test, wrap_then_beyond, 2, BAR_LEN, &total,
				       &f));
	KUNIT_EXPECT_EQ(test, VPD_RANGE_OVERFLOW, f.why);
	KUNIT_EXPECT_EQ(test, 0, f.index);
}

/*
 * Buffer offset -> range (CPU page faults): a buffer of ranges of 1, 3 and
 * 2 pages starts them at buffer pages 0, 1 and 4.
 */
static void vpd_test_ranges_find(struct kunit *test)
{
	const struct vpd_range r[] = {
		{ .phys = 8 * PG, .end = PG },
		{ .phys = 0, .end = 4 * PG },
		{ .phys = 2 * PG, .end = 6 * PG },
	};

	KUNIT_EXPECT_EQ(test, 0, vpd_ranges_find(r, 3, 0));
	KUNIT_EXPECT_EQ(test, 0, vpd_ranges_find(r, 3, PG - 1));
	KUNIT_EXPECT_EQ(test, 1, vpd_ranges_find(r, 3, PG));
	KUNIT_EXPECT_EQ(test, 1, vpd_ranges_find(r, 3, 3 * PG + 5));
	KUNIT_EXPECT_EQ(test, 2, vpd_ranges_find(r, 3, 4 * PG));
	KUNIT_EXPECT_EQ(test, 2, vpd_ranges_find(r, 3, 6 * PG - 1));
	/* Beyond the buffer: the number of ranges. */
	KUNIT_EXPECT_EQ(test, 3, vpd_ranges_find(r, 3, 6 * PG));
	KUNIT_EXPECT_EQ(test, 3, vpd_ranges_find(r, 3, U64_MAX));
	/* One range, and none. */
	KUNIT_EXPECT_EQ(test, 0, vpd_ranges_find(r, 1, PG - 1));
	KUNIT_EXPECT_EQ(test, 1, vpd_ranges_find(r, 1, PG));
	KUNIT_EXPECT_EQ(test, 0, vpd_ranges_find(r, 0, 0));
}

/* The largest export: 262144 one-page ranges, each found at both ends. */
static void vpd_test_ranges_find_max(struct kunit *test)
{
	struct vpd_range *r;
	u32 i, bad = 0;

	/* 4 MiB: kvmalloc()ed, as in export.c. */
	r = kvcalloc(VPD_MAX_RANGES, sizeof(*r), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);
	for (i = 0; i < VPD_MAX_RANGES; i++)
		r[i].end = (u64)(i + 1) * PG;
	for (i = 0; i < VPD_MAX_RANGES; i++) {
		if (vpd_ranges_find(r, VPD_MAX_RANGES, (u64)i * PG) != i ||
		    vpd_ranges_find(r, VPD_MAX_RANGES,
				    (u64)i * PG + PG - 1) != i)
			bad++;
	}
	KUNIT_EXPECT_EQ(test, 0, bad);
	KUNIT_EXPECT_EQ(test, VPD_MAX_RANGES,
			vpd_ranges_find(r, VPD_MAX_RANGES,
					(u64)VPD_MAX_RANGES * PG));
	kvfree(r);
}

/*
 * The entries counted while the ranges are converted are what the fill
 * makes of them (vpd_sg_count(), the fill's iterator run by run, against
 * the pass's count of runs below 4 GiB), and the ranges are converted:
 * CPU address and running end.  A BAR of 16 GiB at 64 GiB, so that runs
 * longer than one segment exist.
 */
static void vpd_test_ranges_nents(struct kunit *test)
{
	const u64 big = 16ULL << 30, at = 64ULL << 30;
	static const struct vfio_region_dma_range scattered[] = {
		{ .offset = 0, .length = PG },
		{ .offset = 2 * PG, .length = PG },
		{ .offset = 4 * PG, .length = PG },
	};
	static const struct vfio_region_dma_range adjacent[] = {
		{ .offset = PG, .length = PG },
		{ .offset = 2 * PG, .length = 3 * PG },
		{ .offset = 5 * PG, .length = PG },
		{ .offset = 0, .length = PG },		/* backwards: new run */
		{ .offset = PG, .length = PG },		/* continues it */
	};
	/* 3 GiB + 3 GiB adjacent: one 6 GiB run, two entries. */
	static const struct vfio_region_dma_range long_run[] = {
		{ .offset = 0, .length = 3ULL << 30 },
		{ .offset = 3ULL << 30, .length = 3ULL << 30 },
		{ .offset = 8ULL << 30, .length = PG },
	};
	/* The whole BAR: 16 GiB in segments of 4 GiB - 4 KiB. */
	static const struct vfio_region_dma_range whole[] = {
		{ .offset = 0, .length = 16ULL << 30 },
	};
	static const struct {
		const struct vfio_region_dma_range *r;
		u32 nr;
		unsigned int nents;
	} cases[] = {
		{ scattered, ARRAY_SIZE(scattered), 3 },
		{ adjacent, ARRAY_SIZE(adjacent), 2 },
		{ long_run, ARRAY_SIZE(long_run), 3 },
		{ whole, ARRAY_SIZE(whole), 5 },
	};
	struct vpd_bar bar = vpd_test_mem_bar(at, big);
	const struct vpd_range *vr;
	struct vpd_range_fault f;
	unsigned int i, nents;
	size_t total;
	u64 end;
	u32 k;

	if (PAGE_SIZE != 0x1000 || sizeof(size_t) < sizeof(u64))
		kunit_skip(test, "literals assume 4 KiB pages, 64 bits");
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		KUNIT_ASSERT_EQ_MSG(test, 0,
				    vpd_test_convert(test, cases[i].r,
						     cases[i].nr, bar, &total,
						     &nents, &f, &vr),
				    "case %u", i);
		KUNIT_EXPECT_EQ_MSG(test, cases[i].nents, nents, "case %u", i);
		KUNIT_EXPECT_EQ_MSG(test, nents,
				    vpd_sg_count(vr, cases[i].nr),
				    "case %u", i);
		end = 0;
		for (k = 0; k < cases[i].nr; k++) {
			end += cases[i].r[k].length;
			KUNIT_EXPECT_EQ(test, at + cases[i].r[k].offset,
					(u64)vr[k].phys);
			KUNIT_EXPECT_EQ(test, end, vr[k].end);
		}
		KUNIT_EXPECT_EQ(test, (size_t)end, total);
	}
	/* A BAR at address 0: its first range starts a run all the same. */
	KUNIT_ASSERT_EQ(test, 0, vpd_test_convert(test, scattered,
						  ARRAY_SIZE(scattered),
						  vpd_test_mem_bar(0, big),
						  &total, &nents, &f, &vr));
	KUNIT_EXPECT_EQ(test, 3, nents);
}

static struct kunit_case vpd_ranges_cases[] = {
	KUNIT_CASE(vpd_test_ranges_ok),
	KUNIT_CASE(vpd_test_ranges_none),
	KUNIT_CASE(vpd_test_ranges_unaligned),
	KUNIT_CASE(vpd_test_ranges_overflow),
	KUNIT_CASE(vpd_test_ranges_beyond_bar),
	KUNIT_CASE(vpd_test_ranges_total_overflow),
	KUNIT_CASE(vpd_test_ranges_not_mem),
	KUNIT_CASE(vpd_test_ranges_order),
	KUNIT_CASE(vpd_test_ranges_find),
	KUNIT_CASE(vpd_test_ranges_find_max),
	KUNIT_CASE(vpd_test_ranges_nents),
	{}
};

static struct kunit_suite vpd_ranges_suite = {
	.name = "vfio_pci_dmabuf_ranges",
	.test_cases = vpd_ranges_cases,
};

/* --- P2P cache key -------------------------------------------------------- */

/* VMD domains start at 0x10000: they must not alias domain 0. */
static void vpd_test_p2p_key_vmd_domain(struct kunit *test)
{
	unsigned long k0 = 0, kv = 0;

	KUNIT_ASSERT_TRUE(test, vpd_p2p_key(0, 0x0310, &k0));
	if (BITS_PER_LONG < 64) {
		KUNIT_EXPECT_FALSE(test, vpd_p2p_key(0x10000, 0x0310, &kv));
		return;
	}
	KUNIT_ASSERT_TRUE(test, vpd_p2p_key(0x10000, 0x0310, &kv));
	KUNIT_EXPECT_NE(test, k0, kv);
}

static void vpd_test_p2p_key_stable(struct kunit *test)
{
	unsigned long a = 1, b = 2;

	KUNIT_ASSERT_TRUE(test, vpd_p2p_key(1, 0x00ff, &a));
	KUNIT_ASSERT_TRUE(test, vpd_p2p_key(1, 0x00ff, &b));
	KUNIT_EXPECT_EQ(test, a, b);
}

/* No two (domain, bus/devfn) pairs of a grid around the edges share a key. */
static void vpd_test_p2p_key_distinct(struct kunit *test)
{
	static const int domains[] = {
		0, 1, 0xfffe, 0xffff, 0x10000, 0x10001, 0x1ffff, 0x20000,
		0x7fffffff,
	};
	static const u16 ids[] = { 0, 1, 0x00ff, 0x0100, 0x0101, 0xff00, 0xffff };
	const unsigned int nd = ARRAY_SIZE(domains), ni = ARRAY_SIZE(ids);
	unsigned long *keys;
	unsigned int i, j, n = 0;

	keys = kunit_kcalloc(test, nd * ni, sizeof(*keys), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, keys);
	for (i = 0; i < nd; i++) {
		for (j = 0; j < ni; j++) {
			if (vpd_p2p_key(domains[i], ids[j], &keys[n])) {
				n++;
			} else {
				KUNIT_EXPECT_TRUE_MSG(test, BITS_PER_LONG < 64,
						      "domain %#x refused",
						      domains[i]);
			}
		}
	}
	for (i = 0; i < n; i++) {
		for (j = i + 1; j < n; j++) {
			KUNIT_EXPECT_NE_MSG(test, keys[i], keys[j],
					    "keys %u and %u", i, j);
		}
	}
}

/* No negative domain; a key refused leaves *key alone. */
static void vpd_test_p2p_key_negative(struct kunit *test)
{
	unsigned long k = 42;

	KUNIT_EXPECT_FALSE(test, vpd_p2p_key(-1, 0, &k));
	KUNIT_EXPECT_EQ(test, 42UL, k);
}

static struct kunit_case vpd_p2p_cases[] = {
	KUNIT_CASE(vpd_test_p2p_key_vmd_domain),
	KUNIT_CASE(vpd_test_p2p_key_stable),
	KUNIT_CASE(vpd_test_p2p_key_distinct),
	KUNIT_CASE(vpd_test_p2p_key_negative),
	{}
};

static struct kunit_suite vpd_p2p_suite = {
	.name = "vfio_pci_dmabuf_p2p",
	.test_cases = vpd_p2p_cases,
};

kunit_test_suites(&vpd_cmb_suite, &vpd_sg_suite, &vpd_ranges_suite,
		  &vpd_p2p_suite);

MODULE_DESCRIPTION("KUnit tests of vfio-pci-dmabuf's pure logic");
MODULE_LICENSE("GPL");
