// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvfio-dmabuf: see vfio-dmabuf.h. No global state; errors are -errno.
 */
#define _GNU_SOURCE
#include "vfio-dmabuf.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define PCI_DEVICES	"/sys/bus/pci/devices"
#define PCI_DRIVERS	"/sys/bus/pci/drivers"

/* ---- feature structure ---- */

int vfio_dmabuf_argsz(unsigned int nr, uint32_t *argsz)
{
	const uint64_t fixed = sizeof(struct vfio_device_feature) +
			       sizeof(struct vfio_device_feature_dma_buf);
	uint64_t total;

	if (!nr)
		return -EINVAL;
	/* nr < 2^32 and a range is 16 bytes: no 64-bit overflow possible. */
	total = fixed + (uint64_t)nr * sizeof(struct vfio_region_dma_range);
	if (total > UINT32_MAX)
		return -EOVERFLOW;
	if (argsz)
		*argsz = (uint32_t)total;
	return 0;
}

int vfio_dmabuf_build(void *buf, size_t len, unsigned int region,
		      const struct vfio_region_dma_range *ranges,
		      unsigned int nr, unsigned int open_flags)
{
	struct vfio_device_feature *feat = buf;
	struct vfio_device_feature_dma_buf *db;
	uint32_t argsz;
	int ret;

	ret = vfio_dmabuf_argsz(nr, &argsz);
	if (ret)
		return ret;
	if (!buf || !ranges)
		return -EINVAL;
	if (len < argsz)
		return -ENOSPC;
	if (argsz > INT_MAX)
		return -EOVERFLOW;
	memset(buf, 0, argsz);
	feat->argsz = argsz;
	feat->flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF;
	db = (struct vfio_device_feature_dma_buf *)feat->data;
	db->region_index = region;
	db->open_flags = open_flags;
	db->flags = 0;
	db->nr_ranges = nr;
	memcpy(db->dma_ranges, ranges, (size_t)nr * sizeof(*ranges));
	return (int)argsz;
}

/* ---- device fd ---- */

int vfio_dmabuf_probe(int device_fd)
{
	struct vfio_device_feature feat = {
		.argsz = sizeof(feat),
		.flags = VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_GET |
			 VFIO_DEVICE_FEATURE_DMA_BUF,
	};

	if (device_fd < 0)
		return -EBADF;
	return ioctl(device_fd, VFIO_DEVICE_FEATURE, &feat) ? -errno : 0;
}

int vfio_dmabuf_export(int device_fd, unsigned int region,
		       const struct vfio_region_dma_range *ranges,
		       unsigned int nr, unsigned int open_flags)
{
	uint32_t argsz;
	void *buf;
	int ret;

	if (device_fd < 0)
		return -EBADF;
	ret = vfio_dmabuf_argsz(nr, &argsz);
	if (ret)
		return ret;
	buf = aligned_alloc(8, (argsz + 7) & ~(size_t)7);
	if (!buf)
		return -ENOMEM;
	ret = vfio_dmabuf_build(buf, argsz, region, ranges, nr, open_flags);
	if (ret >= 0) {
		ret = ioctl(device_fd, VFIO_DEVICE_FEATURE, buf);
		if (ret < 0)
			ret = -errno;
	}
	free(buf);
	return ret;
}

int vfio_dmabuf_region(int device_fd, unsigned int region,
		       struct vfio_region_info *info)
{
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	info->index = region;
	return ioctl(device_fd, VFIO_DEVICE_GET_REGION_INFO, info) ? -errno : 0;
}

/* ---- dma-buf fd ---- */

/* Value of "key:" in /proc/self/fdinfo/<fd>, whitespace-trimmed. */
static int fdinfo_field(int fd, const char *key, char *out, size_t len)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	int ret = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *v, *end;

		if (strncmp(line, key, klen) || line[klen] != ':')
			continue;
		v = line + klen + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		end = v + strlen(v);
		while (end > v && isspace((unsigned char)end[-1]))
			*--end = '\0';
		if ((size_t)(end - v) + 1 > len) {
			ret = -ERANGE;
		} else {
			memcpy(out, v, (size_t)(end - v) + 1);
			ret = 0;
		}
		break;
	}
	fclose(f);
	return ret;
}

int64_t vfio_dmabuf_size(int dmabuf_fd)
{
	char buf[32], *end;
	off_t size;
	int ret;

	/* dma-buf's llseek answers SEEK_END with the size. */
	size = lseek(dmabuf_fd, 0, SEEK_END);
	if (size >= 0) {
		lseek(dmabuf_fd, 0, SEEK_SET);
		return size;
	}
	if (errno == EBADF)
		return -EBADF;
	ret = fdinfo_field(dmabuf_fd, "size", buf, sizeof(buf));
	if (ret)
		return ret;
	errno = 0;
	size = (off_t)strtoll(buf, &end, 0);
	if (errno || *end || size < 0)
		return -EIO;
	return size;
}

int vfio_dmabuf_exp_name(int dmabuf_fd, char *buf, size_t len)
{
	if (dmabuf_fd < 0)
		return -EBADF;
	if (!buf || !len)
		return -EINVAL;
	return fdinfo_field(dmabuf_fd, "exp_name", buf, len);
}

/* ---- sysfs ---- */

static int write_str(const char *path, const char *val)
{
	size_t len = strlen(val);
	ssize_t n;
	int fd, err;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, len);
	err = errno;
	close(fd);
	if (n < 0)
		return -err;
	return (size_t)n == len ? 0 : -EIO;
}

int vfio_dmabuf_bdf(const char *in, char *out, size_t len)
{
	unsigned int dom = 0, bus, dev, fn;
	int n = -1, m;

	if (!in)
		return -EINVAL;
	if (sscanf(in, "%x:%x:%x.%x%n", &dom, &bus, &dev, &fn, &n) != 4 ||
	    in[n]) {
		dom = 0;
		n = -1;
		if (sscanf(in, "%x:%x.%x%n", &bus, &dev, &fn, &n) != 3 || in[n])
			return -EINVAL;
	}
	/* sscanf %x accepts signs and 0x prefixes: insist on plain hex. */
	for (m = 0; in[m]; m++)
		if (!isxdigit((unsigned char)in[m]) && in[m] != ':' &&
		    in[m] != '.')
			return -EINVAL;
	if (dom > 0xffff || bus > 0xff || dev > 0x1f || fn > 7)
		return -EINVAL;
	if (len < VFIO_DMABUF_BDF_LEN)
		return -ERANGE;
	snprintf(out, len, "%04x:%02x:%02x.%x", dom, bus, dev, fn);
	return 0;
}

static int device_exists(const char *bdf)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s", bdf);
	return stat(path, &st) ? -errno : 0;
}

int vfio_dmabuf_driver_of(const char *bdf, char *buf, size_t len)
{
	char path[PATH_MAX], link[PATH_MAX], name[VFIO_DMABUF_BDF_LEN];
	const char *base;
	ssize_t n;
	int ret;

	ret = vfio_dmabuf_bdf(bdf, name, sizeof(name));
	if (ret)
		return ret;
	ret = device_exists(name);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver", name);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0) {
		if (errno != ENOENT)
			return -errno;
		link[0] = '\0';
		n = 0;
	}
	link[n] = '\0';
	base = strrchr(link, '/');
	base = base ? base + 1 : link;
	if (strlen(base) + 1 > len)
		return -ERANGE;
	strcpy(buf, base);
	return 0;
}

int vfio_dmabuf_bind(const char *bdf, const char *driver)
{
	char path[PATH_MAX], cur[256], name[VFIO_DMABUF_BDF_LEN];
	struct stat st;
	int ret;

	if (!driver)
		driver = VFIO_DMABUF_DRIVER;
	if (!*driver || strchr(driver, '/'))
		return -EINVAL;
	ret = vfio_dmabuf_bdf(bdf, name, sizeof(name));
	if (ret)
		return ret;
	ret = vfio_dmabuf_driver_of(name, cur, sizeof(cur));
	if (ret)
		return ret;
	snprintf(path, sizeof(path), PCI_DRIVERS "/%s", driver);
	if (stat(path, &st))
		return -ENOENT;

	/* Same steps as driverctl set-override, minus the persistence. */
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver_override", name);
	ret = write_str(path, driver);
	if (ret)
		return ret;
	if (!strcmp(cur, driver))
		return 0;
	if (cur[0]) {
		snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver/unbind",
			 name);
		ret = write_str(path, name);
		if (ret && ret != -ENODEV)
			return ret;
	}
	/* drivers_probe fails when no driver takes it: judge by the result. */
	write_str("/sys/bus/pci/drivers_probe", name);
	ret = vfio_dmabuf_driver_of(name, cur, sizeof(cur));
	if (ret)
		return ret;
	return strcmp(cur, driver) ? -ENODEV : 0;
}

int vfio_dmabuf_debugfs_path(const char *bdf, char *buf, size_t len)
{
	char name[VFIO_DMABUF_BDF_LEN];
	int ret, n;

	ret = vfio_dmabuf_bdf(bdf, name, sizeof(name));
	if (ret)
		return ret;
	n = snprintf(buf, len, VFIO_DMABUF_DEBUGFS "/%s/exports", name);
	return n < 0 || (size_t)n >= len ? -ERANGE : 0;
}

/* ---- VFIO group/container ---- */

static int iommu_group_of(const char *bdf)
{
	char path[PATH_MAX], link[PATH_MAX], *base, *end;
	ssize_t n;
	long g;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/iommu_group", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = '\0';
	base = strrchr(link, '/');
	base = base ? base + 1 : link;
	g = strtol(base, &end, 10);
	if (*end || g < 0 || g > INT_MAX)
		return -EIO;
	return (int)g;
}

void vfio_dmabuf_close_device(struct vfio_dmabuf_dev *dev)
{
	if (!dev)
		return;
	if (dev->device > 0)
		close(dev->device);
	if (dev->group > 0)
		close(dev->group);
	if (dev->container > 0)
		close(dev->container);
	dev->device = dev->group = dev->container = -1;
}

int vfio_dmabuf_open_device(const char *bdf, struct vfio_dmabuf_dev *out)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char path[64];
	int ret;

	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->container = out->group = out->device = -1;
	ret = vfio_dmabuf_bdf(bdf, out->bdf, sizeof(out->bdf));
	if (ret)
		return ret;
	ret = device_exists(out->bdf);
	if (ret)
		return ret;
	ret = iommu_group_of(out->bdf);
	if (ret < 0)
		return ret == -ENOENT ? -ENXIO : ret;
	out->group_id = ret;

	snprintf(path, sizeof(path), "/dev/vfio/%d", out->group_id);
	out->group = open(path, O_RDWR | O_CLOEXEC);
	if (out->group < 0)
		goto err;
	if (ioctl(out->group, VFIO_GROUP_GET_STATUS, &status))
		goto err;
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		errno = EBUSY;
		goto err;
	}
	out->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (out->container < 0)
		goto err;
	if (ioctl(out->group, VFIO_GROUP_SET_CONTAINER, &out->container))
		goto err;
	if (ioctl(out->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		goto err;
	out->device = ioctl(out->group, VFIO_GROUP_GET_DEVICE_FD, out->bdf);
	if (out->device < 0)
		goto err;
	return 0;
err:
	ret = -errno;
	vfio_dmabuf_close_device(out);
	return ret;
}

/* ---- errors ---- */

const char *vfio_dmabuf_errname(int err)
{
	static const struct { int e; const char *n; } names[] = {
		{ EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { EINTR, "EINTR" },
		{ EIO, "EIO" }, { ENXIO, "ENXIO" }, { E2BIG, "E2BIG" },
		{ EBADF, "EBADF" }, { EAGAIN, "EAGAIN" }, { ENOMEM, "ENOMEM" },
		{ EACCES, "EACCES" }, { EFAULT, "EFAULT" }, { EBUSY, "EBUSY" },
		{ EEXIST, "EEXIST" }, { ENODEV, "ENODEV" }, { EINVAL, "EINVAL" },
		{ EMFILE, "EMFILE" }, { ENFILE, "ENFILE" }, { ENOTTY, "ENOTTY" },
		{ ENOSPC, "ENOSPC" }, { ERANGE, "ERANGE" }, { ENOSYS, "ENOSYS" },
		{ EOVERFLOW, "EOVERFLOW" }, { EOPNOTSUPP, "EOPNOTSUPP" },
		{ ETIMEDOUT, "ETIMEDOUT" }, { ESTALE, "ESTALE" },
		{ EROFS, "EROFS" }, { ENOTDIR, "ENOTDIR" },
	};
	size_t i;

	if (err < 0)
		err = -err;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].e == err)
			return names[i].n;
	return "E?";
}

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
			       "or a total of 2^63 bytes or more, or an I/O port BAR; see dmesg";
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
			       "(not bound to a VFIO driver? try `vfio-dmabuf bind`)";
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
	case VFIO_DMABUF_OP_BIND:
		switch (err) {
		case ENOENT:
			return "no such device, or the driver is not loaded "
			       "(modprobe vfio-pci-dmabuf first)";
		case ENODEV:
			return "the driver did not take the device; see dmesg";
		case EINVAL:
			return "not a PCI address (expected dddd:bb:dd.f or bb:dd.f) or bad driver name";
		case EACCES:
		case EPERM:
			return "no permission on sysfs (run as root)";
		}
		break;
	case VFIO_DMABUF_OP_INFO:
		switch (err) {
		case ENOENT:
			return "no debugfs exports file: debugfs not mounted at /sys/kernel/debug, or "
			       "the device is not bound to " VFIO_DMABUF_DRIVER;
		case EACCES:
		case EPERM:
			return "debugfs needs root";
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

static int parse_u64(const char *s, const char *end, uint64_t *v)
{
	char buf[32], *e;
	size_t n = (size_t)(end - s);
	unsigned int shift = 0;
	unsigned long long x;

	if (!n || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	switch (buf[n - 1]) {
	case 'k': case 'K': shift = 10; break;
	case 'm': case 'M': shift = 20; break;
	case 'g': case 'G': shift = 30; break;
	}
	if (shift)
		buf[--n] = '\0';
	if (!n || !isdigit((unsigned char)buf[0]))
		return -EINVAL;
	errno = 0;
	x = strtoull(buf, &e, 0);
	if (errno || *e)
		return -EINVAL;
	if (shift && x > (UINT64_MAX >> shift))
		return -EOVERFLOW;
	*v = (uint64_t)x << shift;
	return 0;
}

int vfio_dmabuf_parse_range(const char *s, struct vfio_region_dma_range *r)
{
	const char *colon;
	uint64_t off, len;
	int ret;

	if (!s || !r)
		return -EINVAL;
	colon = strchr(s, ':');
	if (!colon)
		return -EINVAL;
	ret = parse_u64(s, colon, &off);
	if (!ret)
		ret = parse_u64(colon + 1, colon + 1 + strlen(colon + 1), &len);
	if (ret)
		return ret;
	r->offset = off;
	r->length = len;
	return 0;
}
