// SPDX-License-Identifier: GPL-2.0-only
/*
 * Revocation of exported dma-bufs.
 *
 * A device's exports are usable only while no VPD_BLOCK_* reason is set on
 * its context.  Setting the first reason revokes every live export: under
 * the buffer's resv lock the export is marked revoked and importers get
 * dma_buf_move_notify(), so they unmap and never map again while revoked
 * (map returns -ENODEV).  Then, outside the resv lock, we wait a bounded time
 * for the fences importers put on the resv so DMA in flight drains before
 * the caller lets the BAR stop decoding.  Clearing the last reason
 * un-revokes and notifies again so importers can re-map.
 *
 * Close and remove revoke for good ("dead"): the exports are unlinked from
 * the context and never come back; the dma-buf objects live on, holding
 * only a context reference, until userspace and importers drop them.
 */
#include <linux/dma-resv.h>
#include <linux/jiffies.h>
#include <linux/slab.h>

#include "vpd.h"

struct vpd_ctx *vpd_ctx_alloc(struct pci_dev *pdev)
{
	struct vpd_ctx *ctx;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return NULL;

	kref_init(&ctx->kref);
	mutex_init(&ctx->lock);
	INIT_LIST_HEAD(&ctx->exports);
	xa_init(&ctx->p2p_cache);
	ctx->blocked = VPD_BLOCK_CLOSED;
	ctx->next_id = 1;
	strscpy(ctx->name, pci_name(pdev), sizeof(ctx->name));
	return ctx;
}

static void vpd_ctx_release(struct kref *kref)
{
	struct vpd_ctx *ctx = container_of(kref, struct vpd_ctx, kref);

	WARN_ON(!list_empty(&ctx->exports));
	xa_destroy(&ctx->p2p_cache);
	mutex_destroy(&ctx->lock);
	kfree(ctx);
}

void vpd_ctx_get(struct vpd_ctx *ctx)
{
	kref_get(&ctx->kref);
}

void vpd_ctx_put(struct vpd_ctx *ctx)
{
	kref_put(&ctx->kref, vpd_ctx_release);
}

/*
 * Wait for the fences importers attached to the buffer.  Called after the
 * move notification, without the resv lock (the wait only needs RCU).  The
 * wait is uninterruptible because the caller is about to make the BAR stop
 * decoding and must not return early on a signal; it is bounded so a stuck
 * importer cannot hang close or reset forever.
 */
static void vpd_export_wait_idle(struct vpd_export *exp)
{
	unsigned long timeout = msecs_to_jiffies(vpd_revoke_timeout_ms);
	long ret;

	ret = dma_resv_wait_timeout(exp->dmabuf->resv, DMA_RESV_USAGE_BOOKKEEP,
				    false, timeout);
	if (ret <= 0)
		pr_err_ratelimited("%s %s: revoke of export %llu: importer fences still pending after %u ms (%ld)\n",
				   VPD_NAME, exp->ctx->name, exp->id,
				   vpd_revoke_timeout_ms, ret);
}

/*
 * Change the revoked state of one export and notify importers.  Returns
 * true if importers were notified of a revoke (the caller then waits for
 * their fences).
 */
static bool vpd_export_set_revoked(struct vpd_export *exp, bool revoke,
				   bool dead)
{
	bool notified_revoke = false;

	lockdep_assert_held(&exp->ctx->lock);

	dma_resv_lock(exp->dmabuf->resv, NULL);
	if (dead)
		exp->dead = true;
	if (exp->dead)
		revoke = true;
	if (exp->revoked != revoke) {
		exp->revoked = revoke;
		dma_buf_move_notify(exp->dmabuf);
		notified_revoke = revoke;
	}
	dma_resv_unlock(exp->dmabuf->resv);

	return notified_revoke;
}

/*
 * Revoke or restore every live export of @ctx.  Notify all first, then wait
 * for all, so the fence timeouts of several buffers do not add up.
 */
static void vpd_ctx_apply(struct vpd_ctx *ctx, bool revoke)
{
	struct vpd_export *exp;
	bool wait = false;

	lockdep_assert_held(&ctx->lock);

	list_for_each_entry(exp, &ctx->exports, node)
		wait |= vpd_export_set_revoked(exp, revoke, false);

	if (!wait)
		return;
	list_for_each_entry(exp, &ctx->exports, node)
		vpd_export_wait_idle(exp);
}

static bool vpd_ctx_blocked(struct vpd_ctx *ctx)
{
	lockdep_assert_held(&ctx->lock);
	return ctx->blocked || ctx->user_resets;
}

/* Update the block state; revoke/restore on the edges. */
static void vpd_ctx_update(struct vpd_ctx *ctx, unsigned int set,
			   unsigned int clear, int user_reset_delta)
{
	bool was, now;

	mutex_lock(&ctx->lock);
	was = vpd_ctx_blocked(ctx);
	ctx->blocked |= set;
	ctx->blocked &= ~clear;
	/* REMOVED is permanent. */
	if (clear & VPD_BLOCK_REMOVED)
		ctx->blocked |= VPD_BLOCK_REMOVED;
	if (user_reset_delta > 0)
		ctx->user_resets++;
	else if (user_reset_delta < 0 && ctx->user_resets)
		ctx->user_resets--;
	now = vpd_ctx_blocked(ctx);
	if (was != now)
		vpd_ctx_apply(ctx, now);
	mutex_unlock(&ctx->lock);
}

void vpd_block(struct vpd_device *vd, unsigned int reasons)
{
	vpd_ctx_update(vd->ctx, reasons, 0, 0);
}

void vpd_unblock(struct vpd_device *vd, unsigned int reasons)
{
	vpd_ctx_update(vd->ctx, 0, reasons, 0);
}

void vpd_user_reset_begin(struct vpd_device *vd)
{
	vpd_ctx_update(vd->ctx, 0, 0, 1);
}

void vpd_user_reset_end(struct vpd_device *vd)
{
	vpd_ctx_update(vd->ctx, 0, 0, -1);
}

/*
 * Does the device decode its memory BARs right now?  Like vfio-pci's own
 * test (powered and MEMORY set, unless the device has no MEMORY bit) but
 * stricter on power (D1/D2 do not serve memory requests either) and reading
 * the physical register: vconfig is freed on close and is guarded by
 * memory_lock, which we must not take here.
 */
static bool vpd_hw_decoding(struct vpd_device *vd)
{
	struct pci_dev *pdev = vd->core.pdev;
	u16 cmd;

	if (pdev->current_state != PCI_D0)
		return false;
	if (pci_read_config_word(pdev, PCI_COMMAND, &cmd) || cmd == 0xffff)
		return false;
	return pdev->no_command_memory || (cmd & PCI_COMMAND_MEMORY);
}

void vpd_sync_decode(struct vpd_device *vd)
{
	if (vpd_hw_decoding(vd))
		vpd_unblock(vd, VPD_BLOCK_DECODE);
	else
		vpd_block(vd, VPD_BLOCK_DECODE);
}

/*
 * vfio-pci leaves low power on its own when a wakeup eventfd fires, without
 * calling us, so the LOWPOWER reason is re-derived from pm_runtime_engaged
 * at every entry point.  The field is guarded by memory_lock; a racy read
 * only delays the restore to the next entry point.
 */
void vpd_sync_lowpower(struct vpd_device *vd)
{
#ifdef HAVE_VFIO_PCI_CORE_PM_RUNTIME_ENGAGED
	if (READ_ONCE(vd->core.pm_runtime_engaged))
		vpd_block(vd, VPD_BLOCK_LOWPOWER);
	else
		vpd_unblock(vd, VPD_BLOCK_LOWPOWER);
#endif
}

/*
 * Permanently revoke and unlink every export (device close or driver
 * removal) and leave @reason set.  Must run before vfio_pci_core_disable()
 * so importers stop before the BARs are released.
 */
void vpd_kill_all(struct vpd_device *vd, unsigned int reason)
{
	struct vpd_ctx *ctx = vd->ctx;
	struct vpd_export *exp, *tmp;
	bool wait = false;

	mutex_lock(&ctx->lock);
	ctx->blocked |= reason;
	list_for_each_entry(exp, &ctx->exports, node)
		wait |= vpd_export_set_revoked(exp, true, true);
	if (wait) {
		list_for_each_entry(exp, &ctx->exports, node)
			vpd_export_wait_idle(exp);
	}
	list_for_each_entry_safe(exp, tmp, &ctx->exports, node) {
		list_del_init(&exp->node);
		exp->linked = false;
	}
	mutex_unlock(&ctx->lock);
}

/*
 * Publish a new export.  The decision "born revoked" is taken under
 * ctx->lock, the same lock every revoke path takes before the device stops
 * decoding, so an export cannot slip past a concurrent revoke.
 */
void vpd_export_link(struct vpd_ctx *ctx, struct vpd_export *exp)
{
	lockdep_assert_held(&ctx->lock);

	/* Nobody else can see the buffer yet; the resv lock is for lockdep. */
	dma_resv_lock(exp->dmabuf->resv, NULL);
	exp->revoked = vpd_ctx_blocked(ctx);
	dma_resv_unlock(exp->dmabuf->resv);

	exp->id = ctx->next_id++;
	list_add_tail(&exp->node, &ctx->exports);
	exp->linked = true;
}

void vpd_export_unlink(struct vpd_export *exp)
{
	struct vpd_ctx *ctx = exp->ctx;

	mutex_lock(&ctx->lock);
	if (exp->linked) {
		list_del_init(&exp->node);
		exp->linked = false;
	}
	mutex_unlock(&ctx->lock);
}
