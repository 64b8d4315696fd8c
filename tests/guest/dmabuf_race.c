// SPDX-License-Identifier: GPL-2.0
/*
 * Revocation under concurrency ("hotplug" topology: ivshmem alone behind a
 * root port, so VFIO_DEVICE_RESET works). Threads of the device owner
 * change the decoding state in every way the driver watches while an
 * importer maps, DMAs and unmaps in a loop. The invariant is checked from
 * outside the exporter: edu-importer's WATCH reads the exporter's
 * PCI_COMMAND and power state every time it may reach the buffer (after a
 * MAP, before and after each DMA, all under the buffer's resv lock) and
 * counts the times the BAR did not decode. That count must stay zero.
 *
 * Each test runs for RACE_SECONDS (environment, default 10) and prints
 * what it did. `make stress` runs them longer.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include "revoke_util.h"
#include "kselftest_harness.h"

#define BAR		VFIO_PCI_BAR2_REGION_INDEX
#define EXP_LEN		(64u << 10)
#define XFER		1024u
#define XFER_OFF	4096u

/* What the threads of one test share; counters are per thread kind. */
struct race {
	struct rv_dev *d;
	atomic_bool stop;
	/* PCI_COMMAND value read by the writer; flipped by another thread. */
	_Alignas(8) volatile uint16_t cmd;
	atomic_ulong resets, reset_errs;
	atomic_ulong cmd_writes, cmd_errs;
	atomic_ulong flips;
	atomic_ulong lp_cycles, lp_errs;
	atomic_ulong info_calls;
};

FIXTURE(race)
{
	struct rv_dev d;
	uint8_t pattern[XFER];
	int buf;
	int imp;
	unsigned int seconds;
	struct race r;
};

FIXTURE_SETUP(race)
{
	struct edu_imp_watch w = { 0 };
	const char *env = getenv("RACE_SECONDS");

	self->buf = self->imp = -1;
	self->seconds = env ? (unsigned int)atoi(env) : 10;
	if (!self->seconds)
		self->seconds = 10;
	ASSERT_EQ(0, rv_load_modules());
	ASSERT_EQ(0, rv_dev_open(PCI_VID_REDHAT_QUMRANET, PCI_DID_IVSHMEM,
				 &self->d));
	rv_fill(self->pattern, XFER, getpid());
	ASSERT_EQ(0, rv_write_bar(self->d.v.device, BAR, XFER_OFF,
				  self->pattern, XFER));
	ASSERT_EQ(0, rv_import_mapped(self->d.v.device, BAR, EXP_LEN,
				      &self->buf, &self->imp));
	snprintf(w.pci_name, sizeof(w.pci_name), "%s", self->d.bdf);
	ASSERT_EQ(0, ioctl(self->imp, EDU_IMP_IOC_WATCH, &w))
		TH_LOG("WATCH %s: %s", w.pci_name, strerror(errno));
	ASSERT_EQ(0, rv_imp_ioctl(self->imp, EDU_IMP_IOC_UNMAP));
	memset(&self->r, 0, sizeof(self->r));
	self->r.d = &self->d;
}

FIXTURE_TEARDOWN(race)
{
	if (self->imp >= 0)
		close(self->imp);
	if (self->buf >= 0)
		close(self->buf);
	rv_dev_close(&self->d);
}

static void *race_reset(void *arg)
{
	struct race *r = arg;

	while (!atomic_load(&r->stop)) {
		if (ioctl(r->d->v.device, VFIO_DEVICE_RESET))
			atomic_fetch_add(&r->reset_errs, 1);
		else
			atomic_fetch_add(&r->resets, 1);
	}
	return NULL;
}

/* Memory decoding off, then on, through PCI_COMMAND writes. */
static void *race_toggle(void *arg)
{
	struct race *r = arg;
	bool on = false;

	while (!atomic_load(&r->stop)) {
		if (rv_set_memory(r->d, on))
			atomic_fetch_add(&r->cmd_errs, 1);
		else
			atomic_fetch_add(&r->cmd_writes, 1);
		on = !on;
	}
	return NULL;
}

/* Writes PCI_COMMAND straight from r->cmd, which race_flip changes. */
static void *race_cmd_writer(void *arg)
{
	struct race *r = arg;
	ssize_t n;

	while (!atomic_load(&r->stop)) {
		n = pwrite(r->d->v.device, (const void *)&r->cmd, 2,
			   r->d->cfg_off + PCI_COMMAND);
		if (n == 2)
			atomic_fetch_add(&r->cmd_writes, 1);
		else
			atomic_fetch_add(&r->cmd_errs, 1);
	}
	return NULL;
}

static void *race_flip(void *arg)
{
	struct race *r = arg;

	while (!atomic_load(&r->stop)) {
		r->cmd ^= PCI_COMMAND_MEMORY;
		atomic_fetch_add(&r->flips, 1);
	}
	return NULL;
}

static int race_low_power(int device, uint32_t feature)
{
	struct vfio_device_feature f = {
		.argsz = sizeof(f),
		.flags = VFIO_DEVICE_FEATURE_SET | feature,
	};

	return ioctl(device, VFIO_DEVICE_FEATURE, &f) ? -errno : 0;
}

static void *race_lowpower(void *arg)
{
	struct race *r = arg;

	while (!atomic_load(&r->stop)) {
		if (race_low_power(r->d->v.device,
				   VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY) ||
		    race_low_power(r->d->v.device,
				   VFIO_DEVICE_FEATURE_LOW_POWER_EXIT))
			atomic_fetch_add(&r->lp_errs, 1);
		else
			atomic_fetch_add(&r->lp_cycles, 1);
	}
	return NULL;
}

/* Any ioctl: each entry point re-derives stale state in the driver. */
static void *race_info(void *arg)
{
	struct race *r = arg;
	struct vfio_device_info info;

	while (!atomic_load(&r->stop)) {
		info = (struct vfio_device_info){ .argsz = sizeof(info) };
		ioctl(r->d->v.device, VFIO_DEVICE_GET_INFO, &info);
		atomic_fetch_add(&r->info_calls, 1);
	}
	return NULL;
}

/*
 * The importer's loop for @seconds: MAP, one DMA read, UNMAP. MAP and DMA
 * may fail with ENODEV (revoked meanwhile); anything else is a failure.
 * Returns 0 and the counts, or the first unexpected -errno.
 */
struct race_counts {
	unsigned long maps, refused, dmas, dma_refused;
};

static int race_importer(int imp, unsigned int seconds, struct race_counts *c)
{
	uint64_t end = rv_now_ns() + seconds * 1000000000ull;
	uint8_t got[XFER];
	int ret;

	memset(c, 0, sizeof(*c));
	while (rv_now_ns() < end) {
		ret = rv_imp_ioctl(imp, EDU_IMP_IOC_MAP);
		if (ret == -ENODEV) {
			c->refused++;
			usleep(1000);
			continue;
		}
		if (ret)
			return ret;
		c->maps++;
		ret = rv_imp_dma(imp, XFER_OFF, got, XFER,
				 EDU_IMP_DIR_FROM_DMABUF);
		if (ret == -ENODEV)
			c->dma_refused++;
		else if (ret)
			return ret;
		else
			c->dmas++;
		ret = rv_imp_ioctl(imp, EDU_IMP_IOC_UNMAP);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * Run the importer loop against @n threads, then check the invariant and
 * that the export comes back once decoding is on again.
 */
static void race_run(struct __test_metadata *_metadata,
		     FIXTURE_DATA(race) *self, void *(**fns)(void *), int n)
{
	struct race_counts c;
	struct edu_imp_info info;
	pthread_t th[8];
	int i, ret;

	for (i = 0; i < n; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, fns[i], &self->r));
	ret = race_importer(self->imp, self->seconds, &c);
	atomic_store(&self->r.stop, true);
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	EXPECT_EQ(0, ret) TH_LOG("importer: %s", strerror(-ret));

	ASSERT_EQ(0, rv_imp_info(self->imp, &info));
	TH_LOG("%u s: maps %lu (refused %lu), dmas %lu (refused %lu), decode checks %u, violations %u",
	       self->seconds, c.maps, c.refused, c.dmas, c.dma_refused,
	       info.watch_checks, info.watch_violations);
	TH_LOG("resets %lu (errors %lu), command writes %lu (errors %lu), flips %lu, low-power cycles %lu (errors %lu), other ioctls %lu",
	       atomic_load(&self->r.resets), atomic_load(&self->r.reset_errs),
	       atomic_load(&self->r.cmd_writes),
	       atomic_load(&self->r.cmd_errs), atomic_load(&self->r.flips),
	       atomic_load(&self->r.lp_cycles), atomic_load(&self->r.lp_errs),
	       atomic_load(&self->r.info_calls));
	EXPECT_EQ(0, info.watch_violations)
		TH_LOG("the importer reached the BAR while it did not decode");
	EXPECT_LT(0, c.maps) TH_LOG("no map ever succeeded: nothing raced");
	EXPECT_LT(0, info.watch_checks);

	/* Afterwards: decoding on, so the export must be usable again. */
	ASSERT_EQ(0, rv_set_memory(&self->d, true));
	ASSERT_EQ(0, rv_imp_ioctl(self->imp, EDU_IMP_IOC_UNMAP));
	ASSERT_EQ(0, rv_imp_ioctl(self->imp, EDU_IMP_IOC_MAP));
	EXPECT_EQ(0, rv_imp_read_cmp(self->imp, XFER_OFF, self->pattern, XFER));
}

/*
 * VFIO_DEVICE_RESET racing PCI_COMMAND writes: a reset's end must never
 * restore exports while another thread has memory decoding off.
 */
TEST_F(race, reset_against_memory_toggle)
{
	void *(*fns[])(void *) = { race_reset, race_toggle };

	race_run(_metadata, self, fns, 2);
	EXPECT_LT(0UL, atomic_load(&self->r.resets));
	EXPECT_LT(0UL, atomic_load(&self->r.cmd_writes));
}

/*
 * One thread writes PCI_COMMAND from a buffer another thread keeps
 * flipping between MEMORY on and off: the value vfio-pci writes is not
 * the one anybody could look at before.
 */
TEST_F(race, command_value_changing_under_the_write)
{
	void *(*fns[])(void *) = { race_cmd_writer, race_flip };
	uint16_t cmd;

	ASSERT_EQ(0, rv_cfg_read16(&self->d, PCI_COMMAND, &cmd));
	self->r.cmd = cmd | PCI_COMMAND_MEMORY;
	race_run(_metadata, self, fns, 2);
	EXPECT_LT(0UL, atomic_load(&self->r.cmd_writes));
	EXPECT_LT(0UL, atomic_load(&self->r.flips));
}

/*
 * Low-power entry and exit racing other ioctls (each of which re-syncs
 * the driver's view) and PCI_COMMAND writes.
 */
TEST_F(race, low_power_against_ioctls_and_memory_toggle)
{
	void *(*fns[])(void *) = { race_lowpower, race_info, race_toggle };

	race_run(_metadata, self, fns, 3);
	EXPECT_LT(0UL, atomic_load(&self->r.lp_cycles));
}

TEST_HARNESS_MAIN
