/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the dmabuf_* suites: load and bind our modules, export
 * a dma-buf from a VFIO device fd, drive the edu-importer, read what the
 * kernel said (/dev/kmsg since a mark, debugfs, fdinfo). Like bench_util,
 * every helper returns a negative errno on failure.
 */
#ifndef DMABUF_UTIL_H
#define DMABUF_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <uapi/linux/vfio_dmabuf.h>

#include "bench_util.h"
#include "../importer/edu_importer.h"

#define VPD_DRIVER		"vfio-pci-dmabuf"
#define VPD_MODULE		"vfio_pci_dmabuf"
#define VPD_P2P_PARAM		"p2p_host_bridges=8086:29c0"
#define VPD_PARAM_HB		"/sys/module/vfio_pci_dmabuf/parameters/p2p_host_bridges"
#define VPD_DEBUGFS		"/sys/kernel/debug/vfio-pci-dmabuf"
#define EDU_IMP_DRIVER		"edu-importer"
#define EDU_IMP_DEV		"/dev/edu-importer"

#define IVSHMEM_BAR		2
#define PAGE			4096UL

/*
 * VFIO_DEVICE_FEATURE with @feat_flags (GET/SET/PROBE; the feature number
 * is added) on @device, carrying @req followed by @nr_copy ranges, with
 * argsz = the exact size + @argsz_delta. Returns the ioctl's value (the new
 * fd for a successful GET) or -errno.
 */
int dmabuf_feature(int device, uint32_t feat_flags,
		   const struct vfio_device_feature_dma_buf *req,
		   const struct vfio_region_dma_range *ranges,
		   uint32_t nr_copy, long argsz_delta);
/* Export @nr ranges of @region: the dma-buf fd or -errno. */
int dmabuf_export(int device, uint32_t region, uint32_t open_flags,
		  const struct vfio_region_dma_range *ranges, uint32_t nr);
/* Size of a dma-buf (lseek SEEK_END) or -errno. */
off_t dmabuf_size(int fd);
/* Value of "@key:\t..." in /proc/self/fdinfo/@fd. */
int dmabuf_fdinfo(int fd, const char *key, char *val, size_t len);

/* Load vfio_pci_dmabuf (with @params if it is not loaded yet) and type1. */
int dmabuf_load_exporter(const char *params);
/* Bind @bdf to vfio-pci-dmabuf and open it through VFIO. */
int dmabuf_open_exporter(const char *bdf, struct bench_vfio *v);
/* Find ivshmem, load, bind and open it: the usual exporter. */
int dmabuf_open_ivshmem(char *bdf, size_t len, struct bench_vfio *v);
/* Load edu-importer, bind edu to it, open /dev/edu-importer. */
int dmabuf_open_importer(char *edu_bdf, size_t len);
/* Set the p2p_host_bridges parameter at run time ("" clears it). */
int dmabuf_set_hb_param(const char *val);

int edu_attach(int imp, int dmabuf_fd, uint32_t flags);
int edu_map(int imp);
int edu_unmap(int imp);
int edu_detach(int imp);
int edu_info(int imp, struct edu_imp_info *info);
/* Up to @max dma entries of the mapping; the total count in @nents. */
int edu_sg(int imp, struct edu_imp_sg_entry *ents, uint32_t max,
	   uint32_t *nents);
/* One synchronous edu transfer of @len bytes at dma-buf offset @off. */
int edu_dma(int imp, uint64_t off, void *buf, uint32_t len, uint32_t dir);

/* Position in the kernel log: an fd on /dev/kmsg at its current end. */
int kmsg_mark(void);
/*
 * Read the records logged since the mark (or since the last call) and
 * return 1 if one contains @needle (its text copied to @line if given),
 * 0 if none does. Records after a match are left for the next call.
 */
int kmsg_find(int mark, const char *needle, char *line, size_t len);

/* Whole debugfs exports file of @bdf, NUL-terminated. */
int dmabuf_debugfs_exports(const char *bdf, char *buf, size_t len);

/* Fill / check a pattern that depends on @seed and the byte position. */
void pattern_fill(void *buf, size_t len, uint32_t seed);
/* Index of the first mismatching byte, or -1 when all match. */
long pattern_check(const void *buf, size_t len, uint32_t seed);

/* 1 if the running kernel has CONFIG_DMABUF_MOVE_NOTIFY=y (see .c). */
int kernel_has_move_notify(void);

#endif
