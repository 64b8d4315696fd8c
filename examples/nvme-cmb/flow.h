/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The CMB story, end to end: a userspace NVMe driver owns the controller
 * through VFIO and exports its CMB as a dma-buf; a peer (the edu-importer
 * test module on QEMU's edu device, standing in for an RDMA NIC) DMAs a
 * pattern into it; the NVMe writes the namespace straight from the CMB; a
 * read into host memory returns the pattern; a revoke in the middle stops
 * the peer, and everything recovers after re-enable.
 *
 * Each step is reported through struct flow_out: as TAP (one test point
 * per step, narration in comments: the guest suites and `make demo`) or as
 * plain text for a person at a terminal.
 */
#ifndef NVME_CMB_FLOW_H
#define NVME_CMB_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "nvme.h"

/* QEMU's nvme (the bench); any NVMe with a CMB will do. */
#define FLOW_PCI_CLASS_NVME	0x010802
#define FLOW_EDU_VID		0x1234
#define FLOW_EDU_DID		0x11e8
#define FLOW_EDU_DRIVER		"edu-importer"
#define FLOW_EDU_DEV		"/dev/edu-importer"

/* Host memory starts at this IOVA (far from any BAR on x86). */
#define FLOW_IOVA_BASE		0x10000000ULL
/* Bytes the peer DMAs and the NVMe writes in the story. */
#define FLOW_XFER		8192u
/* Exported window: the first 64 KiB of the CMB. */
#define FLOW_EXPORT_LEN		(64u << 10)
/* The LBA range X, as a byte offset into the namespace. */
#define FLOW_X_BYTES		(1ULL << 20)

struct flow_out {
	bool tap;
	int step;		/* current step number */
	int nsteps;
	int failed;
	bool broken;		/* a step failed: later ones are skipped */
	const char *prefix;	/* TAP test name prefix, e.g. "nvme_cmb" */
};

struct flow_cfg {
	char nvme[24];		/* "" = first NVMe with a CMB */
	char edu[24];		/* "" = first edu device */
	unsigned int bench_sizes[8];	/* throughput: transfer sizes (0 ends) */
	unsigned int bench_total;	/* bytes moved per size and direction */
};

/* Narration: a comment line in TAP mode, an indented line otherwise. */
void flow_say(struct flow_out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * The whole story (steps a-f of issue 13, plus shutdown). Returns the
 * number of failed steps (0: the verdict is PASS).
 */
int flow_run(struct flow_out *o, const struct flow_cfg *cfg);

/*
 * Throughput of NVMe WRITE from the CMB vs from host memory, and READ into
 * host memory, at cfg->bench_sizes: one table and the ratio per size (no
 * threshold: the ratio is printed, not judged). Returns 0 or -errno.
 */
int flow_bench(struct flow_out *o, const struct flow_cfg *cfg);

/* First PCI device of @class (24 bits) or @vid:@did; -ENODEV if none. */
int flow_find_pci(uint32_t class, uint16_t vid, uint16_t did, char *bdf,
		  size_t len);

/* Monotonic clock in nanoseconds. */
uint64_t flow_now_ns(void);

#endif
