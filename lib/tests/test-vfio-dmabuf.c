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

struct ctx {
	int failed;
	char detail[256];
};

#define CHECK(c, cond, ...)						\
	do {								\
		if (!(cond) && !(c)->detail[0])				\
			snprintf((c)->detail, sizeof((c)->detail),	\
				 "line %d: " __VA_ARGS__);		\
	} while (0)

static void verdict(struct ctx *c, const char *name)
{
	if (c->detail[0]) {
		printf("FAIL host/lib/%s %s\n", name, c->detail);
		c->failed = 1;
	} else {
		printf("PASS host/lib/%s\n", name);
	}
	c->detail[0] = '\0';
}

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

static void t_errname(struct ctx *c)
{
	CHECK(c, !strcmp(vfio_dmabuf_errname(EINVAL), "EINVAL"), "EINVAL", __LINE__);
	CHECK(c, !strcmp(vfio_dmabuf_errname(-EOVERFLOW), "EOVERFLOW"), "-EOVERFLOW", __LINE__);
	CHECK(c, !strcmp(vfio_dmabuf_errname(-ENOTTY), "ENOTTY"), "ENOTTY", __LINE__);
	CHECK(c, !strcmp(vfio_dmabuf_errname(EOPNOTSUPP), "EOPNOTSUPP"), "EOPNOTSUPP", __LINE__);
	CHECK(c, !strcmp(vfio_dmabuf_errname(4000), "E?"), "unknown", __LINE__);
}

static void t_explain(struct ctx *c)
{
	static const int errs[] = { EINVAL, ENODEV, EOVERFLOW, ENOTTY, ENOENT,
				    EBUSY, EPERM, 4000 };
	unsigned int op, i;

	CHECK(c, strstr(vfio_dmabuf_explain(VFIO_DMABUF_OP_EXPORT, -EINVAL),
			"page aligned"), "export EINVAL", __LINE__);
	CHECK(c, strstr(vfio_dmabuf_explain(VFIO_DMABUF_OP_EXPORT, -ENODEV),
			"not a BAR"), "export ENODEV", __LINE__);
	CHECK(c, strstr(vfio_dmabuf_explain(VFIO_DMABUF_OP_PROBE, -ENOTTY),
			"vfio-pci-dmabuf"), "probe ENOTTY", __LINE__);
	CHECK(c, strstr(vfio_dmabuf_explain(VFIO_DMABUF_OP_OPEN, -EBUSY),
			"viable"), "open EBUSY", __LINE__);
	CHECK(c, strstr(vfio_dmabuf_explain(VFIO_DMABUF_OP_BIND, -ENOENT),
			"modprobe"), "bind ENOENT", __LINE__);
	for (op = 0; op <= VFIO_DMABUF_OP_INFO; op++)
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
	r = vfio_dmabuf_debugfs_path("00:05.0", (char[128]){ 0 }, 128);
	CHECK(c, r == 0, "debugfs path: %d", __LINE__, r);
}

static void t_parse_range(struct ctx *c)
{
	static const char *const bad[] = { "1000", ":4096", "0:", "a:b",
		"0:-4096", "0:4096x", "0:99999999999G", "-1:4096" };
	struct vfio_region_dma_range r;
	unsigned int i;
	int ret;

	ret = vfio_dmabuf_parse_range("0:4096", &r);
	CHECK(c, !ret && r.offset == 0 && r.length == 4096, "0:4096", __LINE__);
	ret = vfio_dmabuf_parse_range("0x1000:2M", &r);
	CHECK(c, !ret && r.offset == 0x1000 && r.length == 2u << 20, "0x1000:2M", __LINE__);
	ret = vfio_dmabuf_parse_range("4k:8K", &r);
	CHECK(c, !ret && r.offset == 4096 && r.length == 8192, "4k:8K", __LINE__);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ret = vfio_dmabuf_parse_range(bad[i], &r);
		CHECK(c, ret < 0, "\"%s\" accepted", __LINE__, bad[i]);
	}
}

static void t_open_bad_bdf(struct ctx *c)
{
	struct vfio_dmabuf_dev d;
	int r;

	r = vfio_dmabuf_open_device("not-a-bdf", &d);
	CHECK(c, r == -EINVAL && d.device == -1, "bad bdf: %d", __LINE__, r);
	/* Domain ffff does not exist on any host. */
	r = vfio_dmabuf_open_device("ffff:ff:1f.7", &d);
	CHECK(c, r == -ENOENT, "absent device: %d", __LINE__, r);
	vfio_dmabuf_close_device(&d);
	vfio_dmabuf_close_device(&d);
	r = vfio_dmabuf_bind("ffff:ff:1f.7", "no/such");
	CHECK(c, r == -EINVAL, "bad driver name: %d", __LINE__, r);
}

int main(void)
{
	static const struct {
		const char *name;
		void (*fn)(struct ctx *c);
	} cases[] = {
		{ "argsz", t_argsz },
		{ "argsz-overflow-refused", t_argsz_overflow },
		{ "build-layout", t_build_layout },
		{ "not-a-vfio-device", t_not_vfio },
		{ "dmabuf-queries-on-other-fds", t_dmabuf_fd_queries },
		{ "errname", t_errname },
		{ "explain", t_explain },
		{ "bdf-parse", t_bdf },
		{ "range-parse", t_parse_range },
		{ "open-refuses-bad-bdf", t_open_bad_bdf },
	};
	struct ctx c = { 0 };
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cases[i].fn(&c);
		verdict(&c, cases[i].name);
	}
	return c.failed;
}
