// SPDX-License-Identifier: GPL-2.0-only
/*
 * Linux 6.19 ("vfio: Add get_region_info_caps op") moved
 * VFIO_DEVICE_GET_REGION_INFO out of the drivers' ioctl: the vfio core
 * answers it through the get_region_info_caps op (EINVAL without one), and
 * vfio_pci_core_ioctl() no longer handles it.
 */
#include <linux/module.h>
#include <linux/vfio_pci_core.h>

static const struct vfio_device_ops probe_ops __maybe_unused = {
	.get_region_info_caps	= vfio_pci_ioctl_get_region_info,
};

MODULE_LICENSE("GPL");
