// SPDX-License-Identifier: GPL-2.0-only
/*
 * Linux 6.2 ("lib/scatterlist: Add flag for indicating P2PDMA segments in
 * an SGL") added sg_dma_mark_bus_address() so that P2P bus-address segments
 * can be flagged in a DMA-mapped scatterlist.
 */
#include <linux/module.h>
#include <linux/scatterlist.h>

void probe_fn(struct scatterlist *sg);
void probe_fn(struct scatterlist *sg)
{
	sg_dma_mark_bus_address(sg);
}

MODULE_LICENSE("GPL");
