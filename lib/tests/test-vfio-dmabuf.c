// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Host unit tests of libvfio-dmabuf: everything that needs no VFIO device.
 * Prints one "PASS host/lib/<case>" or "FAIL host/lib/<case> <detail>" line
 * per case; exit status 1 if any failed.
 */
#define _GNU_SOURCE
#include "vfio-dmabuf.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"

/* The uapi layout must match upstream's byte for byte. */
_Static_assert(VFIO_DEVICE_FEATURE_DMA_BUF == 11, "feature number");
/* argsz = 8 (vfio_device_feature) + 16 (dma_buf) + 16 per range */
_Static_assert(sizeof(struct vfio_device_feature) == 8, "feature header");
_Static_assert(sizeof(struct vfio_region_dma_range) == 16, "range size");
_Static_assert(sizeof(struct vfio_device_feature_dma_buf) == 16, "dma_buf size");
_Static_assert(offsetof(struct vfio_device_feature_dma_buf, nr_ranges) == 12,
	       "nr_ranges offset");
_Static_assert(offsetof(struct vfio_device_feature_dma_buf, dma_ranges) == 16,
	       "dma_ranges offset");

static void t_argsz(struct ctx *c)
{
	uint32_t a = 0;
	int r;

	r = vfio_dmabuf_argsz(1, &a);
	CHECK(c, r == 0 && a == 40, "nr=1: ret %d argsz %u (want 40)", __LINE__, r, a);
	r = vfio_dmabuf_argsz(3, &a);
	CHECK(c, r == 0 && a == 72, "nr=3: ret %d argsz %u (want 72)", __LINE__, r, a);
	r = vfio_dmabuf_argsz(0, &a);
	CHECK(c, r == -EINVAL, "nr=0: ret %d (want -EINVAL)", __LINE__, r);
}

static void t_argsz_overflow(struct ctx *c)
{
	unsigned int max = (UINT32_MAX - 24) / 16;
	uint32_t a = 0;
	int r;

	r = vfio_dmabuf_argsz(max, &a);
	CHECK(c, r == 0 && a == 24 + (uint64_t)max * 16, "max nr %u: ret %d argsz %u",
	      __LINE__, max, r, a);
	r = vfio_dmabuf_argsz(max + 1, &a);
	CHECK(c, r == -EOVERFLOW, "nr %u: ret %d (want -EOVERFLOW)", __LINE__, max + 1, r);
	r = vfio_dmabuf_argsz(UINT32_MAX, &a);
	CHECK(c, r == -EOVERFLOW, "nr UINT_MAX: ret %d", __LINE__, r);
	/* export refuses before allocating or calling the kernel */
	r = vfio_dmabuf_export(0, 2, NULL, UINT32_MAX, O_CLOEXEC);
	CHECK(c, r == -EOVERFLOW, "export nr UINT_MAX: ret %d", __LINE__, r);
}

static void t_build_layout(struct ctx *c)
{
	const struct vfio_region_dma_range in[2] = {
		{ .offset = 0x1000, .length = 0x2000 },
		{ .offset = 0, .length = 0x1000 },
	};
	uint64_t buf[16];
	struct vfio_device_feature *f = (void *)buf;
	struct vfio_device_feature_dma_buf *d = (void *)f->data;
	int r;

	memset(buf, 0xa5, sizeof(buf));
	r = vfio_dmabuf_build(buf, sizeof(buf), 2, in, 2, O_RDWR | O_CLOEXEC);
	CHECK(c, r == 56, "ret %d (want 56)", __LINE__, r);
	CHECK(c, f->argsz == 56, "argsz %u", __LINE__, f->argsz);
	CHECK(c, f->flags == (VFIO_DEVICE_FEATURE_GET | 11), "flags %#x", __LINE__, f->flags);
	CHECK(c, d->region_index == 2 && d->flags == 0 && d->nr_ranges == 2,
	      "region %u flags %u nr %u", __LINE__, d->region_index, d->flags, d->nr_ranges);
	CHECK(c, d->open_flags == (O_RDWR | O_CLOEXEC), "open_flags %#x", __LINE__, d->open_flags);
	CHECK(c, !memcmp(d->dma_ranges, in, sizeof(in)), "ranges not copied", __LINE__);
	r = vfio_dmabuf_build(buf, 55, 2, in, 2, 0);
	CHECK(c, r == -ENOSPC, "short buffer: ret %d", __LINE__, r);
	r = vfio_dmabuf_build(buf, sizeof(buf), 2, NULL, 2, 0);
	CHECK(c, r == -EINVAL, "NULL ranges: ret %d", __LINE__, r);
	r = vfio_dmabuf_build(buf, sizeof(buf), 2, in, 0, 0);
	CHECK(c, r == -EINVAL, "no ranges: ret %d", __LINE__, r);
}

static void t_not_vfio(struct ctx *c)
{
	const struct vfio_region_dma_range rg = { 0, 4096 };
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	int r;

	CHECK(c, fd >= 0, "open /dev/null", __LINE__);
	r = vfio_dmabuf_probe(fd);
	CHECK(c, r == -ENOTTY, "probe /dev/null: %d", __LINE__, r);
	r = vfio_dmabuf_export(fd, 2, &rg, 1, O_CLOEXEC);
	CHECK(c, r == -ENOTTY, "export /dev/null: %d", __LINE__, r);
	r = vfio_dmabuf_export(-1, 2, &rg, 1, O_CLOEXEC);
	CHECK(c, r == -EBADF, "export fd -1: %d", __LINE__, r);
	r = vfio_dmabuf_probe(-1);
	CHECK(c, r == -EBADF, "probe fd -1: %d", __LINE__, r);
	close(fd);
}

static void t_dmabuf_fd_queries(struct ctx *c)
{
	char name[64];
	int p[2], r;
	int64_t s;

	CHECK(c, pipe(p) == 0, "pipe", __LINE__);
	r = vfio_dmabuf_exp_name(p[0], name, sizeof(name));
	CHECK(c, r == -ENOENT, "exp_name of a pipe: %d (want -ENOENT)", __LINE__, r);
	s = vfio_dmabuf_size(p[0]);
	CHECK(c, s < 0, "size of a pipe: %lld", __LINE__, (long long)s);
	close(p[0]);
	close(p[1]);
	r = vfio_dmabuf_exp_name(p[0], name, sizeof(name));
	CHECK(c, r == -EBADF || r == -ENOENT, "exp_name of closed fd: %d", __LINE__, r);
	r = vfio_dmabuf_exp_name(-1, name, sizeof(name));
	CHECK(c, r == -EBADF, "exp_name fd -1: %d", __LINE__, r);
}

static void t_explain(struct ctx *c)
{
	static const int errs[] = { EINVAL, ENODEV, EOVERFLOW, ENOTTY, ENOENT,
				    EBUSY, EPERM, 4000 };
	unsigned int op, i;

	CHECK(c, strstr(vfio_dmabuf_explain(VFIO_DMABUF_OP_EXPORT, -EINVAL),
			"page aligned") && strstr(vfio_dmabuf_explain(VFIO_DMABUF_OP_EXPORT,
			-EINVAL), "vfio_dmabuf_check"), "export EINVAL", __LINE__);
	CHECK(c, strstr(vfio_dmabuf_explain(VFIO_DMABUF_OP_EXPORT, -ENODEV),
			"not a BAR"), "export ENODEV", __LINE__);
	CHECK(c, strstr(vfio_dmabuf_explain(VFIO_DMABUF_OP_PROBE, -ENOTTY),
			"vfio-pci-dmabuf"), "probe ENOTTY", __LINE__);
	CHECK(c, strstr(vfio_dmabuf_explain(VFIO_DMABUF_OP_OPEN, -EBUSY),
			"viable"), "open EBUSY", __LINE__);
	CHECK(c, strstr(vfio_dmabuf_explain(VFIO_DMABUF_OP_CMB, -ENODEV),
			"Controller Memory Buffer"), "cmb ENODEV", __LINE__);
	for (op = 0; op <= VFIO_DMABUF_OP_CMB; op++)
		for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
			const char *s = vfio_dmabuf_explain(op, errs[i]);

			CHECK(c, s && *s, "op %u err %d empty", __LINE__, op, errs[i]);
		}
}

static void t_bdf(struct ctx *c)
{
	static const char *const bad[] = { "", "xyz", "00:20.0", "00:05.8",
		"-1:00.0", "0000:00:05.0 ", "10000:00:05.0", "0x0:00:05.0",
		"00:05", "0000:100:05.0" };
	char out[VFIO_DMABUF_BDF_LEN];
	unsigned int i;
	int r;

	r = vfio_dmabuf_bdf("00:05.0", out, sizeof(out));
	CHECK(c, r == 0 && !strcmp(out, "0000:00:05.0"), "short form: %d %s", __LINE__, r, out);
	r = vfio_dmabuf_bdf("0001:0A:1F.7", out, sizeof(out));
	CHECK(c, r == 0 && !strcmp(out, "0001:0a:1f.7"), "upper case: %d %s", __LINE__, r, out);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = vfio_dmabuf_bdf(bad[i], out, sizeof(out));
		CHECK(c, r == -EINVAL, "\"%s\" accepted (%d)", __LINE__, bad[i], r);
	}
	r = vfio_dmabuf_bdf("00:05.0", out, 8);
	CHECK(c, r == -ERANGE, "short output: %d", __LINE__, r);
	r = vfio_dmabuf_bdf(NULL, out, sizeof(out));
	CHECK(c, r == -EINVAL, "NULL input: %d", __LINE__, r);
}

static void t_open_bad_bdf(struct ctx *c)
{
	static const char *const bad[] = { "", "xyz", "00:20.0", "00:05.8",
		"-1:00.0", "0000:00:05.0 ", "10000:00:05.0", "0x0:00:05.0",
		"00:05", "0000:100:05.0", "+0:05.0" };
	struct vfio_dmabuf_device *d = (struct vfio_dmabuf_device *)&c;
	unsigned int i;
	int r;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = vfio_dmabuf_device_open(bad[i], 0, &d);
		CHECK(c, r == -EINVAL && !d, "\"%s\": %d", __LINE__, bad[i], r);
	}
	r = vfio_dmabuf_device_open(NULL, 0, &d);
	CHECK(c, r == -EINVAL, "NULL bdf: %d", __LINE__, r);
	r = vfio_dmabuf_device_open("00:05.0", 2, &d);
	CHECK(c, r == -EINVAL && !d, "unknown flag: %d", __LINE__, r);
	r = vfio_dmabuf_device_open("ffff:ff:1f.7", VFIO_DMABUF_OPEN_CDEV, &d);
	CHECK(c, r == -ENOENT && !d, "cdev of absent device: %d", __LINE__, r);
	r = vfio_dmabuf_device_open("00:05.0", 0, NULL);
	CHECK(c, r == -EINVAL, "NULL out: %d", __LINE__, r);
	/* Domain ffff does not exist on any host; upper case is accepted. */
	r = vfio_dmabuf_device_open("FFFF:FF:1F.7", 0, &d);
	CHECK(c, r == -ENOENT && !d, "absent device: %d", __LINE__, r);
	vfio_dmabuf_device_close(NULL);
	CHECK(c, vfio_dmabuf_device_fd(NULL) == -EBADF, "fd of NULL", __LINE__);
	CHECK(c, vfio_dmabuf_device_iommu_fd(NULL, NULL) == -EBADF,
	      "iommu fd of NULL", __LINE__);
	CHECK(c, !strcmp(vfio_dmabuf_device_bdf(NULL), ""), "bdf of NULL", __LINE__);
	CHECK(c, vfio_dmabuf_device_path(NULL) == VFIO_DMABUF_OPEN_GROUP,
	      "path of NULL", __LINE__);
}

/*
 * What vfio_dmabuf_check() decides before it needs a device: the request
 * as a whole (index -1) and the device fd. The per-range checks need a
 * region's size and run in the guest (tools_cli).
 */
static void t_check_no_device(struct ctx *c)
{
	const struct vfio_region_dma_range rg = { 0, 4096 };
	char why[128];
	long bad = 7;
	int r;

	r = vfio_dmabuf_check(-1, 2, &rg, 1, &bad, why, sizeof(why));
	CHECK(c, r == -EBADF && bad == -1 && why[0], "fd -1: %d %ld", __LINE__, r, bad);
	bad = 7;
	r = vfio_dmabuf_check(0, 2, &rg, 0, &bad, why, sizeof(why));
	CHECK(c, r == -EINVAL && bad == -1 && strstr(why, "no ranges"),
	      "nr 0: %d %ld %s", __LINE__, r, bad, why);
	r = vfio_dmabuf_check(0, 6, &rg, 1, &bad, why, sizeof(why));
	CHECK(c, r == -ENODEV && bad == -1 && strstr(why, "not a BAR"),
	      "region 6: %d %ld %s", __LINE__, r, bad, why);
	/* Truncation and NULL outputs are allowed. */
	r = vfio_dmabuf_check(0, 6, &rg, 1, NULL, why, 4);
	CHECK(c, r == -ENODEV && strlen(why) == 3, "why truncated: \"%s\"", __LINE__, why);
	r = vfio_dmabuf_check(0, 6, &rg, 1, NULL, NULL, 0);
	CHECK(c, r == -ENODEV, "NULL outputs: %d", __LINE__, r);
}

static void t_export_bar_no_device(struct ctx *c)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	int r;

	r = vfio_dmabuf_export_bar(fd, 6, O_RDWR);
	CHECK(c, r == -ENODEV, "region 6: %d", __LINE__, r);
	r = vfio_dmabuf_export_bar(fd, 2, O_RDWR);
	CHECK(c, r == -ENOTTY, "/dev/null: %d", __LINE__, r);
	r = vfio_dmabuf_nvme_cmb(fd, NULL, NULL);
	CHECK(c, r == -EINVAL, "cmb NULL: %d", __LINE__, r);
	close(fd);
}

int main(void)
{
	static const struct unit_case cases[] = {
		{ "argsz", t_argsz },
		{ "argsz-overflow-refused", t_argsz_overflow },
		{ "build-layout", t_build_layout },
		{ "not-a-vfio-device", t_not_vfio },
		{ "dmabuf-queries-on-other-fds", t_dmabuf_fd_queries },
		{ "explain", t_explain },
		{ "bdf-parse", t_bdf },
		{ "open-refuses-bad-bdf", t_open_bad_bdf },
		{ "check-without-device", t_check_no_device },
		{ "export-bar-without-device", t_export_bar_no_device },
	};

	return unit_run("lib", cases, sizeof(cases) / sizeof(cases[0]));
}
