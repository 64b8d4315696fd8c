// SPDX-License-Identifier: GPL-2.0
/*
 * VFIO_DEVICE_FEATURE_DMA_BUF as userspace sees it (basic topology): the
 * exporter is ivshmem (16 MiB BAR2) bound to vfio-pci-dmabuf. Every bad
 * input must fail with upstream's errno (docs: shared reference uapi.md and
 * driver/export.c) and leave its "dma-buf export refused" line in the
 * kernel log; a good one returns a dma-buf fd whose size, fdinfo and fd
 * flags are what was asked. The same device on stock vfio-pci does not
 * know the feature at all.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "dmabuf_util.h"
#include "kselftest_harness.h"

#define BAR2_SIZE	(16UL << 20)

FIXTURE(exp)
{
	struct bench_vfio v;
	char bdf[32];
	int kmsg;
};

FIXTURE_SETUP(exp)
{
	ASSERT_EQ(0, dmabuf_open_ivshmem(self->bdf, sizeof(self->bdf),
					 &self->v));
	self->kmsg = kmsg_mark();
	ASSERT_LE(0, self->kmsg);
}

FIXTURE_TEARDOWN(exp)
{
	close(self->kmsg);
	bench_vfio_close(&self->v);
}

/* Same state, one test per bad request (variant). */
FIXTURE(bad)
{
	struct bench_vfio v;
	char bdf[32];
	int kmsg;
};

FIXTURE_SETUP(bad)
{
	ASSERT_EQ(0, dmabuf_open_ivshmem(self->bdf, sizeof(self->bdf),
					 &self->v));
	self->kmsg = kmsg_mark();
	ASSERT_LE(0, self->kmsg);
}

FIXTURE_TEARDOWN(bad)
{
	close(self->kmsg);
	bench_vfio_close(&self->v);
}

/* One bad request: what to send and what must come back. */
FIXTURE_VARIANT(bad)
{
	uint32_t feat;			/* 0: VFIO_DEVICE_FEATURE_GET */
	uint32_t region;
	uint32_t open_flags;
	uint32_t flags;
	uint32_t nr_ranges;
	uint32_t nr_copy;		/* ranges actually in the buffer */
	long argsz_delta;		/* added to the exact argsz */
	struct vfio_region_dma_range r[2];
	int err;
	/*
	 * Expected text after "<bdf>: dma-buf export refused: " (the
	 * kernel's printf prints 0 as "0x0" under %#x). argsz in the log is
	 * the feature payload: 16 bytes of header + 16 per range.
	 */
	const char *log;
};

FIXTURE_VARIANT_ADD(bad, zero_ranges) {
	.region = IVSHMEM_BAR, .err = EINVAL,
	.log = "flags 0x0, nr_ranges 0",
};

FIXTURE_VARIANT_ADD(bad, flags_not_zero) {
	.region = IVSHMEM_BAR, .flags = 1, .nr_ranges = 1, .nr_copy = 1,
	.r = { { 0, PAGE } }, .err = EINVAL,
	.log = "flags 0x1, nr_ranges 1",
};

FIXTURE_VARIANT_ADD(bad, rom_region) {
	.region = VFIO_PCI_ROM_REGION_INDEX, .nr_ranges = 1, .nr_copy = 1,
	.r = { { 0, PAGE } }, .err = ENODEV,
	.log = "region 6 is not a BAR",
};

FIXTURE_VARIANT_ADD(bad, config_region) {
	.region = VFIO_PCI_CONFIG_REGION_INDEX, .nr_ranges = 1, .nr_copy = 1,
	.r = { { 0, PAGE } }, .err = ENODEV,
	.log = "region 7 is not a BAR",
};

FIXTURE_VARIANT_ADD(bad, vga_region) {
	.region = VFIO_PCI_VGA_REGION_INDEX, .nr_ranges = 1, .nr_copy = 1,
	.r = { { 0, PAGE } }, .err = ENODEV,
	.log = "region 8 is not a BAR",
};

/* ivshmem's BAR1 is unimplemented (BAR2 is 64-bit and takes BAR3). */
FIXTURE_VARIANT_ADD(bad, empty_bar) {
	.region = 1, .nr_ranges = 1, .nr_copy = 1,
	.r = { { 0, PAGE } }, .err = EINVAL,
	.log = "BAR1 is not an mmap-able memory BAR",
};

FIXTURE_VARIANT_ADD(bad, unaligned_offset) {
	.region = IVSHMEM_BAR, .nr_ranges = 1, .nr_copy = 1,
	.r = { { 0x800, PAGE } }, .err = EINVAL,
	.log = "range 0 (0x800+0x1000) empty or not page aligned",
};

FIXTURE_VARIANT_ADD(bad, unaligned_length) {
	.region = IVSHMEM_BAR, .nr_ranges = 1, .nr_copy = 1,
	.r = { { 0, 0x800 } }, .err = EINVAL,
	.log = "range 0 (0x0+0x800) empty or not page aligned",
};

/* The bad range is the second one: all ranges are checked. */
FIXTURE_VARIANT_ADD(bad, zero_length) {
	.region = IVSHMEM_BAR, .nr_ranges = 2, .nr_copy = 2,
	.r = { { 0, PAGE }, { PAGE, 0 } }, .err = EINVAL,
	.log = "range 1 (0x1000+0x0) empty or not page aligned",
};

FIXTURE_VARIANT_ADD(bad, beyond_bar) {
	.region = IVSHMEM_BAR, .nr_ranges = 1, .nr_copy = 1,
	.r = { { BAR2_SIZE - PAGE, 2 * PAGE } }, .err = EINVAL,
	.log = "range 0 (0xfff000+0x2000) beyond BAR2 size 0x1000000",
};

FIXTURE_VARIANT_ADD(bad, starts_at_bar_end) {
	.region = IVSHMEM_BAR, .nr_ranges = 1, .nr_copy = 1,
	.r = { { BAR2_SIZE, PAGE } }, .err = EINVAL,
	.log = "range 0 (0x1000000+0x1000) beyond BAR2 size 0x1000000",
};

FIXTURE_VARIANT_ADD(bad, offset_plus_length_overflows) {
	.region = IVSHMEM_BAR, .nr_ranges = 1, .nr_copy = 1,
	.r = { { 0xfffffffffffff000ULL, 2 * PAGE } }, .err = EOVERFLOW,
	.log = "range 0 (0xfffffffffffff000+0x2000) overflows",
};

FIXTURE_VARIANT_ADD(bad, argsz_short_of_nr_ranges) {
	.region = IVSHMEM_BAR, .nr_ranges = 2, .nr_copy = 1,
	.r = { { 0, PAGE } }, .err = EINVAL,
	.log = "argsz 32 too small for 2 ranges",
};

/* argsz not even covering the struct: vfio_check_feature() refuses. */
FIXTURE_VARIANT_ADD(bad, argsz_short_of_header) {
	.region = IVSHMEM_BAR, .argsz_delta = -4, .err = EINVAL,
};

/* Our limit beyond upstream (docs/design.md): 65536 ranges. */
FIXTURE_VARIANT_ADD(bad, too_many_ranges) {
	.region = IVSHMEM_BAR, .nr_ranges = 65537, .err = EINVAL,
	.log = "nr_ranges 65537 above 65536",
};

FIXTURE_VARIANT_ADD(bad, open_flags_nonblock) {
	.region = IVSHMEM_BAR, .open_flags = O_NONBLOCK, .nr_ranges = 1,
	.nr_copy = 1, .r = { { 0, PAGE } }, .err = EINVAL,
	.log = "open_flags 0x800 not supported",
};

/* SET is refused by vfio_check_feature() before our code: no log line. */
FIXTURE_VARIANT_ADD(bad, set_refused) {
	.feat = VFIO_DEVICE_FEATURE_SET, .region = IVSHMEM_BAR,
	.nr_ranges = 1, .nr_copy = 1, .r = { { 0, PAGE } }, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(bad, probe_set_refused) {
	.feat = VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_SET,
	.region = IVSHMEM_BAR, .err = EINVAL,
};

TEST_F(bad, refused)
{
	struct vfio_device_feature_dma_buf req = {
		.region_index = variant->region,
		.open_flags = variant->open_flags,
		.flags = variant->flags,
		.nr_ranges = variant->nr_ranges,
	};
	char want[160], line[512];
	int ret;

	ret = dmabuf_feature(self->v.device,
			     variant->feat ?: VFIO_DEVICE_FEATURE_GET, &req,
			     variant->r, variant->nr_copy,
			     variant->argsz_delta);
	if (ret >= 0)
		close(ret);
	ASSERT_EQ(-variant->err, ret);
	if (!variant->log)
		return;
	snprintf(want, sizeof(want), "%s: dma-buf export refused: %s",
		 self->bdf, variant->log);
	EXPECT_EQ(1, kmsg_find(self->kmsg, want, line, sizeof(line)))
		TH_LOG("no kernel log line \"%s\"", want);
}

TEST_F(exp, probe_returns_zero)
{
	struct vfio_device_feature_dma_buf req = {};

	EXPECT_EQ(0, dmabuf_feature(self->v.device,
				    VFIO_DEVICE_FEATURE_PROBE |
				    VFIO_DEVICE_FEATURE_GET, &req, NULL, 0, 0));
}

/*
 * I/O port BARs must be refused with EINVAL and the log line naming the
 * BAR. edu, ivshmem-plain and QEMU's nvme have only memory BARs; the basic
 * topology adds pci-testdev for its I/O BAR (BAR1).
 */
TEST_F(exp, io_bar_refused)
{
	static const uint16_t ids[][2] = {
		{ PCI_VID_REDHAT_QUMRANET, PCI_DID_IVSHMEM },
		{ PCI_VID_QEMU_EDU, PCI_DID_EDU },
		{ PCI_VID_REDHAT, PCI_DID_QEMU_NVME },
		{ PCI_VID_REDHAT, PCI_DID_QEMU_TESTDEV },
	};
	unsigned long long start, end, flags;
	char bdf[32], path[128], line[128];
	int i, bar = -1, dev = -1, fd, mark;
	char want[64];
	struct bench_vfio v;
	FILE *f;

	for (i = 0; i < 4 && bar < 0; i++) {
		if (bench_find_pci(ids[i][0], ids[i][1], 0, bdf, sizeof(bdf)))
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource",
			 bdf);
		f = fopen(path, "re");
		ASSERT_NE(NULL, f);
		for (int b = 0; b < 6 && fgets(line, sizeof(line), f); b++) {
			if (sscanf(line, "%llx %llx %llx", &start, &end,
				   &flags) == 3 && (flags & 0x100)) {
				bar = b;	/* IORESOURCE_IO */
				dev = i;
				break;
			}
		}
		fclose(f);
	}
	/* The basic topology has pci-testdev for its I/O BAR. */
	ASSERT_LE(0, bar) TH_LOG("no bench device has an I/O BAR");

	if (dev) {
		bench_vfio_close(&self->v);
		ASSERT_EQ(0, dmabuf_open_exporter(bdf, &v));
	} else {
		v = self->v;
	}
	mark = kmsg_mark();
	ASSERT_LE(0, mark);
	fd = dmabuf_export(v.device, bar, 0,
			   &(struct vfio_region_dma_range){ 0, PAGE }, 1);
	if (fd >= 0)
		close(fd);
	EXPECT_EQ(-EINVAL, fd);
	snprintf(want, sizeof(want), "BAR%d is not an mmap-able memory BAR",
		 bar);
	EXPECT_EQ(1, kmsg_find(mark, want, NULL, 0)) TH_LOG("no \"%s\"", want);
	close(mark);
	if (dev)
		bench_vfio_close(&v);
}

TEST_F(exp, export_fd_fdinfo_and_size)
{
	struct vfio_region_dma_range r[] = {
		{ 0, 2 * PAGE }, { 1UL << 20, PAGE },
	};
	char val[64];
	int fd;

	fd = dmabuf_export(self->v.device, IVSHMEM_BAR, 0, r, 2);
	ASSERT_LE(0, fd) TH_LOG("export: %s", strerror(-fd));
	ASSERT_EQ(0, dmabuf_fdinfo(fd, "exp_name", val, sizeof(val)));
	EXPECT_STREQ("\tvfio-pci-dmabuf", val);
	ASSERT_EQ(0, dmabuf_fdinfo(fd, "size", val, sizeof(val)));
	EXPECT_STREQ("\t12288", val);
	EXPECT_EQ(3 * (off_t)PAGE, dmabuf_size(fd));
	close(fd);
}

/* Ranges may repeat and overlap; the size is the plain sum. */
TEST_F(exp, repeated_ranges_add_up)
{
	struct vfio_region_dma_range r[] = {
		{ PAGE, 4 * PAGE }, { 2 * PAGE, PAGE }, { PAGE, 4 * PAGE },
	};
	int fd;

	fd = dmabuf_export(self->v.device, IVSHMEM_BAR, 0, r, 3);
	ASSERT_LE(0, fd);
	EXPECT_EQ(9 * (off_t)PAGE, dmabuf_size(fd));
	close(fd);
}

/*
 * "Total length overflows size_t" cannot be reached on a 64-bit guest:
 * 65536 ranges of at most a 16 MiB BAR sum to 2^40. What can go wrong is
 * a sum kept in 32 bits: 4096 whole-BAR ranges give 64 GiB exactly.
 */
TEST_F(exp, total_beyond_4g_is_exact)
{
	struct vfio_region_dma_range *r;
	int fd, i;

	r = calloc(4096, sizeof(*r));
	ASSERT_NE(NULL, r);
	for (i = 0; i < 4096; i++)
		r[i].length = BAR2_SIZE;
	fd = dmabuf_export(self->v.device, IVSHMEM_BAR, 0, r, 4096);
	free(r);
	ASSERT_LE(0, fd);
	EXPECT_EQ((off_t)64 << 30, dmabuf_size(fd));
	close(fd);
}

TEST_F(exp, cloexec_only_when_asked)
{
	struct vfio_region_dma_range r = { 0, PAGE };
	int fd;

	fd = dmabuf_export(self->v.device, IVSHMEM_BAR, O_CLOEXEC, &r, 1);
	ASSERT_LE(0, fd);
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);

	fd = dmabuf_export(self->v.device, IVSHMEM_BAR, 0, &r, 1);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
}

TEST_F(exp, access_mode_from_open_flags)
{
	struct vfio_region_dma_range r = { 0, PAGE };
	int fd;

	fd = dmabuf_export(self->v.device, IVSHMEM_BAR, O_RDWR, &r, 1);
	ASSERT_LE(0, fd);
	EXPECT_EQ(O_RDWR, fcntl(fd, F_GETFL) & O_ACCMODE);
	close(fd);

	fd = dmabuf_export(self->v.device, IVSHMEM_BAR, O_RDONLY, &r, 1);
	ASSERT_LE(0, fd);
	EXPECT_EQ(O_RDONLY, fcntl(fd, F_GETFL) & O_ACCMODE);
	close(fd);
}

/* debugfs lists a live export with its ranges, and forgets it on release. */
TEST_F(exp, debugfs_lists_export)
{
	struct vfio_region_dma_range r[] = {
		{ 0x10000, PAGE }, { 0x20000, 2 * PAGE },
	};
	char buf[4096];
	int fd;

	fd = dmabuf_export(self->v.device, IVSHMEM_BAR, 0, r, 2);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, dmabuf_debugfs_exports(self->bdf, buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, ": region 2 size 0x3000 nr_ranges 2 revoked no\n"))
		TH_LOG("exports:\n%s", buf);
	EXPECT_NE(NULL, strstr(buf, "  range 0: offset 0x10000 length 0x1000\n"));
	EXPECT_NE(NULL, strstr(buf, "  range 1: offset 0x20000 length 0x2000\n"));
	close(fd);
	ASSERT_EQ(0, dmabuf_debugfs_exports(self->bdf, buf, sizeof(buf)));
	EXPECT_EQ(NULL, strstr(buf, "size 0x3000")) TH_LOG("exports:\n%s", buf);
}

/*
 * Stock vfio-pci of 6.12 does not know feature 11:
 * vfio_pci_core_ioctl_feature() answers -ENOTTY for GET and PROBE alike.
 */
TEST(stock_vfio_pci_answers_enotty)
{
	struct vfio_device_feature_dma_buf req = { .region_index = 2,
						   .nr_ranges = 1 };
	struct vfio_region_dma_range r = { 0, PAGE };
	struct bench_vfio v;
	char bdf[32];

	ASSERT_EQ(0, bench_modprobe("vfio-pci", NULL));
	ASSERT_EQ(0, bench_modprobe("vfio_iommu_type1", NULL));
	ASSERT_EQ(0, bench_find_pci(PCI_VID_REDHAT_QUMRANET, PCI_DID_IVSHMEM,
				    0, bdf, sizeof(bdf)));
	ASSERT_EQ(0, bench_bind(bdf, "vfio-pci"));
	ASSERT_EQ(0, bench_vfio_open(bdf, &v));
	EXPECT_EQ(-ENOTTY, dmabuf_feature(v.device, VFIO_DEVICE_FEATURE_GET,
					  &req, &r, 1, 0));
	EXPECT_EQ(-ENOTTY, dmabuf_feature(v.device, VFIO_DEVICE_FEATURE_PROBE |
					  VFIO_DEVICE_FEATURE_GET, &req, NULL,
					  0, 0));
	bench_vfio_close(&v);
	EXPECT_EQ(0, bench_unbind(bdf));
}

TEST_HARNESS_MAIN
