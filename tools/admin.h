/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Administration helpers of the vfio-dmabuf CLI: sysfs driver binding, the
 * driver's debugfs files, number and range parsing. They
 * change system state or parse command lines, so they live here and not in
 * the library. Errors are -errno, as in the library.
 */
#ifndef VFIO_DMABUF_ADMIN_H
#define VFIO_DMABUF_ADMIN_H

#include <stddef.h>
#include <stdint.h>

/* Ranges are the uapi's struct vfio_region_dma_range; PCI names the library's. */
#include "vfio-dmabuf.h"

#define ADM_DEBUGFS	"/sys/kernel/debug/vfio-pci-dmabuf"
#define ADM_MODULE	"/sys/module/vfio_pci_dmabuf"
#define ADM_PCI_DEVICES	"/sys/bus/pci/devices"
#define ADM_PCI_DRIVERS	"/sys/bus/pci/drivers"
/* A driver's name as sysfs shows it, plus NUL (sysfs names are short). */
#define ADM_NAME_LEN	64

/* 0 if /sys/bus/pci/devices/@bdf exists, -ENODEV if not, else -errno. */
int adm_device_exists(const char *bdf);

/* 0 if the PCI driver @driver is registered (loaded), -ENOENT if not. */
int adm_driver_loaded(const char *driver);

/* Name of the driver bound to @bdf ("" if none); -ENODEV no such device. */
int adm_driver_of(const char *bdf, char *buf, size_t len);

/* @bdf's driver_override ("" when unset); -ENODEV no such device. */
int adm_driver_override(const char *bdf, char *buf, size_t len);

/* What adm_bind() did, for the caller to report. */
struct adm_bind_report {
	char before[ADM_NAME_LEN];	/* driver before the call ("" none) */
	char override[ADM_NAME_LEN];	/* driver_override before ("" unset) */
	char after[ADM_NAME_LEN];	/* driver after it, rollback included */
	/*
	 * 0: no rollback was needed; 1: the new driver refused the device and
	 * the previous state is back (override restored, previous driver
	 * reprobed); -errno: that rollback failed, see @after.
	 */
	int rollback;
};

/*
 * Bind @bdf to @driver through driver_override: set the override, unbind
 * the current driver, ask the PCI core to probe. When @driver does not
 * take the device, restore the previous override and driver. Errors:
 * -EINVAL bad name, -ENODEV no such device, -ENOENT @driver not loaded
 * (no /sys/bus/pci/drivers/<driver>), -ENXIO @driver refused the device
 * (@rep says whether the rollback worked). Not persistent: driverctl(8) is.
 * Safety checks (adm_in_use()) are the caller's.
 */
int adm_bind(const char *bdf, const char *driver, struct adm_bind_report *rep);

/*
 * Release @bdf: unbind it from its driver (if any) and clear its
 * driver_override, so that no driver takes it until asked. The driver it
 * had is stored in @was (may be NULL). -ENODEV no such device.
 */
int adm_unbind(const char *bdf, char *was, size_t was_len);

/* IOMMU group number of @bdf, or -errno (-ENOENT: no group). */
int adm_iommu_group(const char *bdf);

/* Path of the driver's debugfs exports file for @bdf. */
int adm_debugfs_path(const char *bdf, char *buf, size_t len);

/*
 * Numbers on the command line: decimal, or hexadecimal with a 0x prefix.
 * Never octal: a leading zero means nothing ("010" is ten). No sign, no
 * blanks, nothing after the digits. -EINVAL not such a number, -ERANGE
 * beyond @max.
 */
int adm_parse_u64(const char *s, uint64_t max, uint64_t *v);

/*
 * A size or offset: a number as adm_parse_u64() takes, optionally followed
 * by K, M or G (binary: 2^10, 2^20, 2^30; either case). -EOVERFLOW when
 * the product does not fit 64 bits.
 */
int adm_parse_size(const char *s, uint64_t *v);

/* Parse "OFF:LEN", each an adm_parse_size() number. */
int adm_parse_range(const char *s, struct vfio_region_dma_range *r);

#endif /* VFIO_DMABUF_ADMIN_H */
