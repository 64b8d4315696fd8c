// SPDX-License-Identifier: GPL-2.0
/*
 * Importing an exported BAR and P2P DMA into it (basic topology): ivshmem's
 * BAR2 is exported by vfio-pci-dmabuf (loaded with p2p_host_bridges=
 * 8086:29c0, q35's host bridge), edu bound to edu-importer imports it. Both
 * sit on the root bus, so the only path is through the host bridge: the
 * importer gets IOVAs of the emulated VT-d (dma_map_resource()).
 *
 * Checked: which importers are refused (no P2P, static, pinning), the sg
 * table shape (adjacent ranges merge), bytes moved by edu in both
 * directions land where the ranges say, debugfs, and the refusal to map
 * without an allowed host bridge.
 *
 * Against upstream's exporter (EXPORTER=vfio-pci on 7.2, issue 9): the
 * importer refusals and the map refused through q35's host bridge are
 * *contract* (same errno). Whatever needs that map is *ours only*: q35's
 * host bridge is on no upstream list, and upstream has no p2p_host_bridges
 * allow-list; against upstream those tests assert that the map is refused
 * with EINVAL (dma_buf_phys_vec_to_sgt(): no P2P path), then skip, so an
 * upstream that starts mapping shows up. Log lines and debugfs are ours
 * only. The P2P data path both share is tested below a switch
 * (dmabuf_switch).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fixture.h"
#include "kselftest_harness.h"

#define XFER	2048

FIXTURE(p2p)
{
	struct bench_vfio v;
	char bdf[32], edu[32];
	uint8_t *bar;		/* ivshmem BAR2 through the VFIO mmap */
	size_t bar_size;
	int imp;
	int kmsg;
};

FIXTURE_SETUP(p2p)
{
	ASSERT_EQ(0, dmabuf_open_ivshmem(self->bdf, sizeof(self->bdf),
					 &self->v));
	/* Tests share the loaded module: put the allow list back. */
	if (!exporter_is_upstream())
		ASSERT_EQ(0, dmabuf_set_hb_param("8086:29c0"));
	self->bar = bench_vfio_mmap_region(self->v.device, IVSHMEM_BAR,
					   &self->bar_size);
	ASSERT_NE(MAP_FAILED, self->bar);
	self->imp = dmabuf_open_importer(self->edu, sizeof(self->edu));
	ASSERT_LE(0, self->imp) TH_LOG("importer: %s", strerror(-self->imp));
	self->kmsg = kmsg_mark();
	ASSERT_LE(0, self->kmsg);
}

/* edu-importer's test mode: edu's DMA mask during MAP, in bits. */
#define EDU_MASK_PARAM	"/sys/module/edu_importer/parameters/map_dma_mask_bits"

FIXTURE_TEARDOWN(p2p)
{
	bench_sysfs_write(EDU_MASK_PARAM, "0");
	close(self->kmsg);
	close(self->imp);
	munmap(self->bar, self->bar_size);
	bench_vfio_close(&self->v);
}

static int export_ranges(struct __test_metadata *_metadata,
			 FIXTURE_DATA(p2p) *self,
			 const struct vfio_region_dma_range *r, uint32_t nr)
{
	int fd = dmabuf_export(self->v.device, IVSHMEM_BAR, O_CLOEXEC, r, nr);

	EXPECT_LE(0, fd) TH_LOG("export: %s", strerror(-fd));
	return fd;
}

/* "<exporter>: <what> <importer>" logged since the fixture's mark. */
static int logged(FIXTURE_DATA(p2p) *self, const char *what)
{
	char want[256];

	snprintf(want, sizeof(want), "%s: %s", self->bdf, what);
	return kmsg_find(self->kmsg, want, NULL, 0);
}

/* Ours only: the log line says why; upstream logs nothing. */
#define EXPECT_LOGGED(self, what)					\
	do {								\
		if (!exporter_is_upstream())				\
			EXPECT_EQ(1, logged(self, what))		\
				TH_LOG("no \"%s\"", what);		\
	} while (0)

/*
 * Map [0, PAGE) through the host bridge with a dynamic importer: 0, or the
 * map's -errno (a -errno of export or attach is returned as -ENOTRECOVERABLE
 * so that it never passes for the map's).
 */
static int try_map(FIXTURE_DATA(p2p) *self)
{
	struct vfio_region_dma_range r = { 0, PAGE };
	int fd, ret;

	fd = dmabuf_export(self->v.device, IVSHMEM_BAR, O_CLOEXEC, &r, 1);
	if (fd < 0)
		return -ENOTRECOVERABLE;
	ret = edu_attach(self->imp, fd, EDU_IMP_ATTACH_DYNAMIC);
	if (ret)
		ret = -ENOTRECOVERABLE;
	else
		ret = edu_map(self->imp);
	edu_detach(self->imp);
	close(fd);
	return ret;
}

/*
 * First statement of a test that needs a map through q35's host bridge:
 * ours only (the allow-list); against upstream, assert its refusal.
 */
#define NEEDS_ALLOW_LIST(self)						\
	do {								\
		if (!exporter_is_upstream())				\
			break;						\
		ASSERT_EQ(-EINVAL, try_map(self));			\
		SKIP(return, "ours only: p2p_host_bridges (q35's host bridge is on no upstream list; upstream refuses the map: EINVAL)"); \
	} while (0)

TEST_F(p2p, no_p2p_importer_refused)
{
	struct vfio_region_dma_range r = { 0, PAGE };
	char what[128];
	int fd;

	fd = export_ranges(_metadata, self, &r, 1);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EOPNOTSUPP, edu_attach(self->imp, fd,
					  EDU_IMP_ATTACH_DYNAMIC |
					  EDU_IMP_ATTACH_NO_P2P));
	snprintf(what, sizeof(what),
		 "dma-buf attach refused: %s does not allow peer-to-peer",
		 self->edu);
	EXPECT_LOGGED(self, what);
	close(fd);
}

/*
 * dma_buf_attach() (no importer ops) never allows peer-to-peer, so the
 * first check refuses it; the point is that a static importer, which the
 * core would map once at attach and never tell about a revoke, is out.
 */
TEST_F(p2p, static_importer_refused)
{
	struct vfio_region_dma_range r = { 0, PAGE };
	char what[128];
	int fd;

	fd = export_ranges(_metadata, self, &r, 1);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EOPNOTSUPP, edu_attach(self->imp, fd,
					  EDU_IMP_ATTACH_STATIC));
	snprintf(what, sizeof(what), "dma-buf attach refused: %s", self->edu);
	EXPECT_LOGGED(self, what);
	close(fd);
}

/*
 * A pinning importer cannot honour a revoke (docs/design.md, "Dynamic
 * exporter and the MOVE_NOTIFY=n pin mechanism"):
 * - 7.x: it has no invalidate_mappings op (like RDMA's pinned umem there),
 *   so it is not dma_buf_attach_revocable(): its attach is refused.
 * - MOVE_NOTIFY=y (our debug kernel): its dma_buf_pin() is refused, so
 *   ATTACH (attach + pin) fails with EOPNOTSUPP.
 * - MOVE_NOTIFY=n (Debian's 6.12): the core itself pins before every map,
 *   so the importer's own pin is only recorded; the core's pin inside its
 *   MAP finds it pending and is refused: MAP fails with EOPNOTSUPP.
 */
TEST_F(p2p, pinned_importer_refused)
{
	struct vfio_region_dma_range r = { 0, PAGE };
	int fd, mn, rc, ret;
	char what[128];

	mn = kernel_has_move_notify();
	ASSERT_LE(0, mn);
	rc = kernel_revocable_contract();
	ASSERT_LE(0, rc);
	fd = export_ranges(_metadata, self, &r, 1);
	ASSERT_LE(0, fd);
	ret = edu_attach(self->imp, fd, EDU_IMP_ATTACH_PINNED);
	if (rc) {
		TH_LOG("7.x: the attach of a non-revocable importer is refused");
		EXPECT_EQ(-EOPNOTSUPP, ret);
		snprintf(what, sizeof(what), "dma-buf attach refused: %s",
			 self->edu);
		EXPECT_LOGGED(self, what);
		close(fd);
		return;
	}
	if (mn) {
		TH_LOG("MOVE_NOTIFY=y: the pin at ATTACH is refused");
		EXPECT_EQ(-EOPNOTSUPP, ret);
	} else {
		TH_LOG("MOVE_NOTIFY=n: the pin is refused at MAP");
		ASSERT_EQ(0, ret);
		EXPECT_EQ(-EOPNOTSUPP, edu_map(self->imp));
	}
	EXPECT_EQ(1, logged(self, "dma-buf pin refused: "));
	close(fd);
}

TEST_F(p2p, dynamic_importer_maps_via_host_bridge)
{
	struct vfio_region_dma_range r[] = { { 0x10000, 2 * PAGE } };
	struct edu_imp_info info;
	char buf[4096], line[128];
	int fd;

	NEEDS_ALLOW_LIST(self);

	fd = export_ranges(_metadata, self, r, 1);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, edu_attach(self->imp, fd, EDU_IMP_ATTACH_DYNAMIC));
	ASSERT_EQ(0, edu_map(self->imp));
	ASSERT_EQ(0, edu_info(self->imp, &info));
	EXPECT_EQ(1, info.mapped);
	EXPECT_EQ(1, info.peer2peer);
	EXPECT_EQ(1, info.exporter_dynamic);
	EXPECT_EQ(2 * PAGE, info.size);
	EXPECT_EQ(2 * PAGE, info.mapped_len);

	ASSERT_EQ(0, dmabuf_debugfs_exports(self->bdf, buf, sizeof(buf)));
	snprintf(line, sizeof(line), "  attach %s: map host-bridge mapped yes\n",
		 self->edu);
	EXPECT_NE(NULL, strstr(buf, line)) TH_LOG("exports:\n%s", buf);
	EXPECT_NE(NULL, strstr(buf, "  range 0: offset 0x10000 length 0x2000\n"));

	ASSERT_EQ(0, edu_unmap(self->imp));
	ASSERT_EQ(0, dmabuf_debugfs_exports(self->bdf, buf, sizeof(buf)));
	snprintf(line, sizeof(line), "  attach %s: map host-bridge mapped no\n",
		 self->edu);
	EXPECT_NE(NULL, strstr(buf, line)) TH_LOG("exports:\n%s", buf);
	EXPECT_EQ(0, edu_detach(self->imp));
	close(fd);
}

/* Attach, map and return the sg entries (at most 8). */
static int map_sg(struct __test_metadata *_metadata, FIXTURE_DATA(p2p) *self,
		  const struct vfio_region_dma_range *r, uint32_t nr,
		  struct edu_imp_sg_entry *ents, uint32_t *nents)
{
	int fd;

	fd = export_ranges(_metadata, self, r, nr);
	if (fd < 0)
		return fd;
	EXPECT_EQ(0, edu_attach(self->imp, fd, 0));
	EXPECT_EQ(0, edu_map(self->imp));
	EXPECT_EQ(0, edu_sg(self->imp, ents, 8, nents));
	return fd;
}

TEST_F(p2p, sg_adjacent_ranges_merge)
{
	struct vfio_region_dma_range r[] = {
		{ 0x20000, PAGE }, { 0x21000, 2 * PAGE }, { 0x23000, PAGE },
	};
	struct edu_imp_sg_entry ents[8];
	uint32_t nents = 0;
	int fd;

	NEEDS_ALLOW_LIST(self);

	fd = map_sg(_metadata, self, r, 3, ents, &nents);
	ASSERT_LE(0, fd);
	EXPECT_EQ(1, nents);
	EXPECT_EQ(4 * PAGE, ents[0].len);
	close(fd);
}

TEST_F(p2p, sg_non_adjacent_ranges_stay_apart)
{
	/* A gap, then a range that precedes its predecessor in the BAR. */
	struct vfio_region_dma_range r[] = {
		{ 0x20000, PAGE }, { 0x22000, PAGE }, { 0x21000, PAGE },
	};
	struct edu_imp_sg_entry ents[8];
	uint32_t nents = 0;
	int fd, i;

	NEEDS_ALLOW_LIST(self);

	fd = map_sg(_metadata, self, r, 3, ents, &nents);
	ASSERT_LE(0, fd);
	ASSERT_EQ(3, nents);
	for (i = 0; i < 3; i++)
		EXPECT_EQ(PAGE, ents[i].len);
	close(fd);
}

/* BAR -> edu: pattern written through the VFIO mmap arrives by DMA. */
TEST_F(p2p, dma_from_dmabuf_reads_bar)
{
	struct vfio_region_dma_range r = { 0x30000, 4 * PAGE };
	uint8_t got[XFER];
	long bad;
	int fd;

	NEEDS_ALLOW_LIST(self);

	pattern_fill(self->bar + 0x30000, 4 * PAGE, 0x1111);
	fd = export_ranges(_metadata, self, &r, 1);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, edu_attach(self->imp, fd, 0));
	ASSERT_EQ(0, edu_map(self->imp));

	memset(got, 0, sizeof(got));
	ASSERT_EQ(0, edu_dma(self->imp, 0x1234, got, XFER,
			     EDU_IMP_DIR_FROM_DMABUF));
	/* pattern_check works on positions from 0: compare to a copy. */
	bad = memcmp(got, self->bar + 0x30000 + 0x1234, XFER);
	EXPECT_EQ(0, bad) TH_LOG("DMA data differs from the BAR");
	EXPECT_EQ(-1, pattern_check(self->bar + 0x30000, 4 * PAGE, 0x1111));
	close(fd);
}

/* edu -> BAR: DMA'd bytes are read back through the VFIO mmap. */
TEST_F(p2p, dma_to_dmabuf_writes_bar)
{
	struct vfio_region_dma_range r = { 0x40000, 2 * PAGE };
	uint8_t data[XFER];
	size_t i;
	int fd;

	NEEDS_ALLOW_LIST(self);

	memset(self->bar + 0x40000, 0xa5, 2 * PAGE);
	pattern_fill(data, XFER, 0x2222);
	fd = export_ranges(_metadata, self, &r, 1);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, edu_attach(self->imp, fd, 0));
	ASSERT_EQ(0, edu_map(self->imp));
	ASSERT_EQ(0, edu_dma(self->imp, 0x300, data, XFER,
			     EDU_IMP_DIR_TO_DMABUF));

	EXPECT_EQ(-1, pattern_check(self->bar + 0x40300, XFER, 0x2222));
	/* Nothing outside the transfer changed. */
	for (i = 0; i < 2 * PAGE; i++)
		if ((i < 0x300 || i >= 0x300 + XFER) &&
		    self->bar[0x40000 + i] != 0xa5)
			break;
	EXPECT_EQ(2 * PAGE, i) TH_LOG("byte %#zx of the range changed", i);
	close(fd);
}

/*
 * Buffer offsets map to BAR offsets through the ranges in user order:
 * buffer [0, 4K) = BAR 0x60000, [4K, 8K) = BAR 0x50000, [8K, 16K) = BAR
 * 0x70000.
 */
TEST_F(p2p, multi_range_offsets_land_in_the_right_range)
{
	struct vfio_region_dma_range r[] = {
		{ 0x60000, PAGE }, { 0x50000, PAGE }, { 0x70000, 2 * PAGE },
	};
	static const struct { uint64_t buf_off, bar_off; } t[] = {
		{ 0x0100, 0x60100 },
		{ 0x1080, 0x50080 },
		{ 0x2000 + 0x1700, 0x71700 },
	};
	uint8_t data[XFER], got[XFER];
	unsigned int i;
	int fd;

	NEEDS_ALLOW_LIST(self);

	memset(self->bar + 0x50000, 0, PAGE);
	memset(self->bar + 0x60000, 0, PAGE);
	memset(self->bar + 0x70000, 0, 2 * PAGE);
	fd = export_ranges(_metadata, self, r, 3);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, edu_attach(self->imp, fd, 0));
	ASSERT_EQ(0, edu_map(self->imp));

	for (i = 0; i < 3; i++) {
		uint32_t len = XFER / 2;

		pattern_fill(data, len, 0x3000 + i);
		ASSERT_EQ(0, edu_dma(self->imp, t[i].buf_off, data, len,
				     EDU_IMP_DIR_TO_DMABUF));
		EXPECT_EQ(-1, pattern_check(self->bar + t[i].bar_off, len,
					    0x3000 + i))
			TH_LOG("write %u: buffer %#llx is not BAR %#llx", i,
			       (unsigned long long)t[i].buf_off,
			       (unsigned long long)t[i].bar_off);

		/* And back: a fresh pattern in the BAR, read by DMA. */
		pattern_fill(self->bar + t[i].bar_off, len, 0x4000 + i);
		memset(got, 0, len);
		ASSERT_EQ(0, edu_dma(self->imp, t[i].buf_off, got, len,
				     EDU_IMP_DIR_FROM_DMABUF));
		EXPECT_EQ(-1, pattern_check(got, len, 0x4000 + i))
			TH_LOG("read %u: buffer %#llx is not BAR %#llx", i,
			       (unsigned long long)t[i].buf_off,
			       (unsigned long long)t[i].bar_off);
	}
	/* A transfer crossing two non-adjacent ranges is the importer's
	 * problem (one linear edu transfer): it must say EINVAL.
	 */
	EXPECT_EQ(-EINVAL, edu_dma(self->imp, PAGE - 16, data, 32,
				   EDU_IMP_DIR_TO_DMABUF));
	close(fd);
}

/*
 * q35's host bridge (8086:29c0) is on no built-in list: with the allow list
 * emptied at run time (which also invalidates cached verdicts), attach
 * still works but map is refused with EINVAL and the reason in the log;
 * debugfs shows the attachment as "unsupported". Putting the bridge back
 * lets a new attachment map.
 */
TEST_F(p2p, map_refused_without_allowed_host_bridge)
{
	struct vfio_region_dma_range r = { 0, PAGE };
	char buf[4096], what[160];
	int fd;

	/* Contract: no allow-list upstream, and the same EINVAL. */
	if (exporter_is_upstream()) {
		EXPECT_EQ(-EINVAL, try_map(self));
		return;
	}

	ASSERT_EQ(0, dmabuf_set_hb_param(""));
	fd = export_ranges(_metadata, self, &r, 1);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, edu_attach(self->imp, fd, 0));
	EXPECT_EQ(-EINVAL, edu_map(self->imp));
	snprintf(what, sizeof(what),
		 "dma-buf map refused: no P2P path to %s (host bridge 8086:29c0 not allowed)",
		 self->edu);
	EXPECT_EQ(1, logged(self, what)) TH_LOG("no \"%s\"", what);
	ASSERT_EQ(0, dmabuf_debugfs_exports(self->bdf, buf, sizeof(buf)));
	snprintf(what, sizeof(what), "  attach %s: map unsupported mapped no\n",
		 self->edu);
	EXPECT_NE(NULL, strstr(buf, what)) TH_LOG("exports:\n%s", buf);
	ASSERT_EQ(0, edu_detach(self->imp));

	ASSERT_EQ(0, dmabuf_set_hb_param("8086:29c0"));
	ASSERT_EQ(0, edu_attach(self->imp, fd, 0));
	EXPECT_EQ(0, edu_map(self->imp));
	close(fd);
}

/*
 * Contract: a map whose DMA mapping fails returns ENOMEM (upstream 7.2:
 * dma_buf_phys_vec_to_sgt() returns what dma_mapping_error() says, and
 * dma_iova_link() fails the same way). edu-importer's map_dma_mask_bits
 * narrows edu's DMA mask to 12 bits while it maps: the IOMMU has no IOVA
 * below 4 KiB, so dma_map_resource() fails. The same attachment maps, and
 * DMA reads the BAR, once the mask is back. Needs the map through q35's
 * host bridge, which upstream refuses in this bench (NEEDS_ALLOW_LIST).
 */
TEST_F(p2p, map_failing_in_dma_mapping_is_enomem)
{
	struct vfio_region_dma_range r = { 0x50000, PAGE };
	struct edu_imp_info info;
	uint8_t got[XFER];
	char what[160];
	int fd;

	NEEDS_ALLOW_LIST(self);

	pattern_fill(self->bar + 0x50000, PAGE, 0x5555);
	fd = export_ranges(_metadata, self, &r, 1);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, edu_attach(self->imp, fd, EDU_IMP_ATTACH_DYNAMIC));
	ASSERT_EQ(0, bench_sysfs_write(EDU_MASK_PARAM, "12"));
	EXPECT_EQ(-ENOMEM, edu_map(self->imp));
	ASSERT_EQ(0, bench_sysfs_write(EDU_MASK_PARAM, "0"));
	ASSERT_EQ(0, edu_info(self->imp, &info));
	EXPECT_EQ(0, info.mapped);
	snprintf(what, sizeof(what),
		 "dma-buf map refused: dma_map_resource() for %s failed",
		 self->edu);
	EXPECT_LOGGED(self, what);

	ASSERT_EQ(0, edu_map(self->imp));
	memset(got, 0, sizeof(got));
	ASSERT_EQ(0, edu_dma(self->imp, 0, got, XFER,
			     EDU_IMP_DIR_FROM_DMABUF));
	EXPECT_EQ(0, memcmp(got, self->bar + 0x50000, XFER));
	close(fd);
}

/*
 * 300 non-adjacent pages: more entries than one sg chunk holds (chained
 * table), one DMA mapping each; a transfer into the last page lands in the
 * last range's page of the BAR.
 */
TEST_F(p2p, many_ranges_chained_sg)
{
	enum { N = 300 };
	struct vfio_region_dma_range r[N];
	struct edu_imp_sg_entry ents[8];
	struct edu_imp_info info;
	uint8_t data[XFER];
	uint32_t nents = 0;
	uint64_t last;
	int fd, i;

	NEEDS_ALLOW_LIST(self);

	/* Every other page from 1 MiB, in descending BAR order. */
	for (i = 0; i < N; i++) {
		r[i].offset = (1UL << 20) + (uint64_t)(N - 1 - i) * 2 * PAGE;
		r[i].length = PAGE;
	}
	last = r[N - 1].offset;
	memset(self->bar + last, 0, PAGE);
	fd = export_ranges(_metadata, self, r, N);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, edu_attach(self->imp, fd, 0));
	ASSERT_EQ(0, edu_map(self->imp));
	ASSERT_EQ(0, edu_sg(self->imp, ents, 8, &nents));
	EXPECT_EQ(N, nents);
	ASSERT_EQ(0, edu_info(self->imp, &info));
	EXPECT_EQ(N * PAGE, info.mapped_len);

	pattern_fill(data, XFER, 0x300);
	ASSERT_EQ(0, edu_dma(self->imp, (uint64_t)(N - 1) * PAGE + 0x100,
			     data, XFER, EDU_IMP_DIR_TO_DMABUF));
	EXPECT_EQ(-1, pattern_check(self->bar + last + 0x100, XFER, 0x300));
	close(fd);
}

/* Two importer contexts on one buffer: two attachments, both work. */
TEST_F(p2p, two_attachments)
{
	struct vfio_region_dma_range r = { 0x90000, PAGE };
	uint8_t got[XFER];
	char buf[4096], line[128], *p;
	int fd, imp2, n = 0;

	NEEDS_ALLOW_LIST(self);

	fd = export_ranges(_metadata, self, &r, 1);
	ASSERT_LE(0, fd);
	imp2 = open(EDU_IMP_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, imp2);
	ASSERT_EQ(0, edu_attach(self->imp, fd, 0));
	ASSERT_EQ(0, edu_attach(imp2, fd, 0));
	ASSERT_EQ(0, edu_map(self->imp));
	ASSERT_EQ(0, edu_map(imp2));

	ASSERT_EQ(0, dmabuf_debugfs_exports(self->bdf, buf, sizeof(buf)));
	snprintf(line, sizeof(line), "  attach %s: map host-bridge mapped yes\n",
		 self->edu);
	for (p = buf; (p = strstr(p, line)); p++)
		n++;
	EXPECT_EQ(2, n) TH_LOG("exports:\n%s", buf);

	pattern_fill(self->bar + r.offset, XFER, 0x222);
	ASSERT_EQ(0, edu_dma(imp2, 0, got, XFER, EDU_IMP_DIR_FROM_DMABUF));
	EXPECT_EQ(-1, pattern_check(got, XFER, 0x222));
	close(imp2);
	memset(got, 0, sizeof(got));
	ASSERT_EQ(0, edu_dma(self->imp, 0, got, XFER, EDU_IMP_DIR_FROM_DMABUF));
	EXPECT_EQ(-1, pattern_check(got, XFER, 0x222));
	close(fd);
}

/* Ours only: a bad allow list is refused as a whole, the old one stays. */
TEST_F(p2p, host_bridge_param_rejects_garbage)
{
	char val[128], longer[200];

	OURS_ONLY("the p2p_host_bridges parameter");
	EXPECT_EQ(-EINVAL, dmabuf_set_hb_param("8086"));
	EXPECT_EQ(-EINVAL, dmabuf_set_hb_param("8086:29c0x"));
	EXPECT_EQ(-EINVAL, dmabuf_set_hb_param("8086:29c0,10000:1"));
	/* More than the 16 ids it holds, or longer than any list: E2BIG. */
	EXPECT_EQ(-E2BIG, dmabuf_set_hb_param("1:1,1:2,1:3,1:4,1:5,1:6,1:7,1:8,"
					      "1:9,1:a,1:b,1:c,1:d,1:e,1:f,"
					      "1:10,1:11"));
	memset(longer, ' ', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	memcpy(longer + sizeof(longer) - 10, "8086:29c0", 9);
	EXPECT_EQ(-E2BIG, dmabuf_set_hb_param(longer));
	ASSERT_EQ(0, bench_sysfs_read(VPD_PARAM_HB, val, sizeof(val)));
	EXPECT_STREQ("8086:29c0", val);
	EXPECT_EQ(0, dmabuf_set_hb_param(" 1022:1480 , 8086:29c0 "));
	ASSERT_EQ(0, bench_sysfs_read(VPD_PARAM_HB, val, sizeof(val)));
	/* Read back as parsed, canonical form. */
	EXPECT_STREQ("1022:1480,8086:29c0", val);
}

TEST_HARNESS_MAIN
