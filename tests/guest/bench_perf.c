// SPDX-License-Identifier: GPL-2.0
/*
 * bench_perf: what vfio-pci-dmabuf costs and how it scales (issue 10).
 *
 * Not a pass/fail test of time. Under TCG an absolute time means little,
 * so every comparison is a ratio measured in this boot, in alternation:
 * A then B, A then B, ... and each figure is reported as min / median /
 * max over those alternations. A section passes its TAP line when it ran
 * and every row it produced is well formed (finite, positive numbers);
 * thresholds are for the reader of docs/performance.md, never asserted.
 * One behaviour is: section vfio fails if a PCI_COMMAND write that keeps
 * decoding on notified the importer of an export (it would then time a
 * revoke, not the write).
 *
 * Rows go to stdout as
 *   @@CSV,section,name,x,unit,min,median,max,ref_median,
 *         ratio_min,ratio_median,ratio_max,extra
 * (empty fields where a row has no reference); vm/bench extracts them from
 * the results channel. Sections:
 *   vfio     (item 1) VFIO path, ours vs stock vfio-pci, same device;
 *            row command-pwrite-exported (issue 19): a PCI_COMMAND write
 *            on ours with one export mapped, vs stock with none
 *   upstream (item 2) ours vs upstream's exporter (stock vfio-pci of a
 *            kernel that has one, 7.2), same device, in alternation:
 *            export, attach+map+unmap+detach, revoke, memory
 *   udmabuf  (item 3) export+close vs udmabuf create+close, same size
 *   export   (item 4) export time vs nr_ranges, adjacent / scattered
 *   map      (item 4) importer MAP time vs nr_ranges, extra = sg entries
 *   revoke   (item 4) revoke / restore time vs buffers x attachments
 *   memory   (item 5) kernel memory per export and per range
 *   p2p      (item 6) edu DMA into the BAR vs into a udmabuf
 *
 * Environment:
 *   BENCH_PERF_SCALE=tiny   the make-check configuration (seconds, not
 *                           minutes): few sizes, one or two repetitions
 *   BENCH_EXPORTER=DRIVER   driver that exports in sections udmabuf to
 *                           p2p (default vfio-pci-dmabuf); on 7.2 it may
 *                           be stock vfio-pci, upstream's exporter.
 *                           Section "upstream" compares the two in one
 *                           run whatever this says.
 *   BENCH_PERF_ONLY=a,b     run only these sections
 *   BENCH_PERF_PROFILE=f,g  profile instead of measure: ftrace's
 *                           function_graph tracer on the functions
 *                           matching these globs, around the first
 *                           alternation of each row of sections vfio and
 *                           upstream, for each driver; prints the
 *                           functions that took most time as
 *                           @@PROF,label,driver,function,calls,total_ns
 *                           (inclusive; under BENCH_CLOCK=icount ns are
 *                           instructions). The rows' times of such a run
 *                           include the tracer's cost: not for tables.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <linux/udmabuf.h>
#include <linux/vfio.h>

#include "fixture.h"
#include "kselftest.h"

#define STOCK_DRIVER	"vfio-pci"
#define BAR		IVSHMEM_BAR	/* 16 MiB, RAM-backed */
#define BAR_PAGES	4096U
#define MAX_REPS	16
#define MAX_RANGES	262144U	/* VPD_MAX_RANGES on x86-64 (driver/vpd.h) */

static bool tiny;
static const char *exporter = VPD_DRIVER;
static char ivs_bdf[32];
static char edu_bdf[32];
/* Why the running section skipped (NULL: not available on this kernel). */
static const char *skip_reason;
/* Why the running section failed, when not an errno. */
static char fail_why[192];
/* Rows of the running section that were not well formed. */
static int bad_rows;
static int rows;

/* ------------------------------------------------------------------ */
/* Profiles (BENCH_PERF_PROFILE): ftrace function_graph, summed.       */

#define TRACEFS		"/sys/kernel/debug/tracing/"
#define PROF_FUNCS	512
#define PROF_TOP	12

static const char *prof_globs;	/* NULL: no profiling */
static bool prof_now;		/* the current alternation is profiled */

static int tracefs_write_flags(const char *file, const char *val, int flags)
{
	char path[128];
	int fd, ret = 0;

	snprintf(path, sizeof(path), TRACEFS "%s", file);
	fd = open(path, O_WRONLY | flags);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) != (ssize_t)strlen(val))
		ret = -errno;
	close(fd);
	return ret;
}

static int tracefs_write(const char *file, const char *val)
{
	return tracefs_write_flags(file, val, O_TRUNC);
}

/*
 * Start tracing the functions of prof_globs, one glob at a time: a glob
 * that matches nothing in this kernel (another driver's functions) is
 * refused alone, and the others still count.
 */
static void prof_begin(void)
{
	char globs[512], *tok, *save;

	if (!prof_globs || !prof_now)
		return;
	snprintf(globs, sizeof(globs), "%s", prof_globs);
	tracefs_write("tracing_on", "0");
	tracefs_write("current_tracer", "nop");
	tracefs_write("buffer_size_kb", "8192");
	tracefs_write("set_ftrace_filter", "");
	for (tok = strtok_r(globs, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save))
		tracefs_write_flags("set_ftrace_filter", tok, O_APPEND);
	tracefs_write("current_tracer", "function_graph");
	tracefs_write("options/funcgraph-tail", "1");
	tracefs_write("options/funcgraph-irqs", "0");
	tracefs_write("options/funcgraph-proc", "0");
	tracefs_write("trace", "");
	tracefs_write("tracing_on", "1");
}

struct prof_fn {
	char name[64];
	unsigned long calls;
	double ns;
};

static int cmp_prof(const void *a, const void *b)
{
	const struct prof_fn *x = a, *y = b;

	return x->ns < y->ns ? 1 : x->ns > y->ns ? -1 : 0;
}

/*
 * Stop, and sum the trace: a line "<dur> us | name();" (a leaf) or
 * "<dur> us | } /\* name *\/" (funcgraph-tail) closes a call of name
 * lasting dur. Prints the PROF_TOP functions of most inclusive time.
 */
static void prof_end(const char *label, const char *driver)
{
	static struct prof_fn fn[PROF_FUNCS];
	int n = 0, i, lost = 0;
	char line[512];
	FILE *f;

	if (!prof_globs || !prof_now)
		return;
	tracefs_write("tracing_on", "0");
	f = fopen(TRACEFS "trace", "r");
	while (f && fgets(line, sizeof(line), f)) {
		char *bar = strchr(line, '|'), *p, *name, *end;
		double dur = 0;

		if (line[0] == '#' || !bar)
			continue;
		/* The duration: the number before " us" left of the bar. */
		for (p = line; p < bar; p++)
			if (*p >= '0' && *p <= '9') {
				dur = strtod(p, &end);
				if (end < bar && !strncmp(end, " us", 3))
					break;
				p = end;
				dur = 0;
			}
		if (dur <= 0)
			continue;
		name = bar + 1;
		while (*name == ' ')
			name++;
		if (!strncmp(name, "} /* ", 5))
			name += 5;
		else if (*name == '}')
			continue;
		end = name + strcspn(name, "( *\n");
		*end = 0;
		for (i = 0; i < n && strcmp(fn[i].name, name); i++)
			;
		if (i == n) {
			if (n == PROF_FUNCS) {
				lost++;
				continue;
			}
			snprintf(fn[n].name, sizeof(fn[n].name), "%s", name);
			fn[n].calls = 0;
			fn[n].ns = 0;
			n++;
		}
		fn[i].calls++;
		fn[i].ns += dur * 1e3;
	}
	if (f)
		fclose(f);
	tracefs_write("current_tracer", "nop");
	qsort(fn, n, sizeof(*fn), cmp_prof);
	for (i = 0; i < n && i < PROF_TOP; i++)
		printf("@@PROF,%s,%s,%s,%lu,%.0f\n", label, driver, fn[i].name,
		       fn[i].calls, fn[i].ns);
	if (lost)
		printf("# profile %s/%s: %d lines of further functions dropped\n",
		       label, driver, lost);
	fflush(stdout);
}

/* Repetitions of one alternation: 7 batches as in the issue, 2 when tiny. */
static int reps(void)
{
	return tiny ? 2 : 7;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct stat3 {
	double min, med, max;
};

static struct stat3 stat3(const double *v, int n)
{
	double s[MAX_REPS];
	struct stat3 r = { NAN, NAN, NAN };

	if (n <= 0 || n > MAX_REPS)
		return r;
	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	r.min = s[0];
	r.max = s[n - 1];
	r.med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	return r;
}

static bool good(double x)
{
	return isfinite(x) && x > 0;
}

/*
 * A row with no reference: min/median/max of @v, which must be positive
 * unless @any_sign (a memory delta may be 0 or below within noise).
 */
static void row_v(const char *section, const char *name, double x,
		  const char *unit, const double *v, int n, const char *extra,
		  bool any_sign)
{
	struct stat3 s = stat3(v, n);

	rows++;
	if (any_sign ? !isfinite(s.min) || !isfinite(s.max) :
	    !good(s.min) || !good(s.med) || !good(s.max))
		bad_rows++;
	printf("@@CSV,%s,%s,%.0f,%s,%.6g,%.6g,%.6g,,,,,%s\n", section, name, x,
	       unit, s.min, s.med, s.max, extra ? extra : "");
}

static void row(const char *section, const char *name, double x,
		const char *unit, const double *v, int n, const char *extra)
{
	row_v(section, name, x, unit, v, n, extra, false);
}

/*
 * A row comparing @a (ours) with @b (the reference), measured in
 * alternation: the ratio a[i] / b[i] of each alternation, then its
 * min/median/max. With @any_sign (memory deltas, which may be 0 or below
 * within noise in the tiny configuration) only finite figures are asked
 * for, and the ratio may be anything.
 */
static void row_ratio_v(const char *section, const char *name, double x,
			const char *unit, const double *a, const double *b,
			int n, const char *extra, bool any_sign)
{
	double ratio[MAX_REPS];
	struct stat3 sa = stat3(a, n), sb, sr;
	int i;

	for (i = 0; i < n; i++)
		ratio[i] = a[i] / b[i];
	sb = stat3(b, n);
	sr = stat3(ratio, n);
	rows++;
	if (any_sign ? !isfinite(sa.min) || !isfinite(sa.max) ||
	    !isfinite(sb.min) || !isfinite(sb.max) :
	    !good(sa.min) || !good(sb.med) || !good(sr.min) || !good(sr.max))
		bad_rows++;
	printf("@@CSV,%s,%s,%.0f,%s,%.6g,%.6g,%.6g,%.6g,%.4f,%.4f,%.4f,%s\n",
	       section, name, x, unit, sa.min, sa.med, sa.max, sb.med, sr.min,
	       sr.med, sr.max, extra ? extra : "");
}

static void row_ratio(const char *section, const char *name, double x,
		      const char *unit, const double *a, const double *b,
		      int n, const char *extra)
{
	row_ratio_v(section, name, x, unit, a, b, n, extra, false);
}

/* The TAP verdict of a section: it ran and every row was well formed. */
static void section_done(const char *section, int ret)
{
	if (ret == -EOPNOTSUPP) {
		/*
		 * "ok N name # SKIP why": ksft_test_result_skip() puts no
		 * name before the directive, and vm/parse-results then
		 * takes the line for a pass named "# SKIP ...".
		 */
		ksft_test_result_code(KSFT_SKIP, section, "%s\n",
				      skip_reason ? skip_reason :
				      "not available on this kernel");
	} else if (ret) {
		ksft_test_result_fail("%s: %s\n", section, strerror(-ret));
	} else if (fail_why[0]) {
		ksft_test_result_fail("%s: %s\n", section, fail_why);
	} else if (!rows || bad_rows) {
		ksft_test_result_fail("%s: %d rows, %d not well formed\n",
				      section, rows, bad_rows);
	} else {
		ksft_test_result_pass("%s: %d rows\n", section, rows);
	}
	rows = bad_rows = 0;
	skip_reason = NULL;
	fail_why[0] = 0;
	fflush(stdout);
}

/* ------------------------------------------------------------------ */
/* Item 1: the VFIO path, ours vs stock vfio-pci on the same device.   */

enum vfio_op {
	OP_CFG_READ, OP_CFG_WRITE, OP_BAR_READ, OP_BAR_WRITE, OP_MMAP_FAULT,
	OP_REGION_INFO, OP_OPEN_CLOSE, NR_OPS,
};

static const char *const op_name[NR_OPS] = {
	"config-pread", "config-pwrite", "bar-pread", "bar-pwrite",
	"bar-mmap-fault", "region-info", "device-open-close",
};

static int region_offset(int device, unsigned int index, uint64_t *off)
{
	struct vfio_region_info info = { .argsz = sizeof(info), .index = index };

	if (ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &info))
		return -errno;
	*off = info.offset;
	return 0;
}

/*
 * Seconds per operation of @op on @v, as the mean of one batch. The batch
 * is long enough that the clock's cost vanishes, short enough for TCG.
 */
static int time_op(struct bench_vfio *v, enum vfio_op op, double *out)
{
	uint64_t cfg = 0, bar = 0;
	int iters, i, ret = 0, fd;
	uint32_t val = 0;
	size_t size;
	double t0;

	if (v->device >= 0) {
		ret = region_offset(v->device, VFIO_PCI_CONFIG_REGION_INDEX,
				    &cfg);
		if (!ret)
			ret = region_offset(v->device, BAR, &bar);
	}
	if (ret)
		return ret;
	switch (op) {
	case OP_MMAP_FAULT:
		iters = tiny ? 2 : 10;
		break;
	case OP_OPEN_CLOSE:
		iters = tiny ? 2 : 10;
		break;
	default:
		iters = tiny ? 50 : 2000;
	}
	t0 = now_s();
	for (i = 0; i < iters; i++) {
		struct vfio_region_info info = {
			.argsz = sizeof(info), .index = BAR,
		};
		volatile uint8_t *p;
		ssize_t n = 4;
		size_t pg;

		switch (op) {
		case OP_CFG_READ:
			n = pread(v->device, &val, 4, cfg + PCI_VENDOR_ID);
			break;
		case OP_CFG_WRITE:
			/* The cache line size register: harmless to rewrite. */
			val = 0;
			n = pwrite(v->device, &val, 1, cfg + PCI_CACHE_LINE_SIZE) == 1 ? 4 : -1;
			break;
		case OP_BAR_READ:
			n = pread(v->device, &val, 4, bar + 4 * (i % 1024));
			break;
		case OP_BAR_WRITE:
			val = i;
			n = pwrite(v->device, &val, 4, bar + 4 * (i % 1024));
			break;
		case OP_MMAP_FAULT:
			/* mmap, fault in 256 pages by a first touch, unmap. */
			p = bench_vfio_mmap_region(v->device, BAR, &size);
			if (p == MAP_FAILED)
				return -errno;
			for (pg = 0; pg < 256 && pg * PAGE < size; pg++)
				val += p[pg * PAGE];
			munmap((void *)p, size);
			break;
		case OP_REGION_INFO:
			if (ioctl(v->device, VFIO_DEVICE_GET_REGION_INFO, &info))
				return -errno;
			break;
		case OP_OPEN_CLOSE:
			/*
			 * The first open of the device enables it (and the
			 * last close disables and resets it): the caller
			 * closed its own fd, so every open here is a first.
			 */
			fd = ioctl(v->group, VFIO_GROUP_GET_DEVICE_FD, ivs_bdf);
			if (fd < 0)
				return -errno;
			close(fd);
			break;
		case NR_OPS:
			break;
		}
		if (n != 4)
			return n < 0 ? -errno : -EIO;
	}
	*out = (now_s() - t0) / iters;
	return 0;
}

/* Bind the exporter device to @driver and time every op on it. */
static int vfio_round(const char *driver, double *t, int rep)
{
	struct bench_vfio v;
	int op, ret;

	ret = bench_bind(ivs_bdf, driver);
	if (!ret)
		ret = bench_vfio_open(ivs_bdf, &v);
	if (ret)
		return ret;
	for (op = 0; op < NR_OPS && !ret; op++) {
		/* Device open/close is timed without our own fd open. */
		if (op == OP_OPEN_CLOSE) {
			close(v.device);
			v.device = -1;
		}
		prof_now = rep == 0;
		prof_begin();
		ret = time_op(&v, op, &t[op * MAX_REPS + rep]);
		prof_end(op_name[op], driver);
		prof_now = false;
	}
	bench_vfio_close(&v);
	return ret;
}

/*
 * A PCI_COMMAND write that keeps memory decoding on (the value read back,
 * MEMORY set), ours with one export attached and mapped by a dynamic
 * importer against stock vfio-pci, which on 6.12 cannot export at all:
 * what watching the write costs a user who has exported (issue 19). Ours
 * must notify nobody for such a write; a move_notify during the timed
 * writes would make the row measure revokes, so it fails the section.
 */
#define CMD_BATCHES_MAX	15

static int cmd_reps(void)
{
	return tiny ? 2 : 11;
}

static int cmd_iters(void)
{
	return tiny ? 50 : 300;
}

/* Seconds per write of @cmd to PCI_COMMAND, as the mean of one batch. */
static int cmd_batch(struct rv_dev *d, uint16_t cmd, double *out)
{
	int iters = cmd_iters(), i, ret;
	double t0 = now_s();

	for (i = 0; i < iters; i++) {
		ret = rv_cfg_write16(d, PCI_COMMAND, cmd);
		if (ret)
			return ret;
	}
	*out = (now_s() - t0) / iters;
	return 0;
}

/* Over all rounds of ours: move_notify calls, writes, mappings lost. */
static uint64_t cmd_notified, cmd_writes;
static int cmd_lost;

/*
 * Bind ivshmem to @driver and time COMMAND writes on it: the fastest of
 * several short batches in *@out. Load from outside the guest only ever
 * adds time, and it comes and goes between the two drivers' turns (which
 * a rebind separates by a good fraction of a second): the fastest batch is
 * the figure it disturbs least. With @exported, one export of the BAR's
 * first page is attached and mapped by edu-importer across the batches.
 */
static int cmd_round(const char *driver, bool exported, double *out)
{
	int batches = tiny ? 1 : CMD_BATCHES_MAX, b, buf = -1, imp = -1, ret;
	struct edu_imp_info before, after;
	double t[CMD_BATCHES_MAX];
	struct rv_dev d;
	uint16_t cmd;

	memset(&d, 0, sizeof(d));
	snprintf(d.bdf, sizeof(d.bdf), "%s", ivs_bdf);
	ret = bench_bind(ivs_bdf, driver);
	if (!ret)
		ret = rv_dev_reopen(&d);
	if (ret)
		return ret;
	/* Decoding on, written once untimed: every timed write is the same. */
	ret = rv_cfg_read16(&d, PCI_COMMAND, &cmd);
	if (!ret) {
		cmd |= PCI_COMMAND_MEMORY;
		ret = rv_cfg_write16(&d, PCI_COMMAND, cmd);
	}
	if (!ret && exported)
		ret = rv_import_mapped(d.v.device, BAR, PAGE, &buf, &imp);
	if (!ret && exported)
		ret = edu_info(imp, &before);
	if (!ret && exported && !before.mapped)
		ret = -ENODEV;
	for (b = 0; b < batches && !ret; b++)
		ret = cmd_batch(&d, cmd, &t[b]);
	if (!ret && exported) {
		ret = edu_info(imp, &after);
		cmd_notified += after.move_notify_count -
				before.move_notify_count;
		cmd_writes += (uint64_t)batches * cmd_iters();
		cmd_lost += !after.mapped;
	}
	if (!ret)
		*out = stat3(t, batches).min;
	if (imp >= 0)
		close(imp);
	if (buf >= 0)
		close(buf);
	rv_dev_close(&d);
	return ret;
}

static int sect_vfio(void)
{
	static double ours[NR_OPS * MAX_REPS], stock[NR_OPS * MAX_REPS];
	double cmd_ours[MAX_REPS], cmd_stock[MAX_REPS];
	char extra[128];
	int rep, op, ret;

	ret = bench_modprobe(STOCK_DRIVER, NULL);
	if (ret)
		return ret;
	/* Alternate, and swap who goes first each time: no order bias. */
	for (rep = 0; rep < reps(); rep++) {
		if (rep % 2) {
			ret = vfio_round(STOCK_DRIVER, stock, rep);
			if (!ret)
				ret = vfio_round(VPD_DRIVER, ours, rep);
		} else {
			ret = vfio_round(VPD_DRIVER, ours, rep);
			if (!ret)
				ret = vfio_round(STOCK_DRIVER, stock, rep);
		}
		if (ret)
			return ret;
	}
	for (op = 0; op < NR_OPS; op++)
		row_ratio("vfio", op_name[op], 0, "s/op", &ours[op * MAX_REPS],
			  &stock[op * MAX_REPS], reps(), "ours/stock vfio-pci");

	/* The importer: edu bound to edu-importer (rv_load_modules()). */
	ret = bench_find_pci(PCI_VID_QEMU_EDU, PCI_DID_EDU, 0, edu_bdf,
			     sizeof(edu_bdf));
	if (!ret)
		ret = bench_bind(edu_bdf, EDU_IMP_DRIVER);
	cmd_notified = cmd_writes = 0;
	cmd_lost = 0;
	for (rep = 0; rep < cmd_reps() && !ret; rep++) {
		if (rep % 2) {
			ret = cmd_round(STOCK_DRIVER, false, &cmd_stock[rep]);
			if (!ret)
				ret = cmd_round(VPD_DRIVER, true, &cmd_ours[rep]);
		} else {
			ret = cmd_round(VPD_DRIVER, true, &cmd_ours[rep]);
			if (!ret)
				ret = cmd_round(STOCK_DRIVER, false,
						&cmd_stock[rep]);
		}
	}
	if (ret)
		return ret;
	snprintf(extra, sizeof(extra),
		 "ours (1 export mapped by edu-importer)/stock vfio-pci; move_notify %llu in %llu writes",
		 (unsigned long long)cmd_notified,
		 (unsigned long long)cmd_writes);
	row_ratio("vfio", "command-pwrite-exported", 0, "s/op", cmd_ours,
		  cmd_stock, cmd_reps(), extra);
	if (cmd_notified || cmd_lost)
		snprintf(fail_why, sizeof(fail_why),
			 "command-pwrite-exported: %llu move_notify in %llu writes keeping MEMORY on, mapping lost in %d of %d rounds",
			 (unsigned long long)cmd_notified,
			 (unsigned long long)cmd_writes, cmd_lost, cmd_reps());
	return 0;
}

/* ------------------------------------------------------------------ */
/* The exporter of items 3-6 (BENCH_EXPORTER) and the importer.        */

static struct rv_dev exp_dev;

static int open_exporter(void)
{
	int ret;

	ret = bench_modprobe(STOCK_DRIVER, NULL);
	if (!ret)
		ret = rv_load_modules();
	if (!ret)
		ret = bench_bind(ivs_bdf, exporter);
	if (ret)
		return ret;
	memset(&exp_dev, 0, sizeof(exp_dev));
	snprintf(exp_dev.bdf, sizeof(exp_dev.bdf), "%s", ivs_bdf);
	ret = rv_dev_reopen(&exp_dev);
	if (ret)
		return ret;
	/* The importer side: edu bound to edu-importer. */
	ret = bench_find_pci(PCI_VID_QEMU_EDU, PCI_DID_EDU, 0, edu_bdf,
			     sizeof(edu_bdf));
	return ret ? ret : bench_bind(edu_bdf, EDU_IMP_DRIVER);
}

/* Ranges: page i of the BAR (adjacent) or page 2i (never adjacent). */
static struct vfio_region_dma_range *ranges;

static void fill_ranges(uint32_t nr, bool scattered)
{
	uint32_t i;

	for (i = 0; i < nr; i++) {
		uint32_t pg = scattered ? (2 * i) % BAR_PAGES : i % BAR_PAGES;

		ranges[i].offset = (uint64_t)pg * PAGE;
		ranges[i].length = PAGE;
	}
}

static int export_ranges(uint32_t nr)
{
	return dmabuf_export(exp_dev.v.device, BAR, O_RDWR | O_CLOEXEC, ranges,
			     nr);
}

/*
 * sg entries the driver should make: one per run of adjacent ranges
 * (merged in user order; a wrap back to page 0 starts a new run).
 */
static uint32_t expected_runs(uint32_t nr, bool scattered)
{
	return scattered ? nr : (nr + BAR_PAGES - 1) / BAR_PAGES;
}

/* ------------------------------------------------------------------ */
/* Item 3: export+close vs udmabuf create+close of the same size.      */

static int udmabuf_dev = -1;

static int udmabuf_open(void)
{
	if (udmabuf_dev < 0)
		udmabuf_dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	return udmabuf_dev < 0 ? -EOPNOTSUPP : 0;
}

/* A memfd of @size, sealed against shrinking as /dev/udmabuf requires. */
static int memfd_sealed(uint64_t size)
{
	int fd = memfd_create("bench", MFD_ALLOW_SEALING | MFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, size) || fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK)) {
		close(fd);
		return -errno;
	}
	return fd;
}

static int udmabuf_create(int memfd, uint64_t size)
{
	struct udmabuf_create c = {
		.memfd = memfd, .flags = UDMABUF_FLAGS_CLOEXEC, .size = size,
	};
	int fd = ioctl(udmabuf_dev, UDMABUF_CREATE, &c);

	return fd < 0 ? -errno : fd;
}

static int sect_udmabuf(void)
{
	static const uint64_t full[] = { 4096, 65536, 1 << 20, 16 << 20 };
	static const uint64_t small[] = { 4096, 1 << 20 };
	const uint64_t *sizes = tiny ? small : full;
	int nsizes = tiny ? 2 : 4, s, rep, i, fd, memfd, ret = 0;
	double ours[MAX_REPS], udma[MAX_REPS];

	ret = udmabuf_open();
	if (ret)
		return ret;
	for (s = 0; s < nsizes && !ret; s++) {
		uint64_t size = sizes[s];
		int iters = tiny ? 20 : (size >= (16 << 20) ? 50 : 300);
		char extra[64];

		memfd = memfd_sealed(size);
		if (memfd < 0)
			return memfd;
		/* Populate the memfd once: udmabuf then pins, not allocates. */
		fd = udmabuf_create(memfd, size);
		if (fd < 0) {
			close(memfd);
			return fd;
		}
		close(fd);
		ranges[0].offset = 0;
		ranges[0].length = size;
		for (rep = 0; rep < reps() && !ret; rep++) {
			double t0 = now_s();

			for (i = 0; i < iters; i++) {
				fd = export_ranges(1);
				if (fd < 0) {
					ret = fd;
					break;
				}
				close(fd);
			}
			ours[rep] = (now_s() - t0) / iters;
			t0 = now_s();
			for (i = 0; i < iters && !ret; i++) {
				fd = udmabuf_create(memfd, size);
				if (fd < 0) {
					ret = fd;
					break;
				}
				close(fd);
			}
			udma[rep] = (now_s() - t0) / iters;
		}
		close(memfd);
		snprintf(extra, sizeof(extra), "%s/udmabuf", exporter);
		if (!ret)
			row_ratio("udmabuf", "export+close", size, "s", ours,
				  udma, reps(), extra);
	}
	return ret;
}

/* ------------------------------------------------------------------ */
/* Item 4: export and map time vs nr_ranges.                           */

/*
 * CPU faults of a buffer's mapping (ours only: upstream's buffers have no
 * mmap).  A fault finds the range holding its page by binary search over
 * the ranges' ends (vpd_ranges_find()), so a buffer of many ranges costs
 * a few more probes per fault, not a walk.  Seconds per fault in *@out:
 * up to FAULT_PAGES consecutive pages in the middle of the buffer, each
 * read once (consecutive, so that every count fills as many page tables).
 */
#define FAULT_PAGES	1024U

static int fault_time(uint32_t nr, double *out)
{
	uint32_t k, pages = nr < FAULT_PAGES ? nr : FAULT_PAGES;
	uint32_t first = (nr - pages) / 2;
	size_t len = (size_t)nr * PAGE;
	volatile const uint8_t *p;
	int fd, ret = 0;
	double t0;
	void *m;

	fd = export_ranges(nr);
	if (fd < 0)
		return fd;
	m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		ret = -errno;
		close(fd);
		return ret;
	}
	p = m;
	t0 = now_s();
	for (k = 0; k < pages; k++)
		(void)p[(size_t)(first + k) * PAGE];
	*out = (now_s() - t0) / pages;
	munmap(m, len);
	close(fd);
	return 0;
}

static int sect_scaling(void)
{
	static const uint32_t full[] = { 1, 4, 16, 64, 256, 1024, 4096, 16384,
					 65536, MAX_RANGES };
	static const uint32_t small[] = { 1, 16, 256 };
	const uint32_t *counts = tiny ? small : full;
	int ncounts = tiny ? 3 : 10, c, sc, rep, fd, imp, ret = 0;
	double exp_t[MAX_REPS], map_t[MAX_REPS];
	struct edu_imp_info info;
	char extra[64];

	imp = rv_imp_open();
	if (imp < 0)
		return imp;
	for (sc = 0; sc < 2 && !ret; sc++) {
		for (c = 0; c < ncounts && !ret; c++) {
			uint32_t nr = counts[c], nents = 0;
			/*
			 * Mapping goes through the vIOMMU one entry at a time:
			 * fewer repetitions for the largest scattered counts.
			 */
			int n = nr >= 65536 && sc ? 3 : reps();

			fill_ranges(nr, sc);
			for (rep = 0; rep < n && !ret; rep++) {
				double t0 = now_s();

				fd = export_ranges(nr);
				exp_t[rep] = now_s() - t0;
				if (fd < 0) {
					ret = fd;
					break;
				}
				ret = edu_attach(imp, fd, EDU_IMP_ATTACH_DYNAMIC);
				if (!ret) {
					t0 = now_s();
					ret = edu_map(imp);
					map_t[rep] = now_s() - t0;
				}
				if (!ret)
					ret = edu_info(imp, &info);
				nents = info.nents;
				edu_detach(imp);
				close(fd);
			}
			if (ret)
				break;
			snprintf(extra, sizeof(extra), "sg=%u expected=%u", nents,
				 expected_runs(nr, sc));
			if (nents != expected_runs(nr, sc))
				bad_rows++;
			row("export", sc ? "scattered" : "adjacent", nr, "s",
			    exp_t, n, extra);
			row("map", sc ? "scattered" : "adjacent", nr, "s",
			    map_t, n, extra);
		}
	}
	close(imp);
	if (strcmp(exporter, VPD_DRIVER))
		return ret;
	for (c = 0; c < ncounts && !ret; c++) {
		uint32_t nr = counts[c];

		fill_ranges(nr, true);
		for (rep = 0; rep < reps() && !ret; rep++)
			ret = fault_time(nr, &exp_t[rep]);
		if (!ret)
			row("fault", "scattered", nr, "s", exp_t, reps(),
			    "per CPU fault of a buffer mapping");
	}
	return ret;
}

/* What revoke_case() profiles its revoke as, when prof_now. */
static char prof_label[48];
static const char *prof_driver = "";

/* Item 4: revoke and restore time vs live buffers x attachments. */
static int revoke_case(int nbuf, int natt, double *rev, double *res, int n)
{
	int total = nbuf * natt, *bufs, *imps, i, rep, ret = 0;
	double t0;

	bufs = calloc(nbuf, sizeof(*bufs));
	imps = calloc(total, sizeof(*imps));
	if (!bufs || !imps) {
		free(bufs);
		free(imps);
		return -ENOMEM;
	}
	for (i = 0; i < nbuf; i++)
		bufs[i] = -1;
	for (i = 0; i < total; i++)
		imps[i] = -1;
	for (i = 0; i < nbuf && !ret; i++) {
		bufs[i] = rv_export(exp_dev.v.device, BAR,
				    (uint64_t)(i % BAR_PAGES) * PAGE, PAGE);
		if (bufs[i] < 0)
			ret = bufs[i];
	}
	/* Each edu-importer open is one context holding one attachment. */
	for (i = 0; i < total && !ret; i++) {
		imps[i] = rv_imp_open();
		if (imps[i] < 0)
			ret = imps[i];
		else
			ret = edu_attach(imps[i], bufs[i / natt],
					    EDU_IMP_ATTACH_DYNAMIC);
	}
	for (rep = 0; rep < n && !ret; rep++) {
		/* Every attachment mapped, so the revoke has work to do. */
		for (i = 0; i < total && !ret; i++)
			ret = edu_map(imps[i]);
		if (ret)
			break;
		prof_begin();
		t0 = now_s();
		ret = rv_set_memory(&exp_dev, false);
		rev[rep] = now_s() - t0;
		prof_end(prof_label, prof_driver);
		if (ret)
			break;
		t0 = now_s();
		ret = rv_set_memory(&exp_dev, true);
		res[rep] = now_s() - t0;
		/*
		 * The revoke left every mapping gone or dead: unmap before
		 * the next round maps again.
		 */
		for (i = 0; i < total && !ret; i++)
			ret = edu_unmap(imps[i]);
	}
	for (i = 0; i < total; i++)
		if (imps[i] >= 0)
			close(imps[i]);
	for (i = 0; i < nbuf; i++)
		if (bufs[i] >= 0)
			close(bufs[i]);
	free(bufs);
	free(imps);
	return ret;
}

static int sect_revoke(void)
{
	static const int full_b[] = { 10, 100, 1000 }, small_b[] = { 2, 10 };
	static const int full_a[] = { 1, 4 }, small_a[] = { 1, 2 };
	const int *bs = tiny ? small_b : full_b, *as = tiny ? small_a : full_a;
	int nb = tiny ? 2 : 3, a, b, ret = 0;
	double rev[MAX_REPS], res[MAX_REPS];
	char name[32];

	for (a = 0; a < 2 && !ret; a++) {
		for (b = 0; b < nb && !ret; b++) {
			int n = tiny ? 1 : 5;

			ret = revoke_case(bs[b], as[a], rev, res, n);
			if (ret)
				break;
			snprintf(name, sizeof(name), "revoke-att%d", as[a]);
			row("revoke", name, bs[b], "s", rev, n, NULL);
			snprintf(name, sizeof(name), "restore-att%d", as[a]);
			row("revoke", name, bs[b], "s", res, n, NULL);
		}
	}
	return ret;
}

/* ------------------------------------------------------------------ */
/* Item 5: kernel memory per export and per range.                     */

/*
 * Kernel memory in bytes, two ways: SUnreclaim (unreclaimable slab, which
 * since Linux 5.11 also counts kmalloc() allocations too large for a slab
 * cache, i.e. the range arrays; not vmalloc) and MemFree (everything,
 * but blurred by the per-CPU page lists, so only meaningful in bulk).
 */
static void kmem(long *free_b, long *slab_b)
{
	rv_slab_shrink();
	*free_b = rv_meminfo_kb("MemFree") * 1024;
	*slab_b = rv_meminfo_kb("SUnreclaim") * 1024;
}

static int mem_case(int count, uint32_t nr, double *by_free, double *by_slab)
{
	long f0, s0, f1, s1;
	int *fds, i, ret = 0;

	fds = calloc(count, sizeof(*fds));
	if (!fds)
		return -ENOMEM;
	fill_ranges(nr, true);
	kmem(&f0, &s0);
	for (i = 0; i < count; i++) {
		fds[i] = export_ranges(nr);
		if (fds[i] < 0) {
			ret = fds[i];
			break;
		}
	}
	if (!ret) {
		kmem(&f1, &s1);
		*by_free = (double)(f0 - f1) / count;
		*by_slab = (double)(s1 - s0) / count;
	}
	while (i-- > 0)
		close(fds[i]);
	free(fds);
	return ret;
}

/*
 * The memory rows' workload, sections memory and upstream: mem_count1()
 * exports of one range, then mem_countn() exports of mem_nrn() ranges.
 * Per range is the difference of the two per-export figures divided by
 * mem_nrn() - 1: enough exports of mem_nrn() ranges, and alternations in
 * the callers, that other kernel allocations meanwhile (a few kB either
 * way) stay below 1%.
 */
static int mem_count1(void)
{
	return tiny ? 100 : 10000;
}

static int mem_countn(void)
{
	return tiny ? 4 : 64;
}

static uint32_t mem_nrn(void)
{
	return tiny ? 4096 : 65536;
}

/* Per export of one range in *@f1, *@s1; per range in *@fn, *@sn. */
static int mem_round(double *f1, double *s1, double *fn, double *sn)
{
	int ret;

	ret = mem_case(mem_count1(), 1, f1, s1);
	if (!ret)
		ret = mem_case(mem_countn(), mem_nrn(), fn, sn);
	if (ret)
		return ret;
	/* Per range: what an export of mem_nrn() ranges adds over one. */
	*fn = (*fn - *f1) / (mem_nrn() - 1);
	*sn = (*sn - *s1) / (mem_nrn() - 1);
	return 0;
}

static int sect_memory(void)
{
	double f1[MAX_REPS], s1[MAX_REPS], fn[MAX_REPS], sn[MAX_REPS];
	int n = tiny ? 1 : 3, rep, ret = 0;
	char extra[96];

	for (rep = 0; rep < n && !ret; rep++)
		ret = mem_round(&f1[rep], &s1[rep], &fn[rep], &sn[rep]);
	if (ret)
		return ret;
	snprintf(extra, sizeof(extra), "%s; %d exports of 1 range", exporter,
		 mem_count1());
	row_v("memory", "per-export-sunreclaim", 1, "B", s1, n, extra, true);
	row_v("memory", "per-export-memfree", 1, "B", f1, n, extra, true);
	snprintf(extra, sizeof(extra), "%s; %d exports of %u ranges", exporter,
		 mem_countn(), mem_nrn());
	row_v("memory", "per-range-sunreclaim", mem_nrn(), "B", sn, n, extra,
	      true);
	row_v("memory", "per-range-memfree", mem_nrn(), "B", fn, n, extra,
	      true);
	return 0;
}

/* ------------------------------------------------------------------ */
/*
 * Item 2: ours vs upstream's exporter on one kernel. On 7.2 stock
 * vfio-pci has upstream's exporter built in; ivshmem is bound in turn to
 * ours and to it, who goes first swapping each alternation, and every row
 * is ours / upstream of the same alternation. Upstream maps only where
 * the PCI core finds a P2P path it allows: below the switch topology,
 * booted with iommu.passthrough=1 (see dmabuf_switch.c). Elsewhere the
 * section skips, saying so.
 */

enum { UP_OURS, UP_STOCK, UP_NR };

static const char *const up_driver[UP_NR] = { VPD_DRIVER, STOCK_DRIVER };

/* Close exp_dev, bind ivshmem to driver @drv and open it again. */
static int up_bind(int drv)
{
	int ret;

	bench_vfio_close(&exp_dev.v);
	ret = bench_bind(ivs_bdf, up_driver[drv]);
	if (!ret)
		ret = rv_dev_reopen(&exp_dev);
	return ret;
}

/* edu bound to edu-importer; both exporters' modules loaded. */
static int up_setup(void)
{
	int ret;

	/* vfio_pci_core, where upstream's exporter lives, comes with it. */
	ret = bench_modprobe(STOCK_DRIVER, NULL);
	if (ret)
		return ret;
	if (kernel_has_vfio_dmabuf() != 1)
		return -EOPNOTSUPP;
	/* As rv_load_modules() would for ours, whatever EXPORTER says. */
	ret = bench_modprobe(VPD_MODULE, VPD_P2P_PARAM);
	if (!ret)
		ret = rv_load_modules();
	if (!ret)
		ret = bench_find_pci(PCI_VID_QEMU_EDU, PCI_DID_EDU, 0, edu_bdf,
				     sizeof(edu_bdf));
	if (!ret)
		ret = bench_bind(edu_bdf, EDU_IMP_DRIVER);
	memset(&exp_dev, 0, sizeof(exp_dev));
	exp_dev.v.container = exp_dev.v.group = exp_dev.v.device = -1;
	snprintf(exp_dev.bdf, sizeof(exp_dev.bdf), "%s", ivs_bdf);
	return ret;
}

/*
 * Batches of one driver in one alternation, sized so that each is well
 * above the clock's resolution and the largest stay within seconds.
 */
static int up_iters(uint32_t nr)
{
	if (tiny)
		return 2;
	return nr <= 256 ? 50 : (nr <= 4096 ? 10 : 3);
}

/* Attach + map + unmap + detach of the buffer @fd by the importer @imp. */
static int up_map_once(int imp, int fd)
{
	int ret, ret2;

	ret = edu_attach(imp, fd, EDU_IMP_ATTACH_DYNAMIC);
	if (ret)
		return ret;
	ret = edu_map(imp);
	if (!ret)
		ret = edu_unmap(imp);
	ret2 = edu_detach(imp);
	return ret ? ret : ret2;
}

/*
 * Attach + map + unmap + detach of one export of the @nr ranges in
 * `ranges` by the importer @imp, @iters times: seconds per cycle in *@t,
 * the sg entries of one mapping in *@nents.
 */
static int up_map_cycle(int imp, uint32_t nr, int iters, double *t,
			uint32_t *nents)
{
	struct edu_imp_info info;
	int fd, i, ret = 0;
	double t0;

	fd = export_ranges(nr);
	if (fd < 0)
		return fd;
	t0 = now_s();
	for (i = 0; i < iters && !ret; i++)
		ret = up_map_once(imp, fd);
	*t = (now_s() - t0) / iters;
	/* The entry count, from one more mapping outside the timing. */
	if (!ret)
		ret = edu_attach(imp, fd, EDU_IMP_ATTACH_DYNAMIC);
	if (!ret) {
		ret = edu_map(imp);
		if (!ret)
			ret = edu_info(imp, &info);
		if (!ret)
			*nents = info.nents;
		edu_detach(imp);
	}
	close(fd);
	return ret;
}

/* Does upstream map here at all? 0, or the reason it does not. */
static int up_can_map(void)
{
	uint32_t nents;
	double t;
	int imp, ret;

	ret = up_bind(UP_STOCK);
	if (ret)
		return ret;
	imp = rv_imp_open();
	if (imp < 0)
		return imp;
	fill_ranges(1, false);
	ret = up_map_cycle(imp, 1, 1, &t, &nents);
	close(imp);
	return ret;
}

#define UP_EXPORTS	4
#define UP_ROWS		(1 + UP_EXPORTS + 2 * UP_EXPORTS)

/* Times of one alternation: [row][driver][rep]; sg entries per map row. */
static double up_t[UP_ROWS][UP_NR][MAX_REPS];
static uint32_t up_nents[UP_ROWS][UP_NR];

static const uint32_t up_full[UP_EXPORTS] = { 1, 256, 4096, 65536 };
static const uint32_t up_small[UP_EXPORTS] = { 1, 16, 256, 1024 };

static const uint32_t *up_counts(void)
{
	return tiny ? up_small : up_full;
}

/*
 * Alternations: more than the other sections' 7, as the section is cheap
 * (about 10 s for 5) and single revokes vary from one to the next.
 */
static int up_reps(void)
{
	return tiny ? 2 : 11;
}

/*
 * The control path rows of one driver in one alternation: export+close of
 * one range (a batch), the export ioctl of N ranges, and attach + map +
 * unmap + detach of N adjacent and N scattered ranges.
 */
static int up_control(int drv, int rep)
{
	int iters = tiny ? 20 : 300, imp, i, c, fd, ret = 0;
	char label[48];
	int fds[50];
	double t0;

	prof_now = rep == 0;
	fill_ranges(1, false);
	prof_begin();
	t0 = now_s();
	for (i = 0; i < iters; i++) {
		fd = export_ranges(1);
		if (fd < 0)
			return fd;
		close(fd);
	}
	up_t[0][drv][rep] = (now_s() - t0) / iters;
	prof_end("export+close-1", up_driver[drv]);
	/* The export ioctl alone: the closes come after the timing. */
	for (c = 0; c < UP_EXPORTS && !ret; c++) {
		int n = up_iters(up_counts()[c]);

		fill_ranges(up_counts()[c], true);
		prof_begin();
		t0 = now_s();
		for (i = 0; i < n; i++) {
			fds[i] = export_ranges(up_counts()[c]);
			if (fds[i] < 0) {
				ret = fds[i];
				break;
			}
		}
		up_t[1 + c][drv][rep] = (now_s() - t0) / n;
		snprintf(label, sizeof(label), "export-%u", up_counts()[c]);
		prof_end(label, up_driver[drv]);
		while (i-- > 0)
			close(fds[i]);
	}
	if (ret)
		return ret;
	imp = rv_imp_open();
	if (imp < 0)
		return imp;
	for (c = 0; c < 2 * UP_EXPORTS && !ret; c++) {
		int r = 1 + UP_EXPORTS + c;
		uint32_t nr = up_counts()[c % UP_EXPORTS];

		fill_ranges(nr, c >= UP_EXPORTS);
		prof_begin();
		ret = up_map_cycle(imp, nr, up_iters(nr), &up_t[r][drv][rep],
				   &up_nents[r][drv]);
		snprintf(label, sizeof(label), "map-cycle-%s-%u",
			 c >= UP_EXPORTS ? "scattered" : "adjacent", nr);
		prof_end(label, up_driver[drv]);
	}
	prof_now = false;
	close(imp);
	return ret;
}

static void up_row(const char *name, double x, const char *unit, int r,
		   int n, const char *extra)
{
	row_ratio("upstream", name, x, unit, up_t[r][UP_OURS],
		  up_t[r][UP_STOCK], n, extra ? extra : "ours/upstream");
}

/* Revoke and restore of @nbuf buffers x @natt attachments, alternated. */
static int up_revoke(int nbuf, int natt, int n)
{
	double rev[UP_NR][MAX_REPS], res[UP_NR][MAX_REPS];
	int rep, k, ret;
	char name[32];

	for (rep = 0; rep < n; rep++) {
		for (k = 0; k < UP_NR; k++) {
			int drv = (rep + k) % UP_NR;

			ret = up_bind(drv);
			prof_now = rep == 0;
			snprintf(prof_label, sizeof(prof_label),
				 "revoke-att%d-%d", natt, nbuf);
			prof_driver = up_driver[drv];
			if (!ret)
				ret = revoke_case(nbuf, natt, &rev[drv][rep],
						  &res[drv][rep], 1);
			prof_now = false;
			if (ret)
				return ret;
		}
	}
	snprintf(name, sizeof(name), "revoke-att%d", natt);
	row_ratio("upstream", name, nbuf, "s", rev[UP_OURS], rev[UP_STOCK], n,
		  "ours/upstream");
	snprintf(name, sizeof(name), "restore-att%d", natt);
	row_ratio("upstream", name, nbuf, "s", res[UP_OURS], res[UP_STOCK], n,
		  "ours/upstream");
	return 0;
}

/*
 * Row mem-map-cycle-sunreclaim (issue 23): SUnreclaim growth per attach +
 * map + unmap + detach of one export of UP_MAP_MEM_RANGES scattered
 * ranges, in bytes. Upstream 7.2 frees no mapping's scatterlist
 * (dma_buf_free_sgt() calls sg_free_table() on a table whose orig_nents
 * dma_buf_phys_vec_to_sgt() set to 0), ours does: ours near 0, upstream
 * near one table, so the ratio is near 0. 127 entries are the largest
 * table that is one kmalloc() (4064 B, a 4 KiB slab object): from 128
 * entries on, sg_alloc_table() takes whole pages for all but the tail,
 * and a page leaked shows in MemFree only, too coarse here (above).
 */
#define UP_MAP_MEM_RANGES	127U

static int up_map_mem_cycles(void)
{
	return tiny ? 50 : 500;
}

/* Bytes of SUnreclaim per map cycle of one export of @nr scattered ranges. */
static int up_map_mem_case(uint32_t nr, int cycles, double *per_cycle)
{
	long f0, s0, f1, s1;
	int imp, fd, i, ret;

	imp = rv_imp_open();
	if (imp < 0)
		return imp;
	fill_ranges(nr, true);
	fd = export_ranges(nr);
	if (fd < 0) {
		close(imp);
		return fd;
	}
	/* One cycle first: first-use allocations do not count. */
	ret = up_map_once(imp, fd);
	kmem(&f0, &s0);
	for (i = 0; i < cycles && !ret; i++)
		ret = up_map_once(imp, fd);
	if (!ret) {
		kmem(&f1, &s1);
		*per_cycle = (double)(s1 - s0) / cycles;
	}
	close(fd);
	close(imp);
	return ret;
}

/*
 * Kernel memory per export of one range and per range, and per map cycle
 * (above), alternated. SUnreclaim only: MemFree, a check beside it in
 * section memory, moves by whole per-CPU page lists, too coarse for a
 * ratio of two exporters.
 */
static int up_memory(void)
{
	double f1[UP_NR][MAX_REPS], s1[UP_NR][MAX_REPS];
	double fn[UP_NR][MAX_REPS], sn[UP_NR][MAX_REPS];
	double sm[UP_NR][MAX_REPS];
	int n = tiny ? 1 : 11, rep, k, drv, ret = 0;
	char extra[96];

	for (rep = 0; rep < n; rep++) {
		for (k = 0; k < UP_NR; k++) {
			drv = (rep + k) % UP_NR;
			ret = up_bind(drv);
			if (!ret)
				ret = mem_round(&f1[drv][rep], &s1[drv][rep],
						&fn[drv][rep], &sn[drv][rep]);
			if (!ret)
				ret = up_map_mem_case(UP_MAP_MEM_RANGES,
						      up_map_mem_cycles(),
						      &sm[drv][rep]);
			if (ret)
				return ret;
		}
	}
	snprintf(extra, sizeof(extra), "ours/upstream; %d exports of 1 range",
		 mem_count1());
	row_ratio_v("upstream", "mem-export-sunreclaim", 1, "B", s1[UP_OURS],
		    s1[UP_STOCK], n, extra, true);
	snprintf(extra, sizeof(extra), "ours/upstream; %d exports of %u ranges",
		 mem_countn(), mem_nrn());
	row_ratio_v("upstream", "mem-range-sunreclaim", mem_nrn(), "B",
		    sn[UP_OURS], sn[UP_STOCK], n, extra, true);
	/* Ours may be 0 or below (noise): any sign, as the rows above. */
	snprintf(extra, sizeof(extra),
		 "ours/upstream; %d map cycles of 1 export of %u ranges",
		 up_map_mem_cycles(), UP_MAP_MEM_RANGES);
	row_ratio_v("upstream", "mem-map-cycle-sunreclaim", UP_MAP_MEM_RANGES,
		    "B", sm[UP_OURS], sm[UP_STOCK], n, extra, true);
	return 0;
}

static int up_sections(void)
{
	static const int full_b[] = { 10, 100, 1000 }, small_b[] = { 2, 10 };
	static const int full_a[] = { 1, 4 }, small_a[] = { 1, 2 };
	const int *bs = tiny ? small_b : full_b, *as = tiny ? small_a : full_a;
	int nb = tiny ? 2 : 3, rep, k, c, a, b, ret;
	char extra[96];

	ret = up_setup();
	if (ret == -EOPNOTSUPP)
		skip_reason = "no upstream exporter in this kernel";
	if (ret)
		return ret;
	ret = up_can_map();
	if (ret) {
		printf("# upstream: its map fails here (%s)\n", strerror(-ret));
		skip_reason = "upstream cannot map here (needs the switch, "
			      "iommu.passthrough=1)";
		return -EOPNOTSUPP;
	}
	for (rep = 0; rep < up_reps(); rep++) {
		for (k = 0; k < UP_NR; k++) {
			int drv = (rep + k) % UP_NR;

			ret = up_bind(drv);
			if (!ret)
				ret = up_control(drv, rep);
			if (ret)
				return ret;
		}
	}
	up_row("export+close", 1, "s", 0, up_reps(), NULL);
	for (c = 0; c < UP_EXPORTS; c++)
		up_row("export", up_counts()[c], "s", 1 + c, up_reps(), NULL);
	for (c = 0; c < 2 * UP_EXPORTS; c++) {
		int r = 1 + UP_EXPORTS + c;

		snprintf(extra, sizeof(extra), "ours/upstream; sg %u / %u",
			 up_nents[r][UP_OURS], up_nents[r][UP_STOCK]);
		up_row(c < UP_EXPORTS ? "map-cycle-adjacent" :
		       "map-cycle-scattered", up_counts()[c % UP_EXPORTS], "s",
		       r, up_reps(), extra);
	}
	for (a = 0; a < 2; a++)
		for (b = 0; b < nb; b++) {
			ret = up_revoke(bs[b], as[a], tiny ? 1 : up_reps());
			if (ret)
				return ret;
		}
	return up_memory();
}

static int sect_upstream(void)
{
	int ret = up_sections();

	bench_vfio_close(&exp_dev.v);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Item 6: edu DMA into the exported BAR vs into a udmabuf.            */

/* Seconds per transfer of @len bytes into @imp's buffer, @count times. */
static int dma_batch(int imp, const uint8_t *src, uint32_t len, int count,
		     double *out)
{
	double t0 = now_s();
	int i, ret;

	for (i = 0; i < count; i++) {
		ret = edu_dma(imp, (uint64_t)i * PAGE, (void *)src, len,
				 EDU_IMP_DIR_TO_DMABUF);
		if (ret)
			return ret;
	}
	*out = (now_s() - t0) / count;
	return 0;
}

static int sect_p2p(void)
{
	const uint32_t len = EDU_IMP_DMA_MAX_LEN;
	int count = tiny ? 2 : 8, n = tiny ? 1 : 5, rep, i, ret;
	uint64_t size = (uint64_t)count * PAGE, arrived = 0, cpu_written = 0;
	int bar_buf = -1, udma_buf = -1, memfd = -1, imp_bar = -1, imp_udma = -1;
	double t_bar[MAX_REPS], t_udma[MAX_REPS], bps_bar[MAX_REPS],
	       bps_udma[MAX_REPS];
	uint8_t src[EDU_IMP_DMA_MAX_LEN], got[EDU_IMP_DMA_MAX_LEN];
	uint64_t bar_off = 0;
	char extra[128];

	ret = udmabuf_open();
	if (ret)
		return ret;
	ret = region_offset(exp_dev.v.device, BAR, &bar_off);
	if (ret)
		return ret;
	/* Zero the target pages through VFIO before the DMA phase. */
	memset(got, 0, sizeof(got));
	for (i = 0; i < count; i++)
		if (pwrite(exp_dev.v.device, got, len,
			   bar_off + (uint64_t)i * PAGE) != (ssize_t)len)
			return -EIO;
	pattern_fill(src, len, 0xb10);

	ret = rv_import_mapped(exp_dev.v.device, BAR, size, &bar_buf, &imp_bar);
	if (ret)
		goto out;
	memfd = memfd_sealed(size);
	if (memfd < 0) {
		ret = memfd;
		goto out;
	}
	udma_buf = udmabuf_create(memfd, size);
	if (udma_buf < 0) {
		ret = udma_buf;
		goto out;
	}
	imp_udma = rv_imp_open();
	if (imp_udma < 0) {
		ret = imp_udma;
		goto out;
	}
	/*
	 * udmabuf is a static exporter of pages: a static attachment (the
	 * core maps at attach time), as a non-P2P importer would use.
	 */
	ret = edu_attach(imp_udma, udma_buf, EDU_IMP_ATTACH_STATIC);
	if (!ret)
		ret = edu_map(imp_udma);
	if (ret)
		goto out;
	for (rep = 0; rep < n && !ret; rep++) {
		ret = dma_batch(imp_bar, src, len, count, &t_bar[rep]);
		if (!ret)
			ret = dma_batch(imp_udma, src, len, count, &t_udma[rep]);
		bps_bar[rep] = len / t_bar[rep];
		bps_udma[rep] = len / t_udma[rep];
	}
	if (ret)
		goto out;
	/*
	 * 0 CPU-copied bytes into the BAR: since zeroing it, this process
	 * neither wrote to the BAR through VFIO nor mapped it; whatever the
	 * BAR now holds came by edu's DMA. Read it back through VFIO.
	 */
	for (i = 0; i < count; i++) {
		if (pread(exp_dev.v.device, got, len,
			  bar_off + (uint64_t)i * PAGE) != (ssize_t)len) {
			ret = -EIO;
			goto out;
		}
		if (!memcmp(got, src, len))
			arrived += len;
	}
	snprintf(extra, sizeof(extra),
		 "%s/udmabuf; BAR bytes by DMA %llu of %llu; CPU-written %llu",
		 exporter, (unsigned long long)arrived,
		 (unsigned long long)count * len,
		 (unsigned long long)cpu_written);
	row_ratio("p2p", "dma-to-buffer", len, "B/s", bps_bar, bps_udma, n,
		  extra);
	if (arrived != (uint64_t)count * len)
		bad_rows++;
out:
	if (imp_udma >= 0)
		close(imp_udma);
	if (imp_bar >= 0)
		close(imp_bar);
	if (udma_buf >= 0)
		close(udma_buf);
	if (bar_buf >= 0)
		close(bar_buf);
	if (memfd >= 0)
		close(memfd);
	return ret;
}

/* ------------------------------------------------------------------ */

static bool want(const char *section)
{
	const char *only = getenv("BENCH_PERF_ONLY");
	char buf[128], *tok, *save;

	if (!only || !*only)
		return true;
	snprintf(buf, sizeof(buf), "%s", only);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save))
		if (!strcmp(tok, section))
			return true;
	return false;
}

int main(void)
{
	static const struct {
		const char *name;
		int (*fn)(void);
		bool needs_exporter;
	} sections[] = {
		{ "vfio", sect_vfio, false },
		{ "upstream", sect_upstream, false },
		{ "udmabuf", sect_udmabuf, true },
		{ "scaling", sect_scaling, true },
		{ "revoke", sect_revoke, true },
		{ "memory", sect_memory, true },
		{ "p2p", sect_p2p, true },
	};
	const int nsec = sizeof(sections) / sizeof(sections[0]);
	struct rlimit rl = { 65536, 65536 };
	const char *env;
	bool opened = false;
	int s, ret;
	double t0;

	env = getenv("BENCH_PERF_SCALE");
	tiny = env && !strcmp(env, "tiny");
	env = getenv("BENCH_EXPORTER");
	if (env && *env)
		exporter = env;
	env = getenv("BENCH_PERF_PROFILE");
	if (env && *env)
		prof_globs = env;
	ksft_print_header();
	ksft_set_plan(nsec);
	printf("# bench_perf: scale %s, exporter %s\n", tiny ? "tiny" : "full",
	       exporter);
	/* 1000 buffers x 4 attachments, 10 000 exports: many fds. */
	setrlimit(RLIMIT_NOFILE, &rl);
	/* Grow the fd table now, not inside a memory measurement. */
	if (dup2(0, 20000) >= 0)
		close(20000);
	ranges = calloc(MAX_RANGES, sizeof(*ranges));
	ret = ranges ? bench_find_pci(PCI_VID_REDHAT_QUMRANET, PCI_DID_IVSHMEM,
				      0, ivs_bdf, sizeof(ivs_bdf)) : -ENOMEM;
	if (!ret)
		ret = rv_load_modules();
	for (s = 0; s < nsec; s++) {
		if (!want(sections[s].name)) {
			ksft_test_result_code(KSFT_SKIP, sections[s].name,
					      "not selected\n");
			continue;
		}
		if (ret) {
			section_done(sections[s].name, ret);
			continue;
		}
		if (sections[s].needs_exporter && !opened) {
			ret = open_exporter();
			if (ret) {
				section_done(sections[s].name, ret);
				continue;
			}
			opened = true;
		}
		t0 = now_s();
		ret = sections[s].fn();
		/* Where the time goes: keeps the tiny run under its budget. */
		printf("# %s: %.1f s\n", sections[s].name, now_s() - t0);
		section_done(sections[s].name, ret);
		ret = 0;
	}
	if (opened)
		rv_dev_close(&exp_dev);
	ksft_finished();
}
