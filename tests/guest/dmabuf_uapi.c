// SPDX-License-Identifier: GPL-2.0
/*
 * VFIO_DEVICE_FEATURE_DMA_BUF as userspace sees it (basic topology): the
 * exporter is ivshmem (16 MiB BAR2) bound to vfio-pci-dmabuf. Every bad
 * input must fail with upstream's errno (docs: shared reference uapi.md and
 * driver/export.c) and leave its "dma-buf export refused" line in the
 * kernel log; a good one returns a dma-buf fd whose size, fdinfo and fd
 * flags are what was asked. The same device on stock vfio-pci does not
 * know the feature at all.
 *
 * Each case says whether it is *contract* (upstream 7.2's exporter,
 * drivers/vfio/pci/vfio_pci_dmabuf.c, gives the same result: errno, fd,
 * size; where a request has several faults, the same one wins) or *ours
 * only*. The log lines are always ours only.
 *
 * With EXPORTER=vfio-pci (the sid72-upstream kernel of vm/kernels) the
 * suite runs against upstream's exporter itself: contract cases must pass
 * unchanged, ours-only ones skip (OURS_ONLY) or assert what upstream does
 * instead, and the log lines are not looked for (EXPECT_OURS_LOGGED).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "fixture.h"
#include "kselftest_harness.h"

#define BAR2_SIZE	(16UL << 20)
/*
 * Upstream's limit: what one kmalloc() of the ranges holds, 4 MiB / 16
 * bytes on x86-64 (KMALLOC_MAX_SIZE with 4 KiB pages); ours is the same.
 */
#define MAX_RANGES	262144U

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

/* Contract: nr_ranges 0 -> EINVAL. */
FIXTURE_VARIANT_ADD(bad, zero_ranges) {
	.region = IVSHMEM_BAR, .err = EINVAL,
	.log = "flags 0x0, nr_ranges 0",
};

/* Contract: flags != 0 -> EINVAL. */
FIXTURE_VARIANT_ADD(bad, flags_not_zero) {
	.region = IVSHMEM_BAR, .flags = 1, .nr_ranges = 1, .nr_copy = 1,
	.r = { { 0, PAGE } }, .err = EINVAL,
	.log = "flags 0x1, nr_ranges 1",
};

/* Contract: region_index >= VFIO_PCI_ROM_REGION_INDEX -> ENODEV. */
FIXTURE_VARIANT_ADD(bad, rom_region) {
	.region = VFIO_PCI_ROM_REGION_INDEX, .nr_ranges = 1, .nr_copy = 1,
	.r = { { 0, PAGE } }, .err = ENODEV,
	.log = "region 6 is not a BAR",
};

/* Contract: as rom_region. */
FIXTURE_VARIANT_ADD(bad, config_region) {
	.region = VFIO_PCI_CONFIG_REGION_INDEX, .nr_ranges = 1, .nr_copy = 1,
	.r = { { 0, PAGE } }, .err = ENODEV,
	.log = "region 7 is not a BAR",
};

/* Contract: as rom_region. */
FIXTURE_VARIANT_ADD(bad, vga_region) {
	.region = VFIO_PCI_VGA_REGION_INDEX, .nr_ranges = 1, .nr_copy = 1,
	.r = { { 0, PAGE } }, .err = ENODEV,
	.log = "region 8 is not a BAR",
};

/*
 * Contract: an empty BAR -> ENODEV (upstream: vfio_pci_core_get_iomap()
 * fails). ivshmem's BAR1 is unimplemented (BAR2 is 64-bit, takes BAR3).
 */
FIXTURE_VARIANT_ADD(bad, empty_bar) {
	.region = 1, .nr_ranges = 1, .nr_copy = 1,
	.r = { { 0, PAGE } }, .err = ENODEV,
	.log = "BAR1 is empty",
};

/* Contract: the region is checked before the number of ranges. */
FIXTURE_VARIANT_ADD(bad, not_a_bar_before_too_many) {
	.region = VFIO_PCI_ROM_REGION_INDEX, .nr_ranges = MAX_RANGES + 1,
	.err = ENODEV, .log = "region 6 is not a BAR",
};

/* Contract: as not_a_bar_before_too_many, for an empty BAR. */
FIXTURE_VARIANT_ADD(bad, empty_bar_before_too_many) {
	.region = 1, .nr_ranges = MAX_RANGES + 1, .err = ENODEV,
	.log = "BAR1 is empty",
};

/* Contract: offset not page aligned -> EINVAL. */
FIXTURE_VARIANT_ADD(bad, unaligned_offset) {
	.region = IVSHMEM_BAR, .nr_ranges = 1, .nr_copy = 1,
	.r = { { 0x800, PAGE } }, .err = EINVAL,
	.log = "range 0 (0x800+0x1000) empty or not page aligned",
};

/* Contract: length not page aligned -> EINVAL. */
FIXTURE_VARIANT_ADD(bad, unaligned_length) {
	.region = IVSHMEM_BAR, .nr_ranges = 1, .nr_copy = 1,
	.r = { { 0, 0x800 } }, .err = EINVAL,
	.log = "range 0 (0x0+0x800) empty or not page aligned",
};

/* Contract: length 0 -> EINVAL; the bad range is the second one. */
FIXTURE_VARIANT_ADD(bad, zero_length) {
	.region = IVSHMEM_BAR, .nr_ranges = 2, .nr_copy = 2,
	.r = { { 0, PAGE }, { PAGE, 0 } }, .err = EINVAL,
	.log = "range 1 (0x1000+0x0) empty or not page aligned",
};

/* Contract: a range ending beyond the BAR -> EINVAL. */
FIXTURE_VARIANT_ADD(bad, beyond_bar) {
	.region = IVSHMEM_BAR, .nr_ranges = 1, .nr_copy = 1,
	.r = { { BAR2_SIZE - PAGE, 2 * PAGE } }, .err = EINVAL,
	.log = "range 0 (0xfff000+0x2000) beyond BAR2 size 0x1000000",
};

/* Contract: as beyond_bar. */
FIXTURE_VARIANT_ADD(bad, starts_at_bar_end) {
	.region = IVSHMEM_BAR, .nr_ranges = 1, .nr_copy = 1,
	.r = { { BAR2_SIZE, PAGE } }, .err = EINVAL,
	.log = "range 0 (0x1000000+0x1000) beyond BAR2 size 0x1000000",
};

/* Contract: BAR start + offset + length wraps 64 bits -> EOVERFLOW. */
FIXTURE_VARIANT_ADD(bad, offset_plus_length_overflows) {
	.region = IVSHMEM_BAR, .nr_ranges = 1, .nr_copy = 1,
	.r = { { 0xfffffffffffff000ULL, 2 * PAGE } }, .err = EOVERFLOW,
	.log = "range 0 (0xfffffffffffff000+0x2000) overflows the physical address",
};

/*
 * Contract: every range's length and alignment are checked before any is
 * placed in the BAR: an unaligned second range wins over an overflowing
 * first one.
 */
FIXTURE_VARIANT_ADD(bad, unaligned_before_overflow) {
	.region = IVSHMEM_BAR, .nr_ranges = 2, .nr_copy = 2,
	.r = { { 0xfffffffffffff000ULL, 2 * PAGE }, { 0x800, PAGE } },
	.err = EINVAL,
	.log = "range 1 (0x800+0x1000) empty or not page aligned",
};

/* Contract: a total size of 2^63 or more -> EINVAL. */
FIXTURE_VARIANT_ADD(bad, total_2_63) {
	.region = IVSHMEM_BAR, .nr_ranges = 2, .nr_copy = 2,
	.r = { { 0, 1ULL << 62 }, { 0, 1ULL << 62 } }, .err = EINVAL,
	.log = "total length reaches 2^63",
};

/* Contract: ... checked before the ranges are placed (no EOVERFLOW). */
FIXTURE_VARIANT_ADD(bad, total_2_63_before_overflow) {
	.region = IVSHMEM_BAR, .nr_ranges = 2, .nr_copy = 2,
	.r = { { 0xfffffffffffff000ULL, 2 * PAGE }, { 0, 1ULL << 63 } },
	.err = EINVAL,
	.log = "total length reaches 2^63",
};

/*
 * Contract: argsz not even covering the struct: vfio_check_feature()
 * refuses (upstream: the same call).
 */
FIXTURE_VARIANT_ADD(bad, argsz_short_of_header) {
	.region = IVSHMEM_BAR, .argsz_delta = -4, .err = EINVAL,
};

/*
 * Contract: more ranges than one kmalloc() holds -> ENOMEM, before any
 * range is read (none is in the buffer here).
 */
FIXTURE_VARIANT_ADD(bad, too_many_ranges) {
	.region = IVSHMEM_BAR, .nr_ranges = MAX_RANGES + 1, .err = ENOMEM,
	.log = "nr_ranges 262145 above 262144",
};

/*
 * Contract: SET is refused by vfio_check_feature() before our code: no
 * log line.
 */
FIXTURE_VARIANT_ADD(bad, set_refused) {
	.feat = VFIO_DEVICE_FEATURE_SET, .region = IVSHMEM_BAR,
	.nr_ranges = 1, .nr_copy = 1, .r = { { 0, PAGE } }, .err = EINVAL,
};

/* Contract: as set_refused. */
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
	if (!variant->log || exporter_is_upstream())
		return;
	snprintf(want, sizeof(want), "%s: dma-buf export refused: %s",
		 self->bdf, variant->log);
	EXPECT_EQ(1, kmsg_find(self->kmsg, want, line, sizeof(line)))
		TH_LOG("no kernel log line \"%s\"", want);
}

/* Contract. */
TEST_F(exp, probe_returns_zero)
{
	struct vfio_device_feature_dma_buf req = {};

	EXPECT_EQ(0, dmabuf_feature(self->v.device,
				    VFIO_DEVICE_FEATURE_PROBE |
				    VFIO_DEVICE_FEATURE_GET, &req, NULL, 0, 0));
}

/*
 * Contract: I/O port BARs are refused with EINVAL (upstream: no P2P
 * provider for a non-memory BAR), with the log line naming the BAR. edu, ivshmem-plain and QEMU's nvme have only memory BARs; the basic
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
	snprintf(want, sizeof(want), "BAR%d is not a memory BAR", bar);
	EXPECT_OURS_LOGGED(mark, want);
	close(mark);
	if (dev)
		bench_vfio_close(&v);
}

/*
 * Contract for the size; ours only for exp_name, which is the exporting
 * module's name in both: "vfio_pci_core" upstream, "vfio_pci_dmabuf" here
 * (asserted for each, docs/design.md "Differences from upstream 7.2").
 */
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
	EXPECT_STREQ(exporter_is_upstream() ? "\tvfio_pci_core" :
		     "\tvfio_pci_dmabuf", val);
	ASSERT_EQ(0, dmabuf_fdinfo(fd, "size", val, sizeof(val)));
	EXPECT_STREQ("\t12288", val);
	EXPECT_EQ(3 * (off_t)PAGE, dmabuf_size(fd));
	close(fd);
}

/* Contract: ranges may repeat and overlap; the size is the plain sum. */
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
 * Contract. A total of 2^63 cannot be reached with real ranges: 262144
 * ranges of at most a 16 MiB BAR sum to 2^42 (total_2_63 above gets there
 * only with ranges beyond the BAR). What can go wrong is a sum kept in 32
 * bits: 4096 whole-BAR ranges give 64 GiB exactly.
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

/* Contract. */
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

/* Contract. */
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

/*
 * Contract: open_flags are not checked. The file keeps the access mode and
 * O_NONBLOCK (7.2's dma_buf_getfile() keeps those two), the fd O_CLOEXEC,
 * and every other bit is ignored.
 */
TEST_F(exp, open_flags_any_accepted)
{
	struct vfio_region_dma_range r = { 0, PAGE };
	int fd, fl;

	fd = dmabuf_export(self->v.device, IVSHMEM_BAR, O_RDWR | O_NONBLOCK,
			   &r, 1);
	ASSERT_LE(0, fd) TH_LOG("O_NONBLOCK: %s", strerror(-fd));
	EXPECT_EQ(O_RDWR | O_NONBLOCK,
		  fcntl(fd, F_GETFL) & (O_ACCMODE | O_NONBLOCK));
	close(fd);

	fd = dmabuf_export(self->v.device, IVSHMEM_BAR,
			   O_RDONLY | O_TRUNC | O_APPEND | O_DIRECT | O_NOATIME |
			   O_SYNC | O_CREAT | O_EXCL, &r, 1);
	ASSERT_LE(0, fd) TH_LOG("other flags: %s", strerror(-fd));
	fl = fcntl(fd, F_GETFL);
	EXPECT_EQ(O_RDONLY, fl & O_ACCMODE);
	EXPECT_EQ(0, fl & (O_APPEND | O_DIRECT | O_NOATIME | O_NONBLOCK));
	EXPECT_EQ(0, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
}

/*
 * Contract: argsz is not checked against nr_ranges: the ranges are read
 * from where nr_ranges puts them (upstream: memdup_array_user() on
 * dma_ranges[nr_ranges] whatever argsz says).
 */
TEST_F(exp, argsz_not_checked_against_ranges)
{
	struct vfio_device_feature_dma_buf req = {
		.region_index = IVSHMEM_BAR, .nr_ranges = 2,
	};
	struct vfio_region_dma_range r[] = { { 0, PAGE }, { PAGE, PAGE } };
	int fd;

	/* argsz covers the header and one range; both ranges are there. */
	fd = dmabuf_feature(self->v.device, VFIO_DEVICE_FEATURE_GET, &req, r,
			    2, -(long)sizeof(r[0]));
	ASSERT_LE(0, fd) TH_LOG("export: %s", strerror(-fd));
	EXPECT_EQ(2 * (off_t)PAGE, dmabuf_size(fd));
	close(fd);
}

/*
 * Send request @req with only its first @readable bytes readable: they
 * end at a page boundary, the rest of the request would lie in the next,
 * inaccessible page. Returns the ioctl's -errno, or its fd closed.
 */
static int feature_at_boundary(int device, const void *req, size_t readable)
{
	char *p;
	int ret;

	p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	if (mprotect(p + PAGE, PAGE, PROT_NONE)) {
		ret = -errno;
		munmap(p, 2 * PAGE);
		return ret;
	}
	memcpy(p + PAGE - readable, req, readable);
	ret = ioctl(device, VFIO_DEVICE_FEATURE, p + PAGE - readable);
	if (ret >= 0)
		close(ret);
	else
		ret = -errno;
	munmap(p, 2 * PAGE);
	return ret;
}

struct feature_req {
	struct vfio_device_feature hdr;
	struct vfio_device_feature_dma_buf get;
	struct vfio_region_dma_range r;
} __attribute__((packed));

/*
 * Contract: ranges that cannot be read -> EFAULT. The header and the
 * feature's arguments are readable, the one range is not.
 */
TEST_F(exp, unreadable_ranges_efault)
{
	struct feature_req req = {
		.hdr.argsz = sizeof(req.hdr) + sizeof(req.get),
		.hdr.flags = VFIO_DEVICE_FEATURE_GET |
			     VFIO_DEVICE_FEATURE_DMA_BUF,
		.get.region_index = IVSHMEM_BAR, .get.nr_ranges = 1,
	};
	char want[160];

	EXPECT_EQ(-EFAULT, feature_at_boundary(self->v.device, &req,
					       sizeof(req.hdr) + sizeof(req.get)));
	snprintf(want, sizeof(want), "%s: dma-buf export refused: 1 ranges not readable",
		 self->bdf);
	EXPECT_OURS_LOGGED(self->kmsg, want);
}

/*
 * Contract: the feature's own arguments cannot be read -> EFAULT. The
 * header is readable; the arguments after it run into an inaccessible
 * page.
 */
TEST_F(exp, unreadable_arguments_efault)
{
	struct feature_req req = {
		.hdr.argsz = sizeof(req),
		.hdr.flags = VFIO_DEVICE_FEATURE_GET |
			     VFIO_DEVICE_FEATURE_DMA_BUF,
		.get.region_index = IVSHMEM_BAR, .get.nr_ranges = 1,
		.r.length = PAGE,
	};
	char want[160];

	EXPECT_EQ(-EFAULT, feature_at_boundary(self->v.device, &req,
					       sizeof(req.hdr) + 4));
	snprintf(want, sizeof(want), "%s: dma-buf export refused: arguments not readable",
		 self->bdf);
	EXPECT_OURS_LOGGED(self->kmsg, want);
}

/*
 * Contract: no fd left for the buffer (RLIMIT_NOFILE reached) -> EMFILE,
 * and the buffer made for it is gone again: the system holds as many
 * dma-bufs as before.
 */
TEST_F(exp, no_fd_left_emfile)
{
	struct vfio_region_dma_range r = { 0, PAGE };
	struct rlimit old, lim;
	int before, lowest, fd;

	before = rv_dmabuf_count();
	ASSERT_LE(0, before);
	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &old));
	/* The lowest free fd becomes the limit: no fd can be allocated. */
	lowest = dup(0);
	ASSERT_LE(0, lowest);
	close(lowest);
	lim = old;
	lim.rlim_cur = lowest;
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &lim));
	fd = dmabuf_export(self->v.device, IVSHMEM_BAR, 0, &r, 1);
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &old));
	if (fd >= 0)
		close(fd);
	EXPECT_EQ(-EMFILE, fd);
	EXPECT_EQ(before, rv_dmabuf_count());
}

/*
 * Contract: as many ranges as one kmalloc() holds (MAX_RANGES) are
 * accepted, and any number below (ours refused more than 65536 before).
 */
TEST_F(exp, max_ranges_accepted)
{
	static const uint32_t nr[] = { 65537, MAX_RANGES };
	struct vfio_region_dma_range *r;
	unsigned int i, k;
	int fd;

	r = calloc(MAX_RANGES, sizeof(*r));
	ASSERT_NE(NULL, r);
	for (i = 0; i < MAX_RANGES; i++) {
		r[i].offset = (i % (BAR2_SIZE / PAGE)) * PAGE;
		r[i].length = PAGE;
	}
	for (k = 0; k < 2; k++) {
		fd = dmabuf_export(self->v.device, IVSHMEM_BAR, 0, r, nr[k]);
		EXPECT_LE(0, fd) TH_LOG("%u ranges: %s", nr[k], strerror(-fd));
		if (fd < 0)
			continue;
		EXPECT_EQ((off_t)nr[k] * PAGE, dmabuf_size(fd));
		close(fd);
	}
	free(r);
}

/*
 * Contract: a range whose BAR start + offset (or + length) wraps the
 * physical address -> EOVERFLOW, even where offset + length alone fits
 * 64 bits (upstream: vfio_pci_core_fill_phys_vec()).
 */
TEST_F(exp, offset_wraps_physical_address)
{
	unsigned long long start, end, flags;
	char path[128], line[128], want[200];
	struct vfio_region_dma_range r;
	int fd, i;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource",
		 self->bdf);
	f = fopen(path, "re");
	ASSERT_NE(NULL, f);
	for (i = 0; i <= IVSHMEM_BAR; i++)
		ASSERT_NE(NULL, fgets(line, sizeof(line), f));
	fclose(f);
	ASSERT_EQ(3, sscanf(line, "%llx %llx %llx", &start, &end, &flags));
	ASSERT_NE(0, start);

	/* BAR start + offset is exactly 2^64. */
	r.offset = -(uint64_t)start;
	r.length = PAGE;
	fd = dmabuf_export(self->v.device, IVSHMEM_BAR, 0, &r, 1);
	if (fd >= 0)
		close(fd);
	EXPECT_EQ(-EOVERFLOW, fd);
	snprintf(want, sizeof(want),
		 "%s: dma-buf export refused: range 0 (%#llx+0x1000) overflows the physical address",
		 self->bdf, (unsigned long long)r.offset);
	EXPECT_OURS_LOGGED(self->kmsg, want);

	/* BAR start + offset fits, + length does not. */
	r.offset = -(uint64_t)start - PAGE;
	r.length = 2 * PAGE;
	fd = dmabuf_export(self->v.device, IVSHMEM_BAR, 0, &r, 1);
	if (fd >= 0)
		close(fd);
	EXPECT_EQ(-EOVERFLOW, fd);
}

/*
 * Ours only: debugfs lists a live export with its ranges, and forgets it
 * on release.
 */
TEST_F(exp, debugfs_lists_export)
{
	struct vfio_region_dma_range r[] = {
		{ 0x10000, PAGE }, { 0x20000, 2 * PAGE },
	};
	char buf[4096];
	int fd;

	OURS_ONLY("debugfs (/sys/kernel/debug/vfio-pci-dmabuf)");
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
 * A BAR whose memory region another driver holds: bar-hold (tests/barhold)
 * takes ivshmem's BAR2 while the device is bound but closed, so vfio-pci's
 * claim of it at open fails.
 */
#define BAR_HOLD	"bar-hold"

FIXTURE(held)
{
	struct bench_vfio v;
	char bdf[32];
	bool holding;
};

FIXTURE_SETUP(held)
{
	char param[64];

	self->v.container = self->v.group = self->v.device = -1;
	self->holding = false;
	ASSERT_EQ(0, bench_find_pci(PCI_VID_REDHAT_QUMRANET, PCI_DID_IVSHMEM,
				    0, self->bdf, sizeof(self->bdf)));
	ASSERT_EQ(0, dmabuf_load_exporter(VPD_P2P_PARAM));
	ASSERT_EQ(0, bench_bind(self->bdf, exporter_driver()));
	snprintf(param, sizeof(param), "dev=%s bar=%d", self->bdf,
		 IVSHMEM_BAR);
	ASSERT_EQ(0, bench_modprobe(BAR_HOLD, param));
	self->holding = true;
}

FIXTURE_TEARDOWN(held)
{
	bench_vfio_close(&self->v);
	if (self->holding)
		EXPECT_EQ(0, bench_rmmod(BAR_HOLD));
}

/*
 * Contract: a BAR that vfio-pci could not reserve at open is not
 * exportable: ENODEV on every kernel (7.2: vfio_pci_core_map_bars() leaves
 * an error pointer in barmap[], which vfio_pci_core_get_iomap() returns;
 * 6.1 and 6.12 map BARs lazily, and our open reserves them itself). No
 * dma-buf is made, so nothing can be imported or CPU-mapped. Once the
 * region is free and the device opened again, the same request exports.
 */
TEST_F(held, held_bar_not_exportable)
{
	struct vfio_region_dma_range r = { 0, PAGE };
	int fd, mark, before;
	char want[96];
	void *p;

	ASSERT_EQ(0, bench_vfio_open(self->bdf, &self->v));
	mark = kmsg_mark();
	ASSERT_LE(0, mark);
	before = rv_dmabuf_count();
	ASSERT_LE(0, before);

	fd = dmabuf_export(self->v.device, IVSHMEM_BAR, O_RDWR, &r, 1);
	if (fd >= 0) {
		p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		TH_LOG("BAR%d, held by %s, was exported%s", IVSHMEM_BAR,
		       BAR_HOLD, p == MAP_FAILED ? "" :
		       " and mapped for the CPU");
		if (p != MAP_FAILED)
			munmap(p, PAGE);
		close(fd);
	}
	EXPECT_EQ(-ENODEV, fd);
	EXPECT_EQ(before, rv_dmabuf_count());
	snprintf(want, sizeof(want),
		 "%s: dma-buf export refused: BAR%d region not reserved by vfio-pci",
		 self->bdf, IVSHMEM_BAR);
	EXPECT_OURS_LOGGED(mark, want);
	close(mark);

	/* The region released, the next open reserves it: it exports. */
	bench_vfio_close(&self->v);
	ASSERT_EQ(0, bench_rmmod(BAR_HOLD));
	self->holding = false;
	ASSERT_EQ(0, bench_vfio_open(self->bdf, &self->v));
	fd = dmabuf_export(self->v.device, IVSHMEM_BAR, O_RDWR, &r, 1);
	EXPECT_LE(0, fd) TH_LOG("export: %s", strerror(-fd));
	if (fd >= 0)
		close(fd);
}

/*
 * Ours only: stock vfio-pci of 6.1 to 6.18 does not know feature 11:
 * vfio_pci_core_ioctl_feature() answers -ENOTTY for GET and PROBE alike.
 * From 6.19 it does (upstream's exporter, built in on Debian's 7.2): there
 * this asserts what upstream answers, so that a change shows up.
 */
TEST(stock_vfio_pci_answers_enotty)
{
	struct vfio_device_feature_dma_buf req = { .region_index = 2,
						   .nr_ranges = 1 };
	struct vfio_region_dma_range r = { 0, PAGE };
	struct bench_vfio v;
	int upstream, fd;
	char bdf[32];

	ASSERT_EQ(0, bench_modprobe("vfio-pci", NULL));
	ASSERT_EQ(0, bench_modprobe("vfio_iommu_type1", NULL));
	ASSERT_EQ(0, bench_find_pci(PCI_VID_REDHAT_QUMRANET, PCI_DID_IVSHMEM,
				    0, bdf, sizeof(bdf)));
	ASSERT_EQ(0, bench_bind(bdf, "vfio-pci"));
	ASSERT_EQ(0, bench_vfio_open(bdf, &v));
	upstream = kernel_has_vfio_dmabuf();
	ASSERT_LE(0, upstream);
	if (upstream) {
		TH_LOG("stock vfio-pci has upstream's exporter: it exports");
		fd = dmabuf_feature(v.device, VFIO_DEVICE_FEATURE_GET, &req,
				    &r, 1, 0);
		EXPECT_LE(0, fd);
		if (fd >= 0)
			close(fd);
		EXPECT_EQ(0, dmabuf_feature(v.device,
					    VFIO_DEVICE_FEATURE_PROBE |
					    VFIO_DEVICE_FEATURE_GET, &req,
					    NULL, 0, 0));
	} else {
		EXPECT_EQ(-ENOTTY, dmabuf_feature(v.device,
						  VFIO_DEVICE_FEATURE_GET,
						  &req, &r, 1, 0));
		EXPECT_EQ(-ENOTTY, dmabuf_feature(v.device,
						  VFIO_DEVICE_FEATURE_PROBE |
						  VFIO_DEVICE_FEATURE_GET,
						  &req, NULL, 0, 0));
	}
	bench_vfio_close(&v);
	EXPECT_EQ(0, bench_unbind(bdf));
}

TEST_HARNESS_MAIN
