// SPDX-License-Identifier: GPL-2.0
/*
 * Detector self-test, guest side: load bench-detectors with the trigger
 * named by bench.detector= on the kernel command line. The test itself
 * passes; the run must then fail on the debug kernel's report, which is
 * what vm/check asserts. Never part of a normal plan.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "bench_util.h"
#include "kselftest_harness.h"

TEST(load_detector_trigger)
{
	char cmdline[1024], param[64];
	const char *arg;

	ASSERT_EQ(0, bench_sysfs_read("/proc/cmdline", cmdline,
				      sizeof(cmdline)));
	arg = strstr(cmdline, "bench.detector=");
	ASSERT_NE(NULL, arg);
	ASSERT_EQ(1, sscanf(arg, "bench.detector=%40s", param + 8));
	memcpy(param, "trigger=", 8);
	EXPECT_EQ(0, bench_modprobe("bench-detectors", param))
		TH_LOG("modprobe bench-detectors %s failed", param);
}

TEST_HARNESS_MAIN
