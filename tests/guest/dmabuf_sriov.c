// SPDX-License-Identifier: GPL-2.0
/*
 * SR-IOV through a PF bound to vfio-pci-dmabuf ("hotplug" topology: a QEMU
 * NVMe PF with two VFs behind its own root port). Writing sriov_numvfs
 * behaves as under stock vfio-pci: refused with ENOENT unless the module's
 * enable_sriov is set; then the VFs appear and bind to vfio-pci-dmabuf
 * themselves (vfio_pci_core gives them our driver_override), and writing 0
 * removes them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "kselftest_harness.h"

#define NVME_VID	0x1b36
#define NVME_DID	0x0010
#define ENABLE_SRIOV	"/sys/module/" VPD_MODULE "/parameters/enable_sriov"

FIXTURE(sriov)
{
	char pf[32];
	char numvfs[PATH_MAX];
};

FIXTURE_SETUP(sriov)
{
	char path[PATH_MAX];
	int i;

	ASSERT_EQ(0, rv_load_modules());
	for (i = 0;; i++) {
		ASSERT_EQ(0, bench_find_pci(NVME_VID, NVME_DID, i, self->pf,
					    sizeof(self->pf)))
			TH_LOG("no SR-IOV capable NVMe in this topology");
		snprintf(path, sizeof(path),
			 "/sys/bus/pci/devices/%s/sriov_totalvfs", self->pf);
		if (!access(path, R_OK))
			break;
	}
	snprintf(self->numvfs, sizeof(self->numvfs),
		 "/sys/bus/pci/devices/%s/sriov_numvfs", self->pf);
	ASSERT_EQ(0, bench_bind(self->pf, VPD_DRIVER));
}

FIXTURE_TEARDOWN(sriov)
{
	bench_sysfs_write(self->numvfs, "0");
	bench_sysfs_write(ENABLE_SRIOV, "0");
}

TEST_F(sriov, numvfs_refused_unless_enable_sriov)
{
	char val[16];

	ASSERT_EQ(0, bench_sysfs_write(ENABLE_SRIOV, "0"));
	EXPECT_EQ(-ENOENT, bench_sysfs_write(self->numvfs, "1"));
	ASSERT_EQ(0, bench_sysfs_read(self->numvfs, val, sizeof(val)));
	EXPECT_EQ(0, atoi(val));
}

TEST_F(sriov, enabled_vfs_bind_to_this_driver_and_go_away)
{
	char path[PATH_MAX], vf[PATH_MAX], drv[64], val[16];
	ssize_t n;
	int i;

	ASSERT_EQ(0, bench_sysfs_write(ENABLE_SRIOV, "1"));
	ASSERT_EQ(0, bench_sysfs_write(self->numvfs, "2"))
		TH_LOG("enabling 2 VFs on %s failed", self->pf);
	ASSERT_EQ(0, bench_sysfs_read(self->numvfs, val, sizeof(val)));
	EXPECT_EQ(2, atoi(val));

	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/virtfn%d",
			 self->pf, i);
		n = readlink(path, vf, sizeof(vf) - 1);
		ASSERT_LT(0, n) TH_LOG("%s: %s", path, strerror(errno));
		vf[n] = '\0';
		ASSERT_EQ(0, bench_driver_of(strrchr(vf, '/') + 1, drv,
					     sizeof(drv)));
		EXPECT_STREQ(VPD_DRIVER, drv);
	}

	ASSERT_EQ(0, bench_sysfs_write(self->numvfs, "0"));
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/virtfn0",
		 self->pf);
	EXPECT_NE(0, access(path, F_OK)) TH_LOG("VF still there");
}

TEST_HARNESS_MAIN
