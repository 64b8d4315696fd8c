/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the revocation and leak suites (dmabuf_revoke, dmabuf_leak,
 * dmabuf_hotplug): an exporter device opened through vfio-pci-dmabuf, its
 * config space through the VFIO config region, exports, the edu-importer
 * ioctls and the debugfs views. Every int helper returns 0 (or an fd / a
 * count) on success and a negative errno on failure.
 *
 * Header-only (static inline) so that it needs no entry in the Makefile's
 * COMMON list: every .c here is a test program.
 */
#ifndef REVOKE_UTIL_H
#define REVOKE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <linux/pci_regs.h>
#include <linux/vfio.h>
#include <uapi/linux/vfio_dmabuf.h>

#include "../importer/edu_importer.h"
#include "bench_util.h"

#define RV_DRIVER	"vfio-pci-dmabuf"
#define RV_MODULE	"vfio_pci_dmabuf"
#define RV_IMP_MODULE	"edu-importer"
#define RV_IMP_DEV	"/dev/edu-importer"
/* q35's host bridge is on no P2P list: allow it explicitly. */
#define RV_PARAMS	"p2p_host_bridges=8086:29c0"

/* An exporter bound to vfio-pci-dmabuf and opened. */
struct rv_dev {
	char bdf[32];
	struct bench_vfio v;
	uint64_t cfg_off;	/* file offset of the config region */
};


/* Load vfio_iommu_type1, vfio_pci_dmabuf and edu-importer. */
static inline int rv_load_modules(void)
{
	int ret;

	ret = bench_modprobe("vfio_iommu_type1", NULL);
	if (!ret)
		ret = bench_modprobe(RV_MODULE, RV_PARAMS);
	if (!ret)
		ret = bench_modprobe(RV_IMP_MODULE, NULL);
	return ret;
}

static inline int rv_cfg_region(struct rv_dev *d)
{
	struct vfio_region_info info = {
		.argsz = sizeof(info),
		.index = VFIO_PCI_CONFIG_REGION_INDEX,
	};

	if (ioctl(d->v.device, VFIO_DEVICE_GET_REGION_INFO, &info))
		return -errno;
	d->cfg_off = info.offset;
	return 0;
}

static inline int rv_dev_reopen(struct rv_dev *d)
{
	int ret;

	ret = bench_vfio_open(d->bdf, &d->v);
	if (!ret)
		ret = rv_cfg_region(d);
	return ret;
}

static inline int rv_dev_open(uint16_t vid, uint16_t did, struct rv_dev *d)
{
	int ret;

	memset(d, 0, sizeof(*d));
	d->v.container = d->v.group = d->v.device = -1;
	ret = bench_find_pci(vid, did, 0, d->bdf, sizeof(d->bdf));
	if (!ret)
		ret = bench_bind(d->bdf, RV_DRIVER);
	if (!ret)
		ret = rv_dev_reopen(d);
	return ret;
}

static inline void rv_dev_close(struct rv_dev *d)
{
	bench_vfio_close(&d->v);
}

static inline int rv_cfg_read16(struct rv_dev *d, unsigned int reg, uint16_t *val)
{
	ssize_t n = pread(d->v.device, val, 2, d->cfg_off + reg);

	return n == 2 ? 0 : (n < 0 ? -errno : -EIO);
}

static inline int rv_cfg_write16(struct rv_dev *d, unsigned int reg, uint16_t val)
{
	ssize_t n = pwrite(d->v.device, &val, 2, d->cfg_off + reg);

	return n == 2 ? 0 : (n < 0 ? -errno : -EIO);
}

static inline int rv_set_memory(struct rv_dev *d, bool on)
{
	uint16_t cmd;
	int ret;

	ret = rv_cfg_read16(d, PCI_COMMAND, &cmd);
	if (ret)
		return ret;
	if (on)
		cmd |= PCI_COMMAND_MEMORY;
	else
		cmd &= ~PCI_COMMAND_MEMORY;
	return rv_cfg_write16(d, PCI_COMMAND, cmd);
}

/* Export [off, off + len) of BAR @bar: the dma-buf fd or -errno. */
static inline int rv_export(int device, unsigned int bar, uint64_t off, uint64_t len)
{
	struct {
		struct vfio_device_feature hdr;
		struct vfio_device_feature_dma_buf get;
		struct vfio_region_dma_range range;
	} __attribute__((packed)) req;
	int fd;

	memset(&req, 0, sizeof(req));
	req.hdr.argsz = sizeof(req);
	req.hdr.flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF;
	req.get.region_index = bar;
	req.get.open_flags = O_RDWR | O_CLOEXEC;
	req.get.nr_ranges = 1;
	req.range.offset = off;
	req.range.length = len;
	fd = ioctl(device, VFIO_DEVICE_FEATURE, &req);
	return fd < 0 ? -errno : fd;
}

static inline int rv_imp_open(void)
{
	int fd = open(RV_IMP_DEV, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static inline int rv_imp_attach(int imp, int dmabuf, uint32_t flags)
{
	struct edu_imp_attach a = { .fd = dmabuf, .flags = flags };

	return ioctl(imp, EDU_IMP_IOC_ATTACH, &a) ? -errno : 0;
}

static inline int rv_imp_ioctl(int imp, unsigned long req)
{
	return ioctl(imp, req) ? -errno : 0;
}

static inline int rv_imp_info(int imp, struct edu_imp_info *info)
{
	memset(info, 0, sizeof(*info));
	return ioctl(imp, EDU_IMP_IOC_INFO, info) ? -errno : 0;
}

static inline int rv_imp_dma(int imp, uint64_t off, void *buf, uint32_t len, uint32_t dir)
{
	struct edu_imp_dma d = {
		.offset = off,
		.user_buf = (uintptr_t)buf,
		.len = len,
		.dir = dir,
	};

	return ioctl(imp, EDU_IMP_IOC_DMA, &d) ? -errno : 0;
}

/*
 * Export [0, @len) of BAR @bar and import it with a dynamic importer that
 * maps it. The fds land in *@buf and *@imp (-1 when not made); returns 0
 * or the first -errno.
 */
static inline int rv_import_mapped(int device, unsigned int bar, uint64_t len,
				   int *buf, int *imp)
{
	int ret;

	*imp = -1;
	*buf = rv_export(device, bar, 0, len);
	if (*buf < 0) {
		ret = *buf;
		*buf = -1;
		return ret;
	}
	*imp = rv_imp_open();
	if (*imp < 0) {
		ret = *imp;
		*imp = -1;
		return ret;
	}
	ret = rv_imp_attach(*imp, *buf, 0);
	return ret ? ret : rv_imp_ioctl(*imp, EDU_IMP_IOC_MAP);
}

/*
 * Does the importer read @want back from buffer offset @off by DMA? 0 when
 * the bytes match, 1 when they differ, -errno when the DMA is refused.
 */
static inline int rv_imp_read_cmp(int imp, uint64_t off, const void *want,
				  uint32_t len)
{
	uint8_t got[EDU_IMP_DMA_MAX_LEN];
	int ret;

	if (len > sizeof(got))
		return -EINVAL;
	memset(got, 0, len);
	ret = rv_imp_dma(imp, off, got, len, EDU_IMP_DIR_FROM_DMABUF);
	if (ret)
		return ret;
	return memcmp(got, want, len) ? 1 : 0;
}

static inline int rv_imp_dma_async(int imp, uint64_t off, uint32_t len,
		     struct edu_imp_dma *out)
{
	memset(out, 0, sizeof(*out));
	out->offset = off;
	out->len = len;
	out->dir = EDU_IMP_DIR_FROM_DMABUF;
	out->flags = EDU_IMP_DMA_ASYNC;
	return ioctl(imp, EDU_IMP_IOC_DMA, out) ? -errno : 0;
}

static inline int rv_imp_wait(int imp, void *buf, uint32_t len, struct edu_imp_wait *out)
{
	memset(out, 0, sizeof(*out));
	out->user_buf = (uintptr_t)buf;
	out->len = buf ? len : 0;
	return ioctl(imp, EDU_IMP_IOC_WAIT, out) ? -errno : 0;
}

static char *rv_slurp(const char *path)
{
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap + 1);
	ssize_t n;
	int fd;

	if (!buf)
		return NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		free(buf);
		return NULL;
	}
	while ((n = read(fd, buf + len, cap - len)) > 0) {
		len += n;
		if (len == cap) {
			char *nb = realloc(buf, 2 * cap + 1);

			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
	}
	close(fd);
	buf[len] = 0;
	return buf;
}

/*
 * Count the exports of @bdf listed in debugfs with "revoked yes" (@yes) and
 * "revoked no" (@no). Returns the number of exports listed.
 */
static inline int rv_debugfs_exports(const char *bdf, int *yes, int *no)
{
	char path[128], *buf, *line, *save;
	int total = 0;

	*yes = *no = 0;
	snprintf(path, sizeof(path),
		 "/sys/kernel/debug/" RV_DRIVER "/%s/exports", bdf);
	buf = rv_slurp(path);
	if (!buf)
		return -errno;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "export ", 7))
			continue;
		total++;
		if (strstr(line, "revoked yes"))
			(*yes)++;
		else if (strstr(line, "revoked no"))
			(*no)++;
	}
	free(buf);
	return total;
}

/* Number of dma-bufs in /sys/kernel/debug/dma_buf/bufinfo. */
static inline int rv_dmabuf_count(void)
{
	char *buf = rv_slurp("/sys/kernel/debug/dma_buf/bufinfo");
	char *p, *last = NULL;
	int n = -ENOENT;

	if (!buf)
		return -errno;
	/* Each buffer has a "Total N devices attached" line: take the last. */
	for (p = buf; (p = strstr(p, "\nTotal ")); p++)
		last = p;
	if (last && sscanf(last, "\nTotal %d objects", &n) != 1)
		n = -EINVAL;
	if (last && !strstr(last, " objects,"))
		n = -EINVAL;
	free(buf);
	return n;
}

/*
 * Make freed slab objects count as free: shrink every cache, which also
 * drains KASAN's quarantine of it (freed objects otherwise stay allocated
 * there for a while and show up as SUnreclaim growth).
 */
static inline void rv_slab_shrink(void)
{
	char path[300];
	struct dirent *de;
	DIR *dir;

	dir = opendir("/sys/kernel/slab");
	if (!dir)
		return;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink",
			 de->d_name);
		bench_sysfs_write(path, "1");
	}
	closedir(dir);
}

/* A /proc/meminfo field in kB, or -errno. */
static inline long rv_meminfo_kb(const char *field)
{
	char *buf = rv_slurp("/proc/meminfo");
	size_t flen = strlen(field);
	long val = -ENOENT;
	char *p;

	if (!buf)
		return -errno;
	for (p = buf; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (!strncmp(p, field, flen) && p[flen] == ':') {
			val = strtol(p + flen + 1, NULL, 10);
			break;
		}
	}
	free(buf);
	return val;
}

/* Records of the kernel log containing @needle. */
static inline int rv_kmsg_count(const char *needle)
{
	char rec[8192];
	int fd, count = 0;
	ssize_t n;

	fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0) {
			if (errno == EPIPE)	/* overwritten record: go on */
				continue;
			break;
		}
		rec[n] = 0;
		if (strstr(rec, needle))
			count++;
	}
	close(fd);
	return count;
}

/*
 * Is CONFIG_DMABUF_MOVE_NOTIFY on? No /proc/config.gz in the bench: the
 * debug kernel (release "*-vfio-dmabuf-debug") is the one built with it,
 * Debian's kernel is built without.
 */
static inline bool rv_move_notify_enabled(void)
{
	struct utsname u;

	if (uname(&u))
		return false;
	return strstr(u.release, "-vfio-dmabuf-debug") != NULL;
}

/* CLOCK_MONOTONIC, the clock of ktime_get_ns(). */
static inline uint64_t rv_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Write @len bytes at @off of region @bar through a temporary mmap. */
static inline int rv_write_bar(int device, unsigned int bar, uint64_t off,
			       const void *buf, size_t len)
{
	size_t size;
	uint8_t *p;

	p = bench_vfio_mmap_region(device, bar, &size);
	if (p == MAP_FAILED)
		return -errno;
	if (off > size || len > size - off) {
		munmap(p, size);
		return -EINVAL;
	}
	memcpy(p + off, buf, len);
	munmap(p, size);
	return 0;
}

static inline void rv_fill(void *buf, size_t len, uint32_t seed)
{
	uint8_t *p = buf;
	uint32_t x = seed * 2654435761u + 1;
	size_t i;

	for (i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = x >> 16;
	}
}

#endif
