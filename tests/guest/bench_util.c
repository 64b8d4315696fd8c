// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers for the in-guest tests. Kept free of global state: each call
 * works on what it is given.
 */
#define _GNU_SOURCE
#include "bench_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/vfio.h>

#define PCI_DEVICES "/sys/bus/pci/devices"

int bench_sysfs_read(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

int bench_sysfs_write(const char *path, const char *val)
{
	size_t len = strlen(val);
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, len);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	return (size_t)n == len ? 0 : -EIO;
}

static int read_hex_attr(const char *bdf, const char *attr, unsigned long *val)
{
	char path[PATH_MAX], buf[64];
	int ret;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/%s", bdf, attr);
	ret = bench_sysfs_read(path, buf, sizeof(buf));
	if (ret)
		return ret;
	*val = strtoul(buf, NULL, 16);
	return 0;
}

int bench_find_pci(uint16_t vid, uint16_t did, int nth, char *bdf, size_t len)
{
	struct dirent **names;
	int n, i, found = -ENODEV;

	/* Sorted, so "the nth device" is stable across calls. */
	n = scandir(PCI_DEVICES, &names, NULL, alphasort);
	if (n < 0)
		return -errno;
	for (i = 0; i < n; i++) {
		unsigned long v, d;
		const char *name = names[i]->d_name;

		if (found == -ENODEV && name[0] != '.' &&
		    !read_hex_attr(name, "vendor", &v) &&
		    !read_hex_attr(name, "device", &d) &&
		    v == vid && d == did && nth-- == 0) {
			snprintf(bdf, len, "%s", name);
			found = 0;
		}
		free(names[i]);
	}
	free(names);
	return found;
}

int bench_iommu_group(const char *bdf, int *count)
{
	char path[PATH_MAX], link[PATH_MAX];
	struct dirent *de;
	ssize_t n;
	DIR *dir;
	int group;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/iommu_group", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = '\0';
	group = atoi(basename(link));
	if (count) {
		snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/devices",
			 group);
		dir = opendir(path);
		if (!dir)
			return -errno;
		*count = 0;
		while ((de = readdir(dir)))
			if (de->d_name[0] != '.')
				(*count)++;
		closedir(dir);
	}
	return group;
}

int bench_driver_of(const char *bdf, char *drv, size_t len)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0) {
		if (errno != ENOENT)
			return -errno;
		drv[0] = '\0';
		return 0;
	}
	link[n] = '\0';
	snprintf(drv, len, "%s", basename(link));
	return 0;
}

int bench_unbind(const char *bdf)
{
	char path[PATH_MAX], drv[128];
	int ret;

	ret = bench_driver_of(bdf, drv, sizeof(drv));
	if (ret || !drv[0])
		return ret;
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver/unbind", bdf);
	return bench_sysfs_write(path, bdf);
}

int bench_bind(const char *bdf, const char *driver)
{
	char path[PATH_MAX], drv[128];
	int ret;

	ret = bench_driver_of(bdf, drv, sizeof(drv));
	if (ret)
		return ret;
	if (!strcmp(drv, driver))
		return 0;
	ret = bench_unbind(bdf);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver_override", bdf);
	ret = bench_sysfs_write(path, driver);
	if (ret)
		return ret;
	ret = bench_sysfs_write("/sys/bus/pci/drivers_probe", bdf);
	if (ret)
		return ret;
	ret = bench_driver_of(bdf, drv, sizeof(drv));
	if (ret)
		return ret;
	return strcmp(drv, driver) ? -ENODEV : 0;
}

int bench_vfio_open(const char *bdf, struct bench_vfio *v)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char path[64];
	int group, ret;

	v->container = v->group = v->device = -1;
	group = bench_iommu_group(bdf, NULL);
	if (group < 0)
		return group;
	v->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (v->container < 0)
		goto err;
	snprintf(path, sizeof(path), "/dev/vfio/%d", group);
	v->group = open(path, O_RDWR | O_CLOEXEC);
	if (v->group < 0)
		goto err;
	if (ioctl(v->group, VFIO_GROUP_GET_STATUS, &status))
		goto err;
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		errno = EBUSY;
		goto err;
	}
	if (ioctl(v->group, VFIO_GROUP_SET_CONTAINER, &v->container))
		goto err;
	if (ioctl(v->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		goto err;
	v->device = ioctl(v->group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (v->device < 0)
		goto err;
	return 0;
err:
	ret = -errno;
	bench_vfio_close(v);
	return ret;
}

void bench_vfio_close(struct bench_vfio *v)
{
	if (v->device >= 0)
		close(v->device);
	if (v->group >= 0)
		close(v->group);
	if (v->container >= 0)
		close(v->container);
	v->container = v->group = v->device = -1;
}

void *bench_vfio_mmap_region(int device, unsigned int index, size_t *size)
{
	struct vfio_region_info info = { .argsz = sizeof(info), .index = index };
	void *p;

	if (ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &info))
		return MAP_FAILED;
	if (!(info.flags & VFIO_REGION_INFO_FLAG_MMAP) || !info.size) {
		errno = EINVAL;
		return MAP_FAILED;
	}
	p = mmap(NULL, info.size, PROT_READ | PROT_WRITE, MAP_SHARED, device,
		 info.offset);
	if (p != MAP_FAILED && size)
		*size = info.size;
	return p;
}

static int run(char *const argv[])
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	if (!WIFEXITED(status))
		return -EINTR;
	return WEXITSTATUS(status) ? -EIO : 0;
}

int bench_modprobe(const char *module, const char *params)
{
	char buf[512];
	char *argv[32] = { "modprobe", (char *)module };
	int argc = 2;
	char *tok, *save;

	if (params) {
		snprintf(buf, sizeof(buf), "%s", params);
		for (tok = strtok_r(buf, " ", &save); tok && argc < 31;
		     tok = strtok_r(NULL, " ", &save))
			argv[argc++] = tok;
	}
	argv[argc] = NULL;
	return run(argv);
}

int bench_rmmod(const char *module)
{
	char *argv[] = { "rmmod", (char *)module, NULL };

	return run(argv);
}

int bench_host_request(const char *request)
{
	const char *chan = getenv("BENCH_RESULTS");
	char line[256];

	if (!chan)
		return -ENOTTY;
	snprintf(line, sizeof(line), "@@HOST %s\n", request);
	fflush(stdout);
	return bench_sysfs_write(chan, line);
}
