// SPDX-License-Identifier: GPL-2.0
/*
 * Linux 6.16 replaced the dma_fence_ops::use_64bit_seqno field with a
 * fence flag set by dma_fence_init64(): a fence says at init, not in its
 * ops, that its seqnos are 64-bit.
 */
#include <linux/dma-fence.h>
#include <linux/module.h>

struct probe_fence {
	struct dma_fence base;
	spinlock_t lock;	/* the fence's lock */
};

static void __maybe_unused probe_fn(struct probe_fence *f,
				    const struct dma_fence_ops *ops)
{
	dma_fence_init64(&f->base, ops, &f->lock, 1, 1);
}

MODULE_LICENSE("GPL");
