// SPDX-License-Identifier: GPL-2.0
/*
 * Linux 7.0 ("dma-buf: Rename .move_notify() callback to a clearer
 * identifier") renamed the importer op dma_buf_attach_ops::move_notify to
 * invalidate_mappings.
 */
#include <linux/dma-buf.h>
#include <linux/module.h>

bool probe_fn(const struct dma_buf_attach_ops *ops);
bool probe_fn(const struct dma_buf_attach_ops *ops)
{
	return ops->invalidate_mappings;
}

MODULE_LICENSE("GPL");
