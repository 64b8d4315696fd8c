// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Opening a VFIO device by PCI name: through its group and a type1
 * container (every kernel), or through its cdev bound to an iommufd
 * context (kernels with CONFIG_VFIO_DEVICE_CDEV).
 */
#define _GNU_SOURCE
#include "internal.h"

#include <ctype.h>
#include <dirent.h>
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

/*
 * iommufd and the VFIO cdev ioctls (Linux 6.6). Debian 12's uapi headers
 * (6.1) lack them; numbers and layouts are ABI. Prefixed so that newer
 * headers' own definitions do not clash.
 */
struct vd_bind_iommufd {		/* struct vfio_device_bind_iommufd */
	uint32_t argsz;
	uint32_t flags;
	int32_t iommufd;
	uint32_t out_devid;
};
struct vd_attach_pt {			/* struct vfio_device_attach_iommufd_pt */
	uint32_t argsz;
	uint32_t flags;
	uint32_t pt_id;
};
struct vd_ioas_alloc {			/* struct iommu_ioas_alloc */
	uint32_t size;
	uint32_t flags;
	uint32_t out_ioas_id;
};
#define VD_DEVICE_BIND_IOMMUFD		_IO(VFIO_TYPE, VFIO_BASE + 18)
#define VD_DEVICE_ATTACH_IOMMUFD_PT	_IO(VFIO_TYPE, VFIO_BASE + 19)
#define VD_IOMMU_IOAS_ALLOC		_IO(';', 0x81)

/*
 * One opened device, every fd O_CLOEXEC. The group path fills group and
 * container, the cdev path iommufd and ioas_id; the other pair stays -1
 * (and 0).
 */
struct vfio_dmabuf_device {
	int device;
	int container;
	int group;
	int iommufd;
	uint32_t ioas_id;
	unsigned int path;	/* VFIO_DMABUF_OPEN_GROUP or _CDEV */
	char bdf[VFIO_DMABUF_BDF_LEN];
};

int vfio_dmabuf_bdf(const char *in, char *out, size_t len)
{
	unsigned int dom = 0, bus, dev, fn;
	int n = -1, i;

	if (!in || !out)
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
	if (len < VFIO_DMABUF_BDF_LEN)
		return -ERANGE;
	snprintf(out, len, "%04x:%02x:%02x.%x", dom, bus, dev, fn);
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

/* "vfioN", the name of @bdf's cdev (its sysfs vfio-dev/ folder). */
static int cdev_name(const char *bdf, char *name, size_t len)
{
	char path[PATH_MAX];
	struct dirent *e;
	int ret = -ENOENT;
	DIR *dir;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/vfio-dev", bdf);
	dir = opendir(path);
	if (!dir)
		return -ENOENT;
	while ((e = readdir(dir))) {
		if (strncmp(e->d_name, "vfio", 4) || strlen(e->d_name) >= len)
			continue;
		strcpy(name, e->d_name);
		ret = 0;
		break;
	}
	closedir(dir);
	return ret;
}

/*
 * The cdev path: bind the device to a new iommufd context (the device is
 * usable from then on), then attach it to a new IOAS so that the caller
 * can map memory for the device's own DMA.
 */
static int open_cdev(struct vfio_dmabuf_device *d)
{
	struct vd_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct vd_attach_pt at = { .argsz = sizeof(at) };
	struct vd_ioas_alloc ioas = { .size = sizeof(ioas) };
	char name[32], path[64];
	int ret;

	ret = cdev_name(d->bdf, name, sizeof(name));
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "/dev/vfio/devices/%s", name);
	d->device = open(path, O_RDWR | O_CLOEXEC);
	if (d->device < 0)
		return -errno;
	d->iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (d->iommufd < 0)
		return -errno;
	bind.iommufd = d->iommufd;
	if (ioctl(d->device, VD_DEVICE_BIND_IOMMUFD, &bind) ||
	    ioctl(d->iommufd, VD_IOMMU_IOAS_ALLOC, &ioas))
		return -errno;
	at.pt_id = ioas.out_ioas_id;
	if (ioctl(d->device, VD_DEVICE_ATTACH_IOMMUFD_PT, &at))
		return -errno;
	d->ioas_id = ioas.out_ioas_id;
	d->path = VFIO_DMABUF_OPEN_CDEV;
	return 0;
}

static void close_fds(struct vfio_dmabuf_device *d)
{
	/*
	 * The device first: closing it unbinds it from its iommufd context
	 * or releases it from its group, before those go.
	 */
	if (d->device >= 0)
		close(d->device);
	if (d->group >= 0)
		close(d->group);
	if (d->container >= 0)
		close(d->container);
	if (d->iommufd >= 0)
		close(d->iommufd);
	d->device = d->group = d->container = d->iommufd = -1;
}

int vfio_dmabuf_device_open(const char *bdf, unsigned int flags,
			    struct vfio_dmabuf_device **out)
{
	struct vfio_dmabuf_device *d;
	char path[PATH_MAX];
	struct stat st;
	int ret;

	if (!out || (flags & ~VFIO_DMABUF_OPEN_CDEV))
		return -EINVAL;
	*out = NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->device = d->group = d->container = d->iommufd = -1;
	ret = vfio_dmabuf_bdf(bdf, d->bdf, sizeof(d->bdf));
	if (ret)
		goto err;
	snprintf(path, sizeof(path), PCI_DEVICES "/%s", d->bdf);
	if (stat(path, &st)) {
		ret = -errno;
		goto err;
	}
	ret = flags & VFIO_DMABUF_OPEN_CDEV ? open_cdev(d) : open_group(d);
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

unsigned int vfio_dmabuf_device_path(const struct vfio_dmabuf_device *dev)
{
	return dev ? dev->path : VFIO_DMABUF_OPEN_GROUP;
}

int vfio_dmabuf_device_iommu_fd(const struct vfio_dmabuf_device *dev,
				uint32_t *ioas_id)
{
	if (!dev)
		return -EBADF;
	if (ioas_id)
		*ioas_id = dev->ioas_id;
	return dev->path == VFIO_DMABUF_OPEN_CDEV ? dev->iommufd :
						     dev->container;
}
