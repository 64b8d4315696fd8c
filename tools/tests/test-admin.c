// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Host unit tests of the CLI's administration helpers (admin.c): PCI
 * names and range parsing, which need no device. Prints one
 * "PASS host/tools/<case>" or "FAIL host/tools/<case> <detail>" line per
 * case; exit status 1 if any failed.
 */
#define _GNU_SOURCE
#include "../admin.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../../lib/tests/unit.h"

static void t_bdf(struct ctx *c)
{
	static const char *const bad[] = { "", "xyz", "00:20.0", "00:05.8",
		"-1:00.0", "0000:00:05.0 ", "10000:00:05.0", "0x0:00:05.0",
		"00:05", "0000:100:05.0" };
	char out[ADM_BDF_LEN];
	unsigned int i;
	int r;

	r = adm_bdf("00:05.0", out, sizeof(out));
	CHECK(c, r == 0 && !strcmp(out, "0000:00:05.0"), "short form: %d %s", __LINE__, r, out);
	r = adm_bdf("0001:0A:1F.7", out, sizeof(out));
	CHECK(c, r == 0 && !strcmp(out, "0001:0a:1f.7"), "upper case: %d %s", __LINE__, r, out);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = adm_bdf(bad[i], out, sizeof(out));
		CHECK(c, r == -EINVAL, "\"%s\" accepted (%d)", __LINE__, bad[i], r);
	}
	r = adm_bdf("00:05.0", out, 8);
	CHECK(c, r == -ERANGE, "short output: %d", __LINE__, r);
	r = adm_debugfs_path("00:05.0", (char[128]){ 0 }, 128);
	CHECK(c, r == 0, "debugfs path: %d", __LINE__, r);
}

static void t_parse_range(struct ctx *c)
{
	static const char *const bad[] = { "1000", ":4096", "0:", "a:b",
		"0:-4096", "0:4096x", "0:99999999999G", "-1:4096" };
	struct vfio_region_dma_range r;
	unsigned int i;
	int ret;

	ret = adm_parse_range("0:4096", &r);
	CHECK(c, !ret && r.offset == 0 && r.length == 4096, "0:4096", __LINE__);
	ret = adm_parse_range("0x1000:2M", &r);
	CHECK(c, !ret && r.offset == 0x1000 && r.length == 2u << 20, "0x1000:2M", __LINE__);
	ret = adm_parse_range("4k:8K", &r);
	CHECK(c, !ret && r.offset == 4096 && r.length == 8192, "4k:8K", __LINE__);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ret = adm_parse_range(bad[i], &r);
		CHECK(c, ret < 0, "\"%s\" accepted", __LINE__, bad[i]);
	}
}

static void t_bind_refuses(struct ctx *c)
{
	int r;

	r = adm_bind("ffff:ff:1f.7", "no/such");
	CHECK(c, r == -EINVAL, "bad driver name: %d", __LINE__, r);
	r = adm_bind("ffff:ff:1f.7", "");
	CHECK(c, r == -EINVAL, "empty driver name: %d", __LINE__, r);
	r = adm_bind("ffff:ff:1f.7", "vfio-pci-dmabuf");
	CHECK(c, r == -ENOENT, "absent device: %d", __LINE__, r);
}

int main(void)
{
	static const struct unit_case cases[] = {
		{ "bdf-parse", t_bdf },
		{ "range-parse", t_parse_range },
		{ "bind-refuses-bad-input", t_bind_refuses },
	};

	return unit_run("tools", cases, sizeof(cases) / sizeof(cases[0]));
}
