// SPDX-License-Identifier: GPL-2.0
/*
 * CPU mappings of exported BAR ranges: mmap() of the dma-buf fd (issue
 * 14). The exporter is ivshmem's BAR2 (RAM behind it, so its bytes survive
 * revokes and resets); what a mapping shows is checked against the VFIO
 * region's own mapping and against edu DMA through edu-importer.
 *
 * A revoke must zap every CPU mapping of the buffer, in every process, and
 * make a fault raise SIGBUS until the export is restored; a restore must
 * let a new fault map the page again. Whether an access faulted at all is
 * read from the thread's minor fault count (getrusage).
 *
 * A mapping gives CPU access only: VFIO_IOMMU_MAP_DMA of it fails, so it
 * cannot become an IOMMU mapping that a revoke would not reach (issue 19).
 *
 * Two fixtures, one per boot, chosen by $BENCH_TOPOLOGY (main() below):
 * "mm" on the basic topology, "hp" on the hotplug topology (ivshmem alone
 * behind a root port: VFIO_DEVICE_RESET and AER recovery work there, and
 * the host can hot-unplug it; the unplug test is last).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include "fixture.h"
#include "kselftest_harness.h"

#define BAR		VFIO_PCI_BAR2_REGION_INDEX
#define PG		4096u
#define EXP_LEN		(16u * PG)
/* Where the fixtures' pattern lives, in the BAR and in a 0-based buffer. */
#define PAT_OFF		(5u * PG + 256u)
#define PAT_LEN		2048u

/* --- accesses that may fault ------------------------------------------- */

/*
 * A SIGBUS (or SIGSEGV) raised by an access made through mm_copy() ends
 * that access instead of the process. Per thread: the jump buffer of the
 * thread that faulted.
 */
static __thread sigjmp_buf mm_jmp;
static __thread volatile sig_atomic_t mm_armed;

static void mm_on_fault(int sig)
{
	if (mm_armed) {
		mm_armed = 0;
		siglongjmp(mm_jmp, sig);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void mm_catch(void)
{
	struct sigaction sa = { .sa_handler = mm_on_fault };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
}

/* Copy byte by byte; 0, or the signal that stopped the copy. */
static int mm_copy(volatile uint8_t *dst, const volatile uint8_t *src,
		   size_t len)
{
	int sig;
	size_t i;

	sig = sigsetjmp(mm_jmp, 1);
	if (sig)
		return sig;
	mm_armed = 1;
	for (i = 0; i < len; i++)
		dst[i] = src[i];
	mm_armed = 0;
	return 0;
}

/*
 * Read @len bytes at @p and compare with @want: 0 when equal, 1 when they
 * differ, or the signal the read raised.
 */
static int mm_check(const uint8_t *p, const void *want, size_t len)
{
	uint8_t *got = malloc(len);
	int ret;

	if (!got)
		return -ENOMEM;
	memset(got, 0, len);
	ret = mm_copy(got, p, len);
	if (!ret)
		ret = memcmp(got, want, len) ? 1 : 0;
	free(got);
	return ret;
}

/* Minor faults of this thread so far. */
static long mm_minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	return ru.ru_minflt;
}

/*
 * Read one byte at @p: the number of page faults that took (0 if the page
 * was mapped), or -signal if it raised one.
 */
static long mm_touch(const uint8_t *p)
{
	uint8_t b;
	long before;
	int sig;

	mm_minflt();		/* getrusage itself faults in nothing after */
	before = mm_minflt();
	sig = mm_copy(&b, p, 1);
	if (sig)
		return -sig;
	return mm_minflt() - before;
}

/* --- exports ------------------------------------------------------------- */

/* Export @nr ranges of BAR2 with @open_flags: the fd or -errno. */
static int mm_export(int device, uint32_t open_flags,
		     const struct vfio_region_dma_range *r, uint32_t nr)
{
	size_t size = sizeof(struct vfio_device_feature) +
		      sizeof(struct vfio_device_feature_dma_buf) +
		      nr * sizeof(*r);
	struct vfio_device_feature_dma_buf *get;
	struct vfio_device_feature *f;
	int fd;

	f = calloc(1, size);
	if (!f)
		return -ENOMEM;
	f->argsz = size;
	f->flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF;
	get = (void *)f->data;
	get->region_index = BAR;
	get->open_flags = open_flags;
	get->nr_ranges = nr;
	memcpy(get->dma_ranges, r, nr * sizeof(*r));
	fd = ioctl(device, VFIO_DEVICE_FEATURE, f);
	if (fd < 0)
		fd = -errno;
	free(f);
	return fd;
}

static uint8_t *mm_map(int buf, size_t len, int prot, off_t off)
{
	return mmap(NULL, len, prot, MAP_SHARED, buf, off);
}

static int mm_low_power(int device, uint32_t feature)
{
	struct vfio_device_feature f = {
		.argsz = sizeof(f),
		.flags = VFIO_DEVICE_FEATURE_SET | feature,
	};

	return ioctl(device, VFIO_DEVICE_FEATURE, &f) ? -errno : 0;
}

/* --- a second process: commands in, one result byte out ------------------ */

/*
 * The other process answers each command byte on @fd with the result of
 * mm_check() on its mapping: '0' equal, 'X' different, 'B' SIGBUS, 'S'
 * SIGSEGV; it exits on 'q' or when @fd closes.
 */
static char mm_result(int ret)
{
	switch (ret) {
	case 0:
		return '0';
	case SIGBUS:
		return 'B';
	case SIGSEGV:
		return 'S';
	default:
		return 'X';
	}
}

static void mm_serve(int cmd_fd, int res_fd, const uint8_t *p,
		     const void *want, size_t len)
{
	char c;

	while (read(cmd_fd, &c, 1) == 1 && c != 'q') {
		c = mm_result(mm_check(p, want, len));
		if (write(res_fd, &c, 1) != 1)
			break;
	}
}

/* Ask the other process to look: its answer, or '?' if it is gone. */
static char mm_ask(int cmd_fd, int res_fd)
{
	char c = 'c';

	if (write(cmd_fd, &c, 1) != 1 || read(res_fd, &c, 1) != 1)
		return '?';
	return c;
}

static int mm_reap(pid_t pid, int cmd_fd)
{
	int status;
	char c = 'q';

	if (write(cmd_fd, &c, 1) != 1)
		return -EPIPE;
	if (waitpid(pid, &status, 0) != pid)
		return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* --- basic topology ------------------------------------------------------ */

FIXTURE(mm)
{
	struct rv_dev d;
	uint8_t *bar;		/* the VFIO region's own mapping of BAR2 */
	size_t bar_size;
	uint8_t pattern[PAT_LEN];
	int buf;
	uint8_t *map;
	size_t map_len;
};

static void mm_unmap_bar(FIXTURE_DATA(mm) *self)
{
	if (self->bar && self->bar != MAP_FAILED)
		munmap(self->bar, self->bar_size);
	self->bar = NULL;
}

FIXTURE_SETUP(mm)
{
	self->buf = -1;
	self->bar = NULL;
	self->map = MAP_FAILED;
	mm_catch();
	ASSERT_EQ(0, rv_load_modules());
	ASSERT_EQ(0, rv_dev_open(PCI_VID_REDHAT_QUMRANET, PCI_DID_IVSHMEM,
				 &self->d));
	self->bar = bench_vfio_mmap_region(self->d.v.device, BAR,
					   &self->bar_size);
	ASSERT_NE(MAP_FAILED, self->bar);
	pattern_fill(self->pattern, PAT_LEN, getpid());
	memcpy(self->bar + PAT_OFF, self->pattern, PAT_LEN);

	/*
	 * Ours only (issue 9): upstream's buffers have no mmap op, so
	 * dma_buf_mmap_internal() refuses with EINVAL: asserted, then skip.
	 */
	if (exporter_is_upstream()) {
		self->buf = rv_export(self->d.v.device, BAR, 0, EXP_LEN);
		ASSERT_LE(0, self->buf);
		errno = 0;
		ASSERT_EQ(MAP_FAILED, mm_map(self->buf, EXP_LEN,
					     PROT_READ | PROT_WRITE, 0));
		ASSERT_EQ(EINVAL, errno);
		SKIP(return, "ours only: mmap of a buffer (upstream refuses it: EINVAL, asserted)");
	}
}

FIXTURE_TEARDOWN(mm)
{
	if (self->map != MAP_FAILED)
		munmap(self->map, self->map_len);
	mm_unmap_bar(self);
	if (self->buf >= 0)
		close(self->buf);
	rv_dev_close(&self->d);
}

/* Export [0, EXP_LEN) read-write and map all of it. */
static void mm_map_whole(struct __test_metadata *_metadata,
			 FIXTURE_DATA(mm) *self)
{
	self->buf = rv_export(self->d.v.device, BAR, 0, EXP_LEN);
	ASSERT_LE(0, self->buf) TH_LOG("export: %s", strerror(-self->buf));
	self->map_len = EXP_LEN;
	self->map = mm_map(self->buf, EXP_LEN, PROT_READ | PROT_WRITE, 0);
	ASSERT_NE(MAP_FAILED, self->map) TH_LOG("mmap: %s", strerror(errno));
	ASSERT_EQ(0, mm_check(self->map + PAT_OFF, self->pattern, PAT_LEN));
}

/*
 * Three ranges out of order, one of two pages: the mapping is laid out
 * like dma_ranges[]. Bytes written through it land at the ranges' BAR
 * offsets (VFIO region) and are what edu reads by DMA at the same buffer
 * offsets; nothing else in the BAR changes. A
 * mapping at a buffer offset starts there, and bytes written into the
 * BAR show through the mapping.
 */
TEST_F(mm, layout_follows_ranges)
{
	const struct vfio_region_dma_range r[] = {
		{ .offset = 6 * PG, .length = PG },		/* buf 0 */
		{ .offset = 1 * PG, .length = 2 * PG },	/* buf 1, 2 */
		{ .offset = 9 * PG, .length = PG },		/* buf 3 */
	};
	const uint64_t bar_of_page[] = { 6 * PG, 1 * PG, 2 * PG, 9 * PG };
	static uint8_t pat[4 * PG], bg[16 * PG], got[2048];
	uint8_t *tail;
	unsigned int i;
	int imp;

	memset(bg, 0x5a, sizeof(bg));
	memcpy(self->bar, bg, sizeof(bg));
	self->buf = mm_export(self->d.v.device, O_RDWR | O_CLOEXEC, r, 3);
	ASSERT_LE(0, self->buf) TH_LOG("export: %s", strerror(-self->buf));
	self->map_len = 4 * PG;
	self->map = mm_map(self->buf, 4 * PG, PROT_READ | PROT_WRITE, 0);
	ASSERT_NE(MAP_FAILED, self->map) TH_LOG("mmap: %s", strerror(errno));

	pattern_fill(pat, sizeof(pat), 14);
	ASSERT_EQ(0, mm_copy(self->map, pat, sizeof(pat)));

	/* The VFIO region: each buffer page at its range's BAR offset. */
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(0, memcmp(self->bar + bar_of_page[i], pat + i * PG,
				    PG)) TH_LOG("buffer page %u", i);
		memcpy(bg + bar_of_page[i], pat + i * PG, PG);
	}
	EXPECT_EQ(0, memcmp(self->bar, bg, sizeof(bg)))
		TH_LOG("bytes landed outside the ranges");

	/*
	 * edu DMA at the same buffer offsets, in every page (one transfer
	 * stays within one DMA segment: it does not cross ranges).
	 */
	imp = rv_imp_open();
	ASSERT_LE(0, imp);
	ASSERT_EQ(0, edu_attach(imp, self->buf, 0));
	ASSERT_EQ(0, edu_map(imp));
	for (i = 0; i < 4; i++) {
		uint64_t off = i * PG + PG / 4;

		EXPECT_EQ(0, rv_imp_read_cmp(imp, off, pat + off, sizeof(got)))
			TH_LOG("DMA at buffer offset %#llx",
			       (unsigned long long)off);
	}
	close(imp);

	/* A mapping at buffer page 2 covers BAR pages 2 and 9. */
	tail = mm_map(self->buf, 2 * PG, PROT_READ, 2 * PG);
	ASSERT_NE(MAP_FAILED, tail) TH_LOG("mmap at 2 pages: %s",
					   strerror(errno));
	EXPECT_EQ(0, mm_check(tail, pat + 2 * PG, 2 * PG));

	/* And the other way: the BAR written, the mapping reads it. */
	pattern_fill(got, sizeof(got), 41);
	memcpy(self->bar + 9 * PG + 100, got, sizeof(got));
	EXPECT_EQ(0, mm_check(self->map + 3 * PG + 100, got, sizeof(got)));
	EXPECT_EQ(0, mm_check(tail + PG + 100, got, sizeof(got)));
	munmap(tail, 2 * PG);
}

/*
 * An O_RDONLY buffer maps for reading only: no writable shared mapping,
 * no mprotect() to writable later, a write through the read-only mapping
 * faults and leaves the BAR alone.
 */
TEST_F(mm, read_only_buffer_maps_read_only)
{
	const struct vfio_region_dma_range r = { .offset = 0, .length = EXP_LEN };
	uint8_t junk[16];
	uint8_t *p;

	self->buf = mm_export(self->d.v.device, O_RDONLY | O_CLOEXEC, &r, 1);
	ASSERT_LE(0, self->buf) TH_LOG("export: %s", strerror(-self->buf));

	p = mm_map(self->buf, EXP_LEN, PROT_READ | PROT_WRITE, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EACCES, errno);
	if (p != MAP_FAILED)
		munmap(p, EXP_LEN);

	self->map_len = EXP_LEN;
	self->map = mm_map(self->buf, EXP_LEN, PROT_READ, 0);
	ASSERT_NE(MAP_FAILED, self->map) TH_LOG("mmap: %s", strerror(errno));
	EXPECT_EQ(0, mm_check(self->map + PAT_OFF, self->pattern, PAT_LEN));
	EXPECT_EQ(-1, mprotect(self->map, EXP_LEN, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);

	memset(junk, 0xee, sizeof(junk));
	EXPECT_EQ(SIGSEGV, mm_copy(self->map + PAT_OFF, junk, sizeof(junk)));
	EXPECT_EQ(0, memcmp(self->bar + PAT_OFF, self->pattern, PAT_LEN));
}

/*
 * Only the buffer can be mapped: an offset or a length beyond it is
 * refused (EINVAL), so is growing a mapping (mremap: EFAULT, the mapping
 * does not expand), and so is a private (copy-on-write) mapping.
 */
TEST_F(mm, beyond_the_buffer_is_refused)
{
	uint8_t *p;

	mm_map_whole(_metadata, self);

	p = mm_map(self->buf, EXP_LEN + PG, PROT_READ, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	p = mm_map(self->buf, PG, PROT_READ, EXP_LEN);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	p = mm_map(self->buf, 2 * PG, PROT_READ, EXP_LEN - PG);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	p = mm_map(self->buf, PG, PROT_READ, (off_t)1 << 40);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	p = mmap(NULL, PG, PROT_READ, MAP_PRIVATE, self->buf, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);

	p = mremap(self->map, EXP_LEN, EXP_LEN + PG, MREMAP_MAYMOVE);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EFAULT, errno);

	/* The last page maps alone, and what is there is there. */
	p = mm_map(self->buf, PG, PROT_READ, EXP_LEN - PG);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, mm_check(p, self->bar + EXP_LEN - PG, PG));
	munmap(p, PG);
}

/*
 * PCI_COMMAND.MEMORY off revokes: the page mapped before is gone and an
 * access raises SIGBUS, for reads and writes; a new mmap() is refused
 * (ENODEV, as attach). Memory on restores: the next access faults the
 * page in again and sees the BAR's bytes.
 */
TEST_F(mm, memory_off_sigbus_memory_on_maps_again)
{
	uint8_t junk[16];
	uint8_t *p;

	mm_map_whole(_metadata, self);
	EXPECT_EQ(0, mm_touch(self->map + PAT_OFF)) TH_LOG("page not mapped");

	ASSERT_EQ(0, rv_set_memory(&self->d, false));
	EXPECT_EQ(-SIGBUS, mm_touch(self->map + PAT_OFF));
	EXPECT_EQ(-SIGBUS, mm_touch(self->map));
	memset(junk, 0xee, sizeof(junk));
	EXPECT_EQ(SIGBUS, mm_copy(self->map + PAT_OFF, junk, sizeof(junk)));
	p = mm_map(self->buf, PG, PROT_READ, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(ENODEV, errno);

	ASSERT_EQ(0, rv_set_memory(&self->d, true));
	EXPECT_LT(0, mm_touch(self->map + PAT_OFF)) TH_LOG("no new fault");
	EXPECT_EQ(0, mm_check(self->map + PAT_OFF, self->pattern, PAT_LEN));
	EXPECT_EQ(0, memcmp(self->bar + PAT_OFF, self->pattern, PAT_LEN))
		TH_LOG("a write while revoked reached the BAR");
	ASSERT_EQ(0, mm_copy(self->map + PAT_OFF, junk, sizeof(junk)));
	EXPECT_EQ(0, memcmp(self->bar + PAT_OFF, junk, sizeof(junk)));
}

/* Exported while decoding is off: born revoked, mappable once it is on. */
TEST_F(mm, born_revoked_maps_once_memory_is_on)
{
	uint8_t *p;

	ASSERT_EQ(0, rv_set_memory(&self->d, false));
	self->buf = rv_export(self->d.v.device, BAR, 0, EXP_LEN);
	ASSERT_LE(0, self->buf);
	p = mm_map(self->buf, EXP_LEN, PROT_READ, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(ENODEV, errno);

	ASSERT_EQ(0, rv_set_memory(&self->d, true));
	self->map_len = EXP_LEN;
	self->map = mm_map(self->buf, EXP_LEN, PROT_READ, 0);
	ASSERT_NE(MAP_FAILED, self->map) TH_LOG("mmap: %s", strerror(errno));
	EXPECT_EQ(0, mm_check(self->map + PAT_OFF, self->pattern, PAT_LEN));
}

/*
 * Closing the device revokes for good: SIGBUS, also once the device is
 * open again; the mapping can still be unmapped and the buffer closed.
 */
TEST_F(mm, close_sigbus_for_good)
{
	uint8_t *p;

	mm_map_whole(_metadata, self);
	mm_unmap_bar(self);
	rv_dev_close(&self->d);
	EXPECT_EQ(-SIGBUS, mm_touch(self->map + PAT_OFF));

	ASSERT_EQ(0, rv_dev_reopen(&self->d));
	EXPECT_EQ(-SIGBUS, mm_touch(self->map + PAT_OFF));
	p = mm_map(self->buf, PG, PROT_READ, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(ENODEV, errno);
	EXPECT_EQ(0, munmap(self->map, self->map_len));
	self->map = MAP_FAILED;
	EXPECT_EQ(0, close(self->buf));
	self->buf = -1;
}

/* Low-power entry revokes (SIGBUS); exit restores (the bytes again). */
TEST_F(mm, low_power_sigbus_exit_maps_again)
{
	mm_map_whole(_metadata, self);
	mm_unmap_bar(self);
	ASSERT_EQ(0, mm_low_power(self->d.v.device,
				  VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY));
	EXPECT_EQ(-SIGBUS, mm_touch(self->map + PAT_OFF));

	ASSERT_EQ(0, mm_low_power(self->d.v.device,
				  VFIO_DEVICE_FEATURE_LOW_POWER_EXIT));
	EXPECT_LT(0, mm_touch(self->map + PAT_OFF));
	EXPECT_EQ(0, mm_check(self->map + PAT_OFF, self->pattern, PAT_LEN));
}

/*
 * A child that inherited the mapping by fork() (with its PTEs, the page
 * was mapped before) and closed its copy of the fd loses access on a
 * revoke and gets it back on the restore.
 */
TEST_F(mm, forked_child_loses_access)
{
	int cmd[2], res[2];
	pid_t pid;

	mm_map_whole(_metadata, self);
	ASSERT_EQ(0, pipe2(cmd, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(res, O_CLOEXEC));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(self->buf);
		close(cmd[1]);
		close(res[0]);
		mm_serve(cmd[0], res[1], self->map + PAT_OFF, self->pattern,
			 PAT_LEN);
		_exit(0);
	}
	close(cmd[0]);
	close(res[1]);

	EXPECT_EQ('0', mm_ask(cmd[1], res[0]));
	ASSERT_EQ(0, rv_set_memory(&self->d, false));
	EXPECT_EQ('B', mm_ask(cmd[1], res[0]));
	ASSERT_EQ(0, rv_set_memory(&self->d, true));
	EXPECT_EQ('0', mm_ask(cmd[1], res[0]));
	EXPECT_EQ(0, mm_reap(pid, cmd[1]));
	close(cmd[1]);
	close(res[0]);
}

/*
 * A process that got the buffer over a unix socket (SCM_RIGHTS), and holds
 * its only fd, maps it itself, loses access on a revoke and gets it back
 * on the restore.
 */
TEST_F(mm, fd_passed_over_unix_socket_loses_access)
{
	int sv[2], fd;
	pid_t pid;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		uint8_t *p;

		close(sv[0]);
		fd = fd_recv(sv[1], 0);
		if (fd < 0)
			_exit(2);
		p = mm_map(fd, EXP_LEN, PROT_READ | PROT_WRITE, 0);
		close(fd);
		if (p == MAP_FAILED)
			_exit(3);
		mm_serve(sv[1], sv[1], p + PAT_OFF, self->pattern, PAT_LEN);
		munmap(p, EXP_LEN);
		_exit(0);
	}
	close(sv[1]);

	fd = rv_export(self->d.v.device, BAR, 0, EXP_LEN);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fd_send(sv[0], fd, 0));
	close(fd);

	EXPECT_EQ('0', mm_ask(sv[0], sv[0]));
	ASSERT_EQ(0, rv_set_memory(&self->d, false));
	EXPECT_EQ('B', mm_ask(sv[0], sv[0]));
	ASSERT_EQ(0, rv_set_memory(&self->d, true));
	EXPECT_EQ('0', mm_ask(sv[0], sv[0]));
	EXPECT_EQ(0, mm_reap(pid, sv[0]));
	close(sv[0]);
}

/* --- a CPU mapping is not a DMA mapping ---------------------------------- */

/* Above 4 GiB: clear of the MSI window and of anything the bench maps. */
#define MM_IOVA		(1ull << 32)

/* VFIO_IOMMU_MAP_DMA of [@vaddr, +@len) at @iova, read-write: 0 or -errno. */
static int mm_map_dma(int container, const void *vaddr, uint64_t iova,
		      uint64_t len)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)vaddr,
		.iova = iova,
		.size = len,
	};

	return ioctl(container, VFIO_IOMMU_MAP_DMA, &map) ? -errno : 0;
}

/* VFIO_IOMMU_UNMAP_DMA of [@iova, +@len): the bytes it unmapped, or -errno. */
static long long mm_unmap_dma(int container, uint64_t iova, uint64_t len)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.iova = iova,
		.size = len,
	};

	if (ioctl(container, VFIO_IOMMU_UNMAP_DMA, &unmap))
		return -errno;
	return unmap.size;
}

/*
 * A CPU mapping of a buffer cannot become an IOMMU mapping (issue 19):
 * type1 resolves what VFIO_IOMMU_MAP_DMA names once and keeps it with no
 * notifier, so such a mapping would outlive every revoke, close and
 * unbind. The map of the buffer's mapping, every page of it present,
 * fails with EFAULT and leaves nothing mapped (the unmap of its IOVA
 * unmaps 0 bytes); the same map of the device owner's own mapping of the
 * BAR (the VFIO region) works at that IOVA in that container, so the
 * refusal is the buffer's. The buffer's mapping still reads and writes
 * the BAR.
 */
TEST_F(mm, iommu_map_dma_of_the_mapping_is_refused)
{
	const int c = self->d.v.container;
	uint8_t pat[PAT_LEN];
	unsigned int i;
	int ret;

	mm_map_whole(_metadata, self);
	for (i = 0; i < EXP_LEN / PG; i++)
		ASSERT_LE(0, mm_touch(self->map + i * PG)) TH_LOG("page %u", i);

	ret = mm_map_dma(c, self->bar, MM_IOVA, EXP_LEN);
	ASSERT_EQ(0, ret) TH_LOG("map of the VFIO region: %s", strerror(-ret));
	ASSERT_EQ((long long)EXP_LEN, mm_unmap_dma(c, MM_IOVA, EXP_LEN));

	ret = mm_map_dma(c, self->map, MM_IOVA, EXP_LEN);
	EXPECT_EQ(-EFAULT, ret) TH_LOG("map of the buffer's mapping: %s",
				       ret ? strerror(-ret) : "mapped");
	EXPECT_EQ(0, mm_unmap_dma(c, MM_IOVA, EXP_LEN))
		TH_LOG("an IOMMU mapping of the buffer was left");

	EXPECT_EQ(0, mm_check(self->map + PAT_OFF, self->pattern, PAT_LEN));
	pattern_fill(pat, sizeof(pat), 19);
	ASSERT_EQ(0, mm_copy(self->map + PAT_OFF, pat, sizeof(pat)));
	EXPECT_EQ(0, memcmp(self->bar + PAT_OFF, pat, sizeof(pat)));
}

/* --- hotplug topology ---------------------------------------------------- */

/* pciehp-free ACPI hotplug: removal takes a few seconds. */
#define UNPLUG_WAIT_S	30

FIXTURE(hp)
{
	struct rv_dev d;
	uint8_t pattern[PAT_LEN];
	int buf;
	uint8_t *map;
};

FIXTURE_SETUP(hp)
{
	self->buf = -1;
	self->map = MAP_FAILED;
	mm_catch();
	ASSERT_EQ(0, rv_load_modules());
	ASSERT_EQ(0, rv_dev_open(PCI_VID_REDHAT_QUMRANET, PCI_DID_IVSHMEM,
				 &self->d));
	pattern_fill(self->pattern, PAT_LEN, getpid());
	ASSERT_EQ(0, rv_write_bar(self->d.v.device, BAR, PAT_OFF,
				  self->pattern, PAT_LEN));
	self->buf = rv_export(self->d.v.device, BAR, 0, EXP_LEN);
	ASSERT_LE(0, self->buf) TH_LOG("export: %s", strerror(-self->buf));
	self->map = mm_map(self->buf, EXP_LEN, PROT_READ | PROT_WRITE, 0);
	ASSERT_NE(MAP_FAILED, self->map) TH_LOG("mmap: %s", strerror(errno));
	ASSERT_EQ(0, mm_check(self->map + PAT_OFF, self->pattern, PAT_LEN));
}

FIXTURE_TEARDOWN(hp)
{
	if (self->map != MAP_FAILED)
		munmap(self->map, EXP_LEN);
	if (self->buf >= 0)
		close(self->buf);
	rv_dev_close(&self->d);
}

/*
 * VFIO_DEVICE_RESET (a bus reset here) revokes before the reset and
 * restores after it: the page mapped before is gone (the next access
 * faults) and the fault maps it again, with the bytes still there.
 */
TEST_F(hp, vfio_reset_zaps_then_maps_again)
{
	struct vfio_device_info dinfo = { .argsz = sizeof(dinfo) };

	ASSERT_EQ(0, ioctl(self->d.v.device, VFIO_DEVICE_GET_INFO, &dinfo));
	ASSERT_TRUE(dinfo.flags & VFIO_DEVICE_FLAGS_RESET);
	EXPECT_EQ(0, mm_touch(self->map + PAT_OFF)) TH_LOG("page not mapped");

	ASSERT_EQ(0, ioctl(self->d.v.device, VFIO_DEVICE_RESET))
		TH_LOG("reset: %s", strerror(errno));
	EXPECT_LT(0, mm_touch(self->map + PAT_OFF))
		TH_LOG("the reset left the page mapped");
	EXPECT_EQ(0, mm_touch(self->map + PAT_OFF));
	EXPECT_EQ(0, mm_check(self->map + PAT_OFF, self->pattern, PAT_LEN));
}

/* drivers/pci/pcie/aer_inject.c's request (the aer-inject tool's). */
struct hp_aer_inject {
	uint8_t bus, dev, fn;
	uint32_t uncor_status, cor_status;
	uint32_t header_log[4];
	uint32_t domain;
};

/*
 * A fatal error on the root port (AER): revoked as soon as it is
 * reported, and still after recovery, whose reset left the device not
 * decoding: SIGBUS until the user turns memory decoding on again.
 */
TEST_F(hp, aer_error_sigbus_until_decoding_is_back)
{
	struct hp_aer_inject inj = { 0 };
	char path[PATH_MAX], real[PATH_MAX];
	unsigned int dom, bus, dev, fn;
	int fd, before, i;

	ASSERT_EQ(0, bench_modprobe("aer_inject", NULL));
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", self->d.bdf);
	ASSERT_NE(NULL, realpath(path, real));
	ASSERT_EQ(4, sscanf(basename(dirname(real)), "%x:%x:%x.%x", &dom,
			    &bus, &dev, &fn));
	inj.domain = dom;
	inj.bus = bus;
	inj.dev = dev;
	inj.fn = fn;
	inj.uncor_status = PCI_ERR_UNC_MALF_TLP;	/* fatal by default */

	before = rv_kmsg_count("device recovery successful");
	fd = open("/dev/aer_inject", O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("/dev/aer_inject: %s", strerror(errno));
	ASSERT_EQ((ssize_t)sizeof(inj), write(fd, &inj, sizeof(inj)));
	close(fd);
	for (i = 0; i < 100; i++) {
		if (rv_kmsg_count("device recovery successful") > before)
			break;
		usleep(100 * 1000);
	}
	ASSERT_LT(i, 100) TH_LOG("AER recovery did not finish");

	EXPECT_EQ(-SIGBUS, mm_touch(self->map + PAT_OFF));
	ASSERT_EQ(0, rv_set_memory(&self->d, true));
	EXPECT_LT(0, mm_touch(self->map + PAT_OFF));
	EXPECT_EQ(0, mm_check(self->map + PAT_OFF, self->pattern, PAT_LEN));
}

/*
 * The exporter is hot-unplugged while mapped (last test of the boot):
 * removal revokes for good before it waits for the VFIO user, so the
 * mapping raises SIGBUS; once the device is closed and gone, the mapping
 * still raises SIGBUS, munmap() works and the buffer closes. The kernel
 * log is checked for reports by the bench.
 */
TEST_F_TIMEOUT(hp, munmap_after_the_device_is_gone, 3 * UNPLUG_WAIT_S)
{
	char path[PATH_MAX];
	long t = 0;
	int i;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", self->d.bdf);
	EXPECT_EQ(0, mm_touch(self->map + PAT_OFF));
	ASSERT_EQ(0, bench_host_request("device_del shm0dev"));
	for (i = 0; i < UNPLUG_WAIT_S * 10; i++) {
		t = mm_touch(self->map + PAT_OFF);
		if (t < 0)
			break;
		usleep(100000);
	}
	EXPECT_EQ(-SIGBUS, t) TH_LOG("still mapped after %d s", UNPLUG_WAIT_S);

	/* vfio-pci's remove waits for the user to close the device. */
	rv_dev_close(&self->d);
	for (i = 0; i < UNPLUG_WAIT_S * 10 && access(path, F_OK) == 0; i++)
		usleep(100000);
	ASSERT_NE(0, access(path, F_OK)) TH_LOG("%s still present", path);

	EXPECT_EQ(-SIGBUS, mm_touch(self->map + PAT_OFF));
	EXPECT_EQ(0, munmap(self->map, EXP_LEN));
	self->map = MAP_FAILED;
	EXPECT_EQ(0, close(self->buf));
	self->buf = -1;
}

/*
 * One boot per topology: run the fixture written for it, so that neither
 * boot reports the other's tests as skipped. Arguments, if any, are the
 * harness's own (-t, -f, ...).
 */
int main(int argc, char **argv)
{
	const char *topo = getenv("BENCH_TOPOLOGY");
	char fixture[] = "mm", hotplug[] = "hp", opt[] = "-f";
	char *args[] = { argv[0], opt, fixture, NULL };

	if (argc > 1)
		return test_harness_run(argc, argv);
	if (topo && !strcmp(topo, "hotplug"))
		args[2] = hotplug;
	return test_harness_run(3, args);
}
