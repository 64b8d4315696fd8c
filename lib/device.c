// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Opening a VFIO device by PCI name, through its group and a type1
 * container.
 */
#define _GNU_SOURCE
#include "internal.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define PCI_DEVICES	"/sys/bus/pci/devices"
/* "dddd:bb:dd.f" plus NUL. */
#define BDF_LEN		16

/*
 * One opened device: its group, the type1 container the group is set to,
 * and the device fd, all O_CLOEXEC. The cdev path, once added, will hold
 * an iommufd and an IOAS id here instead of the group and container.
 */
struct vfio_dmabuf_device {
	int device;
	int container;
	int group;
	char bdf[BDF_LEN];
};

/* Canonical "dddd:bb:dd.f" of @in ("bb:dd.f" or "dddd:bb:dd.f"). */
static int canonical_bdf(const char *in, char *out)
{
	unsigned int dom = 0, bus, dev, fn;
	int n = -1, i;

	if (!in)
		return -EINVAL;
	/* sscanf's %x takes signs and 0x: insist on plain hex first. */
	for (i = 0; in[i]; i++)
		if (!isxdigit((unsigned char)in[i]) && in[i] != ':' &&
		    in[i] != '.')
			return -EINVAL;
	if (sscanf(in, "%x:%x:%x.%x%n", &dom, &bus, &dev, &fn, &n) != 4 ||
	    in[n]) {
		dom = 0;
		n = -1;
		if (sscanf(in, "%x:%x.%x%n", &bus, &dev, &fn, &n) != 3 || in[n])
			return -EINVAL;
	}
	if (dom > 0xffff || bus > 0xff || dev > 0x1f || fn > 7)
		return -EINVAL;
	snprintf(out, BDF_LEN, "%04x:%02x:%02x.%x", dom, bus, dev, fn);
	return 0;
}

static int iommu_group_of(const char *bdf)
{
	char path[PATH_MAX], link[PATH_MAX], *base, *end;
	ssize_t n;
	long g;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/iommu_group", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return errno == ENOENT ? -ENXIO : -errno;
	link[n] = '\0';
	base = strrchr(link, '/');
	base = base ? base + 1 : link;
	g = strtol(base, &end, 10);
	if (*end || g < 0 || g > INT_MAX)
		return -EIO;
	return (int)g;
}

static int open_group(struct vfio_dmabuf_device *d)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char path[64];
	int group;

	group = iommu_group_of(d->bdf);
	if (group < 0)
		return group;
	snprintf(path, sizeof(path), "/dev/vfio/%d", group);
	d->group = open(path, O_RDWR | O_CLOEXEC);
	if (d->group < 0)
		return -errno;
	if (ioctl(d->group, VFIO_GROUP_GET_STATUS, &status))
		return -errno;
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE))
		return -EBUSY;
	d->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (d->container < 0)
		return -errno;
	if (ioctl(d->group, VFIO_GROUP_SET_CONTAINER, &d->container) ||
	    ioctl(d->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		return -errno;
	d->device = ioctl(d->group, VFIO_GROUP_GET_DEVICE_FD, d->bdf);
	if (d->device < 0)
		return -errno;
	return 0;
}

static void close_fds(struct vfio_dmabuf_device *d)
{
	/* The device before its group, the group before the container. */
	if (d->device >= 0)
		close(d->device);
	if (d->group >= 0)
		close(d->group);
	if (d->container >= 0)
		close(d->container);
	d->device = d->group = d->container = -1;
}

int vfio_dmabuf_device_open(const char *bdf, unsigned int flags,
			    struct vfio_dmabuf_device **out)
{
	struct vfio_dmabuf_device *d;
	char path[PATH_MAX];
	struct stat st;
	int ret;

	if (!out || flags)
		return -EINVAL;
	*out = NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->device = d->group = d->container = -1;
	ret = canonical_bdf(bdf, d->bdf);
	if (ret)
		goto err;
	snprintf(path, sizeof(path), PCI_DEVICES "/%s", d->bdf);
	if (stat(path, &st)) {
		ret = -errno;
		goto err;
	}
	ret = open_group(d);
	if (ret)
		goto err;
	*out = d;
	return 0;
err:
	close_fds(d);
	free(d);
	return ret;
}

void vfio_dmabuf_device_close(struct vfio_dmabuf_device *dev)
{
	if (!dev)
		return;
	close_fds(dev);
	free(dev);
}

int vfio_dmabuf_device_fd(const struct vfio_dmabuf_device *dev)
{
	return dev ? dev->device : -EBADF;
}

const char *vfio_dmabuf_device_bdf(const struct vfio_dmabuf_device *dev)
{
	return dev ? dev->bdf : "";
}

int vfio_dmabuf_device_iommu_fd(const struct vfio_dmabuf_device *dev,
				uint32_t *ioas_id)
{
	if (!dev)
		return -EBADF;
	if (ioas_id)
		*ioas_id = 0;
	return dev->container;
}
