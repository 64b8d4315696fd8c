/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Is a PCI device serving something active through its host driver? The
 * safety check `bind` and `unbind` make before they take a device away
 * from its driver: a network interface that is up, a block device that
 * is mounted, used as swap or held by another block device (device
 * mapper, md). Sysfs and procfs are read below a root given by the caller
 * ("" on a live system), so tests can build a fake one.
 */
#ifndef VFIO_DMABUF_INUSE_H
#define VFIO_DMABUF_INUSE_H

#define ADM_USES_MAX	16

struct adm_use {
	char kind[8];		/* "net", "mount", "swap", "holder" */
	char name[64];		/* interface or block device name */
	char detail[192];	/* e.g. "up (operstate up)", "mounted on /mnt" */
};

struct adm_uses {
	unsigned int nr;	/* how many were found (may exceed the array) */
	struct adm_use use[ADM_USES_MAX];
};

/*
 * Fill @u with what @bdf (canonical name) serves: interfaces whose sysfs
 * device is @bdf or below it with IFF_UP set; block devices and partitions
 * below @bdf that appear in @root/proc/self/mountinfo (by major:minor or
 * as /dev/NAME), in @root/proc/swaps, or have holders. Returns u->nr, or
 * -ENODEV when @root/sys/bus/pci/devices/@bdf does not exist.
 */
int adm_in_use(const char *root, const char *bdf, struct adm_uses *u);

#endif /* VFIO_DMABUF_INUSE_H */
