/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Administration helpers of the vfio-dmabuf CLI: PCI names, sysfs driver
 * binding, the driver's debugfs files, range parsing. They change system
 * state or parse command lines, so they live here and not in the library.
 * Errors are -errno, as in the library.
 */
#ifndef VFIO_DMABUF_ADMIN_H
#define VFIO_DMABUF_ADMIN_H

#include <stddef.h>
#include <stdint.h>

#include <linux/vfio.h>
#include <uapi/linux/vfio_dmabuf.h>

#define ADM_DEBUGFS	"/sys/kernel/debug/vfio-pci-dmabuf"
/* Canonical PCI name "dddd:bb:dd.f" plus NUL. */
#define ADM_BDF_LEN	16

/*
 * Canonical "dddd:bb:dd.f" (lower case) from "bb:dd.f" or "dddd:bb:dd.f";
 * -EINVAL if @in is not a PCI address, -ERANGE if @len is too small.
 */
int adm_bdf(const char *in, char *out, size_t len);

/* Name of the driver bound to @bdf ("" if none); -ENOENT no such device. */
int adm_driver_of(const char *bdf, char *buf, size_t len);

/*
 * Bind @bdf to @driver through driver_override: set the override, unbind
 * the current driver, ask the PCI core to probe. -ENOENT if @driver is
 * not loaded (no /sys/bus/pci/drivers/<driver>), -ENODEV if it did not
 * take the device. Not persistent: driverctl(8) is.
 */
int adm_bind(const char *bdf, const char *driver);

/* IOMMU group number of @bdf, or -errno (-ENOENT: no group). */
int adm_iommu_group(const char *bdf);

/* Path of the driver's debugfs exports file for @bdf. */
int adm_debugfs_path(const char *bdf, char *buf, size_t len);

/* Parse "OFF:LEN" (each decimal, 0x-hex, with optional K/M/G suffix). */
int adm_parse_range(const char *s, struct vfio_region_dma_range *r);

#endif /* VFIO_DMABUF_ADMIN_H */
