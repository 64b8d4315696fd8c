/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest suites' fixture library (libguest.a, with bench_util for the
 * PCI, sysfs and VFIO plumbing and tools_util for running the CLI): an
 * exporter bound to vfio-pci-dmabuf and opened through VFIO, its config
 * space, exports, the edu-importer's ioctls, and what the kernel says
 * (/dev/kmsg, debugfs, fdinfo, meminfo). Every int helper returns 0 (or an
 * fd, a count) on success and a negative errno on failure. No global
 * state: the harness forks each test, and every helper is idempotent
 * (loading a loaded module, binding a bound device), so any test can run
 * first.
 */
#ifndef FIXTURE_H
#define FIXTURE_H

/* What a suite needs to use the helpers' fds: open flags, ioctl, errno. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/types.h>
#include <unistd.h>

#include <linux/pci_regs.h>
#include <linux/vfio.h>

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

/*
 * The exporter under test (issue 9): bench.env.EXPORTER names its driver,
 * vfio-pci-dmabuf (ours, the default) or vfio-pci (stock vfio-pci, which
 * is upstream's own exporter on 7.x). Every bind and module load of the
 * helpers goes through these; a suite names the driver only through
 * exporter_driver().
 */
#define UPSTREAM_DRIVER		"vfio-pci"
const char *exporter_driver(void);
/* true when the exporter under test is upstream's (stock vfio-pci). */
bool exporter_is_upstream(void);
/*
 * First statement of an *ours only* test (a documented improvement over
 * upstream, docs/design.md "Differences from upstream 7.2"): against
 * upstream it is a kselftest SKIP saying "ours only: @why". Needs
 * kselftest_harness.h, as every suite has.
 */
#define OURS_ONLY(why)							\
	do {								\
		if (exporter_is_upstream())				\
			SKIP(return, "ours only: %s", why);		\
	} while (0)

/*
 * Ours only: every refusal of ours logs a line; upstream's log none, so
 * against upstream the line @needle (since @mark) is not looked for.
 */
#define EXPECT_OURS_LOGGED(mark, needle)				\
	do {								\
		if (!exporter_is_upstream())				\
			EXPECT_EQ(1, kmsg_find(mark, needle, NULL, 0))	\
				TH_LOG("no \"%s\"", needle);		\
	} while (0)

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

/*
 * Load the exporter's module (vfio_pci_dmabuf with @params if it is not
 * loaded yet; vfio-pci, without, against upstream) and type1.
 */
int dmabuf_load_exporter(const char *params);
/* Bind @bdf to exporter_driver() and open it through VFIO. */
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

/*
 * 1 if the dma-buf core never pins a dynamic importer's buffer around its
 * maps: CONFIG_DMABUF_MOVE_NOTIFY=y, or a 7.x kernel (see .c).
 */
int kernel_has_move_notify(void);
/* 1 if /proc/kallsyms lists @name (loaded modules included), else 0. */
int kernel_has_symbol(const char *name);
/*
 * 1 on kernels with dma_buf_attach_revocable() (7.0+): importers without
 * an invalidate_mappings op are not revocable, and may leave it out.
 */
int kernel_revocable_contract(void);
/* 1 if vfio_pci_core (loaded) has upstream's exporter (7.x, feature 11). */
int kernel_has_vfio_dmabuf(void);

/*
 * An exporter bound to exporter_driver() and opened, reached by vendor and
 * device ID, with its config space through the VFIO config region.
 */
struct rv_dev {
	char bdf[32];
	struct bench_vfio v;
	uint64_t cfg_off;	/* file offset of the config region */
};

/*
 * Load vfio_iommu_type1, the exporter (vfio_pci_dmabuf with VPD_P2P_PARAM,
 * or vfio-pci against upstream) and edu-importer.
 */
int rv_load_modules(void);
/* Find the first @vid:@did, bind it to exporter_driver() and open it. */
int rv_dev_open(uint16_t vid, uint16_t did, struct rv_dev *d);
/* Open again after rv_dev_close() (same device, new fds). */
int rv_dev_reopen(struct rv_dev *d);
/* Close device, group and container: the last close revokes for good. */
void rv_dev_close(struct rv_dev *d);
/* Look up the config region's file offset into d->cfg_off. */
int rv_cfg_region(struct rv_dev *d);
int rv_cfg_read16(struct rv_dev *d, unsigned int reg, uint16_t *val);
int rv_cfg_write16(struct rv_dev *d, unsigned int reg, uint16_t val);
/* Offset of the power management capability in config space, or 0. */
unsigned int rv_pm_cap(struct rv_dev *d);
/* Read-modify-write PCI_COMMAND.MEMORY. */
int rv_set_memory(struct rv_dev *d, bool on);
/* VFIO_DEVICE_SET_IRQS: signal eventfd @efd for vector 0 of IRQ @index. */
int rv_irq_eventfd(int device, unsigned int index, int efd);
/* VFIO_DEVICE_SET_IRQS: disable every vector of IRQ @index. */
int rv_irq_disable(int device, unsigned int index);
/* Write @len bytes at @off of region @bar through a temporary mmap. */
int rv_write_bar(int device, unsigned int bar, uint64_t off,
		 const void *buf, size_t len);

/* Export [off, off + len) of BAR @bar: the dma-buf fd or -errno. */
int rv_export(int device, unsigned int bar, uint64_t off, uint64_t len);
/* A new importer context: an fd of /dev/edu-importer. */
int rv_imp_open(void);
/*
 * Export [0, @len) of BAR @bar and import it with a dynamic importer that
 * maps it. The fds land in *@buf and *@imp (-1 when not made); returns 0
 * or the first -errno.
 */
int rv_import_mapped(int device, unsigned int bar, uint64_t len,
		     int *buf, int *imp);
/*
 * Does the importer read @want back from buffer offset @off by DMA? 0 when
 * the bytes match, 1 when they differ, -errno when the DMA is refused.
 */
int rv_imp_read_cmp(int imp, uint64_t off, const void *want, uint32_t len);
/* Start an ASYNC read of @len bytes at @off; rv_imp_wait() ends it. */
int rv_imp_dma_async(int imp, uint64_t off, uint32_t len,
		     struct edu_imp_dma *out);
int rv_imp_wait(int imp, void *buf, uint32_t len, struct edu_imp_wait *out);

/*
 * Count the exports of @bdf listed in debugfs with "revoked yes" (@yes) and
 * "revoked no" (@no). Returns the number of exports listed.
 */
int rv_debugfs_exports(const char *bdf, int *yes, int *no);
/* A whole file (debugfs, procfs: size 0 in stat) as a string to free(). */
char *rv_slurp(const char *path);
/* Number of dma-bufs in /sys/kernel/debug/dma_buf/bufinfo. */
int rv_dmabuf_count(void);
/*
 * Make freed slab objects count as free: shrink every cache, which also
 * drains KASAN's quarantine of it (freed objects otherwise stay allocated
 * there for a while and show up as SUnreclaim growth).
 */
void rv_slab_shrink(void);
/* A /proc/meminfo field in kB, or -errno. */
long rv_meminfo_kb(const char *field);
/* Records of the kernel log containing @needle. */
int rv_kmsg_count(const char *needle);
/* CLOCK_MONOTONIC, the clock of ktime_get_ns(). */
uint64_t rv_now_ns(void);

/*
 * Pass an fd over a unix socket (SCM_RIGHTS, one byte of data); @flags go
 * to sendmsg()/recvmsg() (e.g. MSG_DONTWAIT). fd_recv() returns the new fd
 * (close-on-exec) or -errno.
 */
int fd_send(int sock, int fd, int flags);
int fd_recv(int sock, int flags);
/* A positive number from the environment (e.g. RACE_SECONDS), else @def. */
uint64_t env_u64(const char *name, uint64_t def);

#endif
