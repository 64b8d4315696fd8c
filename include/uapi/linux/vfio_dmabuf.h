/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * VFIO_DEVICE_FEATURE_DMA_BUF uapi for kernels whose <linux/vfio.h>
 * predates it (upstream Linux 6.19).
 *
 * The definitions below are only made when the system header lacks them, and
 * they are identical in number and layout to upstream, so a binary built
 * against either header works with either kernel.  Usable from the kernel
 * (out-of-tree module) and from userspace.
 */
#ifndef _UAPI_LINUX_VFIO_DMABUF_H
#define _UAPI_LINUX_VFIO_DMABUF_H

#include <linux/types.h>
#include <linux/vfio.h>

#ifndef VFIO_DEVICE_FEATURE_DMA_BUF

/*
 * Export a set of ranges of a PCI BAR as a dma-buf.  Use with
 * VFIO_DEVICE_FEATURE_GET; on success the ioctl returns the new dma-buf file
 * descriptor.  PROBE | GET returns 0 when the feature is supported.
 */
#define VFIO_DEVICE_FEATURE_DMA_BUF 11

struct vfio_region_dma_range {
	__u64 offset;		/* from the start of the region (BAR) */
	__u64 length;
};

struct vfio_device_feature_dma_buf {
	__u32 region_index;	/* VFIO_PCI_BAR0_REGION_INDEX .. BAR5 */
	__u32 open_flags;	/* O_CLOEXEC and O_ACCMODE bits for the fd */
	__u32 flags;		/* reserved, must be 0 */
	__u32 nr_ranges;
	struct vfio_region_dma_range dma_ranges[];
};

#endif /* VFIO_DEVICE_FEATURE_DMA_BUF */

#endif /* _UAPI_LINUX_VFIO_DMABUF_H */
