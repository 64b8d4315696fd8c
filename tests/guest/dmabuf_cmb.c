// SPDX-License-Identifier: GPL-2.0
/*
 * NVMe Controller Memory Buffer as the exported memory (basic topology):
 * QEMU's nvme (1b36:0010, cmb_size_mb=16) bound to vfio-pci-dmabuf, edu
 * (edu-importer) DMAs into a CMB range, userspace reads it back through the
 * VFIO mmap of the CMB's BAR. This is the SPDK case: a peer writes straight
 * into the controller's memory.
 *
 * QEMU 7.2 puts the CMB alone in BAR2, at offset 0, filling the BAR (a BAR
 * is a power of two and so is cmb_size_mb here): a range outside the CMB
 * window is therefore also beyond the BAR, and it is the generic check
 * that refuses it first. The window check of the nvme backend cannot be
 * told apart from that one on this bench; cmb_window_is_bar2 proves the
 * premise so the test notices if QEMU ever changes it.
 *
 * Against upstream's exporter (EXPORTER=vfio-pci, issue 9): the refusal of
 * a range beyond the BAR is *contract*; the CMB setup (CMBMSC.CRE) is ours
 * only, and so is the DMA into the CMB, which needs a map through q35's
 * host bridge (on no upstream list: upstream's EINVAL is asserted).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "fixture.h"
#include "kselftest_harness.h"

#define NVME_REG_CMBLOC	0x38
#define NVME_REG_CMBSZ	0x3c
#define NVME_REG_CMBMSC	0x50
#define CMB_SIZE	(16UL << 20)
#define XFER		2048

FIXTURE(cmb)
{
	struct bench_vfio v;
	char bdf[32], edu[32];
	int kmsg;
};

FIXTURE_SETUP(cmb)
{
	ASSERT_EQ(0, bench_find_pci(PCI_VID_REDHAT, PCI_DID_QEMU_NVME, 0,
				    self->bdf, sizeof(self->bdf)));
	ASSERT_EQ(0, dmabuf_load_exporter(VPD_P2P_PARAM));
	if (!exporter_is_upstream())
		ASSERT_EQ(0, dmabuf_set_hb_param("8086:29c0"));
	ASSERT_EQ(0, dmabuf_open_exporter(self->bdf, &self->v));
	self->kmsg = kmsg_mark();
	ASSERT_LE(0, self->kmsg);
}

FIXTURE_TEARDOWN(cmb)
{
	close(self->kmsg);
	bench_vfio_close(&self->v);
}

/* BAR0 register through the VFIO region (BAR0 holds the MSI-X table, so
 * it is read with pread, not mmap).
 */
static int reg32(int device, unsigned int off, uint32_t *val)
{
	struct vfio_region_info info = { .argsz = sizeof(info), .index = 0 };

	if (ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &info))
		return -errno;
	if (pread(device, val, 4, info.offset + off) != 4)
		return -EIO;
	return 0;
}

/*
 * CMBLOC/CMBSZ read as zero on NVMe >= 1.4 until CMBMSC.CRE is set: the
 * driver sets CRE (nvme_cmb_cre=Y) when the device is opened, so they are
 * visible to us, and describe the whole 16 MiB BAR2.
 */
TEST_F(cmb, cmb_window_is_bar2)
{
	uint32_t loc, sz, msc;
	uint64_t unit;

	OURS_ONLY("NVMe CMB window (CMBMSC.CRE set by vfio-pci-dmabuf)");
	ASSERT_EQ(0, reg32(self->v.device, NVME_REG_CMBMSC, &msc));
	ASSERT_EQ(0, reg32(self->v.device, NVME_REG_CMBLOC, &loc));
	ASSERT_EQ(0, reg32(self->v.device, NVME_REG_CMBSZ, &sz));
	TH_LOG("CMBMSC %#x CMBLOC %#x CMBSZ %#x", msc, loc, sz);
	EXPECT_EQ(1, msc & 1) TH_LOG("CRE not set by the driver");
	EXPECT_EQ(2, loc & 7);
	EXPECT_EQ(0, loc >> 12);
	unit = 4096ULL << (4 * ((sz >> 8) & 0xf));
	EXPECT_EQ(CMB_SIZE, (sz >> 12) * unit);
}

TEST_F(cmb, edu_dma_into_cmb_reads_back_via_mmap)
{
	struct vfio_region_dma_range r = { 0x100000, 2 * PAGE };
	uint8_t data[XFER], got[XFER];
	char buf[4096], line[128];
	size_t size;
	uint8_t *bar;
	int fd, imp;

	bar = bench_vfio_mmap_region(self->v.device, 2, &size);
	ASSERT_NE(MAP_FAILED, bar);
	EXPECT_EQ(CMB_SIZE, size);
	memset(bar + r.offset, 0x5a, r.length);

	imp = dmabuf_open_importer(self->edu, sizeof(self->edu));
	ASSERT_LE(0, imp);
	fd = dmabuf_export(self->v.device, 2, O_CLOEXEC, &r, 1);
	ASSERT_LE(0, fd) TH_LOG("export: %s", strerror(-fd));
	ASSERT_EQ(0, edu_attach(imp, fd, 0));
	if (exporter_is_upstream()) {
		ASSERT_EQ(-EINVAL, edu_map(imp));
		close(fd);
		close(imp);
		munmap(bar, size);
		SKIP(return, "ours only: p2p_host_bridges (q35's host bridge is on no upstream list; upstream refuses the map: EINVAL)");
	}
	ASSERT_EQ(0, edu_map(imp));

	pattern_fill(data, XFER, 0xc0b);
	ASSERT_EQ(0, edu_dma(imp, PAGE + 0x80, data, XFER,
			     EDU_IMP_DIR_TO_DMABUF));
	EXPECT_EQ(-1, pattern_check(bar + r.offset + PAGE + 0x80, XFER, 0xc0b));
	EXPECT_EQ(0x5a, bar[r.offset + PAGE + 0x7f]);
	EXPECT_EQ(0x5a, bar[r.offset + PAGE + 0x80 + XFER]);

	/* And the other way: CMB bytes written by the CPU, read by edu. */
	pattern_fill(bar + r.offset, XFER, 0xc0c);
	ASSERT_EQ(0, edu_dma(imp, 0, got, XFER, EDU_IMP_DIR_FROM_DMABUF));
	EXPECT_EQ(-1, pattern_check(got, XFER, 0xc0c));

	ASSERT_EQ(0, dmabuf_debugfs_exports(self->bdf, buf, sizeof(buf)));
	snprintf(line, sizeof(line), "  attach %s: map host-bridge mapped yes\n",
		 self->edu);
	EXPECT_NE(NULL, strstr(buf, line)) TH_LOG("exports:\n%s", buf);

	close(fd);
	close(imp);
	munmap(bar, size);
}

/* Contract. See the top comment: outside the CMB is beyond BAR2 here. */
TEST_F(cmb, range_outside_cmb_refused)
{
	struct vfio_region_dma_range r = { CMB_SIZE - PAGE, 2 * PAGE };
	char want[160];
	int fd;

	fd = dmabuf_export(self->v.device, 2, 0, &r, 1);
	if (fd >= 0)
		close(fd);
	EXPECT_EQ(-EINVAL, fd);
	snprintf(want, sizeof(want),
		 "%s: dma-buf export refused: range 0 (0xfff000+0x2000) beyond BAR2 size 0x1000000",
		 self->bdf);
	EXPECT_OURS_LOGGED(self->kmsg, want);
}

TEST_HARNESS_MAIN
