// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `probe BDF`: does the device's driver serve VFIO_DEVICE_FEATURE_DMA_BUF,
 * and what BARs does it have.
 */
#define _GNU_SOURCE
#include "cli.h"

#include <stdio.h>
#include <unistd.h>

static void show_regions(const struct cli *cli, struct json *j, int fd)
{
	struct vfio_region_info ri;
	unsigned int i;

	if (cli->json)
		json_arr(j, "regions");
	for (i = 0; i < 6; i++) {
		if (vfio_dmabuf_region(fd, i, &ri) || !ri.size)
			continue;
		if (cli->json) {
			json_obj(j, NULL);
			json_u64(j, "index", i);
			json_str(j, "name", cli_region_name(i));
			json_u64(j, "size", ri.size);
			json_bool(j, "mmap", ri.flags & VFIO_REGION_INFO_FLAG_MMAP);
			json_end(j, '}');
		} else {
			printf("region %u (%s): size %#llx%s\n", i, cli_region_name(i),
			       (unsigned long long)ri.size,
			       ri.flags & VFIO_REGION_INFO_FLAG_MMAP ? " mmap" : "");
		}
	}
	if (cli->json)
		json_end(j, ']');
}

int cmd_probe(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "cdev", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char bdf[VFIO_DMABUF_BDF_LEN], drv[ADM_NAME_LEN] = "";
	struct vfio_dmabuf_device *dev;
	struct json j;
	int ret, fd, group;

	cli_opt_reset();
	ret = cli_opt(cli, argc, argv, ":ho:", opts);
	if (ret == CLI_OPT_HELP)
		return CLI_OK;
	if (ret != CLI_OPT_END)
		return CLI_USAGE;
	if (cli_args(cli, argc, 1, 1) || cli_bdf(cli, argv[optind], bdf))
		return CLI_USAGE;
	if (cli_open(cli, bdf, &dev))
		return CLI_FAILED;
	fd = vfio_dmabuf_device_fd(dev);
	adm_driver_of(bdf, drv, sizeof(drv));
	group = adm_iommu_group(bdf);
	ret = vfio_dmabuf_probe(fd);
	if (cli->json) {
		json_init(&j, stdout);
		json_obj(&j, NULL);
		json_str(&j, "device", bdf);
		json_str(&j, "driver", drv);
		if (group >= 0)
			json_int(&j, "iommu_group", group);
		else
			json_null(&j, "iommu_group");
		show_regions(cli, &j, fd);
		json_bool(&j, "dma_buf", !ret);
		json_end(&j, '}');
		json_done(&j);
	} else {
		printf("device: %s\ndriver: %s\niommu_group: %d\n", bdf, drv, group);
		show_regions(cli, NULL, fd);
		printf("dma_buf: %s\n", ret ? "not supported" :
		       "supported (VFIO_DEVICE_FEATURE_DMA_BUF)");
	}
	fflush(stdout);
	if (ret)
		cli_fail(VFIO_DMABUF_OP_PROBE, ret, NULL,
			 "%s (driver %s) does not export dma-bufs", bdf, drv);
	vfio_dmabuf_device_close(dev);
	return ret ? CLI_FAILED : CLI_OK;
}
