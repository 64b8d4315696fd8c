/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The driver's debugfs view of a device's live exports
 * (/sys/kernel/debug/vfio-pci-dmabuf/BDF/exports), read without opening
 * the device, so it works while QEMU or SPDK holds it. The file has one
 * "export" line per dma-buf, then its "range" lines, then its "attach"
 * lines (driver/debugfs.c).
 */
#ifndef VFIO_DMABUF_EXPORTS_H
#define VFIO_DMABUF_EXPORTS_H

#include <stdbool.h>
#include <stdint.h>

#include "json.h"

enum exp_kind { EXP_EXPORT, EXP_RANGE, EXP_ATTACH, EXP_OTHER };

struct exp_line {
	enum exp_kind kind;
	uint64_t id, size;		/* export */
	unsigned int region, nr_ranges;	/* export */
	bool revoked;			/* export */
	unsigned int index;		/* range */
	uint64_t offset, length;	/* range */
	char device[64];		/* attach: importer's device */
	char map[32];			/* attach: P2P map type */
	bool mapped;			/* attach */
};

/* Classify one line of the file and fill @l. */
void exp_parse_line(const char *line, struct exp_line *l);

/*
 * Read @path: print it ("  " indented) as text when @j is NULL, else as a
 * JSON member "exports": [ {id, region, size, nr_ranges, revoked, ranges:
 * [{offset, length}], attachments: [{device, map, mapped}]} ]. Returns the
 * number of exports, or -errno when the file cannot be opened (nothing is
 * written then).
 */
int exp_show(const char *path, struct json *j);

#endif /* VFIO_DMABUF_EXPORTS_H */
