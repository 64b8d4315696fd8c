/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvfio-dmabuf: export ranges of a PCI BAR owned by a VFIO driver as
 * dma-buf file descriptors (VFIO_DEVICE_FEATURE_DMA_BUF, upstream Linux
 * 6.19 uapi; served on older kernels by the vfio-pci-dmabuf variant driver).
 *
 * Conventions:
 *  - no global state: every call works only on what it is given, so the
 *    library is safe to use from several threads on different objects;
 *  - every function that can fail returns a negative errno (never sets
 *    errno as its way of reporting); >= 0 is success;
 *  - file descriptors the library creates are O_CLOEXEC.
 *
 * Binding: the driver binds only through driver_override. The persistent,
 * reboot-proof way is driverctl(8):
 *     driverctl set-override 0000:00:05.0 vfio-pci-dmabuf
 * vfio_dmabuf_bind() does the same thing for the running system only
 * (driver_override, unbind, drivers_probe); it is compatible with driverctl:
 * a later `driverctl unset-override` undoes it.
 */
#ifndef VFIO_DMABUF_H
#define VFIO_DMABUF_H

#include <stddef.h>
#include <stdint.h>

#include <linux/vfio.h>
/*
 * The project's uapi header (include/uapi/linux/vfio_dmabuf.h in the source
 * tree, <includedir>/vfio-dmabuf/uapi/linux/ once installed; pkg-config's
 * Cflags point there): defines the DMA_BUF feature only where
 * <linux/vfio.h> lacks it, identical to upstream.
 */
#include <uapi/linux/vfio_dmabuf.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Version of this header, the same as the library's and the project's
 * (top-level VERSION; lib/Makefile refuses to build when they differ).
 * The shared library's ABI is libvfio-dmabuf.so.0, symbol version
 * VFIO_DMABUF_0.
 */
#define VFIO_DMABUF_VERSION_MAJOR	0
#define VFIO_DMABUF_VERSION_MINOR	1
#define VFIO_DMABUF_VERSION_PATCH	0
#define VFIO_DMABUF_VERSION \
	((VFIO_DMABUF_VERSION_MAJOR << 16) | (VFIO_DMABUF_VERSION_MINOR << 8) | \
	 VFIO_DMABUF_VERSION_PATCH)

#define VFIO_DMABUF_DRIVER	"vfio-pci-dmabuf"
#define VFIO_DMABUF_DEBUGFS	"/sys/kernel/debug/vfio-pci-dmabuf"
/* Canonical PCI name "dddd:bb:dd.f" plus NUL. */
#define VFIO_DMABUF_BDF_LEN	16

/* A VFIO device opened through its IOMMU group and a type1 container. */
struct vfio_dmabuf_dev {
	int container;
	int group;
	int device;
	int group_id;
	char bdf[VFIO_DMABUF_BDF_LEN];
};

/* What a call was trying to do, for vfio_dmabuf_explain(). */
enum vfio_dmabuf_op {
	VFIO_DMABUF_OP_GENERIC = 0,
	VFIO_DMABUF_OP_PROBE,
	VFIO_DMABUF_OP_EXPORT,
	VFIO_DMABUF_OP_OPEN,
	VFIO_DMABUF_OP_BIND,
	VFIO_DMABUF_OP_INFO,
};

/* ---- feature structure (no device needed) ---- */

/*
 * Bytes of the VFIO_DEVICE_FEATURE argument for @nr ranges: header,
 * vfio_device_feature_dma_buf and the ranges. Stored in *@argsz.
 * -EINVAL for nr == 0, -EOVERFLOW when it does not fit argsz's 32 bits.
 */
int vfio_dmabuf_argsz(unsigned int nr, uint32_t *argsz);

/*
 * Fill @buf (@len bytes, 8-byte aligned) with the GET|DMA_BUF feature
 * request. Returns the argsz used, -ENOSPC if @len is too small, or the
 * errors of vfio_dmabuf_argsz(); -EINVAL if @ranges is NULL.
 */
int vfio_dmabuf_build(void *buf, size_t len, unsigned int region,
		      const struct vfio_region_dma_range *ranges,
		      unsigned int nr, unsigned int open_flags);

/* ---- on an open VFIO device fd ---- */

/*
 * 0 when the device's driver serves VFIO_DEVICE_FEATURE_DMA_BUF; else the
 * kernel's answer (-ENOTTY or -EINVAL: not served, e.g. stock vfio-pci).
 */
int vfio_dmabuf_probe(int device_fd);

/*
 * Export @nr ranges of region (BAR) @region as one dma-buf. @open_flags:
 * O_CLOEXEC and O_ACCMODE bits for the new fd (e.g. O_RDWR | O_CLOEXEC).
 * Returns the dma-buf fd or -errno (the kernel's, or -EINVAL/-EOVERFLOW
 * from building the request, -ENOMEM).
 */
int vfio_dmabuf_export(int device_fd, unsigned int region,
		       const struct vfio_region_dma_range *ranges,
		       unsigned int nr, unsigned int open_flags);

/* Size and flags of a region; -errno. */
int vfio_dmabuf_region(int device_fd, unsigned int region,
		       struct vfio_region_info *info);

/* ---- on a dma-buf fd ---- */

/* Size of the dma-buf in bytes, or -errno. */
int64_t vfio_dmabuf_size(int dmabuf_fd);

/*
 * Exporter name from /proc/self/fdinfo: the exporting module's name,
 * "vfio_pci_dmabuf" for ours ("vfio_pci_core" for upstream's).
 * -ENOENT not a dma-buf, -ERANGE @len too small.
 */
int vfio_dmabuf_exp_name(int dmabuf_fd, char *buf, size_t len);

/* ---- devices by PCI name ---- */

/*
 * Canonical "dddd:bb:dd.f" (lower case) from "bb:dd.f" or "dddd:bb:dd.f";
 * -EINVAL if @in is not a PCI address, -ERANGE if @len is too small.
 */
int vfio_dmabuf_bdf(const char *in, char *out, size_t len);

/*
 * Open @bdf through /dev/vfio/<group> and a fresh type1v2 container.
 * -EBUSY if the group is not viable (another device of the group is bound
 * to a non-VFIO driver), -ENOENT no VFIO group (not bound to a VFIO
 * driver), other -errno as the kernel says.
 */
int vfio_dmabuf_open_device(const char *bdf, struct vfio_dmabuf_dev *out);
/* Close what open_device opened; safe on a zeroed/closed struct too. */
void vfio_dmabuf_close_device(struct vfio_dmabuf_dev *dev);

/* Name of the driver bound to @bdf ("" if none). */
int vfio_dmabuf_driver_of(const char *bdf, char *buf, size_t len);

/*
 * Bind @bdf to @driver (default VFIO_DMABUF_DRIVER when NULL) through
 * driver_override: set the override, unbind the current driver, ask the
 * PCI core to probe. -ENOENT if @driver is not loaded (no
 * /sys/bus/pci/drivers/<driver>), -ENODEV if it did not take the device.
 * Not persistent: use driverctl(8) for that (see above).
 */
int vfio_dmabuf_bind(const char *bdf, const char *driver);

/* Path of the driver's debugfs exports file for @bdf. */
int vfio_dmabuf_debugfs_path(const char *bdf, char *buf, size_t len);

/* ---- errors ---- */

/* Symbolic name of a (positive or negative) errno, e.g. "EINVAL". */
const char *vfio_dmabuf_errname(int err);

/* One sentence on what @err means for @op (never NULL). */
const char *vfio_dmabuf_explain(enum vfio_dmabuf_op op, int err);

/* Parse "OFF:LEN" (each decimal, 0x-hex, with optional K/M/G suffix). */
int vfio_dmabuf_parse_range(const char *s, struct vfio_region_dma_range *r);

#ifdef __cplusplus
}
#endif

#endif /* VFIO_DMABUF_H */
