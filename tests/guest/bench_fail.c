// SPDX-License-Identifier: GPL-2.0
/*
 * A test that must fail: run only when asked (BENCH_FAIL=1), it proves that
 * a failing guest test fails `make check` and is named in the report.
 */
#include "kselftest_harness.h"

TEST(deliberate_failure)
{
	int answer = 41;

	EXPECT_EQ(42, answer) TH_LOG("this failure is intentional");
}

TEST_HARNESS_MAIN
