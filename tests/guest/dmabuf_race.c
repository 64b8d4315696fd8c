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
 * Exporters: ivshmem's BAR2 (reset, command writes, low power) and the
 * NVMe PF's BAR0 (its MSI-X setup makes vfio-pci enable memory decoding
 * for a moment, whatever the user set).
 *
 * CPU mappings (mmap() of the buffer) race too: a thread reads the pages
 * of a mapping of the buffer while revokes zap it, so that its reads keep
 * faulting pages in; a read must either return the BAR's bytes or raise
 * SIGBUS.
 *
 * Each test runs for RACE_SECONDS (environment, default 10) and prints
 * what it did. `make stress` runs them longer.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include "fixture.h"
#include "kselftest_harness.h"

#include <sys/eventfd.h>

#define XFER		1024u

/* What the threads of one test share; counters are per thread kind. */
struct race {
	struct rv_dev *d;
	atomic_bool stop;
	/* PCI_COMMAND value read by the writer; flipped by another thread. */
	_Alignas(8) volatile uint16_t cmd;
	/*
	 * The importer's context, for race_cmd_writer's check after each of
	 * its writes, and what that check found: writes that left decoding
	 * off, and those after which the importer was still mapped.
	 */
	int imp;
	atomic_ulong off_writes, stale_after_write;
	/*
	 * The importer may reach a BAR that stopped decoding while a write
	 * that raced its own value is in flight (see that test): count, do
	 * not fail on, what WATCH sees then.
	 */
	bool in_flight_window;
	atomic_ulong resets, reset_errs;
	atomic_ulong cmd_writes, cmd_errs;
	atomic_ulong flips;
	atomic_ulong lp_cycles, lp_errs;
	atomic_ulong info_calls;
	atomic_ulong irq_setups, irq_errs;
	atomic_ulong pm_writes, pm_errs;
	/* CPU mapping of the buffer: faults served, SIGBUS, mmap(). */
	atomic_ulong faults, sigbus, fault_bad;
	atomic_ulong map_refused, map_errs;
};

/* One exporter, its buffer and the importer watching it. */
struct race_env {
	struct rv_dev d;
	int buf;
	int imp;
	uint64_t xfer_off;		/* where the importer DMAs */
	uint8_t want[XFER];		/* what it must read there */
	unsigned int seconds;
	struct race r;
};

/*
 * Export [0, len) of @bar, import it mapped, WATCH the exporter, unmap.
 * @want must already hold the bytes at xfer_off.
 */
static int race_env_import(struct race_env *e, unsigned int bar,
			   uint64_t len)
{
	struct edu_imp_watch w = { 0 };
	int ret;

	ret = rv_import_mapped(e->d.v.device, bar, len, &e->buf, &e->imp);
	if (ret)
		return ret;
	snprintf(w.pci_name, sizeof(w.pci_name), "%s", e->d.bdf);
	if (ioctl(e->imp, EDU_IMP_IOC_WATCH, &w))
		return -errno;
	memset(&e->r, 0, sizeof(e->r));
	e->r.d = &e->d;
	e->r.imp = e->imp;
	e->seconds = env_u64("RACE_SECONDS", 10);
	return edu_unmap(e->imp);
}

static void race_env_close(struct race_env *e)
{
	if (e->imp >= 0)
		close(e->imp);
	if (e->buf >= 0)
		close(e->buf);
	rv_dev_close(&e->d);
}

FIXTURE(race)
{
	struct race_env e;
};

FIXTURE_SETUP(race)
{
	struct race_env *e = &self->e;

	e->buf = e->imp = -1;
	e->xfer_off = 4096;
	ASSERT_EQ(0, rv_load_modules());
	ASSERT_EQ(0, rv_dev_open(PCI_VID_REDHAT_QUMRANET, PCI_DID_IVSHMEM,
				 &e->d));
	pattern_fill(e->want, XFER, getpid());
	ASSERT_EQ(0, rv_write_bar(e->d.v.device, VFIO_PCI_BAR2_REGION_INDEX,
				  e->xfer_off, e->want, XFER));
	ASSERT_EQ(0, race_env_import(e, VFIO_PCI_BAR2_REGION_INDEX,
				     64u << 10));
}

FIXTURE_TEARDOWN(race)
{
	race_env_close(&self->e);
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

/*
 * PCI_COMMAND writes turning memory decoding off, then on, again and again;
 * after each write that turned it off (on) wait @off_us (@on_us).
 */
static void race_toggle_loop(struct race *r, useconds_t off_us,
			     useconds_t on_us)
{
	useconds_t pause;
	bool on = false;

	while (!atomic_load(&r->stop)) {
		if (rv_set_memory(r->d, on))
			atomic_fetch_add(&r->cmd_errs, 1);
		else
			atomic_fetch_add(&r->cmd_writes, 1);
		on = !on;
		pause = on ? off_us : on_us;
		if (pause)
			usleep(pause);
	}
}

/* As fast as the writes go. */
static void *race_toggle(void *arg)
{
	race_toggle_loop(arg, 0, 0);
	return NULL;
}

/*
 * Writes PCI_COMMAND straight from r->cmd, which race_flip changes. After
 * each write, whatever value it wrote: when the device does not decode
 * (its physical PCI_COMMAND, read through sysfs), the importer must not
 * hold a mapping any more.
 */
static void *race_cmd_writer(void *arg)
{
	struct race *r = arg;
	struct edu_imp_info info;
	char path[96];
	uint16_t cmd;
	ssize_t n;
	int cfg;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config",
		 r->d->bdf);
	cfg = open(path, O_RDONLY | O_CLOEXEC);
	while (cfg >= 0 && !atomic_load(&r->stop)) {
		n = pwrite(r->d->v.device, (const void *)&r->cmd, 2,
			   r->d->cfg_off + PCI_COMMAND);
		if (n == 2)
			atomic_fetch_add(&r->cmd_writes, 1);
		else
			atomic_fetch_add(&r->cmd_errs, 1);
		if (pread(cfg, &cmd, 2, PCI_COMMAND) != 2 ||
		    (cmd & PCI_COMMAND_MEMORY))
			continue;
		atomic_fetch_add(&r->off_writes, 1);
		if (edu_info(r->imp, &info) || info.mapped)
			atomic_fetch_add(&r->stale_after_write, 1);
	}
	if (cfg >= 0)
		close(cfg);
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
 * CPU faults against revokes: map the buffer once (mmap() is refused while
 * it is revoked: retry), then read the first bytes of one page after the
 * other, round and round. Every revoke zaps the mapping, so the first read
 * of each page after a restore is a page fault (counted from the thread's
 * minor faults). A page the exporter maps is one it let through while not
 * revoked, and it zaps every mapping before the BAR stops decoding, so a
 * read returns the BAR's bytes (checked on the page of xfer_off) or raises
 * SIGBUS.
 */
static __thread sigjmp_buf race_fault_jmp;
static __thread volatile sig_atomic_t race_fault_armed;

static void race_on_sigbus(int sig)
{
	if (race_fault_armed) {
		race_fault_armed = 0;
		siglongjmp(race_fault_jmp, 1);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Read @len bytes at @src into @dst: 0, or 1 if the read raised SIGBUS. */
static int race_read(uint8_t *dst, const volatile uint8_t *src, size_t len)
{
	size_t i;

	if (sigsetjmp(race_fault_jmp, 1))
		return 1;
	race_fault_armed = 1;
	for (i = 0; i < len; i++)
		dst[i] = src[i];
	race_fault_armed = 0;
	return 0;
}

static long race_minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	return ru.ru_minflt;
}

static void *race_fault(void *arg)
{
	struct race *r = arg;
	struct race_env *e = (void *)((char *)r - offsetof(struct race_env, r));
	struct sigaction sa = { .sa_handler = race_on_sigbus };
	off_t size = lseek(e->buf, 0, SEEK_END);
	uint64_t page_of_xfer = e->xfer_off & ~4095ull;
	uint64_t pages = size > 0 ? (uint64_t)size / 4096 : 0, n = 0;
	uint8_t *p = MAP_FAILED;
	uint8_t got[8];

	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
	while (pages && !atomic_load(&r->stop)) {
		uint64_t off = (n++ % pages) * 4096;
		uint64_t at = off == page_of_xfer ? e->xfer_off : off;
		long flt;

		if (p == MAP_FAILED) {
			p = mmap(NULL, size, PROT_READ, MAP_SHARED, e->buf, 0);
			if (p == MAP_FAILED) {
				atomic_fetch_add(errno == ENODEV ?
						 &r->map_refused : &r->map_errs,
						 1);
				usleep(200);
				continue;
			}
		}
		flt = race_minflt();
		if (race_read(got, p + at, sizeof(got))) {
			atomic_fetch_add(&r->sigbus, 1);
			continue;
		}
		if (race_minflt() > flt)
			atomic_fetch_add(&r->faults, 1);
		if (at == e->xfer_off && memcmp(got, e->want, sizeof(got)))
			atomic_fetch_add(&r->fault_bad, 1);
	}
	if (p != MAP_FAILED)
		munmap(p, size);
	return NULL;
}

/* What race_fault did, and that it did it right. */
static void race_fault_check(struct __test_metadata *_metadata,
			     struct race *r)
{
	TH_LOG("CPU mapping: faults served %lu (wrong bytes %lu), SIGBUS %lu, mmap refused %lu (other errors %lu)",
	       atomic_load(&r->faults), atomic_load(&r->fault_bad),
	       atomic_load(&r->sigbus), atomic_load(&r->map_refused),
	       atomic_load(&r->map_errs));
	EXPECT_LT(0UL, atomic_load(&r->faults)) TH_LOG("no fault was served");
	EXPECT_LT(0UL, atomic_load(&r->sigbus) + atomic_load(&r->map_refused))
		TH_LOG("no revoke was seen through the mapping");
	EXPECT_EQ(0UL, atomic_load(&r->fault_bad))
		TH_LOG("a mapped page did not show the BAR");
	EXPECT_EQ(0UL, atomic_load(&r->map_errs));
}

/*
 * The importer's loop for @seconds: MAP, one DMA read, UNMAP. MAP and DMA
 * may fail with ENODEV (revoked meanwhile); anything else is a failure.
 * Returns 0 and the counts, or the first unexpected -errno.
 */
struct race_counts {
	unsigned long maps, refused, dmas, dma_refused;
};

static int race_importer(int imp, uint64_t off, unsigned int seconds,
			 struct race_counts *c)
{
	uint64_t end = rv_now_ns() + seconds * 1000000000ull;
	uint8_t got[XFER];
	int ret;

	memset(c, 0, sizeof(*c));
	while (rv_now_ns() < end) {
		ret = edu_map(imp);
		if (ret == -ENODEV) {
			c->refused++;
			usleep(1000);
			continue;
		}
		if (ret)
			return ret;
		c->maps++;
		ret = edu_dma(imp, off, got, XFER,
				 EDU_IMP_DIR_FROM_DMABUF);
		if (ret == -ENODEV)
			c->dma_refused++;
		else if (ret)
			return ret;
		else
			c->dmas++;
		ret = edu_unmap(imp);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * Run the importer loop against @n threads, then check the invariant and
 * that the export comes back once decoding is on again.
 */
static void race_run(struct __test_metadata *_metadata, struct race_env *e,
		     void *(**fns)(void *), int n)
{
	struct race_counts c;
	struct edu_imp_info info;
	pthread_t th[8];
	int i, ret;

	for (i = 0; i < n; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, fns[i], &e->r));
	ret = race_importer(e->imp, e->xfer_off, e->seconds, &c);
	atomic_store(&e->r.stop, true);
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	EXPECT_EQ(0, ret) TH_LOG("importer: %s", strerror(-ret));

	ASSERT_EQ(0, edu_info(e->imp, &info));
	TH_LOG("%u s: maps %lu (refused %lu), dmas %lu (refused %lu), decode checks %u, violations %u",
	       e->seconds, c.maps, c.refused, c.dmas, c.dma_refused,
	       info.watch_checks, info.watch_violations);
	TH_LOG("resets %lu (errors %lu), command writes %lu (errors %lu), flips %lu, low-power cycles %lu (errors %lu), other ioctls %lu, MSI-X setups %lu (errors %lu), PMCSR writes %lu (errors %lu)",
	       atomic_load(&e->r.resets), atomic_load(&e->r.reset_errs),
	       atomic_load(&e->r.cmd_writes), atomic_load(&e->r.cmd_errs),
	       atomic_load(&e->r.flips), atomic_load(&e->r.lp_cycles),
	       atomic_load(&e->r.lp_errs), atomic_load(&e->r.info_calls),
	       atomic_load(&e->r.irq_setups), atomic_load(&e->r.irq_errs),
	       atomic_load(&e->r.pm_writes), atomic_load(&e->r.pm_errs));
	if (!e->r.in_flight_window)
		EXPECT_EQ(0, info.watch_violations)
			TH_LOG("the importer reached the BAR while it did not decode");
	EXPECT_LT(0, c.maps) TH_LOG("no map ever succeeded: nothing raced");
	EXPECT_LT(0, info.watch_checks);

	/* Afterwards: decoding on, so the export must be usable again. */
	ASSERT_EQ(0, rv_set_memory(&e->d, true));
	ASSERT_EQ(0, edu_unmap(e->imp));
	ASSERT_EQ(0, edu_map(e->imp));
	EXPECT_EQ(0, rv_imp_read_cmp(e->imp, e->xfer_off, e->want, XFER));
}

/*
 * VFIO_DEVICE_RESET racing PCI_COMMAND writes: a reset's end must never
 * restore exports while another thread has memory decoding off. CPU
 * faults through a mapping of the buffer race both.
 */
TEST_F(race, reset_against_memory_toggle)
{
	void *(*fns[])(void *) = { race_reset, race_toggle, race_fault };

	race_run(_metadata, &self->e, fns, 3);
	EXPECT_LT(0UL, atomic_load(&self->e.r.resets));
	EXPECT_LT(0UL, atomic_load(&self->e.r.cmd_writes));
	race_fault_check(_metadata, &self->e.r);
}

/*
 * One thread writes PCI_COMMAND from a buffer another thread keeps
 * flipping between MEMORY on and off: the value vfio-pci writes is not
 * the one the driver read before. The driver revokes first only when its
 * own read says decoding stops, and looks at the device after every
 * write; so a write that stops decoding against what the driver read
 * returns only once every importer is notified and unmapped. While such
 * a write is in flight, a mapped importer may reach the BAR that stopped
 * decoding (WATCH counts it, docs/security.md); after it, never.
 */
TEST_F(race, command_value_changing_under_the_write)
{
	void *(*fns[])(void *) = { race_cmd_writer, race_flip };
	uint16_t cmd;

	ASSERT_EQ(0, rv_cfg_read16(&self->e.d, PCI_COMMAND, &cmd));
	self->e.r.cmd = cmd | PCI_COMMAND_MEMORY;
	self->e.r.in_flight_window = true;
	race_run(_metadata, &self->e, fns, 2);
	TH_LOG("writes leaving decoding off %lu, importer still mapped after %lu",
	       atomic_load(&self->e.r.off_writes),
	       atomic_load(&self->e.r.stale_after_write));
	EXPECT_LT(0UL, atomic_load(&self->e.r.cmd_writes));
	EXPECT_LT(0UL, atomic_load(&self->e.r.flips));
	EXPECT_LT(0UL, atomic_load(&self->e.r.off_writes));
	EXPECT_EQ(0UL, atomic_load(&self->e.r.stale_after_write))
		TH_LOG("a write returned with decoding off and the importer mapped");
}

/*
 * Low-power entry and exit racing other ioctls (each of which re-syncs
 * the driver's view) and PCI_COMMAND writes.
 */
TEST_F(race, low_power_against_ioctls_and_memory_toggle)
{
	void *(*fns[])(void *) = { race_lowpower, race_info, race_toggle };

	race_run(_metadata, &self->e, fns, 3);
	EXPECT_LT(0UL, atomic_load(&self->e.r.lp_cycles));
}

/* MSI-X on with one eventfd, then off again (VFIO_DEVICE_SET_IRQS). */
static int race_msix(int device, int efd)
{
	int ret = rv_irq_eventfd(device, VFIO_PCI_MSIX_IRQ_INDEX, efd);

	return ret ? ret : rv_irq_disable(device, VFIO_PCI_MSIX_IRQ_INDEX);
}

static void *race_irq(void *arg)
{
	struct race *r = arg;
	int efd = eventfd(0, EFD_CLOEXEC);

	while (efd >= 0 && !atomic_load(&r->stop)) {
		if (race_msix(r->d->v.device, efd))
			atomic_fetch_add(&r->irq_errs, 1);
		else
			atomic_fetch_add(&r->irq_setups, 1);
	}
	if (efd >= 0)
		close(efd);
	return NULL;
}

/* Memory decoding off for 2 ms, then on for 20 ms. */
static void *race_slow_toggle(void *arg)
{
	race_toggle_loop(arg, 2000, 20000);
	return NULL;
}

/*
 * Rewrite PMCSR with the value it has (D0): a write the driver watches,
 * at any moment, that changes nothing in the device.
 */
static void *race_pm_rewrite(void *arg)
{
	struct race *r = arg;
	unsigned int pm = rv_pm_cap(r->d);
	uint16_t val;

	if (!pm || rv_cfg_read16(r->d, pm + PCI_PM_CTRL, &val))
		return NULL;
	while (!atomic_load(&r->stop)) {
		if (rv_cfg_write16(r->d, pm + PCI_PM_CTRL, val))
			atomic_fetch_add(&r->pm_errs, 1);
		else
			atomic_fetch_add(&r->pm_writes, 1);
	}
	return NULL;
}

#define NVME_VID	0x1b36
#define NVME_DID	0x0010

FIXTURE(race_nvme)
{
	struct race_env e;
};

/*
 * The NVMe PF of the topology (no CMB: SR-IOV excludes it): its first
 * register page is the exported range, read back by DMA; an idle
 * controller's registers do not change.
 */
FIXTURE_SETUP(race_nvme)
{
	struct race_env *e = &self->e;
	struct vfio_region_info ri = {
		.argsz = sizeof(ri),
		.index = VFIO_PCI_BAR0_REGION_INDEX,
	};

	e->buf = e->imp = -1;
	e->xfer_off = 0;
	ASSERT_EQ(0, rv_load_modules());
	ASSERT_EQ(0, rv_dev_open(NVME_VID, NVME_DID, &e->d));
	ASSERT_EQ(0, ioctl(e->d.v.device, VFIO_DEVICE_GET_REGION_INFO, &ri));
	ASSERT_EQ((ssize_t)XFER, pread(e->d.v.device, e->want, XFER,
				       ri.offset + e->xfer_off));
	ASSERT_EQ(0, race_env_import(e, VFIO_PCI_BAR0_REGION_INDEX, 4096));
}

FIXTURE_TEARDOWN(race_nvme)
{
	race_env_close(&self->e);
}

/*
 * vfio-pci turns memory decoding on for the duration of an MSI-X setup
 * even while the user has it off; the driver must never take that moment
 * for the user's state and restore exports. PMCSR rewrites make the
 * driver look at the device at any time.
 */
TEST_F(race_nvme, msix_setup_against_memory_off)
{
	void *(*fns[])(void *) = { race_irq, race_slow_toggle,
				   race_pm_rewrite };

	race_run(_metadata, &self->e, fns, 3);
	EXPECT_LT(0UL, atomic_load(&self->e.r.irq_setups));
	EXPECT_LT(0UL, atomic_load(&self->e.r.pm_writes));
}

TEST_HARNESS_MAIN
