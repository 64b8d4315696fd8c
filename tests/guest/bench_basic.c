// SPDX-License-Identifier: GPL-2.0
/*
 * Proves the "basic" bench before any of our code is involved: the devices
 * are where the topology says, each is its own IOMMU group, edu answers
 * through its BAR, and stock vfio-pci serves ivshmem's BAR2 to userspace.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench_util.h"
#include "kselftest_harness.h"

TEST(root_bus_devices_are_isolated_iommu_groups)
{
	static const uint16_t ids[][2] = {
		{ PCI_VID_QEMU_EDU, PCI_DID_EDU },
		{ PCI_VID_REDHAT_QUMRANET, PCI_DID_IVSHMEM },
		{ PCI_VID_REDHAT, PCI_DID_QEMU_NVME },
	};
	int groups[3];
	char bdf[32];
	int i, j, count;

	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, bench_find_pci(ids[i][0], ids[i][1], 0, bdf,
					    sizeof(bdf)));
		groups[i] = bench_iommu_group(bdf, &count);
		ASSERT_LE(0, groups[i]) TH_LOG("%s has no IOMMU group", bdf);
		EXPECT_EQ(1, count) TH_LOG("%s shares its group", bdf);
		for (j = 0; j < i; j++)
			EXPECT_NE(groups[j], groups[i]);
	}
}

TEST(edu_id_and_liveness_through_bar0)
{
	char bdf[32], path[128];
	volatile uint32_t *regs;
	int fd;

	ASSERT_EQ(0, bench_find_pci(PCI_VID_QEMU_EDU, PCI_DID_EDU, 0, bdf,
				    sizeof(bdf)));
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource0", bdf);
	fd = open(path, O_RDWR | O_SYNC);
	ASSERT_LE(0, fd);
	regs = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, regs);
	EXPECT_EQ(EDU_ID_VALUE, regs[EDU_REG_ID / 4]);
	regs[EDU_REG_LIVENESS / 4] = 0x12345678;
	EXPECT_EQ(~0x12345678u, regs[EDU_REG_LIVENESS / 4]);
	munmap((void *)regs, 4096);
	close(fd);
}

TEST(ivshmem_bar2_through_stock_vfio_pci)
{
	struct bench_vfio v;
	uint32_t *a, *b;
	size_t size, i;
	char bdf[32];

	ASSERT_EQ(0, bench_modprobe("vfio-pci", NULL));
	ASSERT_EQ(0, bench_modprobe("vfio_iommu_type1", NULL));
	ASSERT_EQ(0, bench_find_pci(PCI_VID_REDHAT_QUMRANET, PCI_DID_IVSHMEM,
				    0, bdf, sizeof(bdf)));
	ASSERT_EQ(0, bench_bind(bdf, "vfio-pci"));
	ASSERT_EQ(0, bench_vfio_open(bdf, &v));

	/* Two independent mappings of the same BAR see the same memory. */
	a = bench_vfio_mmap_region(v.device, 2, &size);
	ASSERT_NE(MAP_FAILED, a);
	b = bench_vfio_mmap_region(v.device, 2, NULL);
	ASSERT_NE(MAP_FAILED, b);
	EXPECT_EQ(16u << 20, size);
	for (i = 0; i < size / 4; i++)
		a[i] = (uint32_t)(i * 2654435761u);
	for (i = 0; i < size / 4; i++)
		if (b[i] != (uint32_t)(i * 2654435761u))
			break;
	EXPECT_EQ(size / 4, i) TH_LOG("mismatch at word %zu", i);

	munmap(a, size);
	munmap(b, size);
	bench_vfio_close(&v);
	EXPECT_EQ(0, bench_unbind(bdf));
}

TEST_HARNESS_MAIN
