// SPDX-License-Identifier: GPL-2.0
/*
 * The fixture library of the guest suites: see fixture.h.
 */
#define _GNU_SOURCE
#include "fixture.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <time.h>
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

const char *exporter_driver(void)
{
	const char *drv = getenv("EXPORTER");

	return drv && *drv ? drv : VPD_DRIVER;
}

bool exporter_is_upstream(void)
{
	return !strcmp(exporter_driver(), UPSTREAM_DRIVER);
}

/* modprobe of a loaded module succeeds and ignores the parameters. */
static int load_exporter_module(const char *params)
{
	if (exporter_is_upstream())
		return bench_modprobe(UPSTREAM_DRIVER, NULL);
	return bench_modprobe(VPD_MODULE, params);
}

int dmabuf_load_exporter(const char *params)
{
	int ret;

	ret = load_exporter_module(params);
	if (ret)
		return ret;
	return bench_modprobe("vfio_iommu_type1", NULL);
}

int dmabuf_open_exporter(const char *bdf, struct bench_vfio *v)
{
	int ret;

	ret = bench_bind(bdf, exporter_driver());
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
	char buf[512];

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
 * No bench kernel has /proc/config.gz. Debian's 6.1 and 6.12 are built
 * with CONFIG_DMABUF_MOVE_NOTIFY=n; our debug kernel (release suffix
 * "-vfio-dmabuf-debug", vm/debug-kernel/debug.config) with =y. From 7.0
 * the option is gone and the core always behaves as with =y; those
 * kernels are the ones with dma_buf_attach_revocable().
 */
int kernel_has_move_notify(void)
{
	struct utsname u;
	int r;

	r = kernel_revocable_contract();
	if (r)
		return r;
	if (uname(&u))
		return -errno;
	return strstr(u.release, "-vfio-dmabuf-debug") != NULL;
}

int kernel_has_symbol(const char *name)
{
	char line[512], sym[256];
	int found = 0;
	FILE *f;

	f = fopen("/proc/kallsyms", "r");
	if (!f)
		return -errno;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%*s %*s %255s", sym) == 1 &&
			!strcmp(sym, name);
	fclose(f);
	return found;
}

int kernel_revocable_contract(void)
{
	return kernel_has_symbol("dma_buf_attach_revocable");
}

int kernel_has_vfio_dmabuf(void)
{
	return kernel_has_symbol("vfio_pci_core_feature_dma_buf");
}

/* Load vfio_iommu_type1, vfio_pci_dmabuf and edu-importer. */
int rv_load_modules(void)
{
	int ret;

	ret = bench_modprobe("vfio_iommu_type1", NULL);
	if (!ret)
		ret = load_exporter_module(VPD_P2P_PARAM);
	if (!ret)
		ret = bench_modprobe(EDU_IMP_DRIVER, NULL);
	return ret;
}

int rv_cfg_region(struct rv_dev *d)
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

int rv_dev_reopen(struct rv_dev *d)
{
	int ret;

	ret = bench_vfio_open(d->bdf, &d->v);
	if (!ret)
		ret = rv_cfg_region(d);
	return ret;
}

int rv_dev_open(uint16_t vid, uint16_t did, struct rv_dev *d)
{
	int ret;

	memset(d, 0, sizeof(*d));
	d->v.container = d->v.group = d->v.device = -1;
	ret = bench_find_pci(vid, did, 0, d->bdf, sizeof(d->bdf));
	if (!ret)
		ret = bench_bind(d->bdf, exporter_driver());
	if (!ret)
		ret = rv_dev_reopen(d);
	return ret;
}

void rv_dev_close(struct rv_dev *d)
{
	bench_vfio_close(&d->v);
}

int rv_cfg_read16(struct rv_dev *d, unsigned int reg, uint16_t *val)
{
	ssize_t n = pread(d->v.device, val, 2, d->cfg_off + reg);

	return n == 2 ? 0 : (n < 0 ? -errno : -EIO);
}

unsigned int rv_pm_cap(struct rv_dev *d)
{
	uint16_t w;
	unsigned int pos, n;

	if (rv_cfg_read16(d, PCI_STATUS, &w) || !(w & PCI_STATUS_CAP_LIST) ||
	    rv_cfg_read16(d, PCI_CAPABILITY_LIST, &w))
		return 0;
	pos = w & 0xfc;
	for (n = 0; pos && n < 48; n++) {
		if (rv_cfg_read16(d, pos, &w))
			return 0;
		if ((w & 0xff) == PCI_CAP_ID_PM)
			return pos;
		pos = (w >> 8) & 0xfc;
	}
	return 0;
}

int rv_cfg_write16(struct rv_dev *d, unsigned int reg, uint16_t val)
{
	ssize_t n = pwrite(d->v.device, &val, 2, d->cfg_off + reg);

	return n == 2 ? 0 : (n < 0 ? -errno : -EIO);
}

int rv_set_memory(struct rv_dev *d, bool on)
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

int rv_irq_eventfd(int device, unsigned int index, int efd)
{
	struct {
		struct vfio_irq_set set;
		int32_t fd;
	} req = {
		.set = {
			.argsz = sizeof(req),
			.index = index,
			.flags = VFIO_IRQ_SET_DATA_EVENTFD |
				 VFIO_IRQ_SET_ACTION_TRIGGER,
			.count = 1,
		},
		.fd = efd,
	};

	return ioctl(device, VFIO_DEVICE_SET_IRQS, &req) ? -errno : 0;
}

int rv_irq_disable(int device, unsigned int index)
{
	struct vfio_irq_set set = {
		.argsz = sizeof(set),
		.index = index,
		.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
		.count = 0,
	};

	return ioctl(device, VFIO_DEVICE_SET_IRQS, &set) ? -errno : 0;
}

/* Export [off, off + len) of BAR @bar: the dma-buf fd or -errno. */
int rv_export(int device, unsigned int bar, uint64_t off, uint64_t len)
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

int rv_imp_open(void)
{
	int fd = open(EDU_IMP_DEV, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/*
 * Export [0, @len) of BAR @bar and import it with a dynamic importer that
 * maps it. The fds land in *@buf and *@imp (-1 when not made); returns 0
 * or the first -errno.
 */
int rv_import_mapped(int device, unsigned int bar, uint64_t len,
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
	ret = edu_attach(*imp, *buf, 0);
	return ret ? ret : edu_map(*imp);
}

/*
 * Does the importer read @want back from buffer offset @off by DMA? 0 when
 * the bytes match, 1 when they differ, -errno when the DMA is refused.
 */
int rv_imp_read_cmp(int imp, uint64_t off, const void *want,
		    uint32_t len)
{
	uint8_t got[EDU_IMP_DMA_MAX_LEN];
	int ret;

	if (len > sizeof(got))
		return -EINVAL;
	memset(got, 0, len);
	ret = edu_dma(imp, off, got, len, EDU_IMP_DIR_FROM_DMABUF);
	if (ret)
		return ret;
	return memcmp(got, want, len) ? 1 : 0;
}

int rv_imp_dma_async(int imp, uint64_t off, uint32_t len,
		     struct edu_imp_dma *out)
{
	memset(out, 0, sizeof(*out));
	out->offset = off;
	out->len = len;
	out->dir = EDU_IMP_DIR_FROM_DMABUF;
	out->flags = EDU_IMP_DMA_ASYNC;
	return ioctl(imp, EDU_IMP_IOC_DMA, out) ? -errno : 0;
}

int rv_imp_wait(int imp, void *buf, uint32_t len, struct edu_imp_wait *out)
{
	memset(out, 0, sizeof(*out));
	out->user_buf = (uintptr_t)buf;
	out->len = buf ? len : 0;
	return ioctl(imp, EDU_IMP_IOC_WAIT, out) ? -errno : 0;
}

char *rv_slurp(const char *path)
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
int rv_debugfs_exports(const char *bdf, int *yes, int *no)
{
	char path[128], *buf, *line, *save;
	int total = 0;

	*yes = *no = 0;
	snprintf(path, sizeof(path),
		 "/sys/kernel/debug/" VPD_DRIVER "/%s/exports", bdf);
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
int rv_dmabuf_count(void)
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
void rv_slab_shrink(void)
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
long rv_meminfo_kb(const char *field)
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
int rv_kmsg_count(const char *needle)
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
/* CLOCK_MONOTONIC, the clock of ktime_get_ns(). */
uint64_t rv_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Write @len bytes at @off of region @bar through a temporary mmap. */
int rv_write_bar(int device, unsigned int bar, uint64_t off,
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

int fd_send(int sock, int fd, int flags)
{
	char data = 'f';
	struct iovec iov = { .iov_base = &data, .iov_len = 1 };
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl.buf,
		.msg_controllen = sizeof(ctl.buf),
	};
	struct cmsghdr *c;

	memset(&ctl, 0, sizeof(ctl));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &msg, flags) == 1 ? 0 : -errno;
}

int fd_recv(int sock, int flags)
{
	char data;
	struct iovec iov = { .iov_base = &data, .iov_len = 1 };
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl.buf,
		.msg_controllen = sizeof(ctl.buf),
	};
	struct cmsghdr *c;
	int fd;

	if (recvmsg(sock, &msg, flags | MSG_CMSG_CLOEXEC) != 1)
		return -errno;
	c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -EBADMSG;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

uint64_t env_u64(const char *name, uint64_t def)
{
	const char *v = getenv(name);
	char *end;
	uint64_t n;

	if (!v || !*v)
		return def;
	n = strtoull(v, &end, 0);
	return *end || !n ? def : n;
}
