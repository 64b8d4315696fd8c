// SPDX-License-Identifier: GPL-2.0-only
/*
 * Revocation of exported dma-bufs.
 *
 * A device's exports are usable only while no VPD_BLOCK_* reason is set on
 * its context and no hold is taken.  Blocking revokes every live export:
 * under the buffer's resv lock the export is marked revoked and importers
 * get dma_buf_move_notify(), so they stop using it and never map again
 * while revoked (map returns -ENODEV).  Then, outside the resv lock, the
 * revoke waits until the importers' fences have signalled and every
 * mapping they held is unmapped.  Only then does the caller let the BAR
 * stop decoding (or release it, on close and remove).  The wait has no
 * bound, as upstream's (7.2, vfio_pci_dma_buf_move()): an IOMMU mapping or
 * a bus address left with an importer would reach whatever decodes at
 * that address next, possibly a BAR of the device's next owner, so no
 * deadline can be safe.  Instead, every revoke_timeout_ms without
 * progress the revoke says in the kernel log which importer device it
 * waits for.  Unblocking un-revokes and notifies again so importers can
 * map again.
 *
 * Close and remove revoke for good ("dead"): the exports are unlinked from
 * the context and never come back; the dma-buf objects live on, holding
 * only a context reference, until userspace and importers drop them.
 *
 * CPU mappings of a buffer (mmap() of its fd) are zapped on the same edge,
 * under the same resv lock that sets revoked: every process that maps the
 * buffer maps its one file, so unmap_mapping_range() on the file's
 * address_space reaches them all (forks, receivers of the fd).  A later
 * fault sees revoked and raises SIGBUS until a restore (dmabuf_ops.c).
 */
#include <linux/dma-resv.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/jiffies.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
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
	init_waitqueue_head(&ctx->unmap_wq);
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
 * How long a revoke waits between two reports of the importers it waits
 * for: revoke_timeout_ms, read once per wait, at least VPD_REPORT_MIN_MS;
 * 0 waits without reports.  The period is the reports' rate limit: one
 * line per waiting importer per period, never dropped by a global limit
 * that another device's reports may have used up.
 */
#define VPD_REPORT_MIN_MS	10U

static long vpd_report_period(void)
{
	unsigned int ms = READ_ONCE(vpd_revoke_timeout_ms);

	if (!ms)
		return MAX_SCHEDULE_TIMEOUT;
	return msecs_to_jiffies(max(ms, VPD_REPORT_MIN_MS));
}

/*
 * Name, in the kernel log, every importer that keeps a revoked export
 * busy: one that still holds a mapping, or all of them when only fences
 * are pending (the core does not say whose they are).  The resv lock
 * guards the attachment list and the export's list of tables; it is taken
 * only briefly, since importers need it to unmap.
 */
static void vpd_export_report(struct vpd_export *exp, bool fenced,
			      unsigned int waited_ms)
{
	struct dma_buf_attachment *attach;
	bool named = false, mapped;

	dma_resv_lock(exp->dmabuf->resv, NULL);
	list_for_each_entry(attach, &exp->dmabuf->attachments, node) {
		mapped = vpd_attach_mapped(exp, attach);
		if (!fenced && !mapped)
			continue;
		dev_warn(&exp->pdev->dev,
			 "revoke of export %llu waiting %u ms for importer %s: %s%s%s\n",
			 exp->id, waited_ms, dev_name(attach->dev),
			 fenced ? "fences pending" : "",
			 fenced && mapped ? ", " : "",
			 mapped ? "mapping not unmapped" : "");
		named = true;
	}
	dma_resv_unlock(exp->dmabuf->resv);
	/* Fences of an importer that has detached since. */
	if (fenced && !named)
		dev_warn(&exp->pdev->dev,
			 "revoke of export %llu waiting %u ms for fences of a detached importer\n",
			 exp->id, waited_ms);
}

/*
 * Wait for the importers of a revoked export to finish: their fences
 * signalled (DMA in flight done) and every sg table unmapped (no IOMMU
 * mapping or bus address of the BAR left).  Called without the resv lock,
 * which importers need to unmap.  Uninterruptible and unbounded: the
 * caller is about to make the BAR stop decoding or to release it, and
 * must not go on while an importer can still reach it.  The task wakes
 * at least every report period, so it is never reported as hung; the
 * report names the importers instead.
 */
static void vpd_export_drain(struct vpd_export *exp)
{
	struct dma_resv *resv = exp->dmabuf->resv;
	unsigned long start;
	bool fenced, mapped;
	long period;

	/* The usual case, an importer that unmapped in move_notify. */
	if (!atomic_read(&exp->nr_maps) &&
	    dma_resv_test_signaled(resv, DMA_RESV_USAGE_BOOKKEEP))
		return;
	period = vpd_report_period();
	start = jiffies;

	for (;;) {
		fenced = dma_resv_wait_timeout(resv, DMA_RESV_USAGE_BOOKKEEP,
					       false, period) <= 0;
		mapped = !fenced &&
			 !wait_event_timeout(exp->ctx->unmap_wq,
					     !atomic_read(&exp->nr_maps),
					     period);
		if (!fenced && !mapped)
			return;
		vpd_export_report(exp, fenced,
				  jiffies_to_msecs(jiffies - start));
	}
}

/*
 * A reference on @dmabuf's file if it is not being released, else NULL.
 * Only for a buffer that is linked on its ctx, with ctx->lock held, or
 * whose file is otherwise known to be allocated: the dma-buf core calls
 * our release op (which unlinks under ctx->lock) from the release of the
 * file's dentry, after the file's count reached zero but before the file
 * itself is freed.  Since 6.7 files are SLAB_TYPESAFE_BY_RCU, so a
 * reference is kept only if the file is still this buffer's.
 */
struct file *vpd_dmabuf_file_get(struct dma_buf *dmabuf)
{
	struct file *file;

#ifdef HAVE_GET_FILE_ACTIVE
	file = get_file_active(&dmabuf->file);
#else
	rcu_read_lock();
	file = dmabuf->file;
	if (!get_file_rcu(file))
		file = NULL;
	rcu_read_unlock();
#endif
	/* A recycled struct file is not ours: its private_data differs. */
	if (file && file->private_data != dmabuf) {
		fput(file);
		file = NULL;
	}
	return file;
}

/*
 * Remove every CPU mapping of an export that was just revoked, in every
 * process: all of them map the buffer's one file, so they share its
 * address_space.  Called with the resv lock held right after revoked was
 * set, so a fault either mapped its page before (removed here) or sees
 * revoked afterwards (SIGBUS); and with ctx->lock held, before the caller
 * lets the BAR stop decoding.
 *
 * The file's count may already be zero (its release is waiting for
 * ctx->lock to unlink us) and then its inode, hence its address_space, may
 * be gone.  But every VMA holds a reference on the file it maps, so such a
 * buffer has no CPU mapping left: nothing to zap.
 */
static void vpd_export_zap(struct vpd_export *exp)
{
	struct file *file;

	dma_resv_assert_held(exp->dmabuf->resv);
	lockdep_assert_held(&exp->ctx->lock);

	file = vpd_dmabuf_file_get(exp->dmabuf);
	if (!file)
		return;
	/*
	 * No VMA of the file, no page to zap: skip the i_mmap lock.  A VMA
	 * is in i_mmap before its first fault, and a fault maps a page only
	 * under the resv lock held here (after revoked was set), so a VMA
	 * this check misses has no page now and gets none.
	 */
	if (mapping_mapped(file->f_mapping))
		unmap_mapping_range(file->f_mapping, 0, 0, 1);
	/*
	 * If the user closed the last fd meanwhile, this is the last
	 * reference: the release it starts is deferred (task work or delayed
	 * work), so it does not wait here for ctx->lock.
	 */
	fput(file);
}

/*
 * Change the revoked state of one export and notify importers; on the
 * edge to revoked, also remove its CPU mappings.  Returns true if
 * importers were notified of a revoke (the caller then drains).
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
		vpd_invalidate_mappings(exp->dmabuf);
		notified_revoke = revoke;
		/*
		 * Already revoked: zapped on that edge, and no fault maps a
		 * page while revoked.  So only this edge needs it.
		 */
		if (revoke)
			vpd_export_zap(exp);
	}
	dma_resv_unlock(exp->dmabuf->resv);

	return notified_revoke;
}

/*
 * Revoke (or restore) every live export of @ctx.  All importers are
 * notified first, then drained one export after the other, so every
 * importer stops at once and the revoke lasts as long as the slowest one.
 */
static void vpd_ctx_apply(struct vpd_ctx *ctx, bool revoke, bool dead)
{
	struct vpd_export *exp;
	bool drain = false;

	lockdep_assert_held(&ctx->lock);

	list_for_each_entry(exp, &ctx->exports, node) {
		exp->draining = vpd_export_set_revoked(exp, revoke, dead);
		drain |= exp->draining;
	}
	if (!drain)
		return;

	/*
	 * Only the exports notified now: one revoked earlier was drained
	 * then, and nothing maps a revoked export since.
	 */
	list_for_each_entry(exp, &ctx->exports, node) {
		if (exp->draining)
			vpd_export_drain(exp);
		exp->draining = false;
	}
}

bool vpd_ctx_blocked(struct vpd_ctx *ctx)
{
	lockdep_assert_held(&ctx->lock);
	return ctx->blocked || ctx->holds;
}

/*
 * Apply a change of the block state made under ctx->lock: revoke or
 * restore on the edges.
 */
static void vpd_ctx_commit(struct vpd_ctx *ctx, bool was)
{
	bool now = vpd_ctx_blocked(ctx);

	lockdep_assert_held(&ctx->lock);
	if (was != now)
		vpd_ctx_apply(ctx, now, false);
}

static void vpd_ctx_set_clear(struct vpd_ctx *ctx, unsigned int set,
			      unsigned int clear)
{
	lockdep_assert_held(&ctx->lock);
	ctx->blocked |= set;
	/* REMOVED is permanent. */
	ctx->blocked &= ~(clear & ~VPD_BLOCK_REMOVED);
}

/* Set and clear reasons without looking at the hardware. */
void vpd_update(struct vpd_device *vd, unsigned int set, unsigned int clear)
{
	struct vpd_ctx *ctx = vd->ctx;
	bool was;

	mutex_lock(&ctx->lock);
	was = vpd_ctx_blocked(ctx);
	vpd_ctx_set_clear(ctx, set, clear);
	vpd_ctx_commit(ctx, was);
	mutex_unlock(&ctx->lock);
}

void vpd_block(struct vpd_device *vd, unsigned int reasons)
{
	vpd_update(vd, reasons, 0);
}

void vpd_unblock(struct vpd_device *vd, unsigned int reasons)
{
	vpd_update(vd, 0, reasons);
}

/*
 * Take a hold before a user operation that may stop decoding: the exports
 * are revoked (and drained) before it starts.  Released by
 * vpd_sync(vd, true) once the operation is over.
 */
void vpd_hold(struct vpd_device *vd)
{
	struct vpd_ctx *ctx = vd->ctx;
	bool was;

	mutex_lock(&ctx->lock);
	was = vpd_ctx_blocked(ctx);
	ctx->holds++;
	vpd_ctx_commit(ctx, was);
	mutex_unlock(&ctx->lock);
}

/*
 * Does the device decode its memory BARs right now?  Like vfio-pci's own
 * test (powered and MEMORY set, unless the device has no MEMORY bit) but
 * stricter on power (D1/D2 do not serve memory requests either) and reading
 * the physical register (vconfig does not exist while the device is closed).
 * With memory_lock held for read, no power change, reset or PCI_COMMAND
 * write of vfio-pci is in progress, nor one of its transient MEMORY enables
 * (vfio_pci_memory_lock_and_enable()), so what we read is the state the
 * user left.
 */
static bool vpd_hw_decoding(struct vpd_device *vd)
{
	struct pci_dev *pdev = vd->core.pdev;
	u16 cmd;

	lockdep_assert_held(&vd->core.memory_lock);

	if (pdev->current_state != PCI_D0)
		return false;
	if (pci_read_config_word(pdev, PCI_COMMAND, &cmd) || cmd == 0xffff)
		return false;
	return pdev->no_command_memory || (cmd & PCI_COMMAND_MEMORY);
}

static bool vpd_hw_lowpower(struct vpd_device *vd)
{
	lockdep_assert_held(&vd->core.memory_lock);
#ifdef HAVE_VFIO_PCI_CORE_PM_RUNTIME_ENGAGED
	return vd->core.pm_runtime_engaged;
#else
	return false;
#endif
}

/* Set DECODE and LOWPOWER from the hardware (vpd_sync(), vpd_opened()). */
static void vpd_ctx_observe(struct vpd_device *vd)
{
	struct vpd_ctx *ctx = vd->ctx;
	unsigned int set = 0, clear = 0;

	lockdep_assert_held(&vd->core.memory_lock);
	lockdep_assert_held(&ctx->lock);

	if (vpd_hw_decoding(vd))
		clear |= VPD_BLOCK_DECODE;
	else
		set |= VPD_BLOCK_DECODE;
	if (vpd_hw_lowpower(vd))
		set |= VPD_BLOCK_LOWPOWER;
	else
		clear |= VPD_BLOCK_LOWPOWER;
	vpd_ctx_set_clear(ctx, set, clear);
}

/*
 * Observe decoding and the low-power state and decide, in one critical
 * section of ctx->lock inside memory_lock (read), optionally releasing a
 * hold taken by vpd_hold().  Process context, never with memory_lock held:
 * ioctl and write hooks after vfio-pci returned.
 */
void vpd_sync(struct vpd_device *vd, bool release_hold)
{
	struct vpd_ctx *ctx = vd->ctx;
	bool was;

	down_read(&vd->core.memory_lock);
	mutex_lock(&ctx->lock);
	was = vpd_ctx_blocked(ctx);
	vpd_ctx_observe(vd);
	if (release_hold && !WARN_ON_ONCE(!ctx->holds))
		ctx->holds--;
	vpd_ctx_commit(ctx, was);
	mutex_unlock(&ctx->lock);
	up_read(&vd->core.memory_lock);
}

/*
 * open_device, once vfio-pci enabled the device: open is a known-good
 * point for an AER error (vpd_error_recovered()), and CLOSED ends.  The
 * hardware is not looked at here, so that an open that exports nothing
 * costs one critical section of ours and no config cycle: DECODE is set
 * instead, unobserved, as an error recovery sets it, and the first ioctl,
 * device feature (every export) or watched config write observes the
 * device (vpd_resync_if_stale()) before anything can depend on it; an
 * NVMe controller's open observes at once (vpd_backend_open()).  No
 * export is linked (close unlinked them all and none is made while
 * closed), so the edges notify nobody.
 */
void vpd_opened(struct vpd_device *vd)
{
	struct vpd_ctx *ctx = vd->ctx;
	bool was;

	mutex_lock(&ctx->lock);
	was = vpd_ctx_blocked(ctx);
	if ((ctx->blocked & VPD_BLOCK_ERROR) &&
	    READ_ONCE(vd->core.pdev->error_state) !=
	    pci_channel_io_perm_failure)
		vpd_ctx_set_clear(ctx, 0, VPD_BLOCK_ERROR);
	vpd_ctx_set_clear(ctx, VPD_BLOCK_DECODE, VPD_BLOCK_CLOSED);
	vpd_ctx_commit(ctx, was);
	mutex_unlock(&ctx->lock);
}

/*
 * The device is known good again after an AER/DPC error (the rule is at
 * VPD_BLOCK_ERROR in vpd.h): the recovery's resume, open, or a VFIO reset
 * that succeeded.  If the error froze the link, its reset left the
 * function at its reset values (MEMORY off) and no reset or open since
 * need have changed that: trade ERROR for DECODE, which the next sync
 * clears once the device decodes (open and the reset ioctls sync right
 * after).  A device the PCI core holds disconnected is never good.  From
 * resume this runs with the device lock held, possibly inside other PCI
 * core locks, so it does not look at the hardware.
 */
void vpd_error_recovered(struct vpd_device *vd)
{
	struct vpd_ctx *ctx = vd->ctx;
	bool was;

	if (READ_ONCE(vd->core.pdev->error_state) ==
	    pci_channel_io_perm_failure)
		return;

	mutex_lock(&ctx->lock);
	was = vpd_ctx_blocked(ctx);
	if (ctx->blocked & VPD_BLOCK_ERROR)
		vpd_ctx_set_clear(ctx, VPD_BLOCK_DECODE, VPD_BLOCK_ERROR);
	vpd_ctx_commit(ctx, was);
	mutex_unlock(&ctx->lock);
}

/*
 * Permanently revoke and unlink every export (device close or driver
 * removal) and leave @reason set.  Must run before vfio_pci_core_disable()
 * so importers stop before the BARs are released: like any other revoke,
 * it returns only once no importer holds a mapping.
 */
void vpd_kill_all(struct vpd_device *vd, unsigned int reason)
{
	struct vpd_ctx *ctx = vd->ctx;
	struct vpd_export *exp, *tmp;

	mutex_lock(&ctx->lock);
	ctx->blocked |= reason;
	vpd_ctx_apply(ctx, true, true);
	list_for_each_entry_safe(exp, tmp, &ctx->exports, node)
		list_del_init(&exp->node);
	mutex_unlock(&ctx->lock);
}

/* Map accounting for the drain, called by the map/unmap ops. */
void vpd_export_mapped(struct vpd_export *exp)
{
	dma_resv_assert_held(exp->dmabuf->resv);
	atomic_inc(&exp->nr_maps);
}

void vpd_export_unmapped(struct vpd_export *exp)
{
	dma_resv_assert_held(exp->dmabuf->resv);
	if (!atomic_dec_and_test(&exp->nr_maps))
		return;
	/*
	 * Only a revoke waits on unmap_wq: most unmaps find it empty and
	 * skip the wake-up's spinlock.  atomic_dec_and_test() is a full
	 * barrier, which orders the count against the waitqueue check as
	 * waitqueue_active() requires (the waiter's prepare_to_wait() is
	 * the other half).
	 */
	if (waitqueue_active(&exp->ctx->unmap_wq))
		wake_up_all(&exp->ctx->unmap_wq);
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
}

void vpd_export_unlink(struct vpd_export *exp)
{
	struct vpd_ctx *ctx = exp->ctx;

	mutex_lock(&ctx->lock);
	list_del_init(&exp->node);
	mutex_unlock(&ctx->lock);
}
