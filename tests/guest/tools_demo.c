// SPDX-License-Identifier: GPL-2.0
/*
 * The vfio-pci-dmabuf story, told step by step for a person (make demo),
 * and checked like a test: each step is one TAP point, the narration is
 * TAP comments. Basic topology: ivshmem (exporter, BAR2) and edu (importer,
 * through edu-importer.ko), P2P through the q35 host bridge.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vfio-dmabuf.h"

#include "../importer/edu_importer.h"
#include "bench_util.h"
#include "tools_util.h"

#define NSTEPS		10
#define DMA_LEN		2048
#define EXPORT_LEN	(64 << 10)
#define P2P_PARAM	"p2p_host_bridges=8086:29c0"
#define PCI_COMMAND	0x04
#define PCI_COMMAND_MEMORY 0x2

struct demo {
	int step;
	int failed;
	bool broken;		/* a step failed: later ones cannot run */
	char bdf[32];		/* ivshmem */
	char edu[32];
	struct vfio_dmabuf_device *dev;
	volatile uint8_t *bar;
	size_t bar_size;
	int dmabuf;
	int imp;
};

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

/* TAP names are slugs (verdict lines are split on spaces); titles are for people. */
static bool begin(struct demo *d, const char *slug, const char *title)
{
	d->step++;
	printf("#\n# ==== Step %d/%d: %s ====\n", d->step, NSTEPS, title);
	if (d->broken) {
		printf("ok %d - demo.%s # SKIP an earlier step failed\n", d->step, slug);
		return false;
	}
	return true;
}

static void end(struct demo *d, bool ok, const char *slug)
{
	if (!ok) {
		d->failed++;
		d->broken = true;
	}
	printf("%sok %d - demo.%s\n", ok ? "" : "not ", d->step, slug);
	fflush(stdout);
}

/* Show a CLI run like a terminal session; returns its exit status. */
static int show_cli(const char *a1, const char *a2, const char *a3)
{
	char out[4096], *line, *save;
	int rc;

	say("$ vfio-dmabuf %s %s%s%s", a1, a2, a3 ? " " : "", a3 ? a3 : "");
	rc = tools_cli(out, sizeof(out), a1, a2, a3, NULL);
	for (line = strtok_r(out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		say("  %s", line);
	if (rc)
		say("  (exit status %d)", rc);
	return rc;
}

static void show_bytes(const char *what, const volatile uint8_t *p)
{
	char hex[3 * 16 + 1], txt[17];
	int i;

	for (i = 0; i < 16; i++) {
		snprintf(hex + 3 * i, 4, "%02x ", p[i]);
		txt[i] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '.';
	}
	txt[16] = '\0';
	say("  %-22s %s |%s|", what, hex, txt);
}

static void fill(uint8_t *buf, size_t len, const char *text, uint8_t seed)
{
	size_t i, n = strlen(text);

	for (i = 0; i < len; i++)
		buf[i] = (uint8_t)(i * 7 + seed);
	memcpy(buf, text, n < len ? n : len);
}

static size_t first_mismatch(const volatile uint8_t *a, const uint8_t *b,
			     size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (a[i] != b[i])
			return i;
	return len;
}

static int edu_dma(int imp, uint64_t off, void *buf, uint32_t len, uint32_t dir)
{
	struct edu_imp_dma req = {
		.offset = off, .user_buf = (uintptr_t)buf, .len = len, .dir = dir,
	};

	return ioctl(imp, EDU_IMP_IOC_DMA, &req) ? -errno : 0;
}

static int edu_info(int imp, struct edu_imp_info *info)
{
	memset(info, 0, sizeof(*info));
	return ioctl(imp, EDU_IMP_IOC_INFO, info) ? -errno : 0;
}

static int set_memory_decode(struct demo *d, bool on)
{
	struct vfio_region_info ri;
	uint16_t cmd;
	int ret;

	ret = vfio_dmabuf_region(vfio_dmabuf_device_fd(d->dev), VFIO_PCI_CONFIG_REGION_INDEX, &ri);
	if (ret)
		return ret;
	if (pread(vfio_dmabuf_device_fd(d->dev), &cmd, 2, ri.offset + PCI_COMMAND) != 2)
		return -errno;
	cmd = on ? cmd | PCI_COMMAND_MEMORY : cmd & ~PCI_COMMAND_MEMORY;
	if (pwrite(vfio_dmabuf_device_fd(d->dev), &cmd, 2, ri.offset + PCI_COMMAND) != 2)
		return -errno;
	return 0;
}

static void show_debugfs(const char *bdf)
{
	char path[256], line[256];
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/vfio-pci-dmabuf/%s/exports",
		 bdf);
	f = fopen(path, "re");
	if (!f) {
		say("  (cannot read %s: %s)", path, strerror(errno));
		return;
	}
	say("  %s:", path);
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		say("    %s", line);
		n++;
	}
	if (!n)
		say("    (no live exports)");
	fclose(f);
}

static bool step_load(void)
{
	char val[128] = "";
	int ret;

	say("The exporter is a vfio-pci variant driver. P2P between two devices");
	say("that only share the host bridge must be allowed explicitly: QEMU's");
	say("q35 bridge 8086:29c0 is on no built-in list, hence the parameter.");
	say("$ modprobe vfio_pci_dmabuf " P2P_PARAM);
	ret = bench_modprobe("vfio_pci_dmabuf", P2P_PARAM);
	if (!ret)
		ret = bench_modprobe("vfio_iommu_type1", NULL);
	if (ret) {
		say("  modprobe failed: %s", strerrorname_np(-ret));
		return false;
	}
	bench_sysfs_read("/sys/module/vfio_pci_dmabuf/parameters/p2p_host_bridges",
			 val, sizeof(val));
	say("  loaded; p2p_host_bridges = %s", val);
	say("$ modprobe edu-importer   (test importer: QEMU's edu DMA engine)");
	ret = bench_modprobe("edu-importer", NULL);
	if (ret) {
		say("  modprobe failed: %s", strerrorname_np(-ret));
		return false;
	}
	return true;
}

static bool step_bind(struct demo *d)
{
	char drv[64] = "";
	int ret;

	if (bench_find_pci(PCI_VID_REDHAT_QUMRANET, PCI_DID_IVSHMEM, 0, d->bdf,
			   sizeof(d->bdf)) ||
	    bench_find_pci(PCI_VID_QEMU_EDU, PCI_DID_EDU, 0, d->edu,
			   sizeof(d->edu))) {
		say("ivshmem or edu not found: wrong topology?");
		return false;
	}
	bench_driver_of(d->bdf, drv, sizeof(drv));
	say("ivshmem-plain at %s (now: %s) has a 16 MiB RAM-backed BAR2.", d->bdf,
	    drv[0] ? drv : "no driver");
	say("The driver binds only on request, through driver_override");
	say("(persistent: driverctl set-override %s vfio-pci-dmabuf):", d->bdf);
	if (show_cli("bind", d->bdf, NULL))
		return false;
	ret = bench_bind(d->edu, "edu-importer");
	say("edu at %s bound to edu-importer: %s", d->edu,
	    ret ? strerrorname_np(-ret) : "ok");
	return !ret;
}

static bool step_probe(struct demo *d)
{
	say("Does the device's driver serve VFIO_DEVICE_FEATURE_DMA_BUF?");
	return show_cli("probe", d->bdf, NULL) == 0;
}

static bool step_pattern(struct demo *d, uint8_t *pattern)
{
	struct vfio_region_info ri;
	size_t i;
	int ret;

	say("Open the device the usual VFIO way (group + type1 container) and");
	say("mmap BAR2; write a pattern into its first %d bytes.", DMA_LEN);
	ret = vfio_dmabuf_device_open(d->bdf, 0, &d->dev);
	if (!ret)
		ret = vfio_dmabuf_region(vfio_dmabuf_device_fd(d->dev), 2, &ri);
	if (ret) {
		say("  open/region: %s: %s", strerrorname_np(-ret),
		    vfio_dmabuf_explain(VFIO_DMABUF_OP_OPEN, ret));
		return false;
	}
	d->bar = mmap(NULL, ri.size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      vfio_dmabuf_device_fd(d->dev), ri.offset);
	if (d->bar == MAP_FAILED) {
		d->bar = NULL;
		say("  mmap BAR2: %s", strerror(errno));
		return false;
	}
	d->bar_size = ri.size;
	fill(pattern, DMA_LEN, "Hello from ivshmem BAR2! ", 0x11);
	for (i = 0; i < DMA_LEN; i++)
		d->bar[i] = pattern[i];
	say("  group %d, BAR2 size %#zx mapped", bench_iommu_group(d->bdf, NULL),
	    d->bar_size);
	show_bytes("BAR2[0..16):", d->bar);
	return first_mismatch(d->bar, pattern, DMA_LEN) == DMA_LEN;
}

static bool step_export(struct demo *d)
{
	const struct vfio_region_dma_range r = { .offset = 0, .length = EXPORT_LEN };
	char name[64] = "?";

	say("Export BAR2 [0, 64 KiB) as a dma-buf (one range):");
	d->dmabuf = vfio_dmabuf_export(vfio_dmabuf_device_fd(d->dev), 2, &r, 1,
				       O_RDWR);
	if (d->dmabuf < 0) {
		say("  export failed: %s: %s", strerrorname_np(-d->dmabuf),
		    vfio_dmabuf_explain(VFIO_DMABUF_OP_EXPORT, d->dmabuf));
		return false;
	}
	vfio_dmabuf_exp_name(d->dmabuf, name, sizeof(name));
	say("  dma-buf fd %d, size %lld bytes, exp_name %s", d->dmabuf,
	    (long long)vfio_dmabuf_size(d->dmabuf), name);
	show_debugfs(d->bdf);
	return vfio_dmabuf_size(d->dmabuf) == EXPORT_LEN &&
	       !strcmp(name, "vfio_pci_dmabuf");
}

static bool step_dma_from(struct demo *d, const uint8_t *pattern)
{
	struct edu_imp_attach at = { .flags = EDU_IMP_ATTACH_DYNAMIC };
	struct edu_imp_info info;
	uint8_t got[DMA_LEN];
	size_t bad;
	int ret;

	say("edu-importer attaches (dynamic importer, allows peer2peer) and maps");
	say("the buffer; edu then DMAs %d bytes from it into its own memory.",
	    DMA_LEN);
	d->imp = open("/dev/edu-importer", O_RDWR | O_CLOEXEC);
	if (d->imp < 0) {
		say("  open /dev/edu-importer: %s", strerror(errno));
		return false;
	}
	at.fd = d->dmabuf;
	if (ioctl(d->imp, EDU_IMP_IOC_ATTACH, &at) ||
	    ioctl(d->imp, EDU_IMP_IOC_MAP)) {
		ret = -errno;
		say("  attach/map: %s (%s); see dmesg", strerrorname_np(-ret),
		    strerror(-ret));
		return false;
	}
	edu_info(d->imp, &info);
	say("  mapped: %u sg entr%s, first dma address %#llx, peer2peer %u",
	    info.nents, info.nents == 1 ? "y" : "ies",
	    (unsigned long long)info.first_dma_addr, info.peer2peer);
	memset(got, 0, sizeof(got));
	ret = edu_dma(d->imp, 0, got, DMA_LEN, EDU_IMP_DIR_FROM_DMABUF);
	if (ret) {
		say("  DMA failed: %s", strerrorname_np(-ret));
		return false;
	}
	show_bytes("edu read:", got);
	bad = first_mismatch(got, pattern, DMA_LEN);
	if (bad == DMA_LEN)
		say("  all %d bytes match what the CPU wrote through the mmap", DMA_LEN);
	else
		say("  MISMATCH at byte %zu", bad);
	show_debugfs(d->bdf);
	return bad == DMA_LEN;
}

static bool step_dma_to(struct demo *d)
{
	uint8_t data[DMA_LEN];
	size_t bad;
	int ret;

	say("The other way: edu DMAs %d bytes into the dma-buf at offset 4096;", DMA_LEN);
	say("the CPU reads them back through the BAR2 mmap.");
	fill(data, DMA_LEN, "Written by edu's DMA engine. ", 0x5a);
	ret = edu_dma(d->imp, 4096, data, DMA_LEN, EDU_IMP_DIR_TO_DMABUF);
	if (ret) {
		say("  DMA failed: %s", strerrorname_np(-ret));
		return false;
	}
	show_bytes("BAR2[4096..):", d->bar + 4096);
	bad = first_mismatch(d->bar + 4096, data, DMA_LEN);
	if (bad == DMA_LEN)
		say("  all %d bytes arrived in the BAR", DMA_LEN);
	else
		say("  MISMATCH at byte %zu", bad);
	return bad == DMA_LEN;
}

static bool step_decode_off(struct demo *d)
{
	struct edu_imp_info before, after;
	uint8_t got[DMA_LEN];
	int ret;

	say("Userspace turns memory decoding off (PCI_COMMAND.MEMORY = 0 through");
	say("VFIO's config region). The BAR stops answering, so the exporter");
	say("revokes: it tells every importer through move_notify.");
	edu_info(d->imp, &before);
	ret = set_memory_decode(d, false);
	if (ret) {
		say("  config write: %s", strerrorname_np(-ret));
		return false;
	}
	edu_info(d->imp, &after);
	say("  importer: move_notify calls %llu -> %llu, mapped %u, invalidated %u",
	    (unsigned long long)before.move_notify_count,
	    (unsigned long long)after.move_notify_count, after.mapped,
	    after.invalidated);
	ret = edu_dma(d->imp, 0, got, DMA_LEN, EDU_IMP_DIR_FROM_DMABUF);
	say("  DMA now: %s%s", ret ? strerrorname_np(-ret) : "succeeded (!)",
	    ret == -ENODEV ? " (refused: the mapping is gone, the BAR is untouched)" : "");
	ret = ioctl(d->imp, EDU_IMP_IOC_MAP) ? -errno : 0;
	say("  re-map now: %s%s", ret ? strerrorname_np(-ret) : "succeeded (!)",
	    ret == -ENODEV ? " (the buffer is revoked)" : "");
	show_debugfs(d->bdf);
	return after.move_notify_count > before.move_notify_count &&
	       !after.mapped && ret == -ENODEV;
}

static bool step_decode_on(struct demo *d, const uint8_t *pattern)
{
	struct edu_imp_info before, after;
	uint8_t got[DMA_LEN];
	size_t bad;
	int ret;

	say("Decoding back on: the buffer is live again; the importer is told");
	say("once more and maps again.");
	edu_info(d->imp, &before);
	ret = set_memory_decode(d, true);
	if (ret) {
		say("  config write: %s", strerrorname_np(-ret));
		return false;
	}
	edu_info(d->imp, &after);
	say("  importer: move_notify calls %llu -> %llu",
	    (unsigned long long)before.move_notify_count,
	    (unsigned long long)after.move_notify_count);
	ret = ioctl(d->imp, EDU_IMP_IOC_MAP) ? -errno : 0;
	say("  re-map: %s", ret ? strerrorname_np(-ret) : "ok");
	if (ret)
		return false;
	ret = edu_dma(d->imp, 0, got, DMA_LEN, EDU_IMP_DIR_FROM_DMABUF);
	if (ret) {
		say("  DMA failed: %s", strerrorname_np(-ret));
		return false;
	}
	show_bytes("edu read:", got);
	bad = first_mismatch(got, pattern, DMA_LEN);
	say("  %s", bad == DMA_LEN ? "the pattern is still there: all bytes match" :
	    "MISMATCH");
	return bad == DMA_LEN;
}

static bool step_close(struct demo *d)
{
	struct edu_imp_info before, after;
	uint8_t got[DMA_LEN];
	int dma, map;

	say("Close the VFIO device (unmap BAR2, close the device fd, group and");
	say("container) while the dma-buf fd and the importer's attachment stay.");
	say("Closing revokes for good: the device may now be reset or reused.");
	edu_info(d->imp, &before);
	munmap((void *)d->bar, d->bar_size);
	d->bar = NULL;
	vfio_dmabuf_device_close(d->dev);
	d->dev = NULL;
	edu_info(d->imp, &after);
	say("  importer: move_notify calls %llu -> %llu, mapped %u",
	    (unsigned long long)before.move_notify_count,
	    (unsigned long long)after.move_notify_count, after.mapped);
	dma = edu_dma(d->imp, 0, got, DMA_LEN, EDU_IMP_DIR_FROM_DMABUF);
	map = ioctl(d->imp, EDU_IMP_IOC_MAP) ? -errno : 0;
	say("  DMA: %s, re-map: %s", dma ? strerrorname_np(-dma) : "succeeded (!)",
	    map ? strerrorname_np(-map) : "succeeded (!)");
	say("  the dma-buf object lives on without the device: size %lld",
	    (long long)vfio_dmabuf_size(d->dmabuf));
	show_debugfs(d->bdf);
	ioctl(d->imp, EDU_IMP_IOC_DETACH);
	close(d->imp);
	close(d->dmabuf);
	d->imp = d->dmabuf = -1;
	say("  importer detached, dma-buf closed.");
	return after.move_notify_count > before.move_notify_count &&
	       !after.mapped && dma == -ENODEV && map == -ENODEV;
}

int main(void)
{
	static const char *const titles[NSTEPS][2] = {
		{ "load_driver", "load vfio-pci-dmabuf with the q35 host bridge allowed" },
		{ "bind", "bind ivshmem to vfio-pci-dmabuf via driver_override" },
		{ "probe", "vfio-dmabuf probe" },
		{ "pattern_via_mmap", "write a pattern into BAR2 through the VFIO mmap" },
		{ "export", "export BAR2 as a dma-buf" },
		{ "dma_from_dmabuf", "edu DMAs from the dma-buf: bytes match" },
		{ "dma_to_dmabuf", "edu DMAs into the dma-buf: bytes arrive in the BAR" },
		{ "decode_off_revokes", "memory decoding off: importer notified, DMA refused" },
		{ "decode_on_restores", "memory decoding on: map and DMA work again" },
		{ "close_revokes_for_good", "close the device: revoked for good" },
	};
	struct demo d = { .dmabuf = -1, .imp = -1 };
	uint8_t pattern[DMA_LEN];
	int i;

	printf("TAP version 13\n1..%d\n", NSTEPS);
	say("vfio-pci-dmabuf demo: a PCI BAR exported as a dma-buf, imported by");
	say("another device, revoked and restored with the device's state.");
	for (i = 0; i < NSTEPS; i++) {
		bool ok;

		if (!begin(&d, titles[i][0], titles[i][1]))
			continue;
		switch (i) {
		case 0: ok = step_load(); break;
		case 1: ok = step_bind(&d); break;
		case 2: ok = step_probe(&d); break;
		case 3: ok = step_pattern(&d, pattern); break;
		case 4: ok = step_export(&d); break;
		case 5: ok = step_dma_from(&d, pattern); break;
		case 6: ok = step_dma_to(&d); break;
		case 7: ok = step_decode_off(&d); break;
		case 8: ok = step_decode_on(&d, pattern); break;
		default: ok = step_close(&d); break;
		}
		end(&d, ok, titles[i][0]);
	}
	if (d.bar)
		munmap((void *)d.bar, d.bar_size);
	if (d.imp >= 0)
		close(d.imp);
	if (d.dmabuf >= 0)
		close(d.dmabuf);
	vfio_dmabuf_device_close(d.dev);
	say("%s", "");
	say("%s", d.failed ? "The demo FAILED at the step marked 'not ok' above." :
	    "Done: every step behaved as described.");
	return d.failed ? 1 : 0;
}
