// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What an errno means for the call that returned it, in one sentence a
 * user can act on. Names of errnos: strerrorname_np() (glibc 2.32).
 */
#include "internal.h"

#include <errno.h>

const char *vfio_dmabuf_explain(enum vfio_dmabuf_op op, int err)
{
	if (err < 0)
		err = -err;
	switch (op) {
	case VFIO_DMABUF_OP_PROBE:
		switch (err) {
		case ENOTTY:
		case EINVAL:
			return "the device's driver does not serve VFIO_DEVICE_FEATURE_DMA_BUF "
			       "(stock vfio-pci before Linux 6.19?); bind it to " VFIO_DMABUF_DRIVER;
		}
		break;
	case VFIO_DMABUF_OP_EXPORT:
		switch (err) {
		case EINVAL:
			return "range not page aligned, zero, or beyond the BAR, "
			       "or a total of 2^63 bytes or more, or an I/O port BAR; "
			       "vfio_dmabuf_check() names the range";
		case ENODEV:
			return "region is not a BAR (ROM, config, VGA and device regions cannot be exported), "
			       "or the BAR is empty or its region busy; see dmesg";
		case EOVERFLOW:
			return "offset + length of a range overflows the BAR's physical address";
		case ENOTTY:
			return "the device's driver does not serve VFIO_DEVICE_FEATURE_DMA_BUF; "
			       "bind it to " VFIO_DMABUF_DRIVER;
		case EMFILE:
		case ENFILE:
			return "no file descriptor left for the dma-buf";
		case ENOMEM:
			return "out of memory, or more ranges than one request may hold "
			       "(what one kmalloc() holds: 262144 on x86-64)";
		}
		break;
	case VFIO_DMABUF_OP_OPEN:
		switch (err) {
		case ENOENT:
			return "no such PCI device, or its IOMMU group has no /dev/vfio node "
			       "(not bound to a VFIO driver? driverctl set-override BDF " VFIO_DMABUF_DRIVER ")";
		case ENXIO:
			return "the device has no IOMMU group (IOMMU off? boot with intel_iommu=on)";
		case EBUSY:
			return "the IOMMU group is not viable (another device of the group is bound to "
			       "a non-VFIO driver) or the device is already open elsewhere";
		case EACCES:
		case EPERM:
			return "no permission on /dev/vfio (run as root or fix the group's owner)";
		case EINVAL:
			return "not a PCI address (expected dddd:bb:dd.f or bb:dd.f), "
			       "or the device is not in that group";
		case ENODEV:
			return "VFIO type1 IOMMU backend unavailable (modprobe vfio_iommu_type1)";
		}
		break;
	case VFIO_DMABUF_OP_CMB:
		switch (err) {
		case ENODEV:
			return "not an NVMe controller, or it has no Controller Memory Buffer "
			       "(CAP.CMBS clear or CMBSZ zero)";
		case EPROTO:
			return "the controller reports reserved values in CMBLOC or CMBSZ";
		}
		break;
	case VFIO_DMABUF_OP_GENERIC:
		break;
	}
	switch (err) {
	case EINVAL:
		return "invalid argument";
	case ENOMEM:
		return "out of memory";
	case EBADF:
		return "not an open file descriptor";
	case EPERM:
	case EACCES:
		return "permission denied";
	case ENOENT:
		return "no such file or device";
	case ENODEV:
		return "no such device, or the device is gone";
	case EBUSY:
		return "device or resource busy";
	case ERANGE:
		return "buffer too small";
	case EOVERFLOW:
		return "value too large";
	case ENOSPC:
		return "buffer too small for the request";
	case ENOTTY:
		return "ioctl not supported by this file";
	}
	return "unexpected error";
}
