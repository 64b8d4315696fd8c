// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Host unit tests of the CLI's parts that need no device: PCI names,
 * numbers and ranges (admin.c), the JSON writer (json.c), the debugfs
 * exports reader (exports.c) and the in-use safety check (inuse.c) on a
 * fake sysfs/procfs tree. Prints one "PASS host/tools/<case>" or
 * "FAIL host/tools/<case> <detail>" line per case; exit status 1 if any
 * failed.
 */
#define _GNU_SOURCE
#include "../admin.h"
#include "../exports.h"
#include "../inuse.h"
#include "../json.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/tests/unit.h"

/* Decimal or 0x-hex, never octal: "010" is ten. */
static void t_numbers(struct ctx *c)
{
	static const struct {
		const char *s;
		uint64_t max, v;
		int ret;
	} cases[] = {
		{ "0", 10, 0, 0 }, { "10", 10, 10, 0 }, { "010", 100, 10, 0 },
		{ "08", 100, 8, 0 }, { "0009", 100, 9, 0 }, { "0x10", 100, 16, 0 },
		{ "0X1f", 100, 31, 0 }, { "0x0010", 100, 16, 0 },
		{ "18446744073709551615", UINT64_MAX, UINT64_MAX, 0 },
		{ "0xffffffffffffffff", UINT64_MAX, UINT64_MAX, 0 },
		{ "18446744073709551616", UINT64_MAX, 0, -ERANGE },
		{ "0x10000000000000000", UINT64_MAX, 0, -ERANGE },
		{ "11", 10, 0, -ERANGE }, { "", 10, 0, -EINVAL }, { "0x", 10, 0, -EINVAL },
		{ "-1", 10, 0, -EINVAL }, { "+1", 10, 0, -EINVAL }, { " 1", 10, 0, -EINVAL },
		{ "1 ", 10, 0, -EINVAL }, { "1e3", 9999, 0, -EINVAL },
		{ "0o7", 10, 0, -EINVAL }, { "ff", 1000, 0, -EINVAL }, { "1k", 9999, 0, -EINVAL },
	};
	unsigned int i;
	uint64_t v;
	int r;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = 12345;
		r = adm_parse_u64(cases[i].s, cases[i].max, &v);
		CHECK(c, r == cases[i].ret, "\"%s\": %d, want %d", __LINE__, cases[i].s, r,
		      cases[i].ret);
		CHECK(c, r || v == cases[i].v, "\"%s\": %llu", __LINE__, cases[i].s,
		      (unsigned long long)v);
	}
	r = adm_parse_size("010K", &v);
	CHECK(c, !r && v == 10240, "010K: %d %llu", __LINE__, r, (unsigned long long)v);
	r = adm_parse_size("0x2M", &v);
	CHECK(c, !r && v == 2u << 20, "0x2M: %d", __LINE__, r);
	r = adm_parse_size("17179869184G", &v);
	CHECK(c, r == -EOVERFLOW, "17179869184G: %d", __LINE__, r);
	r = adm_parse_size("K", &v);
	CHECK(c, r == -EINVAL, "K alone: %d", __LINE__, r);
}

static void t_parse_range(struct ctx *c)
{
	static const char *const bad[] = { "1000", ":4096", "0:", "a:b",
		"0:-4096", "0:4096x", "0:99999999999G", "-1:4096", "0:1:2",
		"0x:4096", " 0:4096" };
	struct vfio_region_dma_range r;
	unsigned int i;
	int ret;

	ret = adm_parse_range("0:4096", &r);
	CHECK(c, !ret && r.offset == 0 && r.length == 4096, "0:4096", __LINE__);
	ret = adm_parse_range("0x1000:2M", &r);
	CHECK(c, !ret && r.offset == 0x1000 && r.length == 2u << 20, "0x1000:2M", __LINE__);
	ret = adm_parse_range("4k:8K", &r);
	CHECK(c, !ret && r.offset == 4096 && r.length == 8192, "4k:8K", __LINE__);
	/* No octal in ranges either. */
	ret = adm_parse_range("010:0100", &r);
	CHECK(c, !ret && r.offset == 10 && r.length == 100, "010:0100 is ten:hundred", __LINE__);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ret = adm_parse_range(bad[i], &r);
		CHECK(c, ret < 0, "\"%s\" accepted", __LINE__, bad[i]);
	}
}

static void t_bind_refuses(struct ctx *c)
{
	char drv[ADM_NAME_LEN];
	struct adm_bind_report rep;
	struct dirent *d;
	DIR *dp;
	int r;

	r = adm_bind("ffff:ff:1f.7", "no/such", &rep);
	CHECK(c, r == -EINVAL, "bad driver name: %d", __LINE__, r);
	r = adm_bind("ffff:ff:1f.7", "", &rep);
	CHECK(c, r == -EINVAL, "empty driver name: %d", __LINE__, r);
	/* "no such device" and "driver not loaded" are told apart. */
	r = adm_bind("ffff:ff:1f.7", "vfio-pci-dmabuf", &rep);
	CHECK(c, r == -ENODEV, "absent device: %d", __LINE__, r);
	r = adm_driver_of("ffff:ff:1f.7", drv, sizeof(drv));
	CHECK(c, r == -ENODEV, "driver of an absent device: %d", __LINE__, r);
	r = adm_unbind("ffff:ff:1f.7", NULL, 0);
	CHECK(c, r == -ENODEV, "unbind of an absent device: %d", __LINE__, r);
	r = adm_driver_loaded("no-such-driver-here");
	CHECK(c, r == -ENOENT, "absent driver: %d", __LINE__, r);
	/* A real device and an absent driver: refused before any write. */
	dp = opendir(ADM_PCI_DEVICES);
	while (dp && (d = readdir(dp)) && d->d_name[0] == '.')
		;
	if (dp && d) {
		r = adm_bind(d->d_name, "no-such-driver-here", &rep);
		CHECK(c, r == -ENOENT, "absent driver for %.32s: %d", __LINE__, d->d_name, r);
	}
	if (dp)
		closedir(dp);
}

/* Run @fn writing JSON into a string; compare with @want. */
static void json_case(struct ctx *c, int line, void (*fn)(struct json *j),
		      const char *want)
{
	char *buf = NULL;
	size_t len = 0;
	struct json j;
	FILE *f;

	f = open_memstream(&buf, &len);
	if (!f) {
		CHECK(c, 0, "open_memstream", line);
		return;
	}
	json_init(&j, f);
	fn(&j);
	fclose(f);
	CHECK(c, !strcmp(buf, want), "got <%s> want <%s>", line, buf, want);
	free(buf);
}

static void escape_one(struct json *j)
{
	json_str(j, NULL, "q\" b\\ n\n t\t r\r \x01\x1f \x7f é € \xf0\x9f\x98\x80 / <");
	json_done(j);
}

static void escape_bad(struct json *j)
{
	/* Lone continuation, truncated sequence, overlong, surrogate, 0xff. */
	json_str(j, NULL, "a\x80" "b\xc3" "c\xc0\xaf" "d\xed\xa0\x80" "e\xff");
	json_done(j);
}

static void nested(struct json *j)
{
	json_obj(j, NULL);
	json_str(j, "s", "x");
	json_u64(j, "u", UINT64_MAX);
	json_int(j, "i", -3);
	json_bool(j, "t", true);
	json_null(j, "n");
	json_str(j, "ns", NULL);
	json_arr(j, "a");
	json_obj(j, NULL);
	json_end(j, '}');
	json_arr(j, NULL);
	json_end(j, ']');
	json_u64(j, NULL, 1);
	json_end(j, ']');
	json_obj(j, "k\"ey");
	json_end(j, '}');
	json_end(j, '}');
	json_done(j);
}

static void t_json(struct ctx *c)
{
	json_case(c, __LINE__, escape_one,
		  "\"q\\\" b\\\\ n\\n t\\t r\\r \\u0001\\u001f \x7f é € \xf0\x9f\x98\x80 / <\"\n");
	json_case(c, __LINE__, escape_bad,
		  "\"a\\ufffdb\\ufffdc\\ufffd\\ufffdd\\ufffd\\ufffd\\ufffde\\ufffd\"\n");
	json_case(c, __LINE__, nested,
		  "{\n"
		  "  \"s\": \"x\",\n"
		  "  \"u\": 18446744073709551615,\n"
		  "  \"i\": -3,\n"
		  "  \"t\": true,\n"
		  "  \"n\": null,\n"
		  "  \"ns\": null,\n"
		  "  \"a\": [\n"
		  "    {},\n"
		  "    [],\n"
		  "    1\n"
		  "  ],\n"
		  "  \"k\\\"ey\": {}\n"
		  "}\n");
}

static int write_file(const char *root, const char *rel, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	fputs(text, f);
	return fclose(f) ? -errno : 0;
}

static void exports_json(struct json *j)
{
	char path[] = "/tmp/vfio-dmabuf-exports.XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

	if (!f)
		return;
	fputs("export 3: region 2 size 0x3000 nr_ranges 2 revoked no\n"
	      "  range 0: offset 0x10000 length 0x2000\n"
	      "  range 1: offset 0 length 0x1000\n"
	      "  attach 0000:00:04.0: map host-bridge mapped yes\n"
	      "export 4: region 2 size 0x1000 nr_ranges 1 revoked yes\n"
	      "  range 0: offset 0x1000 length 0x1000\n", f);
	fclose(f);
	json_obj(j, NULL);
	json_int(j, "n", exp_show(path, j));
	json_end(j, '}');
	json_done(j);
	unlink(path);
}

static void t_exports(struct ctx *c)
{
	struct exp_line l;

	exp_parse_line("export 7: region 2 size 0x4000 nr_ranges 2 revoked yes\n", &l);
	CHECK(c, l.kind == EXP_EXPORT && l.id == 7 && l.region == 2 &&
	      l.size == 0x4000 && l.nr_ranges == 2 && l.revoked, "export line", __LINE__);
	exp_parse_line("  range 1: offset 0x10000 length 0x3000\n", &l);
	CHECK(c, l.kind == EXP_RANGE && l.index == 1 && l.offset == 0x10000 &&
	      l.length == 0x3000, "range line", __LINE__);
	exp_parse_line("  attach 0000:00:04.0: map bus-address mapped no\n", &l);
	CHECK(c, l.kind == EXP_ATTACH && !strcmp(l.device, "0000:00:04.0") &&
	      !strcmp(l.map, "bus-address") && !l.mapped, "attach line: %s %s",
	      __LINE__, l.device, l.map);
	exp_parse_line("something new\n", &l);
	CHECK(c, l.kind == EXP_OTHER, "unknown line", __LINE__);
	CHECK(c, exp_show("/nonexistent/exports", NULL) == -ENOENT, "absent file", __LINE__);
	json_case(c, __LINE__, exports_json,
		  "{\n"
		  "  \"exports\": [\n"
		  "    {\n"
		  "      \"id\": 3,\n      \"region\": 2,\n      \"size\": 12288,\n"
		  "      \"nr_ranges\": 2,\n      \"revoked\": false,\n"
		  "      \"ranges\": [\n"
		  "        {\n          \"offset\": 65536,\n          \"length\": 8192\n        },\n"
		  "        {\n          \"offset\": 0,\n          \"length\": 4096\n        }\n"
		  "      ],\n"
		  "      \"attachments\": [\n"
		  "        {\n          \"device\": \"0000:00:04.0\",\n"
		  "          \"map\": \"host-bridge\",\n          \"mapped\": true\n        }\n"
		  "      ]\n"
		  "    },\n"
		  "    {\n"
		  "      \"id\": 4,\n      \"region\": 2,\n      \"size\": 4096,\n"
		  "      \"nr_ranges\": 1,\n      \"revoked\": true,\n"
		  "      \"ranges\": [\n"
		  "        {\n          \"offset\": 4096,\n          \"length\": 4096\n        }\n"
		  "      ],\n"
		  "      \"attachments\": []\n"
		  "    }\n"
		  "  ],\n"
		  "  \"n\": 2\n"
		  "}\n");
}

/* mkdir -p below the fake root. */
static int mkdirs(const char *root, const char *rel)
{
	char path[PATH_MAX], *p;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (mkdir(path, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return mkdir(path, 0755) && errno != EEXIST ? -errno : 0;
}

static int symlink_at(const char *root, const char *target, const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	return symlink(target, path) ? -errno : 0;
}

/*
 * A fake tree: a NIC 0000:00:09.0 with eth0, a virtio disk 0000:00:0a.0
 * with vda and its partition vda1, an nvme 0000:00:0b.0 with nvme0n1, and
 * a bystander 0000:00:0c.0 whose disk sdz is busy but is not ours to see.
 */
static int fake_tree(char *root, size_t len)
{
	static const char *const dirs[] = {
		"sys/devices/pci0000:00/0000:00:09.0/net/eth0",
		"sys/devices/pci0000:00/0000:00:0a.0/virtio1/block/vda/vda1/holders",
		"sys/devices/pci0000:00/0000:00:0a.0/virtio1/block/vda/holders",
		"sys/devices/pci0000:00/0000:00:0b.0/nvme/nvme0/nvme0n1/holders",
		"sys/devices/pci0000:00/0000:00:0c.0/host0/block/sdz/holders",
		"sys/devices/pci0000:00/0000:00:0a.00/block/vdq/holders",
		"sys/devices/virtual/net/lo",
		"sys/bus/pci/devices", "sys/class/net", "sys/class/block", "proc/self",
	};
	static const char *const links[][2] = {
		{ "../../../devices/pci0000:00/0000:00:09.0", "sys/bus/pci/devices/0000:00:09.0" },
		{ "../../../devices/pci0000:00/0000:00:0a.0", "sys/bus/pci/devices/0000:00:0a.0" },
		{ "../../../devices/pci0000:00/0000:00:0b.0", "sys/bus/pci/devices/0000:00:0b.0" },
		{ "../../../devices/pci0000:00/0000:00:0c.0", "sys/bus/pci/devices/0000:00:0c.0" },
		{ "../../devices/pci0000:00/0000:00:09.0/net/eth0", "sys/class/net/eth0" },
		{ "../../devices/virtual/net/lo", "sys/class/net/lo" },
		{ "../../devices/pci0000:00/0000:00:0a.0/virtio1/block/vda", "sys/class/block/vda" },
		{ "../../devices/pci0000:00/0000:00:0a.0/virtio1/block/vda/vda1", "sys/class/block/vda1" },
		{ "../../devices/pci0000:00/0000:00:0b.0/nvme/nvme0/nvme0n1", "sys/class/block/nvme0n1" },
		{ "../../devices/pci0000:00/0000:00:0c.0/host0/block/sdz", "sys/class/block/sdz" },
		/* Same prefix, another device: must not count for 0000:00:0a.0. */
		{ "../../devices/pci0000:00/0000:00:0a.00/block/vdq", "sys/class/block/vdq" },
	};
	char tmpl[] = "/tmp/vfio-dmabuf-sysfs.XXXXXX";
	unsigned int i;
	int r = 0;

	if (!mkdtemp(tmpl))
		return -errno;
	snprintf(root, len, "%s", tmpl);
	for (i = 0; !r && i < sizeof(dirs) / sizeof(dirs[0]); i++)
		r = mkdirs(root, dirs[i]);
	for (i = 0; !r && i < sizeof(links) / sizeof(links[0]); i++)
		r = symlink_at(root, links[i][0], links[i][1]);
	if (!r)
		r = write_file(root, "sys/devices/pci0000:00/0000:00:0a.0/virtio1/block/vda/dev", "254:0\n");
	if (!r)
		r = write_file(root, "sys/devices/pci0000:00/0000:00:0a.0/virtio1/block/vda/vda1/dev", "254:1\n");
	if (!r)
		r = write_file(root, "sys/devices/pci0000:00/0000:00:0b.0/nvme/nvme0/nvme0n1/dev", "259:0\n");
	if (!r)
		r = write_file(root, "sys/devices/pci0000:00/0000:00:0c.0/host0/block/sdz/dev", "8:0\n");
	if (!r)
		r = write_file(root, "sys/devices/pci0000:00/0000:00:0a.00/block/vdq/dev", "254:16\n");
	if (!r)
		r = write_file(root, "sys/devices/virtual/net/lo/flags", "0x9\n");
	return r;
}

static int set_state(const char *root, const char *flags, const char *mountinfo,
		     const char *swaps)
{
	int r;

	r = write_file(root, "sys/devices/pci0000:00/0000:00:09.0/net/eth0/flags", flags);
	if (!r)
		r = write_file(root, "sys/devices/pci0000:00/0000:00:09.0/net/eth0/operstate", "up\n");
	if (!r)
		r = write_file(root, "proc/self/mountinfo", mountinfo);
	if (!r)
		r = write_file(root, "proc/swaps", swaps);
	return r;
}

static const char mi_base[] =
	"22 1 0:21 / / rw,relatime - tmpfs tmpfs rw\n"
	"23 22 0:5 / /proc rw - proc proc rw\n"
	"30 22 8:0 / /mnt/bystander rw - ext4 /dev/sdz rw\n"
	"31 22 254:16 / /mnt/other rw - ext4 /dev/vdq rw\n";
static const char swaps_none[] = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n";

static void t_in_use(struct ctx *c)
{
	char mi[2048], path[PATH_MAX], root[64] = "";
	struct adm_uses u;
	int n;

	if (fake_tree(root, sizeof(root))) {
		CHECK(c, 0, "cannot build the fake tree in %s", __LINE__, root);
		return;
	}
	/* Everything idle: nothing in use; a bystander's busy disk is not ours. */
	CHECK(c, !set_state(root, "0x1002\n", mi_base, swaps_none), "state", __LINE__);
	n = adm_in_use(root, "0000:00:09.0", &u);
	CHECK(c, n == 0, "idle NIC: %d", __LINE__, n);
	n = adm_in_use(root, "0000:00:0a.0", &u);
	CHECK(c, n == 0, "idle disk: %d (%s %s)", __LINE__, n, u.use[0].kind, u.use[0].name);
	n = adm_in_use(root, "0000:00:0b.0", &u);
	CHECK(c, n == 0, "idle nvme: %d", __LINE__, n);
	n = adm_in_use(root, "0000:00:0c.0", &u);
	CHECK(c, n == 1 && !strcmp(u.use[0].kind, "mount") &&
	      !strcmp(u.use[0].detail, "mounted on /mnt/bystander"), "bystander: %d", __LINE__, n);
	n = adm_in_use(root, "0000:00:0d.0", &u);
	CHECK(c, n == -ENODEV, "absent device: %d", __LINE__, n);

	/* An interface that is up (IFF_UP), whatever its carrier. */
	CHECK(c, !set_state(root, "0x1003\n", mi_base, swaps_none), "state", __LINE__);
	n = adm_in_use(root, "0000:00:09.0", &u);
	CHECK(c, n == 1 && !strcmp(u.use[0].kind, "net") && !strcmp(u.use[0].name, "eth0") &&
	      strstr(u.use[0].detail, "up"), "NIC up: %d %s", __LINE__, n, u.use[0].detail);

	/* A partition mounted (by major:minor), the disk as swap, an nvme
	 * namespace mounted under another dev_t but by its /dev name. */
	snprintf(mi, sizeof(mi), "%s%s%s", mi_base,
		 "40 22 254:1 / /mnt/data rw - ext2 /dev/vda1 rw\n",
		 "41 22 0:44 / /mnt/ns rw - btrfs /dev/nvme0n1 rw\n");
	CHECK(c, !set_state(root, "0x1002\n", mi,
			    "Filename\tType\tSize\tUsed\tPriority\n/dev/vda partition 1020 0 -2\n"),
	      "state", __LINE__);
	n = adm_in_use(root, "0000:00:0a.0", &u);
	CHECK(c, n == 2, "disk: %d", __LINE__, n);
	CHECK(c, n == 2 && ((!strcmp(u.use[0].kind, "mount") && !strcmp(u.use[0].name, "vda1") &&
			     !strcmp(u.use[1].kind, "swap") && !strcmp(u.use[1].name, "vda")) ||
			    (!strcmp(u.use[1].kind, "mount") && !strcmp(u.use[1].name, "vda1") &&
			     !strcmp(u.use[0].kind, "swap") && !strcmp(u.use[0].name, "vda"))),
	      "disk uses: %s %s, %s %s", __LINE__, u.use[0].kind, u.use[0].name,
	      u.use[1].kind, u.use[1].name);
	n = adm_in_use(root, "0000:00:0b.0", &u);
	CHECK(c, n == 1 && !strcmp(u.use[0].detail, "mounted on /mnt/ns"), "nvme: %d", __LINE__, n);

	/* Held by device mapper. */
	CHECK(c, !set_state(root, "0x1002\n", mi_base, swaps_none), "state", __LINE__);
	CHECK(c, !mkdirs(root, "sys/devices/pci0000:00/0000:00:0b.0/nvme/nvme0/nvme0n1/holders/dm-0"),
	      "holder", __LINE__);
	n = adm_in_use(root, "0000:00:0b.0", &u);
	CHECK(c, n == 1 && !strcmp(u.use[0].kind, "holder") &&
	      !strcmp(u.use[0].detail, "held by dm-0"), "holder: %d", __LINE__, n);

	snprintf(path, sizeof(path), "rm -rf '%s'", root);
	if (system(path))
		CHECK(c, 0, "cannot remove %s", __LINE__, root);
}

int main(void)
{
	static const struct unit_case cases[] = {
		{ "number-parse-no-octal", t_numbers },
		{ "range-parse", t_parse_range },
		{ "bind-refuses-bad-input", t_bind_refuses },
		{ "json-writer-and-escaping", t_json },
		{ "debugfs-exports-parse", t_exports },
		{ "in-use-detection-fake-sysfs", t_in_use },
	};

	return unit_run("tools", cases, sizeof(cases) / sizeof(cases[0]));
}
