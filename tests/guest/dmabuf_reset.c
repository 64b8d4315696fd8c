// SPDX-License-Identifier: GPL-2.0
/*
 * Revocation by resets ("hotplug" topology: ivshmem alone behind a
 * pcie-root-port, so its reset method is a bus reset). Four ways in:
 * VFIO_DEVICE_RESET, a PCI core reset from sysfs (reset_prepare/reset_done
 * only), VFIO_DEVICE_PCI_HOT_RESET, and AER recovery after a fatal error
 * on the root port (injected with aer_inject). A hot reset vfio-pci
 * refuses must not disturb anybody. An AER recovery that fails (issue 19)
 * keeps the exports revoked until a reset succeeds or the device is
 * opened again (fixture rf, on the topology's second ivshmem).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <fcntl.h>
#include <libgen.h>

#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include "fixture.h"
#include "kselftest_harness.h"

#define BAR		VFIO_PCI_BAR2_REGION_INDEX
#define EXP_LEN		(64u << 10)
#define XFER		2048u
#define XFER_OFF	8192u

FIXTURE(hp)
{
	struct rv_dev d;
	uint8_t pattern[XFER];
	int buf;
	int imp;
};

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
 * VFIO_DEVICE_RESET (a bus reset here) revokes before the reset and
 * restores after it: two move_notify calls, the mapping dropped, and a
 * re-map that reads the same data again.
 */
TEST_F(hp, vfio_reset_revokes_then_restores)
{
	struct vfio_device_info dinfo = { .argsz = sizeof(dinfo) };
	struct edu_imp_info info;
	int yes, no;

	ASSERT_EQ(0, ioctl(self->d.v.device, VFIO_DEVICE_GET_INFO, &dinfo));
	ASSERT_TRUE(dinfo.flags & VFIO_DEVICE_FLAGS_RESET);
	EXPECT_EQ(0, rv_imp_read_cmp(self->imp, XFER_OFF, self->pattern, XFER));

	ASSERT_EQ(0, ioctl(self->d.v.device, VFIO_DEVICE_RESET))
		TH_LOG("reset: %s", strerror(errno));

	ASSERT_EQ(0, edu_info(self->imp, &info));
	EXPECT_EQ(2, info.move_notify_count);
	EXPECT_EQ(1, info.revoked_seen);
	EXPECT_EQ(0, info.mapped);
	ASSERT_EQ(1, rv_debugfs_exports(self->d.bdf, &yes, &no));
	EXPECT_EQ(1, no);

	ASSERT_EQ(0, edu_map(self->imp));
	EXPECT_EQ(0, rv_imp_read_cmp(self->imp, XFER_OFF, self->pattern, XFER));
}

/*
 * A reset the PCI core does on its own (sysfs "reset", outside VFIO) goes
 * through reset_prepare/reset_done: revoke before, restore after.
 */
TEST_F(hp, sysfs_reset_revokes_then_restores)
{
	struct edu_imp_info info;
	char path[PATH_MAX];

	EXPECT_EQ(0, rv_imp_read_cmp(self->imp, XFER_OFF, self->pattern, XFER));
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/reset",
		 self->d.bdf);
	ASSERT_EQ(0, bench_sysfs_write(path, "1"));

	ASSERT_EQ(0, edu_info(self->imp, &info));
	EXPECT_EQ(2, info.move_notify_count);
	EXPECT_EQ(1, info.revoked_seen);
	EXPECT_EQ(0, info.mapped);
	ASSERT_EQ(0, edu_map(self->imp));
	EXPECT_EQ(0, rv_imp_read_cmp(self->imp, XFER_OFF, self->pattern, XFER));
}

/*
 * VFIO_DEVICE_PCI_HOT_RESET (secondary bus reset of the root port, the
 * exporter is alone in its reset set): revoke before, restore after.
 */
TEST_F(hp, hot_reset_revokes_then_restores)
{
	struct vfio_pci_hot_reset_info *hinfo;
	struct vfio_pci_hot_reset *reset;
	struct edu_imp_info info;
	int32_t *fds;

	hinfo = calloc(1, sizeof(*hinfo) +
		       8 * sizeof(struct vfio_pci_dependent_device));
	ASSERT_NE(NULL, hinfo);
	hinfo->argsz = sizeof(*hinfo) +
		       8 * sizeof(struct vfio_pci_dependent_device);
	ASSERT_EQ(0, ioctl(self->d.v.device,
			   VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, hinfo))
		TH_LOG("hot reset info: %s", strerror(errno));
	EXPECT_EQ(1, hinfo->count);
	free(hinfo);

	reset = calloc(1, sizeof(*reset) + sizeof(int32_t));
	ASSERT_NE(NULL, reset);
	reset->argsz = sizeof(*reset) + sizeof(int32_t);
	reset->count = 1;
	fds = reset->group_fds;
	fds[0] = self->d.v.group;
	EXPECT_EQ(0, rv_imp_read_cmp(self->imp, XFER_OFF, self->pattern, XFER));
	ASSERT_EQ(0, ioctl(self->d.v.device, VFIO_DEVICE_PCI_HOT_RESET, reset))
		TH_LOG("hot reset: %s", strerror(errno));
	free(reset);

	ASSERT_EQ(0, edu_info(self->imp, &info));
	EXPECT_EQ(2, info.move_notify_count);
	EXPECT_EQ(1, info.revoked_seen);
	EXPECT_EQ(0, info.mapped);
	ASSERT_EQ(0, edu_map(self->imp));
	EXPECT_EQ(0, rv_imp_read_cmp(self->imp, XFER_OFF, self->pattern, XFER));
}

/*
 * A hot reset that vfio-pci refuses (non-zero flags: EINVAL before any
 * device is touched) leaves every export of the reset set alone: no
 * move_notify, the mapping still valid.
 */
TEST_F(hp, refused_hot_reset_notifies_nobody)
{
	struct vfio_pci_hot_reset *reset;
	struct edu_imp_info info;

	reset = calloc(1, sizeof(*reset) + sizeof(int32_t));
	ASSERT_NE(NULL, reset);
	reset->argsz = sizeof(*reset) + sizeof(int32_t);
	reset->flags = 1;
	reset->count = 1;
	reset->group_fds[0] = self->d.v.group;
	EXPECT_EQ(-1, ioctl(self->d.v.device, VFIO_DEVICE_PCI_HOT_RESET, reset));
	EXPECT_EQ(EINVAL, errno);
	free(reset);

	ASSERT_EQ(0, edu_info(self->imp, &info));
	EXPECT_EQ(0, info.move_notify_count);
	EXPECT_EQ(1, info.mapped);
	EXPECT_EQ(0, rv_imp_read_cmp(self->imp, XFER_OFF, self->pattern, XFER));
}

/* drivers/pci/pcie/aer_inject.c's request (the aer-inject tool's). */
struct hp_aer_inject {
	uint8_t bus, dev, fn;
	uint32_t uncor_status, cor_status;
	uint32_t header_log[4];
	uint32_t domain;
};

/* The root port above @bdf, from its sysfs path. */
static int hp_root_port(const char *bdf, char *out, size_t len)
{
	char path[PATH_MAX], real[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", bdf);
	if (!realpath(path, real))
		return -errno;
	snprintf(out, len, "%s", basename(dirname(real)));
	return 0;
}

/*
 * Report a fatal uncorrectable error (malformed TLP: fatal in the default
 * severity) on the root port above @bdf, and wait until the kernel logs
 * one more record containing @done, the end of its recovery. 0 or -errno.
 */
static int hp_aer_fatal(const char *bdf, const char *done)
{
	struct hp_aer_inject inj = { 0 };
	unsigned int dom, bus, dev, fn;
	int fd, before, ret, i;
	char rp[64];
	ssize_t n;

	ret = bench_modprobe("aer_inject", NULL);
	if (!ret)
		ret = hp_root_port(bdf, rp, sizeof(rp));
	if (ret)
		return ret;
	if (sscanf(rp, "%x:%x:%x.%x", &dom, &bus, &dev, &fn) != 4)
		return -EINVAL;
	inj.domain = dom;
	inj.bus = bus;
	inj.dev = dev;
	inj.fn = fn;
	inj.uncor_status = PCI_ERR_UNC_MALF_TLP;

	before = rv_kmsg_count(done);
	fd = open("/dev/aer_inject", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, &inj, sizeof(inj));
	ret = n == (ssize_t)sizeof(inj) ? 0 : (n < 0 ? -errno : -EIO);
	close(fd);
	for (i = 0; !ret && i < 100; i++) {
		if (rv_kmsg_count(done) > before)
			return 0;
		usleep(100 * 1000);
	}
	return ret ? ret : -ETIMEDOUT;
}

/*
 * AER: a fatal uncorrectable error reported by the exporter's root port
 * makes the kernel reset the link below it without reset_prepare. The
 * export is revoked when the error is reported and stays revoked after
 * recovery, since the reset left the exporter not decoding; once the user
 * turns memory decoding on again (vfio-pci restores the BARs), the export
 * comes back and the data is there.
 */
TEST_F(hp, aer_fatal_error_revokes_until_decoding_is_back)
{
	struct edu_imp_info info;

	ASSERT_EQ(0, hp_aer_fatal(self->d.bdf, "device recovery successful"))
		TH_LOG("AER recovery did not finish");

	ASSERT_EQ(0, edu_info(self->imp, &info));
	EXPECT_EQ(1, info.move_notify_count);
	EXPECT_EQ(0, info.mapped);
	EXPECT_EQ(-ENODEV, edu_map(self->imp));

	ASSERT_EQ(0, rv_set_memory(&self->d, true));
	ASSERT_EQ(0, edu_info(self->imp, &info));
	EXPECT_EQ(2, info.move_notify_count);
	ASSERT_EQ(0, edu_map(self->imp));
	EXPECT_EQ(0, rv_imp_read_cmp(self->imp, XFER_OFF, self->pattern, XFER));
}

/*
 * An AER recovery that fails (issue 19). The exporter is the ivshmem of
 * the hotplug topology that shares its slot with a pci-testdev no driver
 * claims: the kernel cannot recover that subtree, resets its link and
 * gives up without calling resume. The export stays revoked, whatever the
 * user does to decoding, until the device is known good again: a reset
 * that succeeded, or the next open. A reset that is refused does not
 * count. The pci-testdev (the sibling) is unbound before each test, so
 * that every recovery fails.
 */
FIXTURE(rf)
{
	struct rv_dev d;
	char sibling[32];
	uint8_t pattern[XFER];
	int buf;
	int imp;
};

FIXTURE_SETUP(rf)
{
	size_t len;

	self->buf = self->imp = -1;
	memset(&self->d, 0, sizeof(self->d));
	self->d.v.container = self->d.v.group = self->d.v.device = -1;
	ASSERT_EQ(0, rv_load_modules());
	ASSERT_EQ(0, bench_find_pci(PCI_VID_REDHAT, PCI_DID_QEMU_TESTDEV, 0,
				    self->sibling, sizeof(self->sibling)));
	ASSERT_EQ(0, bench_unbind(self->sibling));
	/* The exporter is function 0 of the sibling's slot. */
	len = strlen(self->sibling);
	ASSERT_LT(2, len);
	snprintf(self->d.bdf, sizeof(self->d.bdf), "%.*s.0", (int)len - 2,
		 self->sibling);
	ASSERT_EQ(0, bench_bind(self->d.bdf, exporter_driver()));
	ASSERT_EQ(0, rv_dev_reopen(&self->d));

	pattern_fill(self->pattern, XFER, getpid());
	ASSERT_EQ(0, rv_write_bar(self->d.v.device, BAR, XFER_OFF,
				  self->pattern, XFER));
	ASSERT_EQ(0, rv_import_mapped(self->d.v.device, BAR, EXP_LEN,
				      &self->buf, &self->imp));

	ASSERT_EQ(0, hp_aer_fatal(self->d.bdf, "device recovery failed"))
		TH_LOG("AER recovery did not fail");
}

FIXTURE_TEARDOWN(rf)
{
	if (self->imp >= 0)
		close(self->imp);
	if (self->buf >= 0)
		close(self->buf);
	rv_dev_close(&self->d);
	bench_unbind(self->sibling);
}

/*
 * Refused resets (no function reset: EINVAL; a hot reset with bad flags:
 * EINVAL) and decoding turned on again leave the export revoked. A hot
 * reset that succeeds (the sibling bound to VFIO, as vfio-pci requires of
 * every device a bus reset touches) brings it back, data intact.
 */
TEST_F(rf, failed_recovery_revokes_until_a_reset_succeeds)
{
	struct vfio_pci_hot_reset *reset;
	struct edu_imp_info info;

	ASSERT_EQ(0, edu_info(self->imp, &info));
	EXPECT_EQ(1, info.move_notify_count);
	EXPECT_EQ(0, info.mapped);
	EXPECT_EQ(-ENODEV, edu_map(self->imp));

	EXPECT_EQ(-1, ioctl(self->d.v.device, VFIO_DEVICE_RESET));
	EXPECT_EQ(EINVAL, errno);
	reset = calloc(1, sizeof(*reset) + sizeof(int32_t));
	ASSERT_NE(NULL, reset);
	reset->argsz = sizeof(*reset) + sizeof(int32_t);
	reset->flags = 1;
	reset->count = 1;
	reset->group_fds[0] = self->d.v.group;
	EXPECT_EQ(-1, ioctl(self->d.v.device, VFIO_DEVICE_PCI_HOT_RESET, reset));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, rv_set_memory(&self->d, true));
	EXPECT_EQ(-ENODEV, edu_map(self->imp))
		TH_LOG("a refused reset ended the error");

	ASSERT_EQ(0, bench_bind(self->sibling, exporter_driver()));
	reset->flags = 0;
	ASSERT_EQ(0, ioctl(self->d.v.device, VFIO_DEVICE_PCI_HOT_RESET, reset))
		TH_LOG("hot reset: %s", strerror(errno));
	free(reset);

	ASSERT_EQ(0, edu_info(self->imp, &info));
	EXPECT_EQ(2, info.move_notify_count);
	ASSERT_EQ(0, edu_map(self->imp));
	EXPECT_EQ(0, rv_imp_read_cmp(self->imp, XFER_OFF, self->pattern, XFER));
}

/*
 * Close and open again: open enables the device afresh (close restored
 * its saved config space), so a new export is not born revoked and
 * reaches the data.
 */
TEST_F(rf, failed_recovery_ends_at_the_next_open)
{
	EXPECT_EQ(-ENODEV, edu_map(self->imp));
	close(self->imp);
	close(self->buf);
	self->imp = self->buf = -1;
	rv_dev_close(&self->d);

	ASSERT_EQ(0, rv_dev_reopen(&self->d));
	ASSERT_EQ(0, rv_import_mapped(self->d.v.device, BAR, EXP_LEN,
				      &self->buf, &self->imp))
		TH_LOG("the export after open is born revoked");
	EXPECT_EQ(0, rv_imp_read_cmp(self->imp, XFER_OFF, self->pattern, XFER));
}

TEST_HARNESS_MAIN
