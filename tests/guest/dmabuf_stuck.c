// SPDX-License-Identifier: GPL-2.0
/*
 * An importer that never honours a revoke (edu-importer's IGNORE_REVOKE
 * mode: move_notify only counts, the mapping stays usable until the test
 * tells it to unmap). Every revoke must wait for it however long it takes,
 * as upstream's does, because a mapping left behind reaches whatever
 * decodes at that address next:
 *
 * - memory decoding off and VFIO_DEVICE_RESET return only after the
 *   importer unmapped, well past revoke_timeout_ms;
 * - so does the close of the device, after which the device goes to a new
 *   owner (stock vfio-pci) who writes its own bytes into the BAR: the old
 *   importer's DMA, read or write, reaches none of them.
 *
 * While a revoke waits, ours logs every revoke_timeout_ms which export it
 * waits for and which importer device holds it (*ours only*: upstream
 * logs nothing). The rest is *contract*.
 *
 * Topologies: "basic" (ours through the host bridge) and "switch"
 * (upstream's P2P path) for decoding and close; the reset needs a device
 * with a reset method, ivshmem behind its own root port ("hotplug"), and
 * skips elsewhere.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include "fixture.h"
#include "kselftest_harness.h"

#define BAR		VFIO_PCI_BAR2_REGION_INDEX
#define EXP_LEN		(64u << 10)
#define XFER		2048u
#define XFER_OFF	(4096u + 512u)
#define TIMEOUT_PARAM	"/sys/module/" VPD_MODULE "/parameters/revoke_timeout_ms"
/* revoke_timeout_ms during a test, and how long the importer holds on. */
#define PERIOD_MS	"200"
#define HOLD_MS		1200

FIXTURE(stuck)
{
	struct rv_dev d;
	char edu[32];
	char old_period[32];
	int buf;
	int imp;
};

FIXTURE_SETUP(stuck)
{
	struct edu_imp_id id;

	self->buf = self->imp = -1;
	self->old_period[0] = '\0';
	ASSERT_EQ(0, rv_load_modules());
	ASSERT_EQ(0, rv_dev_open(PCI_VID_REDHAT_QUMRANET, PCI_DID_IVSHMEM,
				 &self->d));
	self->buf = rv_export(self->d.v.device, BAR, 0, EXP_LEN);
	ASSERT_LE(0, self->buf);
	self->imp = rv_imp_open();
	ASSERT_LE(0, self->imp);
	ASSERT_EQ(0, ioctl(self->imp, EDU_IMP_IOC_ID, &id));
	snprintf(self->edu, sizeof(self->edu), "%s", id.pci_name);
	ASSERT_EQ(0, edu_attach(self->imp, self->buf,
				EDU_IMP_ATTACH_IGNORE_REVOKE));
	ASSERT_EQ(0, edu_map(self->imp));
	if (!exporter_is_upstream()) {
		ASSERT_EQ(0, bench_sysfs_read(TIMEOUT_PARAM, self->old_period,
					      sizeof(self->old_period)));
		ASSERT_EQ(0, bench_sysfs_write(TIMEOUT_PARAM, PERIOD_MS));
	}
}

FIXTURE_TEARDOWN(stuck)
{
	if (self->old_period[0])
		bench_sysfs_write(TIMEOUT_PARAM, self->old_period);
	if (self->imp >= 0)
		close(self->imp);
	if (self->buf >= 0)
		close(self->buf);
	rv_dev_close(&self->d);
}

/* The owner's operation that revokes, run in a thread of its own. */
struct stuck_op {
	struct rv_dev *d;
	int (*fn)(struct rv_dev *d);
	int ret;
	_Atomic uint64_t done_ns;	/* 0 while it runs */
};

static void *stuck_op_run(void *arg)
{
	struct stuck_op *op = arg;

	op->ret = op->fn(op->d);
	atomic_store(&op->done_ns, rv_now_ns());
	return NULL;
}

static int stuck_memory_off(struct rv_dev *d)
{
	return rv_set_memory(d, false);
}

static int stuck_reset(struct rv_dev *d)
{
	return ioctl(d->v.device, VFIO_DEVICE_RESET) ? -errno : 0;
}

static int stuck_close(struct rv_dev *d)
{
	rv_dev_close(d);
	return 0;
}

/*
 * Start @fn, see that it still waits HOLD_MS later (six report periods)
 * with the importer notified once and still mapped, and that ours named
 * the importer in the log; then unmap and see it return after that. An
 * exporter that returned without waiting fails here, and its importer
 * keeps its mapping for the caller's next checks.
 */
static void stuck_wait_for_unmap(struct __test_metadata *_metadata,
				 FIXTURE_DATA(stuck) *self,
				 int (*fn)(struct rv_dev *d))
{
	struct stuck_op op = { .d = &self->d, .fn = fn };
	struct edu_imp_info info;
	char needle[96], line[512];
	uint64_t t_unmap;
	pthread_t th;
	int mark, i;

	mark = kmsg_mark();
	ASSERT_LE(0, mark);
	ASSERT_EQ(0, pthread_create(&th, NULL, stuck_op_run, &op));
	usleep(HOLD_MS * 1000);

	if (atomic_load(&op.done_ns)) {
		/*
		 * Gave up on the importer: leave it mapped, as such an
		 * importer would be, for what the caller checks next.
		 */
		pthread_join(th, NULL);
		close(mark);
		EXPECT_EQ(0, atomic_load(&op.done_ns))
			TH_LOG("the revoke returned while the importer still held its mapping");
		return;
	}
	ASSERT_EQ(0, edu_info(self->imp, &info));
	EXPECT_EQ(1, info.move_notify_count);
	EXPECT_EQ(1, info.mapped);
	snprintf(needle, sizeof(needle), "for importer %s: mapping not unmapped",
		 self->edu);
	if (!exporter_is_upstream()) {
		EXPECT_EQ(1, kmsg_find(mark, needle, line, sizeof(line)))
			TH_LOG("no \"%s\"", needle);
		TH_LOG("%s", line);
		EXPECT_TRUE(strstr(line, self->d.bdf) != NULL)
			TH_LOG("the report does not name the exporter");
	}

	t_unmap = rv_now_ns();
	ASSERT_EQ(0, edu_unmap(self->imp));
	for (i = 0; i < 500 && !atomic_load(&op.done_ns); i++)
		usleep(10 * 1000);
	ASSERT_NE(0, atomic_load(&op.done_ns))
		TH_LOG("still waiting 5 s after the importer unmapped");
	pthread_join(th, NULL);
	EXPECT_EQ(0, op.ret);
	EXPECT_LE(t_unmap, atomic_load(&op.done_ns));
	close(mark);
}

/* PCI_COMMAND.MEMORY cleared: the write returns once the importer unmapped. */
TEST_F(stuck, memory_off_waits_for_an_importer_that_never_unmaps)
{
	uint16_t cmd;

	stuck_wait_for_unmap(_metadata, self, stuck_memory_off);
	ASSERT_EQ(0, rv_cfg_read16(&self->d, PCI_COMMAND, &cmd));
	EXPECT_EQ(0, cmd & PCI_COMMAND_MEMORY);
	EXPECT_EQ(-ENODEV, edu_map(self->imp));
}

/* VFIO_DEVICE_RESET: the reset happens only once the importer unmapped. */
TEST_F(stuck, reset_waits_for_an_importer_that_never_unmaps)
{
	char path[96], methods[128] = "";

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/reset_method",
		 self->d.bdf);
	if (bench_sysfs_read(path, methods, sizeof(methods)) || !methods[0])
		SKIP(return, "%s has no reset method in this topology",
		     self->d.bdf);
	stuck_wait_for_unmap(_metadata, self, stuck_reset);
}

/*
 * The whole story of a stale importer: its owner closes the device, the
 * device is rebound to stock vfio-pci and a new owner writes a secret into
 * the BAR. The close waited for the importer's unmap; the importer's DMA
 * through what it kept is refused both ways, and the secret is intact.
 */
TEST_F(stuck, close_waits_and_the_next_owner_is_never_reached)
{
	struct vfio_region_info ri = { .argsz = sizeof(ri), .index = BAR };
	uint8_t secret[XFER], got[XFER], junk[XFER];
	struct rv_dev next = { 0 };
	int ret;

	stuck_wait_for_unmap(_metadata, self, stuck_close);

	snprintf(next.bdf, sizeof(next.bdf), "%s", self->d.bdf);
	next.v.container = next.v.group = next.v.device = -1;
	ASSERT_EQ(0, bench_modprobe(UPSTREAM_DRIVER, NULL));
	ASSERT_EQ(0, bench_bind(next.bdf, UPSTREAM_DRIVER));
	ASSERT_EQ(0, rv_dev_reopen(&next));
	ASSERT_EQ(0, rv_set_memory(&next, true));
	pattern_fill(secret, XFER, 0x5ec7e7);
	ASSERT_EQ(0, rv_write_bar(next.v.device, BAR, XFER_OFF, secret, XFER));

	memset(got, 0, sizeof(got));
	ret = edu_dma(self->imp, XFER_OFF, got, XFER, EDU_IMP_DIR_FROM_DMABUF);
	EXPECT_EQ(-ENODEV, ret) TH_LOG("the old importer's DMA was not refused");
	EXPECT_NE(0, memcmp(got, secret, XFER))
		TH_LOG("the old importer read the new owner's bytes");
	memset(junk, 0xa5, sizeof(junk));
	EXPECT_EQ(-ENODEV, edu_dma(self->imp, XFER_OFF, junk, XFER,
				   EDU_IMP_DIR_TO_DMABUF));
	EXPECT_EQ(-ENODEV, edu_map(self->imp));

	ASSERT_EQ(0, ioctl(next.v.device, VFIO_DEVICE_GET_REGION_INFO, &ri));
	ASSERT_EQ((ssize_t)XFER, pread(next.v.device, got, XFER,
				       ri.offset + XFER_OFF));
	EXPECT_EQ(0, memcmp(got, secret, XFER))
		TH_LOG("the old importer's DMA changed the new owner's BAR");
	rv_dev_close(&next);
}

TEST_HARNESS_MAIN
