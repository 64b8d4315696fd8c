// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nvme-cmb: a userspace NVMe driver exports its Controller Memory Buffer
 * as a dma-buf (libvfio-dmabuf), a peer DMAs into it, the NVMe writes the
 * namespace straight from the CMB. See usage below and README.md.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow.h"

static const char usage[] =
"usage: nvme-cmb [--tap] [--nvme BDF] [--edu BDF] [flow] [bench [SIZE]...]\n"
"\n"
"  flow   the whole story, step by step (the default): bind the NVMe to\n"
"         vfio-pci-dmabuf and open it, reset and enable it with its CMB,\n"
"         export the CMB as a dma-buf, let edu (edu-importer) DMA a pattern\n"
"         into it, WRITE LBA range X from the CMB, READ X into host memory,\n"
"         revoke (memory decoding off, controller reset), recover, shut down.\n"
"  bench  throughput of WRITE from the CMB vs from host memory, and READ,\n"
"         at each SIZE (bytes; K/M suffix; default 4K 64K 256K).\n"
"\n"
"  --tap        kselftest TAP output (one test point per step)\n"
"  --nvme BDF   the NVMe controller (default: the first one, class 010802)\n"
"  --edu BDF    the peer (default: the first edu device, 1234:11e8)\n"
"  --total N    bytes moved per size and direction in bench (default 2M)\n"
"\n"
"Needs root, an IOMMU, and the modules loaded:\n"
"  modprobe vfio-pci-dmabuf p2p_host_bridges=VVVV:DDDD   (QEMU q35: 8086:29c0)\n"
"  modprobe vfio_iommu_type1; modprobe edu-importer\n"
"Exit status: 0 every step passed, 1 a step failed, 2 usage.\n";

static int parse_size(const char *s, unsigned int *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s)
		return -EINVAL;
	if (*end == 'K' || *end == 'k')
		v <<= 10, end++;
	else if (*end == 'M' || *end == 'm')
		v <<= 20, end++;
	if (*end || !v || v > (1ul << 30))
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tap", no_argument, NULL, 't' },
		{ "nvme", required_argument, NULL, 'n' },
		{ "edu", required_argument, NULL, 'e' },
		{ "total", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct flow_cfg cfg = {
		.bench_sizes = { 4096, 64 << 10, 256 << 10 },
		.bench_total = 2u << 20,
	};
	struct flow_out out = { .prefix = "nvme_cmb" };
	bool do_flow = false, do_bench = false;
	unsigned int nsizes = 0;
	int opt, i, failed = 0, ret;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 't':
			out.tap = true;
			break;
		case 'n':
			snprintf(cfg.nvme, sizeof(cfg.nvme), "%s", optarg);
			break;
		case 'e':
			snprintf(cfg.edu, sizeof(cfg.edu), "%s", optarg);
			break;
		case 'T':
			if (parse_size(optarg, &cfg.bench_total)) {
				fprintf(stderr, "nvme-cmb: bad --total %s\n", optarg);
				return 2;
			}
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	for (i = optind; i < argc; i++) {
		unsigned int v;

		if (!strcmp(argv[i], "flow")) {
			do_flow = true;
		} else if (!strcmp(argv[i], "bench")) {
			do_bench = true;
		} else if (do_bench && !parse_size(argv[i], &v)) {
			if (nsizes == 7) {
				fprintf(stderr, "nvme-cmb: at most 7 sizes\n");
				return 2;
			}
			cfg.bench_sizes[nsizes++] = v;
			cfg.bench_sizes[nsizes] = 0;
		} else {
			fprintf(stderr, "nvme-cmb: unknown argument %s\n%s", argv[i],
				usage);
			return 2;
		}
	}
	if (!do_flow && !do_bench)
		do_flow = true;
	if (out.tap)
		printf("TAP version 13\n1..%d\n", (do_flow ? 9 : 0) + (do_bench ? 1 : 0));
	if (do_flow)
		failed = flow_run(&out, &cfg);
	if (do_bench) {
		if (!out.tap)
			printf("\n== Throughput\n");
		else
			printf("#\n# ==== Throughput: WRITE from the CMB vs from host memory ====\n");
		ret = flow_bench(&out, &cfg);
		if (out.tap)
			printf("%sok %d - nvme_cmb.bench\n", ret ? "not " : "",
			       (do_flow ? 9 : 0) + 1);
		if (ret) {
			fprintf(stderr, "nvme-cmb: bench: %s\n", strerror(-ret));
			failed++;
		}
	}
	if (out.tap)
		printf("# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:0 error:0\n",
		       (do_flow ? 9 : 0) + (do_bench ? 1 : 0) - failed, failed);
	return failed ? 1 : 0;
}
