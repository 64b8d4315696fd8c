// SPDX-License-Identifier: GPL-2.0
/*
 * What one export allocates is charged to the memory cgroup of the process
 * that asks for it (GFP_KERNEL_ACCOUNT in driver/export.c): the vpd_export
 * and its ranges (the checked copy of the user's, converted in place: 16
 * bytes each, 1 MiB for 65536). The test runs in a cgroup v2 child group of
 * its own and compares memory.current and memory.peak around an export of
 * 65536 ranges.
 *
 * memcg charges pages in per-CPU batches of 64 (256 KiB), so a delta is
 * exact only to about that much: the thresholds sit well between what is
 * charged with accounting (>= 1 MiB) and without (a few KiB). A page or so
 * charged meanwhile (an fd table that grew, a slab page) stays after the
 * release: the release must give back all but SLACK.
 *
 * Kernels without cgroup v2's memory controller (the debug kernel is built
 * from tinyconfig) skip, saying so.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "fixture.h"
#include "kselftest_harness.h"

#define CG_ROOT		"/sys/fs/cgroup"
#define NR		65536U
#define BAR2_PAGES	4096U
#define MIB		(1L << 20)
#define SLACK		(64L << 10)

FIXTURE(memcg)
{
	struct bench_vfio v;
	char bdf[32];
	char cg[128];
	/* The whole VFIO_DEVICE_FEATURE argument, built before measuring. */
	struct vfio_device_feature *feat;
	struct vfio_region_dma_range *r;
};

static int cg_read_long(const char *cg, const char *file, long *val)
{
	char path[192], buf[64];
	int ret;

	snprintf(path, sizeof(path), "%s/%s", cg, file);
	ret = bench_sysfs_read(path, buf, sizeof(buf));
	if (ret)
		return ret;
	*val = strtol(buf, NULL, 10);
	return 0;
}

static int cg_enter(const char *cg)
{
	char path[192], pid[32];

	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	return bench_sysfs_write(path, pid);
}

static int kernel_has_cgroup2(void)
{
	char line[128];
	int found = 0;
	FILE *f;

	f = fopen("/proc/filesystems", "re");
	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		found = !strcmp(line, "nodev\tcgroup2\n");
	fclose(f);
	return found;
}

/* Export with the prepared argument: no allocation in this process. */
static int export_raw(FIXTURE_DATA(memcg) *self)
{
	int ret = ioctl(self->v.device, VFIO_DEVICE_FEATURE, self->feat);

	return ret < 0 ? -errno : ret;
}

FIXTURE_SETUP(memcg)
{
	struct vfio_device_feature_dma_buf *req;
	char buf[256];
	size_t size;
	uint32_t i;

	self->cg[0] = '\0';
	if (!kernel_has_cgroup2())
		SKIP(return, "kernel without cgroup v2 (CONFIG_CGROUPS): no cgroup2 in /proc/filesystems");
	if (access(CG_ROOT "/cgroup.controllers", F_OK))
		ASSERT_EQ(0, mount("cgroup2", CG_ROOT, "cgroup2", 0, NULL) ?
			     -errno : 0);
	ASSERT_EQ(0, bench_sysfs_read(CG_ROOT "/cgroup.controllers", buf,
				      sizeof(buf)));
	if (!strstr(buf, "memory"))
		SKIP(return, "kernel without the memory controller (CONFIG_MEMCG); controllers: \"%s\"",
		     buf);
	ASSERT_EQ(0, bench_sysfs_write(CG_ROOT "/cgroup.subtree_control",
				       "+memory"));

	ASSERT_EQ(0, dmabuf_open_ivshmem(self->bdf, sizeof(self->bdf),
					 &self->v));

	/* Built and touched now: these pages are charged before we measure. */
	size = sizeof(*self->feat) + sizeof(*req) + NR * sizeof(*self->r);
	self->feat = calloc(1, size);
	ASSERT_NE(NULL, self->feat);
	self->feat->argsz = size;
	self->feat->flags = VFIO_DEVICE_FEATURE_GET |
			    VFIO_DEVICE_FEATURE_DMA_BUF;
	req = (void *)self->feat->data;
	req->region_index = IVSHMEM_BAR;
	req->open_flags = O_CLOEXEC;
	req->nr_ranges = NR;
	self->r = (void *)(self->feat->data + sizeof(*req));
	for (i = 0; i < NR; i++) {
		self->r[i].offset = (uint64_t)(i % BAR2_PAGES) * PAGE;
		self->r[i].length = PAGE;
	}

	/* A group of our own, entered last: it holds no charge so far. */
	snprintf(self->cg, sizeof(self->cg), CG_ROOT "/vpd-memcg-%d",
		 (int)getpid());
	ASSERT_EQ(0, mkdir(self->cg, 0755) ? -errno : 0);
	ASSERT_EQ(0, cg_enter(self->cg));
}

FIXTURE_TEARDOWN(memcg)
{
	if (!self->cg[0])
		return;
	/* Back to the root group, so that ours can go. */
	cg_enter(CG_ROOT);
	rmdir(self->cg);
	free(self->feat);
	bench_vfio_close(&self->v);
}

/* A live export is charged to us; releasing it gives the charge back. */
TEST_F(memcg, live_export_charged_until_released)
{
	long before, live, after;
	int fd;

	ASSERT_EQ(0, cg_read_long(self->cg, "memory.current", &before));
	fd = export_raw(self);
	ASSERT_LE(0, fd) TH_LOG("export: %s", strerror(-fd));
	ASSERT_EQ(0, cg_read_long(self->cg, "memory.current", &live));
	TH_LOG("memory.current %ld -> %ld with the export", before, live);
	EXPECT_LE(MIB, live - before)
		TH_LOG("the export's 1 MiB of ranges is not charged to us");

	close(fd);
	ASSERT_EQ(0, cg_read_long(self->cg, "memory.current", &after));
	TH_LOG("memory.current %ld after the release", after);
	EXPECT_LE(live - before - SLACK, live - after)
		TH_LOG("releasing the export did not uncharge us");
}

/*
 * The copy of the user's ranges lives only during the ioctl. An export
 * refused after the copy (last range beyond the BAR) allocates nothing
 * else: the group's peak (it was entered with no charge) shows the copy's
 * 1 MiB alone.
 */
TEST_F(memcg, user_ranges_copy_charged)
{
	long before, peak;

	if (cg_read_long(self->cg, "memory.peak", &peak))
		SKIP(return, "no memory.peak in this kernel");
	self->r[NR - 1].offset = (uint64_t)BAR2_PAGES * PAGE;
	ASSERT_EQ(0, cg_read_long(self->cg, "memory.current", &before));
	EXPECT_EQ(-EINVAL, export_raw(self));
	ASSERT_EQ(0, cg_read_long(self->cg, "memory.peak", &peak));
	TH_LOG("memory.current %ld, then peak %ld during the ioctl", before,
	       peak);
	EXPECT_LE(3 * MIB / 4, peak - before)
		TH_LOG("the 1 MiB copy of the user's ranges is not charged to us");
}

TEST_HARNESS_MAIN
