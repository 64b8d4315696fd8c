// SPDX-License-Identifier: GPL-2.0-only
/*
 * Linux 6.6 ("vfio: Add detach_ioas support for physical VFIO devices")
 * added the detach_ioas op and vfio_iommufd_physical_detach_ioas().
 */
#include <linux/module.h>
#include <linux/vfio.h>

static const struct vfio_device_ops probe_ops __maybe_unused = {
	.detach_ioas	= vfio_iommufd_physical_detach_ioas,
};

MODULE_LICENSE("GPL");
