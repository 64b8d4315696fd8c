// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers for the dmabuf_* suites. No global state: the harness forks each
 * test, and every helper is idempotent (loading a loaded module, binding a
 * bound device) so any test can run first.
 */
#define _GNU_SOURCE
#include "dmabuf_util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <linux/vfio.h>

int dmabuf_feature(int device, uint32_t feat_flags,
		   const struct vfio_device_feature_dma_buf *req,
		   const struct vfio_region_dma_range *ranges,
		   uint32_t nr_copy, long argsz_delta)
{
	size_t size = sizeof(struct vfio_device_feature) + sizeof(*req) +
		      (size_t)nr_copy * sizeof(*ranges);
	struct vfio_device_feature *feat;
	int ret;

	feat = calloc(1, size);
	if (!feat)
		return -ENOMEM;
	feat->argsz = (uint32_t)((long)size + argsz_delta);
	feat->flags = feat_flags | VFIO_DEVICE_FEATURE_DMA_BUF;
	memcpy(feat->data, req, sizeof(*req));
	if (nr_copy)
		memcpy(feat->data + sizeof(*req), ranges,
		       (size_t)nr_copy * sizeof(*ranges));
	ret = ioctl(device, VFIO_DEVICE_FEATURE, feat);
	if (ret < 0)
		ret = -errno;
	free(feat);
	return ret;
}

int dmabuf_export(int device, uint32_t region, uint32_t open_flags,
		  const struct vfio_region_dma_range *ranges, uint32_t nr)
{
	struct vfio_device_feature_dma_buf req = {
		.region_index = region,
		.open_flags = open_flags,
		.nr_ranges = nr,
	};

	return dmabuf_feature(device, VFIO_DEVICE_FEATURE_GET, &req, ranges,
			      nr, 0);
}

off_t dmabuf_size(int fd)
{
	off_t size = lseek(fd, 0, SEEK_END);

	return size < 0 ? -errno : size;
}

int dmabuf_fdinfo(int fd, const char *key, char *val, size_t len)
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
		if (strncmp(line, key, klen) || line[klen] != ':')
			continue;
		line[strcspn(line, "\n")] = '\0';
		/* Keep the separator: tests check the exact "key:\tvalue". */
		snprintf(val, len, "%s", line + klen + 1);
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}

int dmabuf_load_exporter(const char *params)
{
	int ret;

	/* modprobe of a loaded module succeeds and ignores the parameters. */
	ret = bench_modprobe(VPD_MODULE, params);
	if (ret)
		return ret;
	return bench_modprobe("vfio_iommu_type1", NULL);
}

int dmabuf_open_exporter(const char *bdf, struct bench_vfio *v)
{
	int ret;

	ret = bench_bind(bdf, VPD_DRIVER);
	if (ret)
		return ret;
	return bench_vfio_open(bdf, v);
}

int dmabuf_open_ivshmem(char *bdf, size_t len, struct bench_vfio *v)
{
	int ret;

	ret = bench_find_pci(PCI_VID_REDHAT_QUMRANET, PCI_DID_IVSHMEM, 0, bdf,
			     len);
	if (ret)
		return ret;
	ret = dmabuf_load_exporter(VPD_P2P_PARAM);
	if (ret)
		return ret;
	return dmabuf_open_exporter(bdf, v);
}

int dmabuf_open_importer(char *edu_bdf, size_t len)
{
	int ret, fd;

	ret = bench_find_pci(PCI_VID_QEMU_EDU, PCI_DID_EDU, 0, edu_bdf, len);
	if (ret)
		return ret;
	ret = bench_modprobe(EDU_IMP_DRIVER, NULL);
	if (ret)
		return ret;
	ret = bench_bind(edu_bdf, EDU_IMP_DRIVER);
	if (ret)
		return ret;
	fd = open(EDU_IMP_DEV, O_RDWR | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int dmabuf_set_hb_param(const char *val)
{
	char buf[128];

	/* A zero-byte write never reaches the setter: send a newline. */
	snprintf(buf, sizeof(buf), "%s\n", val);
	return bench_sysfs_write(VPD_PARAM_HB, buf);
}

static int xioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) ? -errno : 0;
}

int edu_attach(int imp, int dmabuf_fd, uint32_t flags)
{
	struct edu_imp_attach a = { .fd = dmabuf_fd, .flags = flags };

	return xioctl(imp, EDU_IMP_IOC_ATTACH, &a);
}

int edu_map(int imp)
{
	return xioctl(imp, EDU_IMP_IOC_MAP, NULL);
}

int edu_unmap(int imp)
{
	return xioctl(imp, EDU_IMP_IOC_UNMAP, NULL);
}

int edu_detach(int imp)
{
	return xioctl(imp, EDU_IMP_IOC_DETACH, NULL);
}

int edu_info(int imp, struct edu_imp_info *info)
{
	memset(info, 0, sizeof(*info));
	return xioctl(imp, EDU_IMP_IOC_INFO, info);
}

int edu_sg(int imp, struct edu_imp_sg_entry *ents, uint32_t max,
	   uint32_t *nents)
{
	struct edu_imp_sg sg = {
		.entries = (uintptr_t)ents,
		.count = max,
	};
	int ret;

	ret = xioctl(imp, EDU_IMP_IOC_SG, &sg);
	if (!ret && nents)
		*nents = sg.nents;
	return ret;
}

int edu_dma(int imp, uint64_t off, void *buf, uint32_t len, uint32_t dir)
{
	struct edu_imp_dma d = {
		.offset = off,
		.user_buf = (uintptr_t)buf,
		.len = len,
		.dir = dir,
	};

	return xioctl(imp, EDU_IMP_IOC_DMA, &d);
}

int kmsg_mark(void)
{
	int fd;

	fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (lseek(fd, 0, SEEK_END) < 0) {
		close(fd);
		return -errno;
	}
	return fd;
}

int kmsg_find(int mark, const char *needle, char *line, size_t len)
{
	/* A read shorter than the record fails with EINVAL: be generous. */
	char rec[8192];
	ssize_t n;

	for (;;) {
		char *msg;

		/* One record per read: "prio,seq,ts,flags;text\n[ KEY=..]". */
		n = read(mark, rec, sizeof(rec) - 1);
		if (n < 0) {
			if (errno == EPIPE)	/* overwritten: read on */
				continue;
			return errno == EAGAIN ? 0 : -errno;
		}
		rec[n] = '\0';
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		msg[strcspn(msg, "\n")] = '\0';
		if (strstr(msg, needle)) {
			if (line)
				snprintf(line, len, "%s", msg);
			return 1;
		}
	}
}

int dmabuf_debugfs_exports(const char *bdf, char *buf, size_t len)
{
	char path[128];
	size_t got = 0;
	ssize_t n = 0;
	int fd;

	snprintf(path, sizeof(path), VPD_DEBUGFS "/%s/exports", bdf);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (got < len - 1 && (n = read(fd, buf + got, len - 1 - got)) > 0)
		got += n;
	n = n < 0 ? -errno : 0;
	close(fd);
	buf[got] = '\0';
	return n;
}

static uint8_t pattern_byte(size_t i, uint32_t seed)
{
	uint32_t x = (uint32_t)i * 2654435761u + seed;

	return (uint8_t)(x >> 13 ^ x >> 24);
}

void pattern_fill(void *buf, size_t len, uint32_t seed)
{
	uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = pattern_byte(i, seed);
}

long pattern_check(const void *buf, size_t len, uint32_t seed)
{
	const uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != pattern_byte(i, seed))
			return (long)i;
	return -1;
}

/*
 * Neither bench kernel has /proc/config.gz. Debian's 6.12 is built with
 * CONFIG_DMABUF_MOVE_NOTIFY=n; our debug kernel (release suffix
 * "-vfio-dmabuf-debug", vm/debug-kernel/debug.config) with =y.
 */
int kernel_has_move_notify(void)
{
	struct utsname u;

	if (uname(&u))
		return -errno;
	return strstr(u.release, "-vfio-dmabuf-debug") != NULL;
}
