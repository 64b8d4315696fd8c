// SPDX-License-Identifier: GPL-2.0-only
/*
 * Linux 7.0 ("dma-buf: Rename dma_buf_move_notify() to
 * dma_buf_invalidate_mappings()") renamed the exporter's call that tells
 * every importer to drop its mappings.
 */
#include <linux/dma-buf.h>
#include <linux/module.h>

void probe_fn(struct dma_buf *dmabuf);
void probe_fn(struct dma_buf *dmabuf)
{
	dma_buf_invalidate_mappings(dmabuf);
}

MODULE_LICENSE("GPL");
