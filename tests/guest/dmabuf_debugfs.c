// SPDX-License-Identifier: GPL-2.0
/*
 * The debugfs exports file (driver/debugfs.c) with exports of up to 65536
 * ranges, read while other exports are created and released: the driver
 * prints ranges without holding its locks, relying on a file reference to
 * keep each listed buffer alive. Every read must still be whole and
 * consistent (each export block lists exactly nr_ranges ranges, in order),
 * and nothing may go wrong in the kernel meanwhile (the debug kernel's
 * KASAN and lockdep watch the lifetimes and the lock order).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"
#include "kselftest_harness.h"

#define MAX_RANGES	65536U
#define BAR2_PAGES	4096U		/* 16 MiB */
/* One range line is at most ~48 bytes: 65536 of them and headroom. */
#define DUMP_MAX	(8UL << 20)

FIXTURE(dbg)
{
	struct bench_vfio v;
	char bdf[32];
	char *buf;
};

FIXTURE_SETUP(dbg)
{
	self->buf = malloc(DUMP_MAX);
	ASSERT_NE(NULL, self->buf);
	ASSERT_EQ(0, dmabuf_open_ivshmem(self->bdf, sizeof(self->bdf),
					 &self->v));
}

FIXTURE_TEARDOWN(dbg)
{
	bench_vfio_close(&self->v);
	free(self->buf);
}

/* Read the whole exports file in small reads; its length or -errno. */
static long read_exports(const char *bdf, char *buf, size_t len)
{
	char path[128];
	size_t got = 0;
	ssize_t n = 0;
	int fd;

	snprintf(path, sizeof(path), VPD_DEBUGFS "/%s/exports", bdf);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* 4 KiB at a time: seq_file must resume across reads. */
	while (got < len - 1) {
		n = read(fd, buf + got, len - 1 - got < 4096 ?
			 len - 1 - got : 4096);
		if (n <= 0)
			break;
		got += n;
	}
	close(fd);
	if (n < 0)
		return -errno;
	if (got == len - 1)
		return -E2BIG;
	buf[got] = '\0';
	return got;
}

/*
 * Check that every "export" block lists exactly its nr_ranges ranges,
 * numbered from 0 in order, before its attachments. Returns the number of
 * blocks, or -1 (with the offending line in @why) when malformed.
 */
static int check_blocks(const char *buf, char *why, size_t whylen)
{
	unsigned long long id, size;
	unsigned int region, nr = 0, next = 0, idx, hnr;
	const char *p = buf, *eol;
	int blocks = 0, in = 0;
	char rev[8], l[160];

	for (; *p; p = eol + 1) {
		eol = strchr(p, '\n');
		if (!eol || eol - p >= (long)sizeof(l))
			goto bad;
		/* sscanf() takes strlen() of its input: give it one line. */
		memcpy(l, p, eol - p);
		l[eol - p] = '\0';
		if (sscanf(l, "export %llu: region %u size %llx nr_ranges %u revoked %7s",
			   &id, &region, &size, &hnr, rev) == 5) {
			if (in && next != nr)
				goto bad;
			nr = hnr;
			in = 1;
			next = 0;
			blocks++;
		} else if (sscanf(l, "  range %u:", &idx) == 1) {
			if (!in || idx != next || next >= nr)
				goto bad;
			next++;
		} else if (!strncmp(l, "  attach ", 9)) {
			if (!in || next != nr)
				goto bad;
		} else {
			goto bad;
		}
	}
	if (in && next != nr)
		goto bad;
	return blocks;
bad:
	snprintf(why, whylen, "%.*s", (int)(eol ? eol - p : 80), p);
	return -1;
}

static int export_many(struct bench_vfio *v, uint32_t nr)
{
	struct vfio_region_dma_range *r;
	uint32_t i;
	int fd;

	r = calloc(nr, sizeof(*r));
	if (!r)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		r[i].offset = (uint64_t)(i % BAR2_PAGES) * PAGE;
		r[i].length = PAGE;
	}
	fd = dmabuf_export(v->device, IVSHMEM_BAR, O_CLOEXEC, r, nr);
	free(r);
	return fd;
}

/* All 65536 range lines of a full export, in order, exact to the last. */
TEST_F(dbg, full_export_listed_whole)
{
	char line[128], why[128];
	const char *p;
	long len;
	int fd, n = 0;

	struct timespec t0, t1, t2;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	fd = export_many(&self->v, MAX_RANGES);
	ASSERT_LE(0, fd) TH_LOG("export: %s", strerror(-fd));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	len = read_exports(self->bdf, self->buf, DUMP_MAX);
	ASSERT_LT(0, len) TH_LOG("read: %s", strerror((int)-len));
	clock_gettime(CLOCK_MONOTONIC, &t2);
	TH_LOG("export %ld ms, read %ld ms (%ld bytes)",
	       (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000,
	       (t2.tv_sec - t1.tv_sec) * 1000 + (t2.tv_nsec - t1.tv_nsec) / 1000000,
	       len);
	EXPECT_NE(NULL, strstr(self->buf, ": region 2 size 0x10000000 nr_ranges 65536 revoked no\n"));
	for (p = self->buf; (p = strstr(p, "\n  range ")); p++)
		n++;
	EXPECT_EQ(MAX_RANGES, n);
	snprintf(line, sizeof(line), "\n  range 65535: offset %#x length 0x1000\n",
		 (MAX_RANGES - 1) % BAR2_PAGES * (unsigned int)PAGE);
	EXPECT_NE(NULL, strstr(self->buf, line)) TH_LOG("no \"%s\"", line + 1);
	EXPECT_EQ(1, check_blocks(self->buf, why, sizeof(why)))
		TH_LOG("malformed at \"%s\"", why);
	close(fd);

	len = read_exports(self->bdf, self->buf, DUMP_MAX);
	ASSERT_LE(0, len);
	EXPECT_EQ(NULL, strstr(self->buf, "nr_ranges 65536"))
		TH_LOG("a released export is still listed");
}

/*
 * One reader, one process exporting and releasing buffers as fast as it
 * can, for a few seconds, next to two big exports that make every read
 * long. Every read is well-formed and lists both big exports; the churn
 * keeps making progress while reads go on.
 */
TEST_F(dbg, reads_while_exports_come_and_go)
{
	int big1, big2, blocks, reads = 0, status, churned, n;
	struct vfio_region_dma_range r = { 0x2000, PAGE };
	int pipefd[2];
	char why[128];
	time_t end;
	pid_t pid;
	long len;

	big1 = export_many(&self->v, MAX_RANGES);
	ASSERT_LE(0, big1);
	big2 = export_many(&self->v, MAX_RANGES / 4);
	ASSERT_LE(0, big2);
	ASSERT_EQ(0, pipe(pipefd));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* Churn until killed; report the count through the pipe. */
		int fd;

		n = 0;
		close(pipefd[0]);
		/* Never outlive the test, even if it stops at an assertion. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(3);
		for (;;) {
			fd = dmabuf_export(self->v.device, IVSHMEM_BAR, 0,
					   &r, 1);
			if (fd < 0)
				_exit(1);
			close(fd);
			if (++n % 64 == 0 &&
			    write(pipefd[1], &n, sizeof(n)) != sizeof(n))
				_exit(2);
		}
	}
	close(pipefd[1]);

	end = time(NULL) + 8;
	while (time(NULL) < end) {
		len = read_exports(self->bdf, self->buf, DUMP_MAX);
		ASSERT_LT(0, len) TH_LOG("read %d: %s", reads,
					 strerror((int)-len));
		blocks = check_blocks(self->buf, why, sizeof(why));
		ASSERT_LE(2, blocks) TH_LOG("read %d malformed at \"%s\"",
					    reads, why);
		EXPECT_NE(NULL, strstr(self->buf, "nr_ranges 65536 "));
		EXPECT_NE(NULL, strstr(self->buf, "nr_ranges 16384 "));
		reads++;
	}

	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status)) TH_LOG("churn exited %d",
						WEXITSTATUS(status));
	churned = 0;
	while (read(pipefd[0], &n, sizeof(n)) == sizeof(n))
		churned = n;
	close(pipefd[0]);
	TH_LOG("%d reads, %d exports made and released meanwhile", reads,
	       churned);
	EXPECT_LT(1, reads);
	EXPECT_LT(0, churned);
	close(big2);
	close(big1);
}

TEST_HARNESS_MAIN
