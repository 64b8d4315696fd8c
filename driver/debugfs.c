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
 * An export may have up to VPD_MAX_RANGES range lines, so no lock is held
 * while they are printed: nothing that needs ctx->lock (revocation, new
 * exports, releases) or a buffer's resv lock (importers' map/unmap) waits
 * for a reader.  Instead:
 *
 * 1. Under ctx->lock, take a reference on the file of every listed buffer.
 *    A listed export is alive (its dma-buf release unlinks it under
 *    ctx->lock), but its file may already be on its way out: the dma-buf
 *    core calls our release op only when the file's dentry goes, which can
 *    be after the file itself was freed (files are SLAB_TYPESAFE_BY_RCU
 *    since 6.7).  So the reference is taken only if the count is not zero
 *    (get_file_active(), or get_file_rcu() under rcu_read_lock() on older
 *    kernels whose files are RCU-freed), and kept only if the file we got
 *    is this buffer's (private_data), not a recycled one: see
 *    vpd_dmabuf_file_get() in revoke.c.  A buffer whose file is going is
 *    skipped: it is being released.
 * 2. Drop ctx->lock.  Each reference pins the file, hence its dentry, hence
 *    the dma-buf and the vpd_export (freed from the dentry's release):
 *    ranges are immutable after export, so they are printed without any
 *    lock.  The header (revoked) and the attachment list (dma-buf core
 *    state) are printed under the buffer's resv lock, each briefly.
 * 3. fput() every reference, outside any lock: the last one may release
 *    the buffer (deferred to task work), which takes ctx->lock.
 *
 * An export unlinked (revoked for good) while it is printed is still
 * printed, as it was when the list was read.
 *
 * /sys/kernel/debug/vfio-pci-dmabuf/<pci name>/p2p_cache
 *
 * What the PCI bus walk found for each importer that attached, as cached
 * by the exporter (p2p.c, vpd_p2p_cache_show()):
 *
 *   <importer pci name>: path <bus|host-bridge> acs-redirect <yes|no>
 */
#include <linux/debugfs.h>
#include <linux/dma-resv.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "vpd.h"

static struct dentry *vpd_debugfs_root;

static void vpd_show_export(struct seq_file *s, struct dma_buf *dmabuf)
{
	struct vpd_export *exp = dmabuf->priv;
	struct dma_buf_attachment *attach;
	resource_size_t bar_start;
	u32 i;

	dma_resv_lock(dmabuf->resv, NULL);
	seq_printf(s, "export %llu: region %u size %#zx nr_ranges %u revoked %s\n",
		   exp->id, exp->region, dmabuf->size, exp->nr_ranges,
		   exp->revoked ? "yes" : "no");
	dma_resv_unlock(dmabuf->resv);

	/*
	 * Immutable, kept alive by our file reference: no lock.  The offset
	 * in the BAR is not stored (vpd_range): the BAR's start is, in the
	 * resource of the device we hold.
	 */
	bar_start = pci_resource_start(exp->pdev, exp->region);
	for (i = 0; i < exp->nr_ranges; i++)
		seq_printf(s, "  range %u: offset %#llx length %#llx\n", i,
			   (u64)(exp->ranges[i].phys - bar_start),
			   vpd_range_len(exp->ranges, i));

	/*
	 * The resv lock guards the attachment list, vpd_attach and the
	 * export's tables.  No vpd_attach: a bus path (dmabuf_ops.c).
	 */
	dma_resv_lock(dmabuf->resv, NULL);
	list_for_each_entry(attach, &dmabuf->attachments, node) {
		struct vpd_attach *va = attach->priv;

		seq_printf(s, "  attach %s: map %s mapped %s\n",
			   dev_name(attach->dev),
			   vpd_map_type_name(va ? va->verdict.type :
					     VPD_MAP_BUS),
			   vpd_attach_mapped(exp, attach) ? "yes" : "no");
	}
	dma_resv_unlock(dmabuf->resv);
}

static int vpd_exports_show(struct seq_file *s, void *unused)
{
	struct vpd_ctx *ctx = s->private;
	struct vpd_export *exp;
	unsigned int n = 0, i;
	struct file **files;

	mutex_lock(&ctx->lock);
	list_for_each_entry(exp, &ctx->exports, node)
		n++;
	/* No reclaim path takes ctx->lock: allocating under it is fine. */
	files = n ? kvmalloc_array(n, sizeof(*files), GFP_KERNEL) : NULL;
	if (n && !files) {
		mutex_unlock(&ctx->lock);
		return -ENOMEM;
	}
	n = 0;
	list_for_each_entry(exp, &ctx->exports, node) {
		struct file *file = vpd_dmabuf_file_get(exp->dmabuf);

		if (file)
			files[n++] = file;
	}
	mutex_unlock(&ctx->lock);

	for (i = 0; i < n; i++)
		vpd_show_export(s, files[i]->private_data);

	for (i = 0; i < n; i++)
		fput(files[i]);
	kvfree(files);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vpd_exports);
DEFINE_SHOW_ATTRIBUTE(vpd_p2p_cache);	/* printed by p2p.c */

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
	debugfs_create_file("p2p_cache", 0400, vd->dbg_dir, vd->ctx,
			    &vpd_p2p_cache_fops);
}

void vpd_debugfs_remove(struct vpd_device *vd)
{
	debugfs_remove_recursive(vd->dbg_dir);
	vd->dbg_dir = NULL;
}
