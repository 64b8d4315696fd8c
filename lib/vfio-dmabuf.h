/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvfio-dmabuf: export ranges of a PCI BAR owned by a VFIO driver as
 * dma-buf file descriptors (VFIO_DEVICE_FEATURE_DMA_BUF, upstream Linux
 * 6.19 uapi; served on older kernels by the vfio-pci-dmabuf variant driver).
 *
 * Conventions:
 *  - no global state: every call works only on what it is given, so the
 *    library is safe to use from several threads on different objects;
 *  - every call that can fail returns a negative errno (never sets errno as
 *    its way of reporting); >= 0 is success. strerrorname_np(-ret) names
 *    it, vfio_dmabuf_explain() says what it means for the call;
 *  - every file descriptor the library creates is O_CLOEXEC, dma-bufs
 *    included: hand one to a child with fcntl(fd, F_SETFD, 0) or over a
 *    UNIX socket (SCM_RIGHTS).
 *
 * Lifetime and revocation (the kernel's rules, the same for upstream's
 * exporter and ours):
 *  - a dma-buf fd stays a valid fd until closed, whatever happens to the
 *    device; its size never changes;
 *  - its *access* lives only while the VFIO device fd that exported it is
 *    open: closing the device (vfio_dmabuf_device_close(), or the process
 *    exiting) revokes it for good. A revoke detaches nothing: importers are
 *    told through move_notify, must unmap, and find the buffer unmappable
 *    (their next map fails) for as long as it is revoked;
 *  - a reset, memory decoding switched off (PCI_COMMAND.MEMORY cleared) or
 *    the device going to low power revokes until the BAR decodes again,
 *    then importers may map again;
 *  - which importers work: dynamic importers that accept peer-to-peer
 *    (dma_buf_dynamic_attach() with allow_peer2peer: RDMA dma-buf memory
 *    regions, GPU drivers that import with P2P). Importers that pin
 *    (dma_buf_pin(), static attachments) are refused: a revoke could not
 *    take the BAR back from them. CPU access through mmap() of the dma-buf
 *    is served by vfio-pci-dmabuf (not by upstream 7.2) and faults SIGBUS
 *    while revoked.
 *
 * Binding a device to the driver is administration, not this library's
 * job: driverctl(8) (`driverctl set-override BDF vfio-pci-dmabuf`) or
 * vfio-dmabuf(1) `bind`.
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
#define VFIO_DMABUF_VERSION_MINOR	2
#define VFIO_DMABUF_VERSION_PATCH	0
#define VFIO_DMABUF_VERSION \
	((VFIO_DMABUF_VERSION_MAJOR << 16) | (VFIO_DMABUF_VERSION_MINOR << 8) | \
	 VFIO_DMABUF_VERSION_PATCH)

/* Name of the variant driver (its /sys/bus/pci/drivers/ entry). */
#define VFIO_DMABUF_DRIVER	"vfio-pci-dmabuf"
/* Bytes of a canonical PCI address "dddd:bb:dd.f" with its NUL. */
#define VFIO_DMABUF_BDF_LEN	16

/* What a call was trying to do, for vfio_dmabuf_explain(). */
enum vfio_dmabuf_op {
	VFIO_DMABUF_OP_GENERIC = 0,
	VFIO_DMABUF_OP_PROBE,
	VFIO_DMABUF_OP_EXPORT,
	VFIO_DMABUF_OP_OPEN,
	VFIO_DMABUF_OP_CMB,
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
 * request, exactly as given (@open_flags is not amended). Returns the
 * argsz used, -ENOSPC if @len is too small, or the errors of
 * vfio_dmabuf_argsz(); -EINVAL if @ranges is NULL.
 */
int vfio_dmabuf_build(void *buf, size_t len, unsigned int region,
		      const struct vfio_region_dma_range *ranges,
		      unsigned int nr, unsigned int open_flags);

/* ---- a VFIO device, opened by PCI name ---- */

/*
 * Canonical "dddd:bb:dd.f" (lower case) of a PCI address given as
 * "dddd:bb:dd.f" or "bb:dd.f" (domain 0), hexadecimal digits only, into
 * @out (@len >= VFIO_DMABUF_BDF_LEN). -EINVAL not a PCI address, -ERANGE
 * @len too small. The form sysfs and vfio_dmabuf_device_bdf() use.
 */
int vfio_dmabuf_bdf(const char *in, char *out, size_t len);

/* A VFIO device this library opened. Opaque: use the accessors below. */
struct vfio_dmabuf_device;

/* How vfio_dmabuf_device_open() reaches the device (its @flags). */
enum vfio_dmabuf_open_flags {
	/*
	 * 0, the default: /dev/vfio/<group> and a fresh type1v2 container.
	 * Every kernel; what QEMU and SPDK do by default.
	 */
	VFIO_DMABUF_OPEN_GROUP = 0,
	/*
	 * The device's cdev, /dev/vfio/devices/vfioN, bound to a fresh
	 * iommufd context (/dev/iommu) and attached to a new IOAS in it.
	 * Kernels built with CONFIG_VFIO_DEVICE_CDEV (6.6 and later; not
	 * Debian's 6.1, 6.12 or 7.2 builds): -ENOENT where the device has no
	 * cdev, or /dev/iommu is missing (modprobe iommufd).
	 */
	VFIO_DMABUF_OPEN_CDEV = 1u << 0,
};

/*
 * Open the VFIO device @bdf ("dddd:bb:dd.f" or "bb:dd.f") the way @flags
 * says and store a new handle in *@out. Errors: -EINVAL not a PCI address
 * or unknown @flags; -ENOENT no such device, or no VFIO node for it (not
 * bound to a VFIO driver); -ENXIO no IOMMU group; -EBUSY group not viable
 * (another device of the group bound to a non-VFIO driver) or the device
 * open elsewhere; -ENOMEM; others as the kernel says.
 */
int vfio_dmabuf_device_open(const char *bdf, unsigned int flags,
			    struct vfio_dmabuf_device **out);

/*
 * Close the device and free the handle (NULL is a no-op). Revokes, for
 * good, every dma-buf exported through it (see "Lifetime" above).
 */
void vfio_dmabuf_device_close(struct vfio_dmabuf_device *dev);

/* The VFIO device fd, for the calls below and the caller's own ioctls. */
int vfio_dmabuf_device_fd(const struct vfio_dmabuf_device *dev);

/* Canonical PCI name, "dddd:bb:dd.f"; valid until the handle is closed. */
const char *vfio_dmabuf_device_bdf(const struct vfio_dmabuf_device *dev);

/* VFIO_DMABUF_OPEN_GROUP or VFIO_DMABUF_OPEN_CDEV: how it was opened. */
unsigned int vfio_dmabuf_device_path(const struct vfio_dmabuf_device *dev);

/*
 * The fd through which the caller maps its own memory for the device's
 * DMA: the type1 container (group path: VFIO_IOMMU_MAP_DMA; *@ioas_id is
 * set to 0) or the iommufd (cdev path: IOMMU_IOAS_MAP into *@ioas_id, the
 * IOAS the device is attached to). @ioas_id may be NULL.
 */
int vfio_dmabuf_device_iommu_fd(const struct vfio_dmabuf_device *dev,
				uint32_t *ioas_id);

/* ---- on a VFIO device fd (opened here or by the caller) ---- */

/*
 * 0 when the device's driver serves VFIO_DEVICE_FEATURE_DMA_BUF; else the
 * kernel's answer (-ENOTTY or -EINVAL: not served, e.g. stock vfio-pci
 * before 6.19).
 */
int vfio_dmabuf_probe(int device_fd);

/*
 * Export @nr ranges of region (BAR) @region, in order, as one dma-buf.
 * @open_flags: the access mode of the new fd (O_RDWR or O_RDONLY);
 * O_CLOEXEC is always added. Returns the dma-buf fd or -errno (the
 * kernel's; -EINVAL/-EOVERFLOW from building the request; -ENOMEM).
 * When it fails, vfio_dmabuf_check() tells which range and why.
 */
int vfio_dmabuf_export(int device_fd, unsigned int region,
		       const struct vfio_region_dma_range *ranges,
		       unsigned int nr, unsigned int open_flags);

/* Export all of BAR @region as one range; as vfio_dmabuf_export(). */
int vfio_dmabuf_export_bar(int device_fd, unsigned int region,
			   unsigned int open_flags);

/*
 * Check a request the way the kernel will, in userspace, without
 * exporting: region index, region size, each range's alignment, length,
 * bounds and overflow, the range count. Returns 0 if the kernel should
 * accept it, else the -errno it would return (the first failing check in
 * the kernel's order). *@bad_range (if not NULL) is the index of the
 * range at fault, or -1 when the request as a whole is; @why (if not
 * NULL) receives one sentence naming the cause, truncated to @why_len.
 * Meant for callers who cannot read the kernel's dmesg line (non-root).
 * Cannot foresee run-time causes: a revoked or low-power device, memory.
 */
int vfio_dmabuf_check(int device_fd, unsigned int region,
		      const struct vfio_region_dma_range *ranges,
		      unsigned int nr, long *bad_range, char *why,
		      size_t why_len);

/* Size and flags of a region; -errno. */
int vfio_dmabuf_region(int device_fd, unsigned int region,
		       struct vfio_region_info *info);

/*
 * Where an NVMe controller's Controller Memory Buffer lies: its BAR in
 * *@region and its place in that BAR in *@range. Reads CAP, CMBLOC and
 * CMBSZ through the VFIO region of BAR0; on a controller that reports them
 * only after CMBMSC.CRE (NVMe 1.4) and has CMBMSC still zero, sets CRE,
 * which only makes the two registers readable. -ENODEV not an NVMe
 * controller or no CMB; -EPROTO reserved values in CMBLOC/CMBSZ.
 */
int vfio_dmabuf_nvme_cmb(int device_fd, unsigned int *region,
			 struct vfio_region_dma_range *range);

/* ---- on a dma-buf fd ---- */

/* Size of the dma-buf in bytes, or -errno. */
int64_t vfio_dmabuf_size(int dmabuf_fd);

/*
 * Exporter name from /proc/self/fdinfo: the exporting module's name,
 * "vfio_pci_dmabuf" for ours ("vfio_pci_core" for upstream's).
 * -ENOENT not a dma-buf, -ERANGE @len too small.
 */
int vfio_dmabuf_exp_name(int dmabuf_fd, char *buf, size_t len);

/* ---- errors ---- */

/* One sentence on what @err means for @op (never NULL). */
const char *vfio_dmabuf_explain(enum vfio_dmabuf_op op, int err);

#ifdef __cplusplus
}
#endif

#endif /* VFIO_DMABUF_H */
