// SPDX-License-Identifier: GPL-2.0
/*
 * Proves the "switch" bench: edu and ivshmem sit on two downstream ports of
 * one switch, and ACS on those ports keeps each port with its endpoint in an
 * IOMMU group of its own (the port and its endpoint together).
 */
#define _GNU_SOURCE
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "kselftest_harness.h"

/* Copy the BDF of the bridge @levels above @bdf into @out. */
static int upstream_of(const char *bdf, int levels, char *out, size_t len)
{
	char path[PATH_MAX], real[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", bdf);
	if (!realpath(path, real))
		return -1;
	while (levels--)
		*strrchr(real, '/') = '\0';
	snprintf(out, len, "%s", basename(real));
	return 0;
}

TEST(endpoints_share_one_switch)
{
	char edu[32], shm[32], up_edu[32], up_shm[32];

	ASSERT_EQ(0, bench_find_pci(PCI_VID_QEMU_EDU, PCI_DID_EDU, 0, edu,
				    sizeof(edu)));
	ASSERT_EQ(0, bench_find_pci(PCI_VID_REDHAT_QUMRANET, PCI_DID_IVSHMEM,
				    0, shm, sizeof(shm)));
	/* endpoint -> downstream port -> upstream port */
	ASSERT_EQ(0, upstream_of(edu, 2, up_edu, sizeof(up_edu)));
	ASSERT_EQ(0, upstream_of(shm, 2, up_shm, sizeof(up_shm)));
	EXPECT_STREQ(up_edu, up_shm);
	ASSERT_EQ(0, upstream_of(edu, 1, up_edu, sizeof(up_edu)));
	ASSERT_EQ(0, upstream_of(shm, 1, up_shm, sizeof(up_shm)));
	EXPECT_STRNE(up_edu, up_shm);
}

TEST(each_downstream_port_is_its_own_iommu_group)
{
	char edu[32], shm[32], port[32];
	int g_edu, g_shm, count;

	ASSERT_EQ(0, bench_find_pci(PCI_VID_QEMU_EDU, PCI_DID_EDU, 0, edu,
				    sizeof(edu)));
	ASSERT_EQ(0, bench_find_pci(PCI_VID_REDHAT_QUMRANET, PCI_DID_IVSHMEM,
				    0, shm, sizeof(shm)));
	/* A group is {downstream port, endpoint}: two devices. */
	g_edu = bench_iommu_group(edu, &count);
	ASSERT_LE(0, g_edu);
	EXPECT_EQ(2, count);
	g_shm = bench_iommu_group(shm, &count);
	ASSERT_LE(0, g_shm);
	EXPECT_EQ(2, count);
	EXPECT_NE(g_edu, g_shm);
	ASSERT_EQ(0, upstream_of(edu, 1, port, sizeof(port)));
	EXPECT_EQ(g_edu, bench_iommu_group(port, NULL));
	ASSERT_EQ(0, upstream_of(shm, 1, port, sizeof(port)));
	EXPECT_EQ(g_shm, bench_iommu_group(port, NULL));
}

TEST_HARNESS_MAIN
