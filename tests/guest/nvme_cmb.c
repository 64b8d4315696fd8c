// SPDX-License-Identifier: GPL-2.0
/*
 * Issue 13: the userspace NVMe driver of examples/nvme-cmb owns QEMU's
 * nvme (with a 16 MiB CMB and a namespace: topology "nvme") through
 * vfio-pci-dmabuf, exports its CMB, edu DMAs a pattern into it, the NVMe
 * WRITEs LBA range X straight from the CMB (PRPs = CMB controller
 * addresses), a READ of X into host memory (VFIO_IOMMU_MAP_DMA) returns the
 * pattern; memory decoding off and a function reset revoke the buffer (the
 * importer's next DMA gets ENODEV, register access EIO), and after
 * re-enable the peer and the controller work again. One TAP point per step
 * of the story (the checks are in examples/nvme-cmb/flow.c: bytes that
 * arrived, errnos, completion statuses), then:
 *  - a command the controller fails is reported by its status name;
 *  - the throughput of WRITE from the CMB vs from host memory (printed;
 *    the ratio is information, not a verdict).
 * NVME_CMB_STORY=1 (vm/demo) runs the story and the throughput only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-dmabuf.h"

#include "bench_util.h"
#include "flow.h"
#include "nvme.h"

#define P2P_PARAM	"p2p_host_bridges=8086:29c0"
#define NFLOW		9

static int load_modules(void)
{
	int ret = bench_modprobe("vfio_iommu_type1", NULL);

	if (!ret)
		ret = bench_modprobe("vfio_pci_dmabuf", P2P_PARAM);
	if (!ret)
		ret = bench_modprobe("edu-importer", NULL);
	return ret;
}

/*
 * A READ past the end of the namespace completes with Generic Command
 * Status / LBA Out of Range, and the driver names it so.
 */
static bool named_status(void)
{
	struct vfio_dmabuf_device *dev = NULL;
	struct nvme_ctrl c;
	struct nvme_dma buf = { 0 };
	char bdf[32], str[200];
	bool ok = false;
	int ret;

	ret = flow_find_pci(FLOW_PCI_CLASS_NVME, 0, 0, bdf, sizeof(bdf));
	if (!ret)
		ret = bench_bind(bdf, VFIO_DMABUF_DRIVER);
	if (!ret)
		ret = vfio_dmabuf_device_open(bdf, 0, &dev);
	if (!ret)
		ret = nvme_attach(&c, dev, FLOW_IOVA_BASE);
	if (ret) {
		printf("# open %s: %s\n", bdf, strerror(-ret));
		vfio_dmabuf_device_close(dev);
		return false;
	}
	ret = nvme_start(&c, 0);
	if (!ret)
		ret = nvme_dma_alloc(&c, NVME_PAGE, &buf);
	if (ret) {
		printf("# bring-up: %s\n", strerror(-ret));
		goto out;
	}
	ret = nvme_io(&c, NVME_CMD_READ, c.nsze, 1, buf.iova);
	nvme_status_str(&c, str, sizeof(str));
	printf("# READ of LBA %llu (namespace has %llu blocks): %s, %s\n",
	       (unsigned long long)c.nsze, (unsigned long long)c.nsze,
	       strerrorname_np(-ret), ret == -EIO ? str : "no status");
	ok = ret == -EIO && NVME_SCT(c.last_status) == 0 &&
	     NVME_SC(c.last_status) == 0x80 &&
	     !strcmp(str, "READ: LBA Out of Range (SCT 0 Generic Command "
		     "Status, SC 0x80, do not retry)");
	/* The queue still works after the failed command. */
	ret = nvme_io(&c, NVME_CMD_READ, 0, 1, buf.iova);
	printf("# then READ of LBA 0: %s\n", ret ? strerrorname_np(-ret) : "ok");
	ok = ok && !ret;
	ret = nvme_shutdown(&c);
	printf("# shutdown: %s\n", ret ? strerrorname_np(-ret) : "ok");
	ok = ok && !ret;
out:
	nvme_dma_free(&c, &buf);
	nvme_detach(&c);
	vfio_dmabuf_device_close(dev);
	return ok;
}

int main(void)
{
	struct flow_cfg cfg = {
		.bench_sizes = { 4096, 64 << 10, 256 << 10 },
		.bench_total = 1u << 20,
	};
	struct flow_out out = { .tap = true, .prefix = "nvme_cmb" };
	const char *story = getenv("NVME_CMB_STORY");
	bool story_only = story && !strcmp(story, "1");
	int n = NFLOW + 1 + !story_only, ret, fails;
	bool ok;

	printf("TAP version 13\n1..%d\n", n);
	ret = load_modules();
	if (ret) {
		printf("Bail out! modprobe: %s\n", strerror(-ret));
		return 1;
	}
	fails = flow_run(&out, &cfg);
	n = NFLOW;
	if (!story_only) {
		printf("#\n# ==== a failed command is named by its status ====\n");
		ok = named_status();
		printf("%sok %d - nvme_cmb.named_status\n", ok ? "" : "not ", ++n);
		fails += !ok;
	}
	printf("#\n# ==== Throughput: NVMe WRITE from the CMB vs from host memory ====\n");
	ret = flow_bench(&out, &cfg);
	printf("%sok %d - nvme_cmb.throughput\n", ret ? "not " : "", ++n);
	fails += ret != 0;
	return fails ? 1 : 0;
}
