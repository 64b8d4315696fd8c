// SPDX-License-Identifier: GPL-2.0
/*
 * Linux 7.0 ("dma-buf: Add dma_buf_attach_revocable()") lets an exporter
 * ask whether an importer honours revocation in bounded time.  The same
 * series ("dma-buf: Always build with DMABUF_MOVE_NOTIFY") removed the
 * mode in which dma_buf_map_attachment() pins the buffer of a dynamic
 * importer around every map, so this also tells the driver that the core
 * never calls its pin on an importer's behalf (see vpd.h).
 */
#include <linux/dma-buf.h>
#include <linux/module.h>

bool probe_fn(struct dma_buf_attachment *attach);
bool probe_fn(struct dma_buf_attachment *attach)
{
	return dma_buf_attach_revocable(attach);
}

MODULE_LICENSE("GPL");
