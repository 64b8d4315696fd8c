// SPDX-License-Identifier: GPL-2.0-only
/*
 * Linux 6.17 ("vfio/pci: Do vf_token checks for VFIO_DEVICE_BIND_IOMMUFD")
 * moved the VF token check into a match_token_uuid op, which
 * vfio_pci_core_match() calls without checking it is set: a driver that
 * uses vfio_pci_core_match() must also set it.
 */
#include <linux/module.h>
#include <linux/vfio_pci_core.h>

static const struct vfio_device_ops probe_ops __maybe_unused = {
	.match			= vfio_pci_core_match,
	.match_token_uuid	= vfio_pci_core_match_token_uuid,
};

MODULE_LICENSE("GPL");
