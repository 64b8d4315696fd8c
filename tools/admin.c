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

int adm_device_exists(const char *bdf)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), ADM_PCI_DEVICES "/%s", bdf);
	if (!stat(path, &st))
		return 0;
	return errno == ENOENT ? -ENODEV : -errno;
}

int adm_driver_loaded(const char *driver)
{
	char path[PATH_MAX];
	struct stat st;

	if (!driver || !*driver || strchr(driver, '/'))
		return -EINVAL;
	snprintf(path, sizeof(path), ADM_PCI_DRIVERS "/%s", driver);
	if (!stat(path, &st))
		return 0;
	return errno == ENOENT ? -ENOENT : -errno;
}

/* Copy @src into @buf unless it does not fit. */
static int copy_name(const char *src, char *buf, size_t len)
{
	if (strlen(src) + 1 > len)
		return -ERANGE;
	strcpy(buf, src);
	return 0;
}

int adm_driver_of(const char *bdf, char *buf, size_t len)
{
	char path[PATH_MAX], link[PATH_MAX], name[VFIO_DMABUF_BDF_LEN];
	const char *base;
	ssize_t n;
	int ret;

	ret = vfio_dmabuf_bdf(bdf, name, sizeof(name));
	if (!ret)
		ret = adm_device_exists(name);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), ADM_PCI_DEVICES "/%s/driver", name);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0) {
		if (errno != ENOENT)
			return -errno;
		n = 0;
	}
	link[n] = '\0';
	base = strrchr(link, '/');
	return copy_name(base ? base + 1 : link, buf, len);
}

int adm_driver_override(const char *bdf, char *buf, size_t len)
{
	char path[PATH_MAX], val[ADM_NAME_LEN] = "", name[VFIO_DMABUF_BDF_LEN];
	ssize_t n;
	int fd, ret;

	ret = vfio_dmabuf_bdf(bdf, name, sizeof(name));
	if (!ret)
		ret = adm_device_exists(name);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), ADM_PCI_DEVICES "/%s/driver_override", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, val, sizeof(val) - 1);
	ret = n < 0 ? -errno : 0;
	close(fd);
	if (ret)
		return ret;
	val[n] = '\0';
	val[strcspn(val, "\n")] = '\0';
	/* The kernel shows an unset override as "(null)". */
	if (!strcmp(val, "(null)"))
		val[0] = '\0';
	return copy_name(val, buf, len);
}

static int set_override(const char *bdf, const char *driver)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), ADM_PCI_DEVICES "/%s/driver_override", bdf);
	/* A lone newline clears it. */
	return write_str(path, *driver ? driver : "\n");
}

static int unbind_current(const char *bdf, const char *cur)
{
	char path[PATH_MAX];
	int ret;

	if (!*cur)
		return 0;
	snprintf(path, sizeof(path), ADM_PCI_DRIVERS "/%s/unbind", cur);
	ret = write_str(path, bdf);
	return ret == -ENODEV ? 0 : ret;
}

/* Put back the override and driver @rep recorded; store the outcome. */
static void rollback(const char *bdf, struct adm_bind_report *rep)
{
	char path[PATH_MAX];
	int ret;

	rep->rollback = set_override(bdf, rep->override);
	if (!rep->rollback) {
		/* drivers_probe fails when no driver takes it: judge by result. */
		write_str("/sys/bus/pci/drivers_probe", bdf);
		adm_driver_of(bdf, rep->after, sizeof(rep->after));
		if (rep->before[0] && strcmp(rep->after, rep->before)) {
			/* Bound by hand (bind file, new_id) before: do that. */
			snprintf(path, sizeof(path), ADM_PCI_DRIVERS "/%s/bind",
				 rep->before);
			ret = write_str(path, bdf);
			adm_driver_of(bdf, rep->after, sizeof(rep->after));
			if (strcmp(rep->after, rep->before))
				rep->rollback = ret ? ret : -ENXIO;
		}
	}
	if (!rep->rollback)
		rep->rollback = 1;
}

int adm_bind(const char *bdf, const char *driver, struct adm_bind_report *rep)
{
	char name[VFIO_DMABUF_BDF_LEN];
	int ret;

	memset(rep, 0, sizeof(*rep));
	if (!driver || !*driver || strchr(driver, '/') ||
	    strlen(driver) >= ADM_NAME_LEN)
		return -EINVAL;
	ret = vfio_dmabuf_bdf(bdf, name, sizeof(name));
	if (!ret)
		ret = adm_driver_of(name, rep->before, sizeof(rep->before));
	if (!ret)
		ret = adm_driver_override(name, rep->override,
					  sizeof(rep->override));
	if (!ret)
		ret = adm_driver_loaded(driver);
	if (ret)
		return ret;

	/* Same steps as driverctl set-override, minus the persistence. */
	ret = set_override(name, driver);
	if (ret)
		return ret;
	strcpy(rep->after, rep->before);
	if (!strcmp(rep->before, driver))
		return 0;
	ret = unbind_current(name, rep->before);
	if (ret) {
		rollback(name, rep);
		return ret;
	}
	write_str("/sys/bus/pci/drivers_probe", name);
	ret = adm_driver_of(name, rep->after, sizeof(rep->after));
	if (ret)
		return ret;
	if (!strcmp(rep->after, driver))
		return 0;
	rollback(name, rep);
	return -ENXIO;
}

int adm_unbind(const char *bdf, char *was, size_t was_len)
{
	char name[VFIO_DMABUF_BDF_LEN], cur[ADM_NAME_LEN];
	int ret;

	ret = vfio_dmabuf_bdf(bdf, name, sizeof(name));
	if (!ret)
		ret = adm_driver_of(name, cur, sizeof(cur));
	if (ret)
		return ret;
	if (was && copy_name(cur, was, was_len))
		return -ERANGE;
	/* Override first: nothing may take the device in between. */
	ret = set_override(name, "");
	return ret ? ret : unbind_current(name, cur);
}

int adm_iommu_group(const char *bdf)
{
	char path[PATH_MAX], link[PATH_MAX], *base, *end;
	ssize_t n;
	long g;

	snprintf(path, sizeof(path), ADM_PCI_DEVICES "/%s/iommu_group", bdf);
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
	char name[VFIO_DMABUF_BDF_LEN];
	int ret, n;

	ret = vfio_dmabuf_bdf(bdf, name, sizeof(name));
	if (ret)
		return ret;
	n = snprintf(buf, len, ADM_DEBUGFS "/%s/exports", name);
	return n < 0 || (size_t)n >= len ? -ERANGE : 0;
}

int adm_parse_u64(const char *s, uint64_t max, uint64_t *v)
{
	unsigned int base = 10, d;
	uint64_t x = 0;

	if (!s || !*s)
		return -EINVAL;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		if (!*s)
			return -EINVAL;
	}
	for (; *s; s++) {
		if (isdigit((unsigned char)*s))
			d = (unsigned int)(*s - '0');
		else if (base == 16 && isxdigit((unsigned char)*s))
			d = (unsigned int)(tolower((unsigned char)*s) - 'a' + 10);
		else
			return -EINVAL;
		if (x > (UINT64_MAX - d) / base)
			return -ERANGE;
		x = x * base + d;
	}
	if (x > max)
		return -ERANGE;
	*v = x;
	return 0;
}

int adm_parse_size(const char *s, uint64_t *v)
{
	char buf[32];
	unsigned int shift = 0;
	size_t n;
	uint64_t x;
	int ret;

	if (!s)
		return -EINVAL;
	n = strlen(s);
	if (!n || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n + 1);
	switch (buf[n - 1]) {
	case 'k': case 'K': shift = 10; break;
	case 'm': case 'M': shift = 20; break;
	case 'g': case 'G': shift = 30; break;
	}
	/* K, M and G are no hex digits: "0x2M" is 2 MiB. */
	if (shift)
		buf[--n] = '\0';
	ret = adm_parse_u64(buf, UINT64_MAX, &x);
	if (ret)
		return ret;
	if (shift && x > (UINT64_MAX >> shift))
		return -EOVERFLOW;
	*v = x << shift;
	return 0;
}

int adm_parse_range(const char *s, struct vfio_region_dma_range *r)
{
	char off[32];
	const char *colon;
	uint64_t o, l;
	int ret;

	if (!s || !r)
		return -EINVAL;
	colon = strchr(s, ':');
	if (!colon || (size_t)(colon - s) >= sizeof(off))
		return -EINVAL;
	memcpy(off, s, (size_t)(colon - s));
	off[colon - s] = '\0';
	ret = adm_parse_size(off, &o);
	if (!ret)
		ret = adm_parse_size(colon + 1, &l);
	if (ret)
		return ret;
	r->offset = o;
	r->length = l;
	return 0;
}
