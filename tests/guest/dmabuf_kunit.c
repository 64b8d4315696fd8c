// SPDX-License-Identifier: GPL-2.0
/*
 * The module's pure logic under KUnit (driver/kunit.c, built as
 * vfio-pci-dmabuf-kunit.ko where the kernel has CONFIG_KUNIT). Loading the
 * module runs its suites; each one's KTAP report is read back from
 * /sys/kernel/debug/kunit/<suite>/results and must show every planned case
 * passed: none failed, none skipped, none missing, suite line "ok".
 *
 * A kernel without KUnit (Debian's) has no test module to load: every test
 * skips, saying so. A kernel with KUnit must have the module and every
 * suite's results.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "kselftest_harness.h"

#define KUNIT_MODULE	"vfio_pci_dmabuf_kunit"
#define KUNIT_DEBUGFS	"/sys/kernel/debug/kunit"

/*
 * Built-in KUnit always has /sys/module/kunit (its filter parameters are
 * visible in sysfs); /sys/kernel/debug/kunit is there with KUNIT_DEBUGFS.
 */
static int kernel_has_kunit(void)
{
	return !access("/sys/module/kunit", F_OK) ||
	       !access(KUNIT_DEBUGFS, F_OK);
}

FIXTURE(kunit)
{
	char *buf;
};

FIXTURE_SETUP(kunit)
{
	if (!kernel_has_kunit())
		SKIP(return, "kernel without KUnit (no /sys/module/kunit): no vfio-pci-dmabuf-kunit.ko for it");
	ASSERT_EQ(0, access(KUNIT_DEBUGFS, F_OK))
		TH_LOG("KUnit without CONFIG_KUNIT_DEBUGFS: results unreadable");
	/* Loading runs the suites; loaded already, results stay. */
	ASSERT_EQ(0, bench_modprobe(KUNIT_MODULE, NULL))
		TH_LOG("%s is missing or does not load", KUNIT_MODULE);
	self->buf = calloc(1, 1 << 16);
	ASSERT_NE(NULL, self->buf);
}

FIXTURE_TEARDOWN(kunit)
{
	free(self->buf);
}

/*
 * Check one suite's results file:
 *   KTAP version 1
 *   1..1
 *       KTAP version 1
 *       # Subtest: <suite>
 *       1..<n>
 *       ok 1 <case>        (lines of the cases' own logs in between)
 *       ...
 *   ok 1 <suite>
 */
static void check_suite(struct __test_metadata *_metadata, char *buf,
			size_t len, const char *suite)
{
	char path[192], want[128];
	int planned = -1, ok = 0, failed = 0, idx, n;
	char *line, *save;

	snprintf(path, sizeof(path), KUNIT_DEBUGFS "/%s/results", suite);
	ASSERT_EQ(0, access(path, F_OK))
		TH_LOG("no %s: suite not registered", path);
	ASSERT_EQ(0, bench_sysfs_read(path, buf, len));
	/* (Never echo the report: its "ok" lines would read as our TAP.) */

	snprintf(want, sizeof(want), "    # Subtest: %s\n", suite);
	EXPECT_NE(NULL, strstr(buf, want));
	snprintf(want, sizeof(want), "\nok 1 %s", suite);
	EXPECT_NE(NULL, strstr(buf, want)) TH_LOG("suite %s not ok", suite);

	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		/* Case level only: exactly four spaces of indentation. */
		if (strncmp(line, "    ", 4) || line[4] == ' ')
			continue;
		line += 4;
		if (sscanf(line, "1..%d", &n) == 1) {
			planned = n;
		} else if (!strncmp(line, "not ok ", 7)) {
			TH_LOG("failed: %s", line);
			failed++;
		} else if (sscanf(line, "ok %d ", &idx) == 1) {
			EXPECT_EQ(NULL, strstr(line, "# SKIP"))
				TH_LOG("skipped: %s", line);
			EXPECT_EQ(ok + 1, idx) TH_LOG("out of order: %s", line);
			ok++;
		}
	}
	EXPECT_EQ(0, failed);
	EXPECT_LT(0, planned) TH_LOG("%s: no plan", suite);
	EXPECT_EQ(planned, ok) TH_LOG("%s: %d of %d cases passed", suite, ok,
				      planned);
}

TEST_F(kunit, cmb_window_decoding)
{
	check_suite(_metadata, self->buf, 1 << 16, "vfio_pci_dmabuf_cmb");
}

TEST_F(kunit, sg_entry_counting)
{
	check_suite(_metadata, self->buf, 1 << 16, "vfio_pci_dmabuf_sg");
}

TEST_F(kunit, export_range_checks)
{
	check_suite(_metadata, self->buf, 1 << 16, "vfio_pci_dmabuf_ranges");
}

TEST_F(kunit, p2p_cache_key)
{
	check_suite(_metadata, self->buf, 1 << 16, "vfio_pci_dmabuf_p2p");
}

TEST_HARNESS_MAIN
