// SPDX-License-Identifier: GPL-2.0
/*
 * Proves the "hotplug" bench: ivshmem sits alone behind a hot-pluggable
 * root port (so it can be bus-reset), and a host-side QMP device_del asked
 * for from inside the guest really removes it.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "bench_util.h"
#include "kselftest_harness.h"

/* pciehp waits out the 5 s attention-button grace period before removal. */
#define UNPLUG_WAIT_S 30

TEST(exporter_behind_root_port_has_bus_reset)
{
	char bdf[32], path[PATH_MAX], methods[128];

	ASSERT_EQ(0, bench_find_pci(PCI_VID_REDHAT_QUMRANET, PCI_DID_IVSHMEM,
				    0, bdf, sizeof(bdf)));
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/reset_method",
		 bdf);
	ASSERT_EQ(0, bench_sysfs_read(path, methods, sizeof(methods)));
	EXPECT_NE(NULL, strstr(methods, "bus")) TH_LOG("methods: %s", methods);
}

TEST(host_device_del_removes_the_exporter)
{
	char bdf[32], path[PATH_MAX];
	int i;

	ASSERT_EQ(0, bench_find_pci(PCI_VID_REDHAT_QUMRANET, PCI_DID_IVSHMEM,
				    0, bdf, sizeof(bdf)));
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", bdf);
	ASSERT_EQ(0, bench_host_request("device_del shm0dev"));
	for (i = 0; i < UNPLUG_WAIT_S * 10 && access(path, F_OK) == 0; i++)
		usleep(100000);
	EXPECT_NE(0, access(path, F_OK)) TH_LOG("%s still present", bdf);
}

TEST_HARNESS_MAIN
