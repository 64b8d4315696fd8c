// SPDX-License-Identifier: GPL-2.0-only
/*
 * /sys/kernel/debug/vfio-pci-dmabuf/<pci name>/exports
 *
 * One block per live export of the device (exports revoked for good by close
 * or remove are no longer listed):
 *
 *   export <id>: region <n> size <hex> nr_ranges <n> revoked <yes|no>
 *     range <i>: offset <hex> length <hex>
 *     attach <importer dev name>: map <bus|host-bridge|unsupported|unknown> mapped <yes|no>
 *
 * Lock order as everywhere: ctx->lock, then each buffer's resv lock (which
 * also guards the dma-buf core's attachment list).
 */
#include <linux/debugfs.h>
#include <linux/dma-resv.h>
#include <linux/seq_file.h>

#include "vpd.h"

static struct dentry *vpd_debugfs_root;

static void vpd_show_export(struct seq_file *s, struct vpd_export *exp)
{
	struct dma_buf_attachment *attach;
	u32 i;

	dma_resv_lock(exp->dmabuf->resv, NULL);
	seq_printf(s, "export %llu: region %u size %#zx nr_ranges %u revoked %s\n",
		   exp->id, exp->region, exp->size, exp->nr_ranges,
		   exp->revoked ? "yes" : "no");
	for (i = 0; i < exp->nr_ranges; i++)
		seq_printf(s, "  range %u: offset %#llx length %#llx\n", i,
			   exp->ranges[i].offset, exp->ranges[i].len);
	list_for_each_entry(attach, &exp->dmabuf->attachments, node) {
		struct vpd_attach *va = attach->priv;

		seq_printf(s, "  attach %s: map %s mapped %s\n",
			   dev_name(attach->dev),
			   vpd_map_type_name(va ? va->verdict.type :
					     VPD_MAP_UNKNOWN),
			   va && va->nr_maps ? "yes" : "no");
	}
	dma_resv_unlock(exp->dmabuf->resv);
}

static int vpd_exports_show(struct seq_file *s, void *unused)
{
	struct vpd_ctx *ctx = s->private;
	struct vpd_export *exp;

	mutex_lock(&ctx->lock);
	list_for_each_entry(exp, &ctx->exports, node)
		vpd_show_export(s, exp);
	mutex_unlock(&ctx->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vpd_exports);

void vpd_debugfs_init(void)
{
	vpd_debugfs_root = debugfs_create_dir(VPD_NAME, NULL);
}

void vpd_debugfs_exit(void)
{
	debugfs_remove_recursive(vpd_debugfs_root);
	vpd_debugfs_root = NULL;
}

void vpd_debugfs_add(struct vpd_device *vd)
{
	if (IS_ERR_OR_NULL(vpd_debugfs_root))
		return;
	vd->dbg_dir = debugfs_create_dir(vd->ctx->name, vpd_debugfs_root);
	/* debugfs_remove() in remove waits for readers: ctx outlives them. */
	debugfs_create_file("exports", 0400, vd->dbg_dir, vd->ctx,
			    &vpd_exports_fops);
}

void vpd_debugfs_remove(struct vpd_device *vd)
{
	debugfs_remove_recursive(vd->dbg_dir);
	vd->dbg_dir = NULL;
}
