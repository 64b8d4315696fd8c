// SPDX-License-Identifier: GPL-2.0-only
/*
 * Physical MMIO ranges -> DMA-mapped scatter/gather table for one importer.
 *
 * The table carries no struct pages: MMIO has none, and importers of a P2P
 * dma-buf must only use sg_dma_address()/sg_dma_len().  Its entries are
 * zeroed (only the chain/end marker bits are set), and we fill in the DMA
 * fields alone.
 *
 * Adjacent ranges (in user order) are merged, then cut into segments of at
 * most VPD_MAX_SEG = ALIGN_DOWN(UINT_MAX, PAGE_SIZE) bytes so every segment,
 * not only the first, stays page aligned (sg_dma_len is 32 bits).  The
 * export counted the entries while it checked the ranges
 * (vpd_ranges_convert(), logic.c), with the merge rule of the iterator the
 * fill walks them with (vpd_ranges_next_merged()); KUnit holds the two
 * to the same count.  (Were the count short, sg_next() would return NULL
 * past the end mark and the fill would fault there, not write beyond
 * the table.)
 */
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/iommu.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include "vpd.h"

/*
 * Without an IOMMU translating for the importer, dma_map_resource() returns
 * the physical address and treats an address beyond the importer's DMA mask
 * as a driver bug (WARN).  Refuse that case up front instead.
 */
static bool vpd_importer_reaches(struct device *dev, phys_addr_t phys,
				 u64 len)
{
	struct iommu_domain *dom;
	u64 limit;

	if (device_iommu_mapped(dev)) {
		dom = iommu_get_domain_for_dev(dev);
		if (dom && dom->type != IOMMU_DOMAIN_IDENTITY)
			return true;
	}

	limit = dma_get_mask(dev);
	if (dev->bus_dma_limit)
		limit = min_t(u64, limit, dev->bus_dma_limit);
	return phys + len - 1 <= limit;
}

static void vpd_unmap_segs(struct sg_table *sgt, unsigned int nents,
			   struct device *dev, enum vpd_map_type type,
			   enum dma_data_direction dir)
{
	struct scatterlist *sg;
	unsigned int i;

	if (type != VPD_MAP_HOST_BRIDGE)
		return;
	for_each_sg(sgt->sgl, sg, nents, i)
		dma_unmap_resource(dev, sg_dma_address(sg), sg_dma_len(sg),
				   dir, DMA_ATTR_SKIP_CPU_SYNC);
}

/*
 * The table of @nents entries, unchained: inline in the vpd_sgt when they
 * fit, else one array of its own (kvmalloc: a large table need not be
 * physically contiguous).  One allocation, or two, where sg_alloc_table()
 * makes one per page of entries; one free where it makes as many.  NULL
 * on allocation failure.
 */
static struct vpd_sgt *vpd_sgt_alloc(unsigned int nents)
{
	struct scatterlist *sgl;
	struct vpd_sgt *vs;

	if (nents <= VPD_SGT_INLINE) {
		vs = kmalloc(struct_size(vs, sgl, nents), GFP_KERNEL);
		if (!vs)
			return NULL;
		sgl = vs->sgl;
	} else {
		vs = kmalloc(sizeof(*vs), GFP_KERNEL);
		if (!vs)
			return NULL;
		sgl = kvmalloc_array(nents, sizeof(*sgl), GFP_KERNEL);
		if (!sgl) {
			kfree(vs);
			return NULL;
		}
	}
	/* Zeroes every entry and marks the last. */
	sg_init_table(sgl, nents);
	vs->table.sgl = sgl;
	vs->table.orig_nents = nents;
	return vs;
}

static void vpd_sgt_free(struct vpd_sgt *vs)
{
	if (vs->table.sgl != vs->sgl)
		kvfree(vs->table.sgl);
	kfree(vs);
}

struct sg_table *vpd_sgt_map(struct vpd_export *exp,
			     struct dma_buf_attachment *attach,
			     enum vpd_map_type type,
			     enum dma_data_direction dir)
{
	struct device *dev = attach->dev;
	struct scatterlist *sg;
	struct vpd_sgt *vs;
	unsigned int done = 0;
	phys_addr_t phys;
	u32 idx = 0;
	u64 len;
	int ret;

	dma_resv_assert_held(exp->dmabuf->resv);
	vs = vpd_sgt_alloc(exp->sg_nents);
	if (!vs)
		return ERR_PTR(-ENOMEM);
	vs->type = type;
	vs->attach = attach;

	sg = vs->table.sgl;
	while (vpd_ranges_next_merged(exp->ranges, exp->nr_ranges, &idx,
				      &phys, &len)) {
		if (type == VPD_MAP_HOST_BRIDGE &&
		    !vpd_importer_reaches(dev, phys, len)) {
			dev_info_ratelimited(&exp->pdev->dev,
					     "dma-buf map refused: %s cannot address %pa+%#llx without an IOMMU (DMA mask too small)\n",
					     dev_name(dev), &phys, len);
			ret = -EINVAL;
			goto err_unmap;
		}
		while (len) {
			u64 seg = min(len, VPD_MAX_SEG);
			dma_addr_t addr;

			if (type == VPD_MAP_BUS) {
				addr = phys + exp->bus_off;
#ifdef HAVE_SG_DMA_MARK_BUS_ADDRESS
				sg_dma_mark_bus_address(sg);
#endif
			} else {
				addr = dma_map_resource(dev, phys, seg, dir,
							DMA_ATTR_SKIP_CPU_SYNC);
				/* -ENOMEM, as upstream's map returns it. */
				ret = dma_mapping_error(dev, addr);
				if (ret) {
					dev_info_ratelimited(&exp->pdev->dev,
							     "dma-buf map refused: dma_map_resource() for %s failed\n",
							     dev_name(dev));
					goto err_unmap;
				}
			}
			sg_dma_address(sg) = addr;
			sg_dma_len(sg) = seg;
			done++;
			sg = sg_next(sg);
			phys += seg;
			len -= seg;
		}
	}
	/* Every entry is DMA-mapped; nents is the count importers walk. */
	vs->table.nents = done;
	list_add(&vs->node, &exp->tables);
	return &vs->table;

err_unmap:
	vpd_unmap_segs(&vs->table, done, dev, type, dir);
	vpd_sgt_free(vs);
	return ERR_PTR(ret);
}

/*
 * Mirror of vpd_sgt_map().  Never touches the exporter device: it may be
 * closed or gone by now (revoked buffers are unmapped after the fact).
 */
void vpd_sgt_unmap(struct vpd_export *exp, struct sg_table *sgt,
		   enum dma_data_direction dir)
{
	struct vpd_sgt *vs = container_of(sgt, struct vpd_sgt, table);

	dma_resv_assert_held(exp->dmabuf->resv);
	list_del(&vs->node);
	vpd_unmap_segs(sgt, sgt->nents, vs->attach->dev, vs->type, dir);
	vpd_sgt_free(vs);
}

/* Does @attach hold a table of @exp?  For reports and debugfs only. */
bool vpd_attach_mapped(struct vpd_export *exp,
		       struct dma_buf_attachment *attach)
{
	struct vpd_sgt *vs;

	dma_resv_assert_held(exp->dmabuf->resv);
	list_for_each_entry(vs, &exp->tables, node)
		if (vs->attach == attach)
			return true;
	return false;
}
