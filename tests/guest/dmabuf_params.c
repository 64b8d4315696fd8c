// SPDX-License-Identifier: GPL-2.0
/*
 * p2p_host_bridges changed at run time applies to attachments made before
 * the change (basic topology: ivshmem's BAR2 exported, edu importing, both
 * on the root bus of q35, whose host bridge 8086:29c0 is only allowed
 * through the parameter).
 *
 * The verdict is made at attach; map decides again when the list changed
 * since: an attachment made while the list is empty maps once the bridge
 * is allowed, one made while it is allowed is refused (EINVAL, logged) once
 * the list is emptied. A live mapping keeps the verdict it was made with
 * until it is unmapped.
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

#define HB		"8086:29c0"
#define XFER		1024

FIXTURE(params)
{
	struct bench_vfio v;
	char bdf[32], edu[32];
	uint8_t *bar;		/* ivshmem BAR2 through the VFIO mmap */
	size_t bar_size;
	int imp;
	int kmsg;
	int fd;			/* one exported page at 0x80000 */
};

FIXTURE_SETUP(params)
{
	struct vfio_region_dma_range r = { 0x80000, PAGE };

	self->fd = -1;
	ASSERT_EQ(0, dmabuf_open_ivshmem(self->bdf, sizeof(self->bdf),
					 &self->v));
	ASSERT_EQ(0, dmabuf_set_hb_param(HB));
	self->bar = bench_vfio_mmap_region(self->v.device, IVSHMEM_BAR,
					   &self->bar_size);
	ASSERT_NE(MAP_FAILED, self->bar);
	self->imp = dmabuf_open_importer(self->edu, sizeof(self->edu));
	ASSERT_LE(0, self->imp) TH_LOG("importer: %s", strerror(-self->imp));
	self->fd = dmabuf_export(self->v.device, IVSHMEM_BAR, O_CLOEXEC, &r, 1);
	ASSERT_LE(0, self->fd) TH_LOG("export: %s", strerror(-self->fd));
	self->kmsg = kmsg_mark();
	ASSERT_LE(0, self->kmsg);
}

FIXTURE_TEARDOWN(params)
{
	/* The module stays loaded for the next test: put the list back. */
	dmabuf_set_hb_param(HB);
	close(self->kmsg);
	close(self->imp);
	if (self->fd >= 0)
		close(self->fd);
	munmap(self->bar, self->bar_size);
	bench_vfio_close(&self->v);
}

/* The refusal line for edu since the fixture's mark. */
static int refusal_logged(FIXTURE_DATA(params) *self)
{
	char want[256];

	snprintf(want, sizeof(want),
		 "%s: dma-buf map refused: no P2P path to %s (host bridge 8086:29c0 not allowed)",
		 self->bdf, self->edu);
	return kmsg_find(self->kmsg, want, NULL, 0);
}

/* "  attach <edu>: map <type> mapped <yes|no>" is in debugfs. */
static int debugfs_says(FIXTURE_DATA(params) *self, const char *type,
			const char *mapped)
{
	char buf[4096], line[128];
	int ret;

	ret = dmabuf_debugfs_exports(self->bdf, buf, sizeof(buf));
	if (ret)
		return ret;
	snprintf(line, sizeof(line), "  attach %s: map %s mapped %s\n",
		 self->edu, type, mapped);
	return strstr(buf, line) != NULL;
}

/* The mapping is real: bytes put in the BAR arrive by edu's DMA. */
static void dma_reads_bar(struct __test_metadata *_metadata,
			  FIXTURE_DATA(params) *self, uint32_t seed)
{
	uint8_t got[XFER];

	pattern_fill(self->bar + 0x80000, XFER, seed);
	memset(got, 0, sizeof(got));
	ASSERT_EQ(0, edu_dma(self->imp, 0, got, XFER, EDU_IMP_DIR_FROM_DMABUF));
	EXPECT_EQ(-1, pattern_check(got, XFER, seed));
}

/* Attached while the list is empty: refused, then mapped once allowed. */
TEST_F(params, attached_before_allow_maps_after_allow)
{
	ASSERT_EQ(0, dmabuf_set_hb_param(""));
	ASSERT_EQ(0, edu_attach(self->imp, self->fd, 0));
	EXPECT_EQ(-EINVAL, edu_map(self->imp));
	EXPECT_EQ(1, refusal_logged(self));
	EXPECT_EQ(1, debugfs_says(self, "unsupported", "no"));

	ASSERT_EQ(0, dmabuf_set_hb_param(HB));
	ASSERT_EQ(0, edu_map(self->imp))
		TH_LOG("the same attachment must map once %s is allowed", HB);
	EXPECT_EQ(1, debugfs_says(self, "host-bridge", "yes"));
	dma_reads_bar(_metadata, self, 0x600);
	EXPECT_EQ(0, edu_unmap(self->imp));
	EXPECT_EQ(0, edu_detach(self->imp));
}

/* Attached while allowed, never mapped: refused once the list is empty. */
TEST_F(params, attached_while_allowed_refused_after_clear)
{
	ASSERT_EQ(0, edu_attach(self->imp, self->fd, 0));
	EXPECT_EQ(1, debugfs_says(self, "host-bridge", "no"));

	ASSERT_EQ(0, dmabuf_set_hb_param(""));
	EXPECT_EQ(-EINVAL, edu_map(self->imp))
		TH_LOG("the verdict made at attach must not outlive the list");
	EXPECT_EQ(1, refusal_logged(self));
	EXPECT_EQ(1, debugfs_says(self, "unsupported", "no"));
	EXPECT_EQ(0, edu_detach(self->imp));
}

/* Mapped, unmapped, list cleared: the next map is refused; and back. */
TEST_F(params, remap_follows_each_change)
{
	ASSERT_EQ(0, edu_attach(self->imp, self->fd, 0));
	ASSERT_EQ(0, edu_map(self->imp));
	ASSERT_EQ(0, edu_unmap(self->imp));

	ASSERT_EQ(0, dmabuf_set_hb_param(""));
	EXPECT_EQ(-EINVAL, edu_map(self->imp));
	EXPECT_EQ(1, refusal_logged(self));

	ASSERT_EQ(0, dmabuf_set_hb_param(HB));
	ASSERT_EQ(0, edu_map(self->imp));
	dma_reads_bar(_metadata, self, 0x601);
	ASSERT_EQ(0, edu_unmap(self->imp));

	/* A change that keeps the bridge allowed changes nothing. */
	ASSERT_EQ(0, dmabuf_set_hb_param("1022:1480," HB));
	ASSERT_EQ(0, edu_map(self->imp));
	EXPECT_EQ(0, edu_detach(self->imp));
}

/*
 * A list change is not a revocation: the live mapping stays as it was made
 * (debugfs still shows its host-bridge type, which its unmap needs), and
 * only the next map after its unmap is refused.
 */
TEST_F(params, live_mapping_kept_until_unmapped)
{
	ASSERT_EQ(0, edu_attach(self->imp, self->fd, 0));
	ASSERT_EQ(0, edu_map(self->imp));

	ASSERT_EQ(0, dmabuf_set_hb_param(""));
	EXPECT_EQ(1, debugfs_says(self, "host-bridge", "yes"));
	dma_reads_bar(_metadata, self, 0x602);
	ASSERT_EQ(0, edu_unmap(self->imp));
	EXPECT_EQ(1, debugfs_says(self, "host-bridge", "no"));

	EXPECT_EQ(-EINVAL, edu_map(self->imp));
	EXPECT_EQ(1, refusal_logged(self));
	EXPECT_EQ(1, debugfs_says(self, "unsupported", "no"));
	EXPECT_EQ(0, edu_detach(self->imp));
}

/* A new attachment made after the change gets the new verdict at once. */
TEST_F(params, new_attachment_gets_current_list)
{
	ASSERT_EQ(0, dmabuf_set_hb_param(""));
	ASSERT_EQ(0, edu_attach(self->imp, self->fd, 0));
	EXPECT_EQ(1, debugfs_says(self, "unsupported", "no"));
	EXPECT_EQ(0, edu_detach(self->imp));

	ASSERT_EQ(0, dmabuf_set_hb_param(HB));
	ASSERT_EQ(0, edu_attach(self->imp, self->fd, 0));
	EXPECT_EQ(1, debugfs_says(self, "host-bridge", "no"));
	EXPECT_EQ(0, edu_map(self->imp));
	EXPECT_EQ(0, edu_detach(self->imp));
}

TEST_HARNESS_MAIN
