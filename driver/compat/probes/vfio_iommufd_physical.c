// SPDX-License-Identifier: GPL-2.0-only
/*
 * Linux 6.2 ("vfio-iommufd: Support iommufd for physical VFIO devices")
 * added the bind_iommufd, unbind_iommufd and attach_ioas ops and the
 * vfio_iommufd_physical_* helpers that physical-device drivers use.
 */
#include <linux/module.h>
#include <linux/vfio.h>

static const struct vfio_device_ops probe_ops __maybe_unused = {
	.bind_iommufd	= vfio_iommufd_physical_bind,
	.unbind_iommufd	= vfio_iommufd_physical_unbind,
	.attach_ioas	= vfio_iommufd_physical_attach_ioas,
};

MODULE_LICENSE("GPL");
