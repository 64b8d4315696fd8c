// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Administration helpers of the CLI: see admin.h.
 */
#define _GNU_SOURCE
#include "admin.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PCI_DEVICES	"/sys/bus/pci/devices"
#define PCI_DRIVERS	"/sys/bus/pci/drivers"

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

int adm_bdf(const char *in, char *out, size_t len)
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
	if (len < ADM_BDF_LEN)
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

int adm_driver_of(const char *bdf, char *buf, size_t len)
{
	char path[PATH_MAX], link[PATH_MAX], name[ADM_BDF_LEN];
	const char *base;
	ssize_t n;
	int ret;

	ret = adm_bdf(bdf, name, sizeof(name));
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

int adm_bind(const char *bdf, const char *driver)
{
	char path[PATH_MAX], cur[256], name[ADM_BDF_LEN];
	struct stat st;
	int ret;

	if (!driver || !*driver || strchr(driver, '/'))
		return -EINVAL;
	ret = adm_bdf(bdf, name, sizeof(name));
	if (ret)
		return ret;
	ret = adm_driver_of(name, cur, sizeof(cur));
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
	ret = adm_driver_of(name, cur, sizeof(cur));
	if (ret)
		return ret;
	return strcmp(cur, driver) ? -ENODEV : 0;
}

int adm_iommu_group(const char *bdf)
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
	return *end || g < 0 || g > INT_MAX ? -EIO : (int)g;
}

int adm_debugfs_path(const char *bdf, char *buf, size_t len)
{
	char name[ADM_BDF_LEN];
	int ret, n;

	ret = adm_bdf(bdf, name, sizeof(name));
	if (ret)
		return ret;
	n = snprintf(buf, len, ADM_DEBUGFS "/%s/exports", name);
	return n < 0 || (size_t)n >= len ? -ERANGE : 0;
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

int adm_parse_range(const char *s, struct vfio_region_dma_range *r)
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
