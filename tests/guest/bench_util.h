/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the in-guest test programs: find PCI devices, poke
 * sysfs, bind a device to a VFIO driver and open it through the VFIO
 * group/container API. Every helper returns a negative errno on failure.
 */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PCI_VID_REDHAT_QUMRANET	0x1af4
#define PCI_DID_IVSHMEM		0x1110
#define PCI_VID_QEMU_EDU	0x1234
#define PCI_DID_EDU		0x11e8
#define PCI_VID_REDHAT		0x1b36
#define PCI_DID_QEMU_NVME	0x0010
#define PCI_DID_QEMU_TESTDEV	0x0005

#define EDU_REG_ID		0x00
#define EDU_REG_LIVENESS	0x04
#define EDU_ID_VALUE		0x010000edu

/* A VFIO device opened through its group and a fresh type1 container. */
struct bench_vfio {
	int container;
	int group;
	int device;
};

/* Fill @bdf (>= 16 bytes) with the @nth (0-based) device @vid:@did. */
int bench_find_pci(uint16_t vid, uint16_t did, int nth, char *bdf, size_t len);
int bench_sysfs_read(const char *path, char *buf, size_t len);
int bench_sysfs_write(const char *path, const char *val);
/* IOMMU group number of @bdf; number of devices in that group in @count. */
int bench_iommu_group(const char *bdf, int *count);
/* The driver @bdf is bound to ("" when none). */
int bench_driver_of(const char *bdf, char *drv, size_t len);
/* Bind @bdf to @driver through driver_override (unbinding it first). */
int bench_bind(const char *bdf, const char *driver);
int bench_unbind(const char *bdf);
int bench_vfio_open(const char *bdf, struct bench_vfio *v);
void bench_vfio_close(struct bench_vfio *v);
/* mmap a whole VFIO region (BAR) of an open device. */
void *bench_vfio_mmap_region(int device, unsigned int index, size_t *size);
/* Load a module with optional parameters (runs modprobe). */
int bench_modprobe(const char *module, const char *params);
int bench_rmmod(const char *module);
/* Ask the host to run a QMP command (device_del ID) and return at once. */
int bench_host_request(const char *request);

#endif
