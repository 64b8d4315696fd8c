// SPDX-License-Identifier: GPL-2.0-only
/*
 * Linux 6.15 ("vfio: VFIO_DEVICE_[AT|DE]TACH_IOMMUFD_PT support pasid")
 * added the pasid_attach_ioas and pasid_detach_ioas ops, which stock
 * vfio-pci sets to the vfio_iommufd_physical_pasid_* helpers.
 */
#include <linux/module.h>
#include <linux/vfio.h>

static const struct vfio_device_ops probe_ops __maybe_unused = {
	.pasid_attach_ioas	= vfio_iommufd_physical_pasid_attach_ioas,
	.pasid_detach_ioas	= vfio_iommufd_physical_pasid_detach_ioas,
};

MODULE_LICENSE("GPL");
