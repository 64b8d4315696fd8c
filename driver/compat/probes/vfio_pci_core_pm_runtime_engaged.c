// SPDX-License-Identifier: GPL-2.0-only
/*
 * Linux 6.0 ("vfio/pci: Implement VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY/EXIT")
 * added the low-power features and vfio_pci_core_device::pm_runtime_engaged.
 */
#include <linux/module.h>
#include <linux/vfio_pci_core.h>

bool probe_fn(struct vfio_pci_core_device *vdev);
bool probe_fn(struct vfio_pci_core_device *vdev)
{
	return vdev->pm_runtime_engaged &&
	       VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP;
}

MODULE_LICENSE("GPL");
