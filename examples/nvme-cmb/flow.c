// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The CMB story (see flow.h). Every step says what moved where and how
 * long it took; the last line is the verdict.
 */
#define _GNU_SOURCE
#include "flow.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "edu_importer.h"

#define NSTEPS		9
#define EDU_CHUNK	2048u	/* edu moves at most 4095 bytes at a time */
#define PCI_COMMAND	0x04
#define PCI_COMMAND_MEMORY 0x2

struct flow {
	struct flow_out *o;
	const struct flow_cfg *cfg;
	struct vfio_dmabuf_device *dev;
	char bdf[24];		/* the NVMe controller, "dddd:bb:dd.f" */
	struct nvme_ctrl c;
	bool attached;
	uint64_t cmb_bus;	/* bus address of the CMB's first byte */
	struct nvme_dma host;	/* READ target */
	int dmabuf;
	int imp;
	int kmsg;
	uint8_t pattern[FLOW_XFER], pattern2[FLOW_XFER];
	uint64_t lba_x, lba_y;
	uint32_t nblk;
	int revoke_dma_err, revoke_reg_err;
};

/* ---- output ---- */

uint64_t flow_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static double ms_since(uint64_t t0)
{
	return (double)(flow_now_ns() - t0) / 1e6;
}

void flow_say(struct flow_out *o, const char *fmt, ...)
{
	va_list ap;

	fputs(o->tap ? "# " : "   ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

static bool begin(struct flow_out *o, const char *slug, const char *title)
{
	o->step++;
	if (o->tap)
		printf("#\n# ==== Step %d/%d: %s ====\n", o->step, o->nsteps, title);
	else
		printf("\n== Step %d/%d: %s\n", o->step, o->nsteps, title);
	if (o->broken) {
		if (o->tap)
			printf("ok %d - %s.%s # SKIP an earlier step failed\n",
			       o->step, o->prefix, slug);
		else
			printf("   -> skipped: an earlier step failed\n");
		fflush(stdout);
		return false;
	}
	fflush(stdout);
	return true;
}

static void end(struct flow_out *o, bool ok, const char *slug, uint64_t t0)
{
	if (!ok) {
		o->failed++;
		o->broken = true;
	}
	if (o->tap) {
		printf("# (step took %.1f ms)\n", ms_since(t0));
		printf("%sok %d - %s.%s\n", ok ? "" : "not ", o->step, o->prefix,
		       slug);
	} else {
		printf("   -> %s (%.1f ms)\n", ok ? "ok" : "FAILED", ms_since(t0));
	}
	fflush(stdout);
}

/* "EIO (Input/output error)" */
static const char *err(int e)
{
	static char buf[128];

	const char *name = strerrorname_np(e < 0 ? -e : e);

	snprintf(buf, sizeof(buf), "%s (%s)", name ? name : "E?",
		 strerror(e < 0 ? -e : e));
	return buf;
}

/* An NVMe failure: the named status when the controller gave one. */
static void say_nvme_err(struct flow *f, const char *what, int e)
{
	char buf[200];

	if (e == -EIO && f->c.last_status)
		flow_say(f->o, "  %s failed: %s", what,
			 nvme_status_str(&f->c, buf, sizeof(buf)));
	else if (e == -EREMOTEIO)
		flow_say(f->o, "  %s failed: the controller reports a fatal "
			 "error (CSTS.CFS)", what);
	else
		flow_say(f->o, "  %s failed: %s", what, err(e));
}

static void show_bytes(struct flow *f, const char *what, const uint8_t *p)
{
	char hex[3 * 16 + 1], txt[17];
	int i;

	for (i = 0; i < 16; i++) {
		snprintf(hex + 3 * i, 4, "%02x ", p[i]);
		txt[i] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '.';
	}
	txt[16] = '\0';
	flow_say(f->o, "  %-26s %s|%s|", what, hex, txt);
}

static void fill(uint8_t *buf, size_t len, const char *text, uint8_t seed)
{
	size_t i, n = strlen(text);

	for (i = 0; i < len; i++)
		buf[i] = (uint8_t)(i * 13 + seed + (i >> 8));
	memcpy(buf, text, n < len ? n : len);
}

static long mismatch(const uint8_t *a, const uint8_t *b, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (a[i] != b[i])
			return (long)i;
	return -1;
}

/* ---- PCI and sysfs ---- */

static int read_hex(const char *bdf, const char *attr, unsigned long *val)
{
	char path[256], buf[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", bdf, attr);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	*val = strtoul(buf, NULL, 16);
	return 0;
}

int flow_find_pci(uint32_t class, uint16_t vid, uint16_t did, char *bdf,
		  size_t len)
{
	struct dirent *de;
	unsigned long v, d, cl;
	int ret = -ENODEV;
	DIR *dir;

	dir = opendir("/sys/bus/pci/devices");
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		if (class) {
			if (read_hex(de->d_name, "class", &cl) || cl != class)
				continue;
		} else if (read_hex(de->d_name, "vendor", &v) ||
			   read_hex(de->d_name, "device", &d) || v != vid ||
			   d != did) {
			continue;
		}
		/* Lowest address wins: readdir order is not sorted. */
		if (ret && strlen(de->d_name) < len) {
			snprintf(bdf, len, "%s", de->d_name);
			ret = 0;
		} else if (!ret && strcmp(de->d_name, bdf) < 0) {
			snprintf(bdf, len, "%s", de->d_name);
		}
	}
	closedir(dir);
	return ret;
}

/* "dddd:bb:dd.f" from a name the user gave, short form "bb:dd.f" too. */
static int pci_name(const char *in, char *out, size_t len)
{
	unsigned int dom = 0, bus, dev, fn;
	char tail;

	if (sscanf(in, "%4x:%2x:%2x.%1x%c", &dom, &bus, &dev, &fn, &tail) != 4 &&
	    sscanf(in, "%2x:%2x.%1x%c", &bus, &dev, &fn, &tail) != 3)
		return -EINVAL;
	snprintf(out, len, "%04x:%02x:%02x.%x", dom, bus, dev, fn);
	return 0;
}

static int sysfs_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* Name of the driver @bdf is bound to, "" for none. */
static void driver_of(const char *bdf, char *drv, size_t len)
{
	char path[256], link[256];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = '\0';
	snprintf(drv, len, "%s", strrchr(link, '/') ? strrchr(link, '/') + 1 : "");
}

/*
 * Hand @bdf to @driver for this boot, as driverctl(8) does persistently:
 * driver_override, unbind from the current driver, reprobe. -ENODEV if
 * @driver did not take it (not loaded, or it refused: see dmesg).
 */
static int bind_to(const char *bdf, const char *driver)
{
	char path[256], drv[64];
	int ret;

	driver_of(bdf, drv, sizeof(drv));
	if (!strcmp(drv, driver))
		return 0;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override",
		 bdf);
	ret = sysfs_write(path, driver);
	if (ret)
		return ret;
	if (drv[0]) {
		snprintf(path, sizeof(path),
			 "/sys/bus/pci/devices/%s/driver/unbind", bdf);
		sysfs_write(path, bdf);
	}
	sysfs_write("/sys/bus/pci/drivers_probe", bdf);
	driver_of(bdf, drv, sizeof(drv));
	return strcmp(drv, driver) ? -ENODEV : 0;
}

/* Bus address of BAR @bar: line @bar of the sysfs resource file. */
static int bar_bus_address(const char *bdf, unsigned int bar, uint64_t *addr)
{
	char path[256], line[128];
	unsigned long long start = 0;
	unsigned int i;
	FILE *fp;
	int ret = -ENOENT;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource", bdf);
	fp = fopen(path, "re");
	if (!fp)
		return -errno;
	for (i = 0; fgets(line, sizeof(line), fp); i++) {
		if (i == bar) {
			if (sscanf(line, "%llx", &start) == 1 && start)
				ret = 0;
			break;
		}
	}
	fclose(fp);
	*addr = start;
	return ret;
}

/* ---- the kernel log: DMAR faults since the start ---- */

static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

static int kmsg_dmar_faults(struct flow *f)
{
	char rec[2048];
	int n = 0;
	ssize_t r;

	if (f->kmsg < 0)
		return -EBADF;
	for (;;) {
		r = read(f->kmsg, rec, sizeof(rec) - 1);
		if (r < 0 && errno == EPIPE)
			continue;	/* records overwritten: go on */
		if (r <= 0)
			break;
		rec[r] = '\0';
		if (strstr(rec, "DMAR") && (strstr(rec, "fault") ||
					    strstr(rec, "[DMA "))) {
			rec[strcspn(rec, "\n")] = '\0';
			flow_say(f->o, "  kernel: %s", strchr(rec, ';') ?
				 strchr(rec, ';') + 1 : rec);
			n++;
		}
	}
	return n;
}

/* ---- VFIO config space ---- */

static int set_memory_decode(struct flow *f, bool on)
{
	struct vfio_region_info ri;
	uint16_t cmd;
	int ret;

	ret = vfio_dmabuf_region(vfio_dmabuf_device_fd(f->dev), VFIO_PCI_CONFIG_REGION_INDEX, &ri);
	if (ret)
		return ret;
	if (pread(vfio_dmabuf_device_fd(f->dev), &cmd, 2, (off_t)(ri.offset + PCI_COMMAND)) != 2)
		return -errno;
	cmd = on ? cmd | PCI_COMMAND_MEMORY : cmd & ~PCI_COMMAND_MEMORY;
	if (pwrite(vfio_dmabuf_device_fd(f->dev), &cmd, 2, (off_t)(ri.offset + PCI_COMMAND)) != 2)
		return -errno;
	return 0;
}

/* ---- the peer: edu-importer ---- */

static int imp_info(struct flow *f, struct edu_imp_info *info)
{
	memset(info, 0, sizeof(*info));
	return ioctl(f->imp, EDU_IMP_IOC_INFO, info) ? -errno : 0;
}

/* edu DMAs @len bytes of @src into the dma-buf at @off, chunk by chunk. */
static int peer_write(struct flow *f, uint64_t off, const uint8_t *src,
		      uint32_t len, unsigned int *chunks)
{
	struct edu_imp_dma req = { .dir = EDU_IMP_DIR_TO_DMABUF };
	uint32_t done, n;

	*chunks = 0;
	for (done = 0; done < len; done += n) {
		n = len - done < EDU_CHUNK ? len - done : EDU_CHUNK;
		req.offset = off + done;
		req.user_buf = (uintptr_t)(src + done);
		req.len = n;
		if (ioctl(f->imp, EDU_IMP_IOC_DMA, &req))
			return -errno;
		(*chunks)++;
	}
	return 0;
}

/* ---- steps ---- */

static bool step_bind(struct flow *f)
{
	char drv[64] = "";
	int ret;

	ret = flow_find_pci(FLOW_PCI_CLASS_NVME, 0, 0, f->bdf, sizeof(f->bdf));
	if (f->cfg->nvme[0])
		ret = pci_name(f->cfg->nvme, f->bdf, sizeof(f->bdf));
	if (ret) {
		flow_say(f->o, "  no NVMe controller: %s", err(ret));
		return false;
	}
	driver_of(f->bdf, drv, sizeof(drv));
	flow_say(f->o, "NVMe %s (driver now: %s) -> " VFIO_DMABUF_DRIVER,
		 f->bdf, drv[0] ? drv : "none");
	ret = bind_to(f->bdf, VFIO_DMABUF_DRIVER);
	if (ret) {
		flow_say(f->o, "  bind: %s%s", err(ret),
			 ret == -ENODEV ? " (modprobe vfio-pci-dmabuf first; see dmesg)" : "");
		return false;
	}
	ret = vfio_dmabuf_device_open(f->bdf, 0, &f->dev);
	if (ret) {
		flow_say(f->o, "  open: %s: %s", err(ret),
			 vfio_dmabuf_explain(VFIO_DMABUF_OP_OPEN, ret));
		return false;
	}
	ret = vfio_dmabuf_probe(vfio_dmabuf_device_fd(f->dev));
	flow_say(f->o, "  opened through its IOMMU group (type1 container); "
		 "dma-buf feature: %s", ret ? err(ret) : "served");
	if (ret)
		return false;
	ret = nvme_attach(&f->c, f->dev, FLOW_IOVA_BASE);
	if (ret) {
		flow_say(f->o, "  NVMe registers: %s", err(ret));
		return false;
	}
	f->attached = true;
	flow_say(f->o, "  CAP %#018" PRIx64 ", NVMe %u.%u, doorbell stride %u, "
		 "ready timeout %u ms", f->c.cap, f->c.vs >> 16,
		 (f->c.vs >> 8) & 0xff, f->c.dstrd, f->c.timeout_ms);
	return true;
}

static bool bring_up(struct flow *f)
{
	struct nvme_cmb *m = &f->c.cmb;
	uint64_t t;
	int ret;

	t = flow_now_ns();
	ret = nvme_disable(&f->c);
	if (ret) {
		say_nvme_err(f, "reset (CC.EN=0)", ret);
		return false;
	}
	flow_say(f->o, "  reset: CC.EN=0, CSTS.RDY=0 (%.1f ms)", ms_since(t));

	t = flow_now_ns();
	ret = nvme_cmb_locate(&f->c);	/* its BAR, to learn the bus address */
	if (ret == -ENODEV && m->present)
		ret = nvme_cmb_enable(&f->c, 0);	/* sets CRE */
	if (!ret)
		ret = bar_bus_address(f->bdf, m->bir, &f->cmb_bus);
	if (!ret)
		ret = nvme_cmb_enable(&f->c, f->cmb_bus + m->bar_offset);
	if (ret) {
		flow_say(f->o, "  CMB: %s%s", err(ret), ret == -ENODEV ?
			 " (no CMB: CAP.CMBS clear or CMBSZ zero)" : "");
		return false;
	}
	flow_say(f->o, "  CMB: CMBLOC %#x CMBSZ %#x -> BAR%u+%#" PRIx64 ", %" PRIu64
		 " MiB, write data %s, read data %s",
		 m->cmbloc, m->cmbsz, m->bir, m->bar_offset, m->size >> 20,
		 m->wds ? "yes" : "no", m->rds ? "yes" : "no");
	flow_say(f->o, "  CMBMSC: CRE+CMSE, controller base address %#" PRIx64
		 " (the BAR's bus address) (%.1f ms)", m->cba, ms_since(t));
	if (!m->wds) {
		flow_say(f->o, "  the CMB does not hold write data (CMBSZ.WDS)");
		return false;
	}

	t = flow_now_ns();
	ret = nvme_enable(&f->c);
	if (ret) {
		say_nvme_err(f, "enable (CC.EN=1)", ret);
		return false;
	}
	flow_say(f->o, "  enable: admin queues at IOVA %#" PRIx64 "/%#" PRIx64
		 ", CC.EN=1, CSTS.RDY=1 (%.1f ms)", f->c.admin.sq.iova,
		 f->c.admin.cq.iova, ms_since(t));

	t = flow_now_ns();
	ret = nvme_identify(&f->c);
	if (ret) {
		say_nvme_err(f, "identify", ret);
		if (ret == -ENXIO)
			flow_say(f->o, "  (the controller has no active namespace)");
		return false;
	}
	flow_say(f->o, "  IDENTIFY: \"%s\" serial %s fw %s, %u namespace(s), "
		 "max transfer %u KiB (%.1f ms)", f->c.model, f->c.serial,
		 f->c.firmware, f->c.nn, f->c.max_xfer >> 10, ms_since(t));
	flow_say(f->o, "  namespace %u: %" PRIu64 " blocks of %u bytes (%" PRIu64
		 " MiB)", f->c.nsid, f->c.nsze, f->c.lba_size,
		 f->c.nsze * f->c.lba_size >> 20);

	t = flow_now_ns();
	ret = nvme_create_io_queues(&f->c);
	if (ret) {
		say_nvme_err(f, "create I/O queues", ret);
		return false;
	}
	flow_say(f->o, "  I/O queue pair 1: CQ at IOVA %#" PRIx64 ", SQ at IOVA %#"
		 PRIx64 ", %u entries, polled (%.1f ms)", f->c.io.cq.iova,
		 f->c.io.sq.iova, NVME_QDEPTH, ms_since(t));
	return true;
}

static bool step_start(struct flow *f)
{
	int ret;

	if (!bring_up(f))
		return false;
	f->nblk = FLOW_XFER / f->c.lba_size;
	f->lba_x = FLOW_X_BYTES / f->c.lba_size;
	f->lba_y = f->lba_x + f->nblk;
	if ((f->lba_y + f->nblk) > f->c.nsze) {
		flow_say(f->o, "  namespace too small for the story");
		return false;
	}
	ret = nvme_dma_alloc(&f->c, 1 << 20, &f->host);
	if (ret) {
		flow_say(f->o, "  host memory (VFIO_IOMMU_MAP_DMA): %s", err(ret));
		return false;
	}
	flow_say(f->o, "  host buffer: 1 MiB of anonymous memory at IOVA %#" PRIx64
		 " (VFIO_IOMMU_MAP_DMA)", f->host.iova);
	return true;
}

static bool step_export(struct flow *f)
{
	struct vfio_region_dma_range r = {
		.offset = f->c.cmb.bar_offset, .length = FLOW_EXPORT_LEN,
	};
	struct vfio_region_dma_range win;
	char name[64] = "";
	unsigned int bar;
	int ret;

	/* The library finds the same window as the driver's own registers. */
	ret = vfio_dmabuf_nvme_cmb(vfio_dmabuf_device_fd(f->dev), &bar, &win);
	flow_say(f->o, "  vfio_dmabuf_nvme_cmb(): %s BAR%u [%#llx, +%#llx)",
		 ret ? err(ret) : "", bar, (unsigned long long)win.offset,
		 (unsigned long long)win.length);
	if (ret || bar != f->c.cmb.bir || win.offset != f->c.cmb.bar_offset ||
	    win.length != f->c.cmb.size)
		return false;
	f->dmabuf = vfio_dmabuf_export(vfio_dmabuf_device_fd(f->dev),
				       f->c.cmb.bir, &r, 1, O_RDWR);
	if (f->dmabuf < 0) {
		flow_say(f->o, "  export BAR%u [%#llx, +%#llx): %s: %s", f->c.cmb.bir,
			 (unsigned long long)r.offset, (unsigned long long)r.length,
			 err(f->dmabuf),
			 vfio_dmabuf_explain(VFIO_DMABUF_OP_EXPORT, f->dmabuf));
		return false;
	}
	vfio_dmabuf_exp_name(f->dmabuf, name, sizeof(name));
	flow_say(f->o, "  CMB [0, %u KiB) = BAR%u [%#llx, +%#llx) -> dma-buf fd %d, "
		 "%lld bytes, exporter %s", FLOW_EXPORT_LEN >> 10, f->c.cmb.bir,
		 (unsigned long long)r.offset, (unsigned long long)r.length,
		 f->dmabuf, (long long)vfio_dmabuf_size(f->dmabuf), name);
	return vfio_dmabuf_size(f->dmabuf) == FLOW_EXPORT_LEN;
}

static bool step_peer(struct flow *f)
{
	struct edu_imp_attach at = { .flags = EDU_IMP_ATTACH_DYNAMIC };
	struct edu_imp_info info;
	unsigned int chunks;
	char drv[64] = "";
	uint64_t t;
	int ret;

	if (!f->cfg->edu[0]) {
		ret = flow_find_pci(0, FLOW_EDU_VID, FLOW_EDU_DID, drv,
				    sizeof(drv));
	} else {
		ret = 0;
		snprintf(drv, sizeof(drv), "%s", f->cfg->edu);
	}
	if (ret) {
		flow_say(f->o, "  no edu device (the peer): %s", err(ret));
		return false;
	}
	ret = bind_to(drv, FLOW_EDU_DRIVER);
	if (ret) {
		flow_say(f->o, "  bind edu %s to " FLOW_EDU_DRIVER ": %s%s", drv,
			 err(ret), ret == -ENODEV ? " (modprobe edu-importer)" : "");
		return false;
	}
	f->imp = open(FLOW_EDU_DEV, O_RDWR | O_CLOEXEC);
	if (f->imp < 0) {
		f->imp = -1;
		flow_say(f->o, "  open " FLOW_EDU_DEV ": %s", err(-errno));
		return false;
	}
	at.fd = f->dmabuf;
	if (ioctl(f->imp, EDU_IMP_IOC_ATTACH, &at) ||
	    ioctl(f->imp, EDU_IMP_IOC_MAP)) {
		ret = -errno;
		flow_say(f->o, "  attach/map: %s (the kernel log says why)", err(ret));
		return false;
	}
	imp_info(f, &info);
	flow_say(f->o, "  edu %s attached (dynamic, peer2peer %u): CMB at dma "
		 "address %#llx for edu", drv, info.peer2peer,
		 (unsigned long long)info.first_dma_addr);
	fill(f->pattern, FLOW_XFER, "CMB pattern #1, put here by edu's DMA. ", 0x31);
	t = flow_now_ns();
	ret = peer_write(f, 0, f->pattern, FLOW_XFER, &chunks);
	if (ret) {
		flow_say(f->o, "  edu DMA: %s", err(ret));
		return false;
	}
	flow_say(f->o, "  edu -> CMB [0, %u): %u bytes in %u DMAs of <= %u bytes "
		 "(%.1f ms)", FLOW_XFER, FLOW_XFER, chunks, EDU_CHUNK, ms_since(t));
	show_bytes(f, "pattern:", f->pattern);
	return true;
}

static bool write_from_cmb(struct flow *f, uint64_t lba, const char *label)
{
	uint64_t addr = f->c.cmb.cba, t = flow_now_ns();
	int ret;

	ret = nvme_io(&f->c, NVME_CMD_WRITE, lba, f->nblk, addr);
	if (ret) {
		say_nvme_err(f, "WRITE", ret);
		return false;
	}
	flow_say(f->o, "  WRITE %s: CMB (PRP %#" PRIx64 ", controller address) "
		 "-> LBA %" PRIu64 "..%" PRIu64 ": %u bytes, status Successful "
		 "Completion (%.1f ms)", label, addr, lba, lba + f->nblk - 1,
		 FLOW_XFER, ms_since(t));
	return true;
}

static bool read_check(struct flow *f, uint64_t lba, const uint8_t *want,
		       const char *label)
{
	uint64_t t = flow_now_ns();
	long bad;
	int ret;

	memset(f->host.va, 0xee, FLOW_XFER);
	ret = nvme_io(&f->c, NVME_CMD_READ, lba, f->nblk, f->host.iova);
	if (ret) {
		say_nvme_err(f, "READ", ret);
		return false;
	}
	flow_say(f->o, "  READ %s: LBA %" PRIu64 "..%" PRIu64 " -> host memory "
		 "(PRP IOVA %#" PRIx64 "): %u bytes (%.1f ms)", label, lba,
		 lba + f->nblk - 1, f->host.iova, FLOW_XFER, ms_since(t));
	show_bytes(f, "host memory:", f->host.va);
	bad = mismatch(f->host.va, want, FLOW_XFER);
	if (bad >= 0)
		flow_say(f->o, "  MISMATCH at byte %ld: %#x, want %#x", bad,
			 f->host.va[bad], want[bad]);
	else
		flow_say(f->o, "  all %u bytes are the pattern edu put in the CMB",
			 FLOW_XFER);
	return bad < 0;
}

static bool step_write(struct flow *f)
{
	return write_from_cmb(f, f->lba_x, "X");
}

static bool step_read(struct flow *f)
{
	return read_check(f, f->lba_x, f->pattern, "X");
}

static bool step_revoke(struct flow *f)
{
	struct edu_imp_info before, after;
	uint8_t junk[64];
	struct edu_imp_dma req = {
		.offset = 0, .user_buf = (uintptr_t)junk, .len = sizeof(junk),
		.dir = EDU_IMP_DIR_FROM_DMABUF,
	};
	uint32_t csts;
	uint64_t t;
	int ret;

	imp_info(f, &before);
	t = flow_now_ns();
	ret = set_memory_decode(f, false);
	if (ret) {
		flow_say(f->o, "  config write: %s", err(ret));
		return false;
	}
	imp_info(f, &after);
	flow_say(f->o, "  PCI_COMMAND.MEMORY=0 (VFIO config region) (%.1f ms)",
		 ms_since(t));
	flow_say(f->o, "  importer told: move_notify %llu -> %llu, mapped %u",
		 (unsigned long long)before.move_notify_count,
		 (unsigned long long)after.move_notify_count, after.mapped);
	f->revoke_dma_err = ioctl(f->imp, EDU_IMP_IOC_DMA, &req) ? -errno : 0;
	flow_say(f->o, "  edu's next DMA: %s", f->revoke_dma_err ?
		 err(f->revoke_dma_err) : "succeeded (!)");
	ret = ioctl(f->imp, EDU_IMP_IOC_MAP) ? -errno : 0;
	flow_say(f->o, "  edu re-map: %s", ret ? err(ret) : "succeeded (!)");
	f->revoke_reg_err = nvme_read32(&f->c, NVME_REG_CSTS, &csts);
	flow_say(f->o, "  NVMe register read (CSTS): %s",
		 f->revoke_reg_err ? err(f->revoke_reg_err) : "succeeded (!)");

	t = flow_now_ns();
	ret = ioctl(vfio_dmabuf_device_fd(f->dev), VFIO_DEVICE_RESET) ? -errno : 0;
	flow_say(f->o, "  controller reset (VFIO_DEVICE_RESET, function level): "
		 "%s (%.1f ms)", ret ? err(ret) : "done", ms_since(t));
	f->c.io_created = false;
	return !ret && after.move_notify_count > before.move_notify_count &&
	       !after.mapped && f->revoke_dma_err == -ENODEV &&
	       f->revoke_reg_err == -EIO;
}

static bool step_recover(struct flow *f)
{
	unsigned int chunks;
	uint64_t t;
	int ret;

	t = flow_now_ns();
	ret = set_memory_decode(f, true);
	if (ret) {
		flow_say(f->o, "  config write: %s", err(ret));
		return false;
	}
	ret = ioctl(f->imp, EDU_IMP_IOC_MAP) ? -errno : 0;
	flow_say(f->o, "  PCI_COMMAND.MEMORY=1; edu re-maps the dma-buf: %s "
		 "(%.1f ms)", ret ? err(ret) : "ok", ms_since(t));
	if (ret)
		return false;
	flow_say(f->o, "  the controller starts over:");
	if (!bring_up(f))
		return false;
	fill(f->pattern2, FLOW_XFER, "CMB pattern #2, after the revoke. ", 0x72);
	t = flow_now_ns();
	ret = peer_write(f, 0, f->pattern2, FLOW_XFER, &chunks);
	if (ret) {
		flow_say(f->o, "  edu DMA: %s", err(ret));
		return false;
	}
	flow_say(f->o, "  edu -> CMB [0, %u): %u bytes in %u DMAs (%.1f ms)",
		 FLOW_XFER, FLOW_XFER, chunks, ms_since(t));
	if (!write_from_cmb(f, f->lba_y, "Y"))
		return false;
	if (!read_check(f, f->lba_y, f->pattern2, "Y"))
		return false;
	flow_say(f->o, "  and X kept pattern #1 through the reset:");
	return read_check(f, f->lba_x, f->pattern, "X");
}

static bool step_shutdown(struct flow *f)
{
	uint64_t t = flow_now_ns();
	int ret, faults;

	ret = nvme_shutdown(&f->c);
	if (ret) {
		say_nvme_err(f, "shutdown", ret);
		return false;
	}
	flow_say(f->o, "  I/O queues deleted, CC.SHN=normal, CSTS.SHST=complete, "
		 "CC.EN=0 (%.1f ms)", ms_since(t));
	faults = kmsg_dmar_faults(f);
	if (faults < 0)
		flow_say(f->o, "  kernel log: cannot read /dev/kmsg (%s)", err(faults));
	else
		flow_say(f->o, "  kernel log since the start: %d DMAR fault line(s)",
			 faults);
	return faults <= 0;
}

static void cleanup(struct flow *f)
{
	if (f->imp >= 0)
		close(f->imp);
	if (f->dmabuf >= 0)
		close(f->dmabuf);
	if (f->attached) {
		nvme_dma_free(&f->c, &f->host);
		nvme_detach(&f->c);
	}
	vfio_dmabuf_device_close(f->dev);
	f->dev = NULL;
	if (f->kmsg >= 0)
		close(f->kmsg);
}

int flow_run(struct flow_out *o, const struct flow_cfg *cfg)
{
	static const struct {
		const char *slug, *title;
		bool (*fn)(struct flow *f);
	} steps[NSTEPS] = {
		{ "bind_open", "bind the NVMe to vfio-pci-dmabuf and open it", step_bind },
		{ "controller_up", "reset, CMB on, enable, identify, I/O queues", step_start },
		{ "export_cmb", "export the CMB as a dma-buf", step_export },
		{ "peer_dma_into_cmb", "the peer (edu) DMAs a pattern into the CMB", step_peer },
		{ "write_from_cmb", "NVMe WRITE from the CMB to LBA range X", step_write },
		{ "read_to_host", "NVMe READ of X into host memory", step_read },
		{ "revoke", "revoke: memory decoding off, controller reset", step_revoke },
		{ "recover", "re-enable: the peer and the NVMe work again", step_recover },
		{ "shutdown", "clean shutdown, no DMAR fault", step_shutdown },
	};
	struct flow *f;
	uint64_t t0 = flow_now_ns(), t;
	int i, failed;

	f = calloc(1, sizeof(*f));
	if (!f)
		return 1;
	f->o = o;
	f->cfg = cfg;
	f->dmabuf = -1;
	f->imp = -1;
	f->kmsg = kmsg_open();
	o->step = 0;
	o->nsteps = NSTEPS;
	o->failed = 0;
	o->broken = false;
	for (i = 0; i < NSTEPS; i++) {
		if (!begin(o, steps[i].slug, steps[i].title))
			continue;
		t = flow_now_ns();
		end(o, steps[i].fn(f), steps[i].slug, t);
	}
	if (!o->failed)
		flow_say(o, "verdict: PASS: edu -> CMB -> NVMe LBA %" PRIu64
			 " -> host memory, %u bytes intact; revoke stopped the "
			 "peer (%s) and the registers (%s); recovered after "
			 "re-enable; clean shutdown (%.1f s)", f->lba_x, FLOW_XFER,
			 strerrorname_np(-f->revoke_dma_err),
			 strerrorname_np(-f->revoke_reg_err), ms_since(t0) / 1000);
	else
		flow_say(o, "verdict: FAIL: %d of %d steps failed (%.1f s)",
			 o->failed, NSTEPS, ms_since(t0) / 1000);
	failed = o->failed;
	cleanup(f);
	free(f);
	return failed;
}

/* ---- throughput ---- */

/*
 * @n commands of @size bytes each from @a (and, when @b is not 0,
 * alternately from @b to the same LBAs), each source timed on its own:
 * alternating keeps the host's load drifting equally over both.
 */
static int timed_io(struct nvme_ctrl *c, uint8_t op, uint64_t lba0,
		    uint32_t size, uint32_t total, uint64_t a, uint64_t b,
		    double *mbps_a, double *mbps_b)
{
	uint32_t nblk = size / c->lba_size, n = total / size, i;
	uint64_t ta = 0, tb = 0, t;
	int ret = 0;

	if (n < 4)
		n = 4;
	for (i = 0; i < n; i++) {
		t = flow_now_ns();
		ret = nvme_io(c, op, lba0 + (uint64_t)i * nblk, nblk, a);
		ta += flow_now_ns() - t;
		if (ret || !b)
			continue;
		t = flow_now_ns();
		ret = nvme_io(c, op, lba0 + (uint64_t)i * nblk, nblk, b);
		tb += flow_now_ns() - t;
		if (ret)
			return ret;
	}
	if (ret)
		return ret;
	*mbps_a = (double)size * n / ((double)ta / 1e9) / 1e6;
	if (b)
		*mbps_b = (double)size * n / ((double)tb / 1e9) / 1e6;
	return 0;
}

int flow_bench(struct flow_out *o, const struct flow_cfg *cfg)
{
	struct flow f0 = { .o = o, .cfg = cfg, .dmabuf = -1, .imp = -1,
			   .kmsg = -1 };
	struct flow *f = &f0;
	unsigned int i, size, max;
	double wc, wh, rh;
	uint64_t lba0;
	char buf[200];
	int ret = 0;

	if (cfg->nvme[0])
		ret = pci_name(cfg->nvme, f->bdf, sizeof(f->bdf));
	else
		ret = flow_find_pci(FLOW_PCI_CLASS_NVME, 0, 0, f->bdf,
				    sizeof(f->bdf));
	if (!ret)
		ret = bind_to(f->bdf, VFIO_DMABUF_DRIVER);
	if (!ret)
		ret = vfio_dmabuf_device_open(f->bdf, 0, &f->dev);
	if (!ret)
		ret = nvme_attach(&f->c, f->dev, FLOW_IOVA_BASE);
	if (ret) {
		flow_say(o, "bench: NVMe: %s", err(ret));
		goto out;
	}
	f->attached = true;
	if (!bring_up(f)) {
		ret = -EIO;
		goto out;
	}
	max = f->c.max_xfer ? f->c.max_xfer : 1u << 20;
	if (max > f->c.cmb.size)
		max = (uint32_t)f->c.cmb.size;
	ret = nvme_dma_alloc(&f->c, max, &f->host);
	if (ret) {
		flow_say(o, "bench: host memory: %s", err(ret));
		goto out;
	}
	lba0 = (16ULL << 20) / f->c.lba_size;
	/*
	 * Write the whole range once, untimed: the first write of a block
	 * costs the backing store an allocation (QEMU's qcow2 overlay here),
	 * which would otherwise be charged to whichever source came first.
	 */
	for (i = 0; !ret && i < cfg->bench_total / max + 1; i++)
		if (lba0 + (uint64_t)(i + 1) * (max / f->c.lba_size) <= f->c.nsze)
			ret = nvme_io(&f->c, NVME_CMD_WRITE,
				      lba0 + (uint64_t)i * (max / f->c.lba_size),
				      max / f->c.lba_size, f->host.iova);
	if (ret) {
		say_nvme_err(f, "bench warm-up WRITE", ret);
		goto out;
	}
	flow_say(o, "throughput, %u KiB per size and source (at least 4 commands), "
		 "queue depth 1, CMB and host writes alternating:",
		 cfg->bench_total >> 10);
	flow_say(o, "%10s %18s %18s %18s %14s", "size", "WRITE from CMB",
		 "WRITE from host", "READ to host", "CMB/host write");
	for (i = 0; i < 8 && cfg->bench_sizes[i]; i++) {
		size = cfg->bench_sizes[i];
		if (size > max || size % f->c.lba_size ||
		    lba0 + cfg->bench_total / f->c.lba_size > f->c.nsze) {
			flow_say(o, "%8u B   (skipped: above the max transfer %u or the "
				 "namespace)", size, max);
			continue;
		}
		ret = timed_io(&f->c, NVME_CMD_WRITE, lba0, size,
			       cfg->bench_total, f->c.cmb.cba, f->host.iova,
			       &wc, &wh);
		if (!ret)
			ret = timed_io(&f->c, NVME_CMD_READ, lba0, size,
				       cfg->bench_total, f->host.iova, 0, &rh,
				       NULL);
		if (ret) {
			if (ret == -EIO)
				flow_say(o, "bench: %s",
					 nvme_status_str(&f->c, buf, sizeof(buf)));
			else
				flow_say(o, "bench: %s", err(ret));
			goto out;
		}
		flow_say(o, "%7u KiB %13.1f MB/s %13.1f MB/s %13.1f MB/s %13.2fx",
			 size >> 10, wc, wh, rh, wc / wh);
	}
	ret = nvme_shutdown(&f->c);
	if (ret)
		say_nvme_err(f, "shutdown", ret);
out:
	cleanup(f);
	return ret;
}
