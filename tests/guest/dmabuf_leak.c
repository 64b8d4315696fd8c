// SPDX-License-Identifier: GPL-2.0
/*
 * No leaks ("basic" topology): many export/attach/map/unmap/detach/close
 * cycles leave the number of dma-bufs, the debugfs export list and the
 * unreclaimable slab where they were; a buffer keeps the exporter module
 * loaded; both modules unload once every fd is closed. kmemleak (debug
 * kernel) checks the rest after the suites.
 *
 * Must run last in its boot: the final test unloads the modules.
 *
 * Against upstream's exporter (EXPORTER=vfio-pci, issue 9) the cycles are
 * *contract*; the debugfs list and the unload of the exporter's module are
 * ours only (upstream's buffers belong to vfio_pci_core, built into the
 * stock driver stack; the importer's module is still checked).
 *
 * Ours only (issue 23): map cycles of one export free the mapping's
 * scatterlist. Upstream 7.2's dma_buf_phys_vec_to_sgt() sets the table's
 * orig_nents to 0 after sg_alloc_table(), and dma_buf_free_sgt()'s
 * sg_free_table() walks orig_nents entries, so it frees no chunk: every
 * map leaks its table. Against upstream that leak is asserted, then the
 * test skips as ours only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "fixture.h"
#include "kselftest_harness.h"

#define BAR		VFIO_PCI_BAR2_REGION_INDEX
#define CYCLES		1000
/* Device close/reopen is heavier (container and IOMMU domain setup). */
#define CLOSE_CYCLES	100
/*
 * Allowed growth of SUnreclaim. A leak of the smallest object we allocate
 * per cycle (vpd_attach, 64 B slab) over 1000 cycles is 64 KiB; the dma-buf,
 * its file and export are several hundred bytes. Per-CPU slab caches and
 * other tasks make a few hundred KiB of noise.
 */
#define SLAB_TOLERANCE_KB	512

static void settle(void)
{
	/* Let deferred frees (RCU, fput work) run, then drain caches. */
	sync();
	usleep(200000);
	rv_slab_shrink();
}

TEST(export_map_cycles_leave_no_trace)
{
	long slab0, slab1;
	int n0, n1, i, buf, imp, yes, no;
	struct rv_dev d;
	uint64_t t0, dt;

	ASSERT_EQ(0, rv_load_modules());
	ASSERT_EQ(0, rv_dev_open(PCI_VID_REDHAT_QUMRANET, PCI_DID_IVSHMEM, &d));
	imp = rv_imp_open();
	ASSERT_LE(0, imp);

	/* Warm the caches once so first-use allocations do not count. */
	buf = rv_export(d.v.device, BAR, 0, 1u << 20);
	ASSERT_LE(0, buf);
	ASSERT_EQ(0, edu_attach(imp, buf, 0));
	ASSERT_EQ(0, edu_map(imp));
	ASSERT_EQ(0, edu_detach(imp));
	/* The counter sees our buffers (baseline + 1 while it is open). */
	n0 = rv_dmabuf_count();
	ASSERT_LE(1, n0);
	if (!exporter_is_upstream())
		ASSERT_EQ(1, rv_debugfs_exports(d.bdf, &yes, &no));
	close(buf);
	settle();
	ASSERT_EQ(n0 - 1, rv_dmabuf_count());

	n0 = rv_dmabuf_count();
	slab0 = rv_meminfo_kb("SUnreclaim");
	ASSERT_LT(0, slab0);

	t0 = rv_now_ns();
	for (i = 0; i < CYCLES; i++) {
		buf = rv_export(d.v.device, BAR, (i % 16) * 4096ull,
				(1 + i % 4) * 4096ull);
		ASSERT_LE(0, buf) TH_LOG("cycle %d: export %d", i, buf);
		ASSERT_EQ(0, edu_attach(imp, buf, 0)) TH_LOG("cycle %d", i);
		ASSERT_EQ(0, edu_map(imp));
		ASSERT_EQ(0, edu_unmap(imp));
		ASSERT_EQ(0, edu_detach(imp));
		ASSERT_EQ(0, close(buf));
	}
	dt = rv_now_ns() - t0;
	TH_LOG("%d cycles in %llu ms", CYCLES,
	       (unsigned long long)(dt / 1000000));
	settle();

	n1 = rv_dmabuf_count();
	slab1 = rv_meminfo_kb("SUnreclaim");
	TH_LOG("dma-bufs %d -> %d, SUnreclaim %ld -> %ld kB", n0, n1, slab0,
	       slab1);
	EXPECT_EQ(n0, n1);
	EXPECT_GT(SLAB_TOLERANCE_KB, slab1 - slab0);
	if (!exporter_is_upstream())
		EXPECT_EQ(0, rv_debugfs_exports(d.bdf, &yes, &no));

	close(imp);
	rv_dev_close(&d);
}

/* Closing the device with a mapped, attached export, many times over. */
TEST(close_with_live_exports_cycles_leave_no_trace)
{
	long slab0, slab1;
	int n0, n1, i, buf, imp;
	struct edu_imp_info info;
	struct rv_dev d;
	uint64_t t0;

	ASSERT_EQ(0, rv_load_modules());
	ASSERT_EQ(0, rv_dev_open(PCI_VID_REDHAT_QUMRANET, PCI_DID_IVSHMEM, &d));
	rv_dev_close(&d);
	settle();
	n0 = rv_dmabuf_count();
	slab0 = rv_meminfo_kb("SUnreclaim");

	t0 = rv_now_ns();
	for (i = 0; i < CLOSE_CYCLES; i++) {
		ASSERT_EQ(0, rv_dev_reopen(&d));
		buf = rv_export(d.v.device, BAR, 0, 8192);
		ASSERT_LE(0, buf);
		imp = rv_imp_open();
		ASSERT_LE(0, imp);
		ASSERT_EQ(0, edu_attach(imp, buf, 0));
		ASSERT_EQ(0, edu_map(imp));
		rv_dev_close(&d);
		ASSERT_EQ(0, edu_info(imp, &info));
		ASSERT_EQ(1, info.move_notify_count);
		/* Importer first on odd cycles, buffer first on even ones. */
		if (i & 1) {
			close(imp);
			close(buf);
		} else {
			close(buf);
			close(imp);
		}
	}
	TH_LOG("%d cycles in %llu ms", CLOSE_CYCLES,
	       (unsigned long long)((rv_now_ns() - t0) / 1000000));
	settle();
	n1 = rv_dmabuf_count();
	slab1 = rv_meminfo_kb("SUnreclaim");
	TH_LOG("dma-bufs %d -> %d, SUnreclaim %ld -> %ld kB", n0, n1, slab0,
	       slab1);
	EXPECT_EQ(n0, n1);
	EXPECT_GT(SLAB_TOLERANCE_KB, slab1 - slab0);
}

/*
 * One export of SCATTERED_RANGES one-page ranges, every other page of the
 * BAR, so that no two merge: a mapping is a table of that many sg entries
 * (one per range, for ours and for upstream below the switch), allocated
 * by sg_alloc_table() as one kmalloc() of SCATTERED_RANGES * 32 bytes.
 * 127 is the largest table that is one slab object: a table of 128
 * entries or more is made of whole pages from __get_free_page() (128
 * entries each, the last one a chain link) plus a kmalloc()ed tail, and
 * pages do not show in SUnreclaim. 500 map cycles of 127 entries are
 * 1984 KiB of scatterlist, almost four times the tolerance.
 */
#define SCATTERED_RANGES	127
#define MAP_CYCLES		500
#define SG_ENTRY_BYTES		32	/* sizeof(struct scatterlist), x86-64 */

_Static_assert(SCATTERED_RANGES * SG_ENTRY_BYTES * MAP_CYCLES / 1024 >
	       2 * SLAB_TOLERANCE_KB, "a leaked table must stand out");

TEST(scattered_map_cycles_free_the_scatterlist)
{
	struct vfio_region_dma_range r[SCATTERED_RANGES];
	long slab0, slab1, free0, free1, grown, expect;
	struct edu_imp_info info;
	struct rv_dev d;
	int i, buf, imp;

	for (i = 0; i < SCATTERED_RANGES; i++) {
		r[i].offset = 2ull * i * PAGE;
		r[i].length = PAGE;
	}
	ASSERT_EQ(0, rv_load_modules());
	ASSERT_EQ(0, rv_dev_open(PCI_VID_REDHAT_QUMRANET, PCI_DID_IVSHMEM, &d));
	imp = rv_imp_open();
	ASSERT_LE(0, imp);
	buf = dmabuf_export(d.v.device, BAR, O_RDWR | O_CLOEXEC, r,
			    SCATTERED_RANGES);
	ASSERT_LE(0, buf) TH_LOG("export of %d ranges: %d", SCATTERED_RANGES,
				 buf);

	/* One cycle first: first-use allocations do not count. */
	ASSERT_EQ(0, edu_attach(imp, buf, 0));
	ASSERT_EQ(0, edu_map(imp));
	ASSERT_EQ(0, edu_info(imp, &info));
	ASSERT_EQ(0, edu_unmap(imp));
	ASSERT_EQ(0, edu_detach(imp));
	/* One entry per range: the table is what this test measures. */
	ASSERT_EQ(SCATTERED_RANGES, info.nents);
	settle();
	slab0 = rv_meminfo_kb("SUnreclaim");
	free0 = rv_meminfo_kb("MemFree");
	ASSERT_LT(0, slab0);

	for (i = 0; i < MAP_CYCLES; i++) {
		ASSERT_EQ(0, edu_attach(imp, buf, 0)) TH_LOG("cycle %d", i);
		ASSERT_EQ(0, edu_map(imp)) TH_LOG("cycle %d", i);
		ASSERT_EQ(0, edu_unmap(imp));
		ASSERT_EQ(0, edu_detach(imp));
	}
	settle();
	slab1 = rv_meminfo_kb("SUnreclaim");
	free1 = rv_meminfo_kb("MemFree");
	grown = slab1 - slab0;
	expect = (long)info.nents * SG_ENTRY_BYTES * MAP_CYCLES / 1024;
	TH_LOG("%d map cycles of %u sg entries: SUnreclaim %ld -> %ld kB (%+ld kB, %+ld B per cycle), MemFree %+ld kB; a leaked table would be %ld kB",
	       MAP_CYCLES, info.nents, slab0, slab1, grown,
	       grown * 1024 / MAP_CYCLES, free1 - free0, expect);
	close(buf);
	close(imp);
	rv_dev_close(&d);

	if (exporter_is_upstream()) {
		/*
		 * Upstream's defect, asserted: at least three quarters of
		 * the tables stay allocated (each is one kmalloc() of
		 * nents * 32 bytes, rounded up to its slab's size).
		 */
		EXPECT_LE(expect * 3 / 4, grown)
			TH_LOG("upstream no longer leaks its scatterlist? The test can become contract");
		ksft_print_msg("upstream defect: dma_buf_free_sgt() frees no scatterlist (orig_nents 0): %ld B per map of %u entries\n",
			       grown * 1024 / MAP_CYCLES, info.nents);
		/* A SKIP would hide the failure above. */
		if (_metadata->exit_code == KSFT_FAIL)
			return;
		/* The same words every run: the parity table quotes them. */
		SKIP(return, "ours only: unmap frees the scatterlist (upstream's dma_buf_free_sgt() leaks it, asserted)");
	}
	EXPECT_GT(SLAB_TOLERANCE_KB, grown);
}

static int module_loaded(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/module/%s", name);
	return access(path, F_OK) == 0;
}

/*
 * A live buffer holds the exporter module (even with its device closed);
 * once every fd is closed both modules unload.
 */
TEST(modules_unload_after_fds_close)
{
	bool ours = !exporter_is_upstream();
	struct rv_dev d;
	int buf, imp;

	ASSERT_EQ(0, rv_load_modules());
	ASSERT_EQ(0, rv_dev_open(PCI_VID_REDHAT_QUMRANET, PCI_DID_IVSHMEM, &d));
	buf = rv_export(d.v.device, BAR, 0, 4096);
	ASSERT_LE(0, buf);
	imp = rv_imp_open();
	ASSERT_LE(0, imp);
	ASSERT_EQ(0, edu_attach(imp, buf, 0));
	ASSERT_EQ(0, edu_map(imp));
	rv_dev_close(&d);

	/* Ours only: the exporter's module (upstream's is vfio_pci_core). */
	if (ours)
		EXPECT_NE(0, bench_rmmod(VPD_MODULE));
	EXPECT_NE(0, bench_rmmod(EDU_IMP_DRIVER));
	close(imp);
	if (ours)
		EXPECT_NE(0, bench_rmmod(VPD_MODULE));
	close(buf);
	settle();

	EXPECT_EQ(0, bench_rmmod(EDU_IMP_DRIVER));
	EXPECT_FALSE(module_loaded("edu_importer"));
	if (ours) {
		EXPECT_EQ(0, bench_rmmod(VPD_MODULE));
		EXPECT_FALSE(module_loaded(VPD_MODULE));
	}
}

TEST_HARNESS_MAIN
