// SPDX-License-Identifier: GPL-2.0
/*
 * Revocation of exported BAR ranges ("basic" topology): ivshmem's BAR2 is
 * exported through vfio-pci-dmabuf and imported by edu-importer, whose edu
 * DMA engine really reads and writes the BAR through the vIOMMU. Each test
 * triggers one revoke path and checks what an importer and userspace can
 * observe: move_notify count, errnos, debugfs state, bytes in the BAR and
 * timestamps.
 *
 * Behaviour that depends on CONFIG_DMABUF_MOVE_NOTIFY is marked so; the
 * Debian kernel has it off, the debug kernel on.
 *
 * Against upstream's exporter (EXPORTER=vfio-pci on 7.2, issue 9; booted
 * on the switch topology, the bench's one P2P path upstream takes, see
 * dmabuf_switch): what the importer sees of a revoke and a restore is
 * *contract*; so are the waits for fences and for the importer's unmap
 * (upstream's vfio_pci_dma_buf_move() waits for both, without a bound).
 * So are writes of PCI_COMMAND and PMCSR that keep decoding on: nobody
 * is notified. *Ours only*: debugfs, the log lines, and the reports a
 * waiting revoke makes every revoke_timeout_ms. What a revoke does with
 * an importer that never unmaps by itself is in dmabuf_stuck.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include "fixture.h"
#include "kselftest_harness.h"

#define BAR		VFIO_PCI_BAR2_REGION_INDEX
#define EXP_LEN		(64u << 10)
#define XFER		2048u
/* A DMA inside the second page, to see the ranges are used, not just 0. */
#define XFER_OFF	(4096u + 512u)

FIXTURE(rv)
{
	struct rv_dev d;
	uint8_t *bar;
	size_t bar_size;
	uint8_t pattern[XFER];
	int buf;
	int imp;
};

static void rv_unmap_bar(FIXTURE_DATA(rv) *self)
{
	if (self->bar && self->bar != MAP_FAILED)
		munmap(self->bar, self->bar_size);
	self->bar = NULL;
}

FIXTURE_SETUP(rv)
{
	self->buf = self->imp = -1;
	self->bar = NULL;
	ASSERT_EQ(0, rv_load_modules());
	ASSERT_EQ(0, rv_dev_open(PCI_VID_REDHAT_QUMRANET, PCI_DID_IVSHMEM,
				 &self->d));
	self->bar = bench_vfio_mmap_region(self->d.v.device, BAR,
					   &self->bar_size);
	ASSERT_NE(MAP_FAILED, self->bar);
	pattern_fill(self->pattern, XFER, getpid());
	memcpy(self->bar + XFER_OFF, self->pattern, XFER);

	ASSERT_EQ(0, rv_import_mapped(self->d.v.device, BAR, EXP_LEN,
				      &self->buf, &self->imp));
}

FIXTURE_TEARDOWN(rv)
{
	rv_unmap_bar(self);
	if (self->imp >= 0)
		close(self->imp);
	if (self->buf >= 0)
		close(self->buf);
	rv_dev_close(&self->d);
}

/* Attach the fixture's importer again in @flags mode, and map. */
static int rv_reattach_mapped(int imp, int buf, uint32_t flags)
{
	int ret = edu_detach(imp);

	if (!ret)
		ret = edu_attach(imp, buf, flags);
	return ret ? ret : edu_map(imp);
}

/*
 * Ours only: debugfs lists @total exports of the device, @want of them
 * with "revoked @which" (yes or no). Not looked at against upstream.
 */
#define EXPECT_DEBUGFS(self, total, which, want)			\
	do {								\
		int yes_, no_;						\
									\
		if (exporter_is_upstream())				\
			break;						\
		ASSERT_EQ(total, rv_debugfs_exports((self)->d.bdf,	\
						    &yes_, &no_));	\
		EXPECT_EQ(want, which##_);				\
	} while (0)

static void rv_expect_revoked(struct __test_metadata *_metadata, int imp)
{
	uint8_t junk[XFER];

	memset(junk, 0xa5, sizeof(junk));
	EXPECT_EQ(-ENODEV, edu_map(imp));
	EXPECT_EQ(-ENODEV, edu_dma(imp, XFER_OFF, junk, XFER,
				      EDU_IMP_DIR_TO_DMABUF));
	EXPECT_EQ(-ENODEV, edu_dma(imp, XFER_OFF, junk, XFER,
				      EDU_IMP_DIR_FROM_DMABUF));
}

/*
 * Closing the VFIO device revokes for good: the importer is told, cannot
 * map or DMA again, and a DMA it tries does not reach the BAR (the bytes
 * are the same when the device is opened again).
 */
TEST_F(rv, close_revokes_and_dma_never_reaches_bar)
{
	struct edu_imp_info info;

	EXPECT_EQ(0, rv_imp_read_cmp(self->imp, XFER_OFF, self->pattern, XFER));
	rv_unmap_bar(self);
	rv_dev_close(&self->d);

	ASSERT_EQ(0, edu_info(self->imp, &info));
	EXPECT_EQ(1, info.move_notify_count);
	EXPECT_EQ(1, info.revoked_seen);
	EXPECT_EQ(0, info.mapped);
	rv_expect_revoked(_metadata, self->imp);

	/* Dead buffers are no longer listed; the buffer itself lives on. */
	EXPECT_DEBUGFS(self, 0, yes, 0);

	ASSERT_EQ(0, rv_dev_reopen(&self->d));
	self->bar = bench_vfio_mmap_region(self->d.v.device, BAR,
					   &self->bar_size);
	ASSERT_NE(MAP_FAILED, self->bar);
	EXPECT_EQ(0, memcmp(self->bar + XFER_OFF, self->pattern, XFER))
		TH_LOG("a refused DMA changed the BAR");

	/* Revoked by close is permanent, even with the device open again. */
	EXPECT_EQ(-ENODEV, edu_map(self->imp));
	ASSERT_EQ(0, edu_info(self->imp, &info));
	EXPECT_EQ(1, info.move_notify_count);
}

/*
 * PCI_COMMAND.MEMORY cleared through the VFIO config region revokes; set
 * again it restores (a second move_notify), the importer re-maps and the
 * BAR still holds the data.
 */
TEST_F(rv, memory_disable_revokes_enable_restores)
{
	struct edu_imp_info info;
	uint16_t cmd;

	EXPECT_EQ(0, rv_imp_read_cmp(self->imp, XFER_OFF, self->pattern, XFER));
	EXPECT_DEBUGFS(self, 1, no, 1);

	ASSERT_EQ(0, rv_set_memory(&self->d, false));
	ASSERT_EQ(0, rv_cfg_read16(&self->d, PCI_COMMAND, &cmd));
	EXPECT_EQ(0, cmd & PCI_COMMAND_MEMORY);
	EXPECT_DEBUGFS(self, 1, yes, 1);
	ASSERT_EQ(0, edu_info(self->imp, &info));
	EXPECT_EQ(1, info.move_notify_count);
	EXPECT_EQ(1, info.revoked_seen);
	EXPECT_EQ(0, info.mapped);
	rv_expect_revoked(_metadata, self->imp);

	/* Rewriting the same "off" value is not a new revoke. */
	ASSERT_EQ(0, rv_set_memory(&self->d, false));
	ASSERT_EQ(0, edu_info(self->imp, &info));
	EXPECT_EQ(1, info.move_notify_count);

	ASSERT_EQ(0, rv_set_memory(&self->d, true));
	EXPECT_DEBUGFS(self, 1, no, 1);
	ASSERT_EQ(0, edu_info(self->imp, &info));
	EXPECT_EQ(2, info.move_notify_count);
	EXPECT_EQ(1, info.revoked_seen);

	ASSERT_EQ(0, edu_map(self->imp));
	EXPECT_EQ(0, rv_imp_read_cmp(self->imp, XFER_OFF, self->pattern, XFER));
	EXPECT_EQ(0, memcmp(self->bar + XFER_OFF, self->pattern, XFER));
}

/* Exported while decoding is off: born revoked, usable once it is on. */
TEST_F(rv, export_while_memory_off_is_born_revoked)
{
	struct edu_imp_info info;
	int buf2, imp2;

	ASSERT_EQ(0, rv_set_memory(&self->d, false));
	buf2 = rv_export(self->d.v.device, BAR, 0, EXP_LEN);
	ASSERT_LE(0, buf2) TH_LOG("export: %s", strerror(-buf2));
	EXPECT_DEBUGFS(self, 2, yes, 2);

	imp2 = rv_imp_open();
	ASSERT_LE(0, imp2);
	EXPECT_EQ(-ENODEV, edu_attach(imp2, buf2, 0));

	ASSERT_EQ(0, rv_set_memory(&self->d, true));
	EXPECT_DEBUGFS(self, 2, no, 2);
	ASSERT_EQ(0, edu_attach(imp2, buf2, 0));
	ASSERT_EQ(0, edu_map(imp2));
	EXPECT_EQ(0, rv_imp_read_cmp(imp2, XFER_OFF, self->pattern, XFER));
	ASSERT_EQ(0, edu_info(imp2, &info));
	EXPECT_EQ(0, info.move_notify_count);
	close(imp2);
	close(buf2);
}

/*
 * Decoding off, then the device closed with exports alive and attached:
 * upstream underflowed a refcount and hung here (fixed for 7.1-rc). Close
 * must return, leave the buffers dead and the device usable again.
 */
TEST_F(rv, close_with_memory_off_and_live_exports)
{
	struct edu_imp_info info;
	int buf2, imp2;
	uint64_t t0;

	buf2 = rv_export(self->d.v.device, BAR, 0, EXP_LEN);
	ASSERT_LE(0, buf2);
	ASSERT_EQ(0, rv_set_memory(&self->d, false));
	ASSERT_EQ(0, edu_info(self->imp, &info));
	EXPECT_EQ(1, info.move_notify_count);

	rv_unmap_bar(self);
	t0 = rv_now_ns();
	rv_dev_close(&self->d);
	/* Nothing to wait for: no fence is pending. */
	EXPECT_GT(2000000000ull, rv_now_ns() - t0);

	/* Already revoked: close makes it permanent without a new notify. */
	ASSERT_EQ(0, edu_info(self->imp, &info));
	EXPECT_EQ(1, info.move_notify_count);
	rv_expect_revoked(_metadata, self->imp);
	imp2 = rv_imp_open();
	ASSERT_LE(0, imp2);
	EXPECT_EQ(-ENODEV, edu_attach(imp2, buf2, 0));
	close(buf2);

	/* Open again: decoding is back, old buffers stay dead, new ones work. */
	ASSERT_EQ(0, rv_dev_reopen(&self->d));
	EXPECT_DEBUGFS(self, 0, yes, 0);
	EXPECT_EQ(-ENODEV, edu_map(self->imp));
	buf2 = rv_export(self->d.v.device, BAR, 0, EXP_LEN);
	ASSERT_LE(0, buf2);
	ASSERT_EQ(0, edu_attach(imp2, buf2, 0));
	ASSERT_EQ(0, edu_map(imp2));
	EXPECT_EQ(0, rv_imp_read_cmp(imp2, XFER_OFF, self->pattern, XFER));
	close(imp2);
	close(buf2);
	EXPECT_EQ(0, rv_kmsg_count("refcount_t"));
}

/*
 * The exporter's revoke waits for DMA in flight. The importer is in NOWAIT
 * mode (its move_notify does not wait for its own transfer), so only the
 * exporter's fence wait can hold the config write back until edu is done:
 * the write must return after the transfer's completion time and must
 * have started before it (else the test proves nothing).
 */
TEST_F(rv, revoke_waits_for_dma_in_flight)
{
	struct edu_imp_info info;
	struct edu_imp_dma dma;
	struct edu_imp_wait w;
	uint8_t got[XFER];
	uint64_t t0, t1;

	ASSERT_EQ(0, rv_reattach_mapped(self->imp, self->buf,
					EDU_IMP_ATTACH_NOWAIT));

	ASSERT_EQ(0, rv_imp_dma_async(self->imp, XFER_OFF, XFER, &dma));
	t0 = rv_now_ns();
	ASSERT_EQ(0, rv_set_memory(&self->d, false));
	t1 = rv_now_ns();

	memset(got, 0, sizeof(got));
	ASSERT_EQ(0, rv_imp_wait(self->imp, got, XFER, &w));
	EXPECT_EQ(0, w.status);
	TH_LOG("dma started %llu, revoke %llu..%llu, dma done %llu (ns)",
	       (unsigned long long)dma.started_ns, (unsigned long long)t0,
	       (unsigned long long)t1, (unsigned long long)w.completed_ns);
	ASSERT_LT(t0, w.completed_ns) TH_LOG("DMA ended before the revoke");
	EXPECT_LE(w.completed_ns, t1) TH_LOG("revoke returned with DMA in flight");
	/* edu read the BAR while it was still decoding. */
	EXPECT_EQ(0, memcmp(got, self->pattern, XFER));

	ASSERT_EQ(0, edu_info(self->imp, &info));
	EXPECT_EQ(1, info.move_notify_count);
	EXPECT_EQ(0, info.mapped);
	rv_expect_revoked(_metadata, self->imp);
	ASSERT_EQ(0, rv_set_memory(&self->d, true));
	ASSERT_EQ(0, edu_map(self->imp));
	EXPECT_EQ(0, rv_imp_read_cmp(self->imp, XFER_OFF, self->pattern, XFER));
}

/*
 * The wait has no bound: with revoke_timeout_ms far below the transfer's
 * time, the same config write still returns only after the transfer,
 * and the driver says in the log what it waits for, every period.
 */
#define RV_TIMEOUT_PARAM "/sys/module/" VPD_MODULE "/parameters/revoke_timeout_ms"
#define RV_LATE_PARAM "/sys/module/edu_importer/parameters/late_unmap_ms"

TEST_F(rv, revoke_waits_for_dma_past_revoke_timeout_ms_and_reports)
{
	struct edu_imp_dma dma;
	struct edu_imp_wait w;
	char old[32];
	uint64_t t1;
	int logged;

	OURS_ONLY("revoke_timeout_ms and the report of a waiting revoke");
	ASSERT_EQ(0, bench_sysfs_read(RV_TIMEOUT_PARAM, old, sizeof(old)));
	logged = rv_kmsg_count("waiting");
	ASSERT_EQ(0, rv_reattach_mapped(self->imp, self->buf,
					EDU_IMP_ATTACH_NOWAIT));
	rv_unmap_bar(self);

	ASSERT_EQ(0, bench_sysfs_write(RV_TIMEOUT_PARAM, "10"));
	ASSERT_EQ(0, rv_imp_dma_async(self->imp, XFER_OFF, XFER, &dma));
	ASSERT_EQ(0, rv_set_memory(&self->d, false));
	t1 = rv_now_ns();
	ASSERT_EQ(0, bench_sysfs_write(RV_TIMEOUT_PARAM, old));

	ASSERT_EQ(0, rv_imp_wait(self->imp, NULL, 0, &w));
	EXPECT_LE(w.completed_ns, t1) TH_LOG("revoke returned with DMA in flight");
	EXPECT_LT(logged, rv_kmsg_count("fences pending"))
		TH_LOG("no report of the pending fence");
	EXPECT_LT(logged, rv_kmsg_count("waiting"));
}

/*
 * A revoke returns only once every importer mapping is gone, not only its
 * fences: the importer stops DMA at move_notify but unmaps late_unmap_ms
 * (300) later, and both the config write that stops decoding and the
 * close return after that unmap. The restore then works as usual.
 */
static void rv_late_unmap(struct __test_metadata *_metadata,
			  FIXTURE_DATA(rv) *self, bool close_dev)
{
	struct edu_imp_info info;
	uint64_t t0, t1;

	ASSERT_EQ(0, bench_sysfs_write(RV_LATE_PARAM, "300"));
	ASSERT_EQ(0, rv_reattach_mapped(self->imp, self->buf,
					EDU_IMP_ATTACH_LATE_UNMAP));
	rv_unmap_bar(self);

	t0 = rv_now_ns();
	if (close_dev)
		rv_dev_close(&self->d);
	else
		ASSERT_EQ(0, rv_set_memory(&self->d, false));
	t1 = rv_now_ns();

	ASSERT_EQ(0, edu_info(self->imp, &info));
	TH_LOG("revoke %llu..%llu, importer unmapped at %llu (ns)",
	       (unsigned long long)t0, (unsigned long long)t1,
	       (unsigned long long)info.unmap_ns);
	EXPECT_EQ(1, info.move_notify_count);
	ASSERT_NE(0, info.unmap_ns) TH_LOG("the importer never unmapped");
	EXPECT_GE(info.unmap_ns, t0 + 250000000ull);
	EXPECT_LE(info.unmap_ns, t1) TH_LOG("the revoke returned before the unmap");
}

TEST_F(rv, memory_off_waits_for_importer_unmap)
{
	rv_late_unmap(_metadata, self, false);
	ASSERT_EQ(0, rv_set_memory(&self->d, true));
	ASSERT_EQ(0, edu_map(self->imp));
	EXPECT_EQ(0, rv_imp_read_cmp(self->imp, XFER_OFF, self->pattern, XFER));
}

TEST_F(rv, close_waits_for_importer_unmap)
{
	rv_late_unmap(_metadata, self, true);
	rv_expect_revoked(_metadata, self->imp);
}

/*
 * Writes of PCI_COMMAND that leave memory decoding on notify nobody, as
 * upstream: the same value again and again (a VMM passes its guest's
 * writes through), then INTx disable toggled. The importer keeps its
 * mapping, and its DMA reads the BAR all along.
 */
TEST_F(rv, command_writes_keeping_memory_on_notify_nobody)
{
	struct edu_imp_info info;
	uint16_t cmd;
	int i;

	ASSERT_EQ(0, rv_cfg_read16(&self->d, PCI_COMMAND, &cmd));
	ASSERT_NE(0, cmd & PCI_COMMAND_MEMORY);
	for (i = 0; i < 20; i++)
		ASSERT_EQ(0, rv_cfg_write16(&self->d, PCI_COMMAND, cmd));
	ASSERT_EQ(0, rv_cfg_write16(&self->d, PCI_COMMAND,
				    cmd ^ PCI_COMMAND_INTX_DISABLE));
	EXPECT_EQ(0, rv_imp_read_cmp(self->imp, XFER_OFF, self->pattern, XFER));
	ASSERT_EQ(0, rv_cfg_write16(&self->d, PCI_COMMAND, cmd));

	ASSERT_EQ(0, edu_info(self->imp, &info));
	EXPECT_EQ(0, info.move_notify_count);
	EXPECT_EQ(1, info.mapped);
	EXPECT_EQ(0, rv_imp_read_cmp(self->imp, XFER_OFF, self->pattern, XFER));
	EXPECT_DEBUGFS(self, 1, no, 1);
}

/*
 * VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY revokes before the device may leave
 * D0 (whether it does depends on runtime PM); LOW_POWER_EXIT restores.
 */
static int rv_low_power(int device, uint32_t feature)
{
	struct vfio_device_feature f = {
		.argsz = sizeof(f),
		.flags = VFIO_DEVICE_FEATURE_SET | feature,
	};

	return ioctl(device, VFIO_DEVICE_FEATURE, &f) ? -errno : 0;
}

TEST_F(rv, low_power_entry_revokes_exit_restores)
{
	struct edu_imp_info info;

	EXPECT_EQ(0, rv_imp_read_cmp(self->imp, XFER_OFF, self->pattern, XFER));
	rv_unmap_bar(self);
	ASSERT_EQ(0, rv_low_power(self->d.v.device,
				  VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY));
	EXPECT_DEBUGFS(self, 1, yes, 1);
	ASSERT_EQ(0, edu_info(self->imp, &info));
	EXPECT_EQ(1, info.move_notify_count);
	EXPECT_EQ(0, info.mapped);
	rv_expect_revoked(_metadata, self->imp);

	ASSERT_EQ(0, rv_low_power(self->d.v.device,
				  VFIO_DEVICE_FEATURE_LOW_POWER_EXIT));
	EXPECT_DEBUGFS(self, 1, no, 1);
	ASSERT_EQ(0, edu_info(self->imp, &info));
	EXPECT_EQ(2, info.move_notify_count);
	ASSERT_EQ(0, edu_map(self->imp));
	EXPECT_EQ(0, rv_imp_read_cmp(self->imp, XFER_OFF, self->pattern, XFER));
}

/*
 * Importers that cannot honour a revoke get no mapping. Static (no
 * importer ops, hence no peer2peer): attach fails. Pinned (RDMA pinned
 * umem pattern): on 7.x it has no invalidate_mappings op, so it is not
 * dma_buf_attach_revocable() and its attach fails; MOVE_NOTIFY=y:
 * dma_buf_pin() fails, so ATTACH fails; MOVE_NOTIFY=n: the exporter
 * cannot tell the importer's pin from the core's pin-for-map at pin time,
 * so ATTACH succeeds and MAP fails.
 */
TEST_F(rv, pinned_and_static_importers_are_refused)
{
	struct edu_imp_info info;
	int imp2, ret;

	imp2 = rv_imp_open();
	ASSERT_LE(0, imp2);
	EXPECT_EQ(-EOPNOTSUPP, edu_attach(imp2, self->buf,
					     EDU_IMP_ATTACH_STATIC));

	ret = edu_attach(imp2, self->buf, EDU_IMP_ATTACH_PINNED);
	if (kernel_has_move_notify()) {
		EXPECT_EQ(-EOPNOTSUPP, ret);
	} else {
		ASSERT_EQ(0, ret);
		EXPECT_EQ(-EOPNOTSUPP, edu_map(imp2));
		ASSERT_EQ(0, edu_info(imp2, &info));
		EXPECT_EQ(0, info.mapped);
		EXPECT_EQ(0, edu_detach(imp2));
	}
	close(imp2);

	/* The well-behaved importer is unaffected. */
	EXPECT_EQ(0, rv_imp_read_cmp(self->imp, XFER_OFF, self->pattern, XFER));
}

/*
 * Contract: attach checks, in this order, that the importer allows
 * peer-to-peer (EOPNOTSUPP), that the buffer is not revoked (ENODEV), and
 * that the importer can honour a revoke (EOPNOTSUPP), as upstream 7.2's
 * vfio_pci_dma_buf_attach(). So on a revoked buffer an importer without
 * peer2peer gets EOPNOTSUPP, and every importer with it ENODEV, also a
 * pinning one, which on 7.x is not revocable.
 */
TEST_F(rv, attach_to_revoked_buffer_checks_revoked_before_revocable)
{
	int imp2;

	ASSERT_EQ(0, rv_set_memory(&self->d, false));
	imp2 = rv_imp_open();
	ASSERT_LE(0, imp2);
	EXPECT_EQ(-EOPNOTSUPP, edu_attach(imp2, self->buf,
					     EDU_IMP_ATTACH_STATIC));
	EXPECT_EQ(-EOPNOTSUPP, edu_attach(imp2, self->buf,
					     EDU_IMP_ATTACH_DYNAMIC |
					     EDU_IMP_ATTACH_NO_P2P));
	EXPECT_EQ(-ENODEV, edu_attach(imp2, self->buf,
				      EDU_IMP_ATTACH_PINNED));
	EXPECT_EQ(-ENODEV, edu_attach(imp2, self->buf,
				      EDU_IMP_ATTACH_DYNAMIC));
	close(imp2);
	ASSERT_EQ(0, rv_set_memory(&self->d, true));
}

/*
 * Ours only (docs/design.md, "Differences from upstream 7.2"): removal
 * revokes for good as soon as the driver's remove() starts, so an export
 * made while vfio waits for the user to close the device is born revoked
 * and stays so. Upstream revokes only at that close: until then the
 * imported buffer stays mapped and a new export is live (its registration
 * reference succeeds, since the open device fd holds one); asserted so
 * against upstream.
 *
 * Unbinding the driver calls its remove(), which waits in vfio's
 * unregister for the close and meanwhile signals the request IRQ; the
 * device fd still answers ioctls then.
 */
TEST_F_TIMEOUT(rv, export_while_device_is_removed, 90)
{
	bool upstream = exporter_is_upstream();
	struct edu_imp_info info;
	int efd, buf2 = -1, imp2 = -1, status, ret;
	struct pollfd pfd;
	pid_t pid;

	efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, rv_irq_eventfd(self->d.v.device, VFIO_PCI_REQ_IRQ_INDEX, efd));
	imp2 = rv_imp_open();
	ASSERT_LE(0, imp2);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* What fork() copied would keep the device open. */
		rv_unmap_bar(self);
		rv_dev_close(&self->d);
		_exit(bench_unbind(self->d.bdf) ? 1 : 0);
	}

	pfd.fd = efd;
	pfd.events = POLLIN;
	ret = poll(&pfd, 1, 30000);
	EXPECT_EQ(1, ret) TH_LOG("no device request within 30 s");
	if (ret == 1) {
		ASSERT_EQ(0, edu_info(self->imp, &info));
		EXPECT_EQ(upstream ? 0 : 1, info.move_notify_count);
		EXPECT_EQ(upstream ? 1 : 0, info.mapped);
		buf2 = rv_export(self->d.v.device, BAR, 0, EXP_LEN);
		EXPECT_LE(0, buf2) TH_LOG("export: %s", strerror(-buf2));
		if (buf2 >= 0)
			EXPECT_EQ(upstream ? 0 : -ENODEV,
				  edu_attach(imp2, buf2, 0));
		/* The removal unlinked the killed one: only the new one. */
		EXPECT_DEBUGFS(self, 1, yes, 1);
	}

	/* Nothing else holds the device: the close ends the removal. */
	rv_unmap_bar(self);
	rv_dev_close(&self->d);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		TH_LOG("unbind failed");
	if (buf2 >= 0) {
		EXPECT_EQ(-ENODEV, edu_map(imp2));
		close(buf2);
	}
	close(imp2);
	close(efd);
}

/*
 * An exporter with a power management capability (the NVMe controller;
 * ivshmem has none), its first register page exported and imported.
 */
FIXTURE(rv_pm)
{
	struct rv_dev d;
	unsigned int pm;
	int buf;
	int imp;
};

FIXTURE_SETUP(rv_pm)
{
	char bdf[32];

	self->buf = self->imp = -1;
	self->d.v.container = self->d.v.group = self->d.v.device = -1;
	if (bench_find_pci(PCI_VID_REDHAT, PCI_DID_QEMU_NVME, 0, bdf, sizeof(bdf)))
		SKIP(return, "no NVMe controller in this topology");
	ASSERT_EQ(0, rv_load_modules());
	ASSERT_EQ(0, rv_dev_open(PCI_VID_REDHAT, PCI_DID_QEMU_NVME, &self->d));
	self->pm = rv_pm_cap(&self->d);
	ASSERT_NE(0, self->pm) TH_LOG("the NVMe controller has no PM capability");
	ASSERT_EQ(0, rv_import_mapped(self->d.v.device,
				      VFIO_PCI_BAR0_REGION_INDEX, PAGE,
				      &self->buf, &self->imp));
}

FIXTURE_TEARDOWN(rv_pm)
{
	if (self->imp >= 0)
		close(self->imp);
	if (self->buf >= 0)
		close(self->buf);
	rv_dev_close(&self->d);
}

/*
 * PMCSR rewritten with D0 while in D0 keeps decoding on: nobody is
 * notified, as upstream, and the importer still reads the controller's
 * registers (CAP, which an idle controller never changes) by DMA.
 */
TEST_F(rv_pm, pmcsr_d0_write_notifies_nobody)
{
	struct vfio_region_info ri = {
		.argsz = sizeof(ri),
		.index = VFIO_PCI_BAR0_REGION_INDEX,
	};
	struct edu_imp_info info;
	uint8_t cap[64];
	uint16_t pmcsr;
	int i;

	ASSERT_EQ(0, ioctl(self->d.v.device, VFIO_DEVICE_GET_REGION_INFO, &ri));
	ASSERT_EQ((ssize_t)sizeof(cap),
		  pread(self->d.v.device, cap, sizeof(cap), ri.offset));
	ASSERT_EQ(0, rv_cfg_read16(&self->d, self->pm + PCI_PM_CTRL, &pmcsr));
	ASSERT_EQ(0, pmcsr & PCI_PM_CTRL_STATE_MASK) TH_LOG("not in D0");
	for (i = 0; i < 10; i++)
		ASSERT_EQ(0, rv_cfg_write16(&self->d, self->pm + PCI_PM_CTRL,
					    pmcsr));

	ASSERT_EQ(0, edu_info(self->imp, &info));
	EXPECT_EQ(0, info.move_notify_count);
	EXPECT_EQ(1, info.mapped);
	EXPECT_EQ(0, rv_imp_read_cmp(self->imp, 0, cap, sizeof(cap)));
}

TEST_HARNESS_MAIN
