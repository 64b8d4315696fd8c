// SPDX-License-Identifier: GPL-2.0
/*
 * Hot-unplug of the exporter ("hotplug" topology: ivshmem alone behind a
 * pcie-root-port, removed by a host-side QMP device_del). QEMU's q35 does
 * that root port's hotplug through ACPI (acpiphp, built into both bench
 * kernels). Native PCIe hotplug is avoided: 6.12's pciehp removal alone
 * makes lockdep report reset_lock vs pci_rescan_remove_lock, and vfio-pci's
 * reset at open through pciehp's slot reset adds a vfio group lock chain
 * (docs/design.md).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "fixture.h"
#include "kselftest_harness.h"

#define BAR		VFIO_PCI_BAR2_REGION_INDEX
#define EXP_LEN		(64u << 10)
#define XFER		2048u
#define XFER_OFF	8192u
/* pciehp waits out the 5 s attention-button grace period before removal. */
#define UNPLUG_WAIT_S	30

FIXTURE(hp)
{
	struct rv_dev d;
	uint8_t pattern[XFER];
	int buf;
	int imp;
};

/*
 * Is the slot of @bdf ("DDDD:BB:SS.F") served by a hotplug driver? Such a
 * slot is listed in /sys/bus/pci/slots with its address and a power file.
 */
static bool hotplug_slot_of(const char *bdf)
{
	char path[PATH_MAX], addr[64];
	struct dirent *de;
	bool found = false;
	DIR *dir;

	dir = opendir("/sys/bus/pci/slots");
	if (!dir)
		return false;
	while (!found && (de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/slots/%s/address",
			 de->d_name);
		if (bench_sysfs_read(path, addr, sizeof(addr)) ||
		    strncmp(addr, bdf, strlen(addr)))
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/slots/%s/power",
			 de->d_name);
		found = access(path, F_OK) == 0;
	}
	closedir(dir);
	return found;
}

FIXTURE_SETUP(hp)
{
	self->buf = self->imp = -1;
	ASSERT_EQ(0, rv_load_modules());
	ASSERT_EQ(0, rv_dev_open(PCI_VID_REDHAT_QUMRANET, PCI_DID_IVSHMEM,
				 &self->d));
	pattern_fill(self->pattern, XFER, getpid());
	ASSERT_EQ(0, rv_write_bar(self->d.v.device, BAR, XFER_OFF,
				  self->pattern, XFER));

	ASSERT_EQ(0, rv_import_mapped(self->d.v.device, BAR, EXP_LEN,
				      &self->buf, &self->imp));
}

FIXTURE_TEARDOWN(hp)
{
	if (self->imp >= 0)
		close(self->imp);
	if (self->buf >= 0)
		close(self->buf);
	rv_dev_close(&self->d);
}

/*
 * The exporter is device_del'ed while a buffer is imported and mapped:
 * removal revokes for good before it waits for the VFIO user, the
 * importer is told and cannot map again; closing the device lets the
 * removal finish; nothing hangs.
 */
TEST_F_TIMEOUT(hp, unplug_revokes_imported_buffer, 3 * UNPLUG_WAIT_S)
{
	struct edu_imp_info info;
	char path[PATH_MAX];
	uint8_t junk[XFER];
	int i;

	/* Both bench kernels have acpiphp: a missing slot is a bench bug. */
	ASSERT_TRUE(hotplug_slot_of(self->d.bdf))
		TH_LOG("no hotplug driver serves the slot of %s",
		       self->d.bdf);
	EXPECT_EQ(0, rv_imp_read_cmp(self->imp, XFER_OFF, self->pattern, XFER));
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", self->d.bdf);
	ASSERT_EQ(0, bench_host_request("device_del shm0dev"));

	for (i = 0; i < UNPLUG_WAIT_S * 10; i++) {
		ASSERT_EQ(0, edu_info(self->imp, &info));
		if (info.move_notify_count)
			break;
		usleep(100000);
	}
	EXPECT_EQ(1, info.move_notify_count);
	EXPECT_EQ(1, info.revoked_seen);
	EXPECT_EQ(0, info.mapped);
	EXPECT_EQ(-ENODEV, edu_map(self->imp));
	memset(junk, 0, sizeof(junk));
	EXPECT_EQ(-ENODEV, edu_dma(self->imp, XFER_OFF, junk, XFER,
				      EDU_IMP_DIR_TO_DMABUF));

	/* vfio-pci's remove waits for the user to close the device. */
	rv_dev_close(&self->d);
	for (i = 0; i < UNPLUG_WAIT_S * 10 && access(path, F_OK) == 0; i++)
		usleep(100000);
	EXPECT_NE(0, access(path, F_OK)) TH_LOG("%s still present", path);

	EXPECT_EQ(-ENODEV, edu_map(self->imp));
	ASSERT_EQ(0, edu_info(self->imp, &info));
	EXPECT_EQ(1, info.move_notify_count);
	EXPECT_EQ(0, edu_detach(self->imp));
	EXPECT_EQ(0, close(self->buf));
	self->buf = -1;
}

TEST_HARNESS_MAIN
