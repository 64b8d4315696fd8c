// SPDX-License-Identifier: GPL-2.0
/*
 * Everything at once ("hotplug" topology: ivshmem alone behind a root
 * port, so both VFIO_DEVICE_RESET and hot reset work). For RACE_SECONDS:
 *
 *  - the device owner's threads reset the device (VFIO_DEVICE_RESET and
 *    VFIO_DEVICE_PCI_HOT_RESET), turn memory decoding off and on, enter
 *    and leave low power, close and reopen the device, and export new
 *    buffers while closing old ones;
 *  - two importer threads and a child process, each with its own
 *    edu-importer context and its own slice of the BAR, attach to the
 *    newest buffer, map, DMA a new pattern into their slice, unmap and
 *    detach, taking whatever errors a revoke explains (ENODEV) in stride;
 *    the child gets each new buffer over a unix socket.
 *
 * Canary: after every DMA write, an importer thread reads its slice back
 * through the VFIO region (when the BAR decodes): it must hold the
 * pattern of the last DMA reported successful, so every such DMA really
 * landed and no refused DMA reached the BAR. The child cannot read the
 * region (only the owner of the VFIO group can); its last successful
 * pattern is checked after the run. edu-importer's WATCH counts every
 * time an importer could reach the buffer while the BAR did not decode.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include "fixture.h"
#include "kselftest_harness.h"

#define BAR		VFIO_PCI_BAR2_REGION_INDEX
#define BUF_LEN		(256u << 10)
#define SLICE		(64u << 10)	/* one per importer */
#define XFER		512u
#define NIMP		3		/* two threads, one child */

/* What one importer did; in shared memory (struct st_shared). */
struct st_imp {
	atomic_ulong attached, attach_refused, maps, map_refused;
	atomic_ulong writes, write_refused, checked, unchecked;
	atomic_ulong bad_landed;	/* read back != last good pattern */
	atomic_ulong last_good;		/* seq of the last good write, 0 none */
	atomic_ulong failed;		/* unexpected errno (in errno_seen) */
	atomic_int errno_seen;
	atomic_uint watch_checks, watch_violations;
};

/* Shared with the child process. */
struct st_shared {
	atomic_bool stop;
	struct st_imp imp[NIMP];
};

struct st {
	struct rv_dev d;
	/* Taken for write to close and reopen the device, for read to use it. */
	pthread_rwlock_t dev_lock;
	uint64_t bar_off;		/* file offset of the BAR region */
	/* Guards newest: it is closed when replaced, so dup it under this. */
	pthread_mutex_t buf_lock;
	int newest;			/* newest buffer fd, -1 none */
	int sock[2];			/* new buffers for the child */
	struct st_shared *sh;		/* MAP_SHARED: seen by the child */
	struct st_imp *imp;		/* sh->imp */
	atomic_ulong resets, hot_resets, toggles, lp_cycles, reopens;
	atomic_ulong exports, export_refused, errs;
};

/* The pattern of write @seq by importer @i. */
static void st_pattern(uint8_t *buf, unsigned int i, unsigned long seq)
{
	pattern_fill(buf, XFER, (uint32_t)(seq * NIMP + i + 1));
}

static void st_fail(struct st_imp *im, int err)
{
	atomic_fetch_add(&im->failed, 1);
	atomic_store(&im->errno_seen, err);
}

/*
 * Read slice @i back through the VFIO region: 1 if it could (the BAR
 * decoded and the device was open), 0 if not, and compare.
 */
static int st_check_slice(struct st *s, unsigned int i)
{
	struct st_imp *im = &s->imp[i];
	uint8_t want[XFER], got[XFER];
	unsigned long good = atomic_load(&im->last_good);
	ssize_t n = -1;

	pthread_rwlock_rdlock(&s->dev_lock);
	if (s->d.v.device >= 0)
		n = pread(s->d.v.device, got, XFER,
			  s->bar_off + (uint64_t)i * SLICE);
	pthread_rwlock_unlock(&s->dev_lock);
	if (n != XFER) {
		atomic_fetch_add(&im->unchecked, 1);
		return 0;
	}
	atomic_fetch_add(&im->checked, 1);
	if (!good)
		return 1;
	st_pattern(want, i, good);
	if (memcmp(want, got, XFER))
		atomic_fetch_add(&im->bad_landed, 1);
	return 1;
}

/*
 * One round of importer @i on buffer @buf: attach, map, write the next
 * pattern, unmap, detach. ENODEV (revoked, or dead after a close) is the
 * only refusal a revoke explains.
 */
static void st_round(struct st *s, unsigned int i, int imp, int buf,
		     unsigned long *seq, bool check)
{
	struct st_imp *im = &s->imp[i];
	struct edu_imp_info info;
	uint8_t data[XFER];
	int ret;

	ret = edu_attach(imp, buf, 0);
	if (ret) {
		if (ret == -ENODEV)
			atomic_fetch_add(&im->attach_refused, 1);
		else
			st_fail(im, ret);
		/* Revoked: wait for the owner to bring it back. */
		usleep(1000);
		return;
	}
	atomic_fetch_add(&im->attached, 1);
	ret = edu_map(imp);
	if (ret == -ENODEV) {
		atomic_fetch_add(&im->map_refused, 1);
	} else if (ret) {
		st_fail(im, ret);
	} else {
		atomic_fetch_add(&im->maps, 1);
		st_pattern(data, i, ++*seq);
		ret = edu_dma(imp, (uint64_t)i * SLICE, data, XFER,
				 EDU_IMP_DIR_TO_DMABUF);
		if (!ret) {
			atomic_fetch_add(&im->writes, 1);
			atomic_store(&im->last_good, *seq);
		} else if (ret == -ENODEV) {
			atomic_fetch_add(&im->write_refused, 1);
		} else {
			st_fail(im, ret);
		}
		if (check)
			st_check_slice(s, i);
	}
	if (!edu_info(imp, &info)) {
		atomic_fetch_add(&im->watch_checks, info.watch_checks);
		atomic_fetch_add(&im->watch_violations,
				 info.watch_violations);
	}
	ret = edu_detach(imp);
	if (ret)
		st_fail(im, ret);
}

static int st_imp_open(struct st *s)
{
	struct edu_imp_watch w = { 0 };
	int imp = rv_imp_open();

	if (imp < 0)
		return imp;
	snprintf(w.pci_name, sizeof(w.pci_name), "%s", s->d.bdf);
	if (ioctl(imp, EDU_IMP_IOC_WATCH, &w)) {
		close(imp);
		return -errno;
	}
	return imp;
}

struct st_arg {
	struct st *s;
	unsigned int i;
};

static void *st_importer(void *arg)
{
	struct st_arg *a = arg;
	struct st *s = a->s;
	unsigned long seq = 0;
	int imp = st_imp_open(s), buf;

	if (imp < 0) {
		st_fail(&s->imp[a->i], imp);
		return NULL;
	}
	while (!atomic_load(&s->sh->stop)) {
		/* A reference of our own: the exporter may close its fd. */
		pthread_mutex_lock(&s->buf_lock);
		buf = s->newest >= 0 ?
		      fcntl(s->newest, F_DUPFD_CLOEXEC, 0) : -1;
		pthread_mutex_unlock(&s->buf_lock);
		if (buf < 0) {
			usleep(1000);
			continue;
		}
		st_round(s, a->i, imp, buf, &seq, true);
		close(buf);
	}
	close(imp);
	return NULL;
}

/* The child: the newest buffer it was sent, round after round. */
static void st_child(struct st *s)
{
	unsigned long seq = 0;
	int imp, buf = -1, fd;

	/* Only the parent may hold the VFIO device. */
	bench_vfio_close(&s->d.v);
	close(s->sock[0]);
	imp = st_imp_open(s);
	if (imp < 0) {
		st_fail(&s->imp[NIMP - 1], imp);
		_exit(1);
	}
	while (!atomic_load(&s->sh->stop)) {
		while ((fd = fd_recv(s->sock[1], MSG_DONTWAIT)) >= 0) {
			if (buf >= 0)
				close(buf);
			buf = fd;
		}
		if (buf < 0) {
			usleep(1000);
			continue;
		}
		st_round(s, NIMP - 1, imp, buf, &seq, false);
	}
	_exit(0);
}

static void st_publish(struct st *s, int fd)
{
	pthread_mutex_lock(&s->buf_lock);
	if (s->newest >= 0)
		close(s->newest);
	s->newest = fd;
	if (fd >= 0)
		fd_send(s->sock[0], fd, MSG_DONTWAIT);
	pthread_mutex_unlock(&s->buf_lock);
}

/* Export a new buffer every few milliseconds; the device lock held. */
static void *st_exporter(void *arg)
{
	struct st *s = arg;
	int fd;

	while (!atomic_load(&s->sh->stop)) {
		pthread_rwlock_rdlock(&s->dev_lock);
		fd = s->d.v.device >= 0 ?
		     rv_export(s->d.v.device, BAR, 0, BUF_LEN) : -EBADF;
		if (fd >= 0) {
			atomic_fetch_add(&s->exports, 1);
			st_publish(s, fd);
		} else {
			atomic_fetch_add(&s->export_refused, 1);
		}
		pthread_rwlock_unlock(&s->dev_lock);
		usleep(5000);
	}
	return NULL;
}

static int st_hot_reset(struct st *s)
{
	struct {
		struct vfio_pci_hot_reset r;
		int32_t fd;
	} req = {
		.r = { .argsz = sizeof(req), .count = 1 },
		.fd = s->d.v.group,
	};

	return ioctl(s->d.v.device, VFIO_DEVICE_PCI_HOT_RESET, &req) ?
	       -errno : 0;
}

static int st_low_power(int device, uint32_t feature)
{
	struct vfio_device_feature f = {
		.argsz = sizeof(f),
		.flags = VFIO_DEVICE_FEATURE_SET | feature,
	};

	return ioctl(device, VFIO_DEVICE_FEATURE, &f) ? -errno : 0;
}

/* The device owner's events, one after the other, with short pauses. */
static void *st_owner(void *arg)
{
	struct st *s = arg;
	unsigned int n = 0;
	int ret = 0;

	while (!atomic_load(&s->sh->stop)) {
		/*
		 * Every kind of event within the first dozen (a run of ten
		 * seconds sees each); resets are bus resets of about a
		 * second each here, so they come seldom.
		 */
		static const char plan[] = "tlRtlCtlHtlt";
		char what = plan[n++ % (sizeof(plan) - 1)];

		if (what == 'C') {
			/* Close for good, then a fresh open. */
			pthread_rwlock_wrlock(&s->dev_lock);
			st_publish(s, -1);
			rv_dev_close(&s->d);
			ret = rv_dev_reopen(&s->d);
			pthread_rwlock_unlock(&s->dev_lock);
			atomic_fetch_add(&s->reopens, 1);
			if (ret)
				break;
			continue;
		}
		pthread_rwlock_rdlock(&s->dev_lock);
		if (what == 'R') {
			ret = ioctl(s->d.v.device, VFIO_DEVICE_RESET) ?
			      -errno : 0;
			atomic_fetch_add(ret ? &s->errs : &s->resets, 1);
		} else if (what == 'H') {
			ret = st_hot_reset(s);
			atomic_fetch_add(ret ? &s->errs : &s->hot_resets, 1);
		} else if (what == 't') {
			ret = rv_set_memory(&s->d, false);
			usleep(2000);
			ret = ret ? ret : rv_set_memory(&s->d, true);
			atomic_fetch_add(ret ? &s->errs : &s->toggles, 1);
		} else {
			ret = st_low_power(s->d.v.device,
					   VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY);
			usleep(2000);
			ret = ret ? ret : st_low_power(s->d.v.device,
					   VFIO_DEVICE_FEATURE_LOW_POWER_EXIT);
			atomic_fetch_add(ret ? &s->errs : &s->lp_cycles, 1);
		}
		pthread_rwlock_unlock(&s->dev_lock);
		usleep(3000);
	}
	return NULL;
}

/* One line a second, so that a stall shows where it is. */
static void st_progress(struct st *s, unsigned int sec)
{
	ksft_print_msg("%u s: exports %lu, resets %lu+%lu, toggles %lu, low power %lu, reopens %lu; writes %lu/%lu/%lu\n",
		       sec, atomic_load(&s->exports), atomic_load(&s->resets),
		       atomic_load(&s->hot_resets), atomic_load(&s->toggles),
		       atomic_load(&s->lp_cycles), atomic_load(&s->reopens),
		       atomic_load(&s->imp[0].writes),
		       atomic_load(&s->imp[1].writes),
		       atomic_load(&s->imp[2].writes));
}

FIXTURE(st) {
	struct st *s;
};

FIXTURE_SETUP(st)
{
	struct vfio_region_info ri = { .argsz = sizeof(ri) };
	pthread_rwlockattr_t attr;
	struct st *s;

	s = calloc(1, sizeof(*s));
	ASSERT_NE(NULL, s);
	self->s = s;
	s->sh = mmap(NULL, sizeof(*s->sh), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, s->sh);
	memset(s->sh, 0, sizeof(*s->sh));
	s->imp = s->sh->imp;
	s->newest = -1;
	ASSERT_EQ(0, pthread_mutex_init(&s->buf_lock, NULL));
	/* Writers first: the close/reopen must not starve behind readers. */
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr,
			PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	ASSERT_EQ(0, pthread_rwlock_init(&s->dev_lock, &attr));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0,
				s->sock));
	ASSERT_EQ(0, rv_load_modules());
	ASSERT_EQ(0, rv_dev_open(PCI_VID_REDHAT_QUMRANET, PCI_DID_IVSHMEM,
				 &s->d));
	ri.index = BAR;
	ASSERT_EQ(0, ioctl(s->d.v.device, VFIO_DEVICE_GET_REGION_INFO, &ri));
	ASSERT_LE(NIMP * SLICE, ri.size);
	s->bar_off = ri.offset;
}

FIXTURE_TEARDOWN(st)
{
	struct st *s = self->s;

	if (!s)
		return;
	st_publish(s, -1);
	rv_dev_close(&s->d);
	close(s->sock[0]);
	close(s->sock[1]);
	munmap(s->sh, sizeof(*s->sh));
	free(s);
}

TEST_F_TIMEOUT(st, owner_events_against_two_importers_and_a_child, 120)
{
	struct st *s = self->s;
	struct st_arg args[NIMP - 1];
	pthread_t imp_th[NIMP - 1], own_th, exp_th;
	uint8_t want[XFER], got[XFER];
	unsigned int seconds = env_u64("RACE_SECONDS", 10), i;
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		st_child(s);
	for (i = 0; i < NIMP - 1; i++) {
		args[i] = (struct st_arg){ .s = s, .i = i };
		ASSERT_EQ(0, pthread_create(&imp_th[i], NULL, st_importer,
					    &args[i]));
	}
	ASSERT_EQ(0, pthread_create(&exp_th, NULL, st_exporter, s));
	ASSERT_EQ(0, pthread_create(&own_th, NULL, st_owner, s));
	for (i = 0; i < seconds; i++) {
		sleep(1);
		st_progress(s, i + 1);
	}
	atomic_store(&s->sh->stop, true);
	ksft_print_msg("stopping: owner\n");
	pthread_join(own_th, NULL);
	ksft_print_msg("stopping: exporter\n");
	pthread_join(exp_th, NULL);
	ksft_print_msg("stopping: importer threads\n");
	for (i = 0; i < NIMP - 1; i++)
		pthread_join(imp_th[i], NULL);
	ksft_print_msg("stopping: child\n");
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));

	TH_LOG("%u s: exports %lu (refused %lu), resets %lu, hot resets %lu, memory toggles %lu, low-power cycles %lu, reopens %lu, owner errors %lu",
	       seconds, atomic_load(&s->exports),
	       atomic_load(&s->export_refused), atomic_load(&s->resets),
	       atomic_load(&s->hot_resets), atomic_load(&s->toggles),
	       atomic_load(&s->lp_cycles), atomic_load(&s->reopens),
	       atomic_load(&s->errs));
	EXPECT_EQ(0UL, atomic_load(&s->errs));
	EXPECT_LT(0UL, atomic_load(&s->resets));
	EXPECT_LT(0UL, atomic_load(&s->hot_resets));
	EXPECT_LT(0UL, atomic_load(&s->toggles));
	EXPECT_LT(0UL, atomic_load(&s->lp_cycles));
	EXPECT_LT(0UL, atomic_load(&s->reopens));

	/* The device is open and decodes now: every slice reads back. */
	ASSERT_LE(0, s->d.v.device);
	ASSERT_EQ(0, rv_set_memory(&s->d, true));
	for (i = 0; i < NIMP; i++) {
		struct st_imp *im = &s->imp[i];

		TH_LOG("importer %u%s: attached %lu (refused %lu), maps %lu (refused %lu), DMA writes %lu (refused %lu), read back %lu (not readable %lu), decode checks %u",
		       i, i == NIMP - 1 ? " (child)" : "",
		       atomic_load(&im->attached),
		       atomic_load(&im->attach_refused),
		       atomic_load(&im->maps), atomic_load(&im->map_refused),
		       atomic_load(&im->writes),
		       atomic_load(&im->write_refused),
		       atomic_load(&im->checked), atomic_load(&im->unchecked),
		       atomic_load(&im->watch_checks));
		EXPECT_EQ(0UL, atomic_load(&im->failed))
			TH_LOG("importer %u: unexpected %s", i,
			       strerror(-atomic_load(&im->errno_seen)));
		EXPECT_EQ(0U, atomic_load(&im->watch_violations))
			TH_LOG("importer %u reached the BAR while it did not decode",
			       i);
		EXPECT_EQ(0UL, atomic_load(&im->bad_landed))
			TH_LOG("importer %u: the slice did not hold the last good write",
			       i);
		EXPECT_LT(0UL, atomic_load(&im->writes))
			TH_LOG("importer %u never wrote: nothing raced", i);
		if (!atomic_load(&im->last_good))
			continue;
		st_pattern(want, i, atomic_load(&im->last_good));
		ASSERT_EQ(XFER, pread(s->d.v.device, got, XFER,
				      s->bar_off + (uint64_t)i * SLICE));
		EXPECT_EQ(0, memcmp(want, got, XFER))
			TH_LOG("importer %u: its last good write is not in the BAR",
			       i);
	}
}

TEST_HARNESS_MAIN
