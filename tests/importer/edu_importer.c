// SPDX-License-Identifier: GPL-2.0
/*
 * edu-importer: a test dma-buf importer on QEMU's edu device (1234:11e8).
 *
 * It attaches to a dma-buf (typically a PCI BAR exported by vfio-pci-dmabuf),
 * maps it for the edu device and makes edu really DMA to and from the
 * exported range through the (emulated) IOMMU, so tests can check data,
 * revocation (move_notify) and the fences the exporter must wait for.
 *
 * Locking, outermost first:
 *   edu_imp_dev.ctx_lock -> edu_imp_ctx.lock -> dma_buf.resv
 *     -> edu_imp_dev.hw_lock
 * move_notify() is called by the exporter with the resv lock held and takes
 * no lock of ours, so the state it touches is guarded by the resv lock.
 * The completion worker takes no lock at all: it only polls edu and signals
 * a fence, so anybody may wait for our fences while holding any of the
 * locks above.
 */

#include <linux/delay.h>
#include <linux/dma-buf.h>
#include <linux/dma-fence.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/idr.h>
#include <linux/iopoll.h>
#include <linux/kref.h>
#include <linux/ktime.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include "compat.h"
#include "edu_importer.h"

#define DRV_NAME		"edu-importer"

#define EDU_VENDOR_ID		0x1234
#define EDU_DEVICE_ID		0x11e8

/* edu registers (QEMU docs/specs/edu.rst) */
#define EDU_REG_ID		0x00
#define EDU_REG_LIVENESS	0x04
#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_CNT		0x90
#define EDU_REG_DMA_CMD		0x98

#define EDU_DMA_RUN		BIT(0)
#define EDU_DMA_TO_PCI		BIT(1)	/* edu buffer -> bus address */
#define EDU_DMA_FROM_PCI	0	/* bus address -> edu buffer */

/* edu-side address and size of edu's internal DMA buffer */
#define EDU_BUF_ADDR		0x40000ULL
#define EDU_BUF_SIZE		4096

#define EDU_DMA_TIMEOUT_US	(5 * USEC_PER_SEC)
#define EDU_DMA_POLL_US		1000

/**
 * struct edu_imp_dev - one edu device
 * @pdev: the PCI device (reference held until the last context is gone)
 * @regs: BAR0 mapping; used with @hw_lock held or by the completion worker
 *        of the transfer owning the engine (@busy)
 * @bounce: coherent host buffer of EDU_BUF_SIZE bytes, guarded by @hw_lock
 * @bounce_dma: bus address of @bounce
 * @edu_id: value of the identification register at probe
 * @index: device index, N of /dev/edu-importerN
 * @name: misc device name, must live as long as @misc is registered
 * @misc: the char device
 * @ref: one per open context plus one for the bound driver
 * @fence_ctx: dma_fence context of all transfers of this device
 * @hw_lock: serializes use of the DMA engine and the edu buffer; guards
 *           @busy, @seqno, @buf_gen and @gone (@gone is also read locklessly
 *           by open(), which misc_deregister() already fences)
 * @busy: fence of an ASYNC transfer that may still own the engine (ref held)
 * @seqno: last fence seqno; fences are created with the engine owned, so
 *         seqnos signal in order as dma_fence requires per context
 * @buf_gen: bumped each time a transfer fills the edu buffer
 * @gone: the PCI device was unbound; the registers must not be touched
 * @ctx_lock: guards @ctxs
 * @ctxs: open contexts, for teardown on unbind
 */
struct edu_imp_dev {
	struct pci_dev *pdev;
	void __iomem *regs;
	void *bounce;
	dma_addr_t bounce_dma;
	u32 edu_id;
	int index;
	char name[32];
	struct miscdevice misc;
	struct kref ref;
	u64 fence_ctx;

	struct mutex hw_lock;	/* engine, edu buffer, see above */
	struct edu_imp_fence *busy;
	u64 seqno;
	u64 buf_gen;
	bool gone;

	struct mutex ctx_lock;	/* @ctxs */
	struct list_head ctxs;
};

/**
 * struct edu_imp_fence - fence of one edu transfer
 * @base: the dma_fence; must stay first, dma_fence_free() frees the object
 * @lock: the fence's spinlock; it has to live as long as the fence, which
 *        may outlive the device inside a foreign dma_resv
 * @edu: the device; only used until the fence signals (unbind waits for it)
 * @work: ASYNC completion poller
 * @deadline: jiffies after which the poller gives up
 * @buf_gen: edu buffer generation this transfer produced
 * @len: transfer length
 * @status: 0 or -errno; written before signalling, read after
 * @started_ns: ktime_get_ns() when edu was started
 * @completed_ns: ktime_get_ns() when completion was seen; written before
 *                signalling, read after
 */
struct edu_imp_fence {
	struct dma_fence base;
	spinlock_t lock;	/* dma_fence internals */
	struct edu_imp_dev *edu;
	struct delayed_work work;
	unsigned long deadline;
	u64 buf_gen;
	u32 len;
	int status;
	u64 started_ns;
	u64 completed_ns;
};

/**
 * struct edu_imp_ctx - one open file, one importer
 * @edu: the device (reference held)
 * @node: entry in edu->ctxs, guarded by edu->ctx_lock
 * @lock: guards @dmabuf, @attach, @flags, @pinned, @dead, @map_count and
 *        @dma_count; writers of @async also hold it. @flags is only written
 *        while detached, so move_notify may read it under the resv lock.
 * @dmabuf: attached dma-buf (reference held) or NULL
 * @attach: the attachment or NULL
 * @flags: EDU_IMP_ATTACH_* given to ATTACH
 * @pinned: dma_buf_pin() succeeded
 * @dead: the edu device was unbound, only INFO and close work
 * @map_count: successful MAP calls since ATTACH
 * @dma_count: transfers started since ATTACH
 * @watch: WATCH device whose decoding is checked (reference held) or NULL
 * @watch_checks: decode checks made since WATCH
 * @watch_violations: checks that found @watch not decoding
 *
 * Guarded by the resv lock of @dmabuf while attached (move_notify runs with
 * only that lock held), by @lock otherwise:
 * @sgt: current valid mapping or NULL
 * @zombie: NOWAIT mode: mapping invalidated while an ASYNC transfer was in
 *          flight, unmapped once @async has signalled
 * @invalidated: the mapping was dropped by move_notify and not re-created
 * @revoked_seen: move_notify calls that found a valid mapping
 * @move_notify_count: all move_notify calls
 * @unmap_ns: CLOCK_MONOTONIC time of the last unmap of a mapping
 * @reap_work: unmaps a NOWAIT or LATE_UNMAP zombie from a worker; it takes
 *             only the resv lock, and teardown cancels it (after its last
 *             resv section, before dropping @dmabuf), so @dmabuf is stable
 *             while it can run
 *
 * @async: last ASYNC transfer (reference held); written with @lock and,
 *         while attached, the resv lock held; read under either.
 */
struct edu_imp_ctx {
	struct edu_imp_dev *edu;
	struct list_head node;

	struct mutex lock;	/* attach state, see above */
	struct dma_buf *dmabuf;
	struct dma_buf_attachment *attach;
	u32 flags;
	bool pinned;
	bool dead;
	u64 map_count;
	u64 dma_count;
	struct pci_dev *watch;
	u32 watch_checks;
	u32 watch_violations;

	struct sg_table *sgt;
	struct sg_table *zombie;
	bool invalidated;
	u32 revoked_seen;
	u64 move_notify_count;
	u64 unmap_ns;
	struct delayed_work reap_work;

	struct edu_imp_fence *async;
};

static struct workqueue_struct *edu_imp_wq;

static unsigned int late_unmap_ms = 300;
module_param(late_unmap_ms, uint, 0644);
MODULE_PARM_DESC(late_unmap_ms,
		 "LATE_UNMAP attachments unmap this long after move_notify (default 300)");

/*
 * Test mode: MAP narrows edu's streaming DMA mask to this many bits for
 * the duration of dma_buf_map_attachment(), so that an exporter mapping
 * through the IOMMU finds no IOVA below the mask and its DMA mapping
 * fails.  The mask is the device's: meant for one context mapping at a
 * time.  0 (default) leaves the mask alone.
 */
static unsigned int map_dma_mask_bits;
module_param(map_dma_mask_bits, uint, 0644);
MODULE_PARM_DESC(map_dma_mask_bits,
		 "test mode: edu's DMA mask during MAP, in bits (default 0: unchanged)");
static DEFINE_IDA(edu_imp_ida);

/* ---- fences ---- */

/* dma_fence_free() frees the fence pointer itself. */
static_assert(offsetof(struct edu_imp_fence, base) == 0);

static const char *edu_imp_fence_driver_name(struct dma_fence *f)
{
	return DRV_NAME;
}

static const char *edu_imp_fence_timeline_name(struct dma_fence *f)
{
	/* Static: the fence may outlive the device it ran on. */
	return "edu-dma";
}

static void edu_imp_fence_release(struct dma_fence *f)
{
	dma_fence_free(f);
	/*
	 * Each fence pins the module: the fence may sit in the resv of a
	 * dma-buf that outlives our attachment and its ops live here. The
	 * few instructions after this put are the usual unavoidable window.
	 */
	module_put(THIS_MODULE);
}

/* Our seqnos are 64-bit: said in the ops, or at init since 6.16. */
static const struct dma_fence_ops edu_imp_fence_ops = {
#ifndef HAVE_DMA_FENCE_INIT64
	.use_64bit_seqno = true,
#endif
	.get_driver_name = edu_imp_fence_driver_name,
	.get_timeline_name = edu_imp_fence_timeline_name,
	.release = edu_imp_fence_release,
};

static struct edu_imp_fence *to_edu_fence(struct dma_fence *f)
{
	return container_of(f, struct edu_imp_fence, base);
}

static void edu_imp_fence_work(struct work_struct *work);

/* Create the fence of the next transfer; the caller owns the engine. */
static struct edu_imp_fence *edu_imp_fence_create(struct edu_imp_dev *edu,
						  u32 len)
{
	struct edu_imp_fence *f;

	lockdep_assert_held(&edu->hw_lock);

	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return NULL;
	__module_get(THIS_MODULE);
	spin_lock_init(&f->lock);
	f->edu = edu;
	f->len = len;
	INIT_DELAYED_WORK(&f->work, edu_imp_fence_work);
#ifdef HAVE_DMA_FENCE_INIT64
	dma_fence_init64(&f->base, &edu_imp_fence_ops, &f->lock, edu->fence_ctx,
			 ++edu->seqno);
#else
	dma_fence_init(&f->base, &edu_imp_fence_ops, &f->lock, edu->fence_ctx,
		       ++edu->seqno);
#endif
	return f;
}

static void edu_imp_fence_complete(struct edu_imp_fence *f, int status)
{
	f->status = status;
	f->completed_ns = ktime_get_ns();
	if (status)
		dma_fence_set_error(&f->base, status);
	/* dma_fence_signal() orders the stores above before the signal bit. */
	dma_fence_signal(&f->base);
}

/* ---- the edu DMA engine ---- */

static bool edu_dma_running(struct edu_imp_dev *edu)
{
	return readl(edu->regs + EDU_REG_DMA_CMD) & EDU_DMA_RUN;
}

static int edu_dma_poll(struct edu_imp_dev *edu)
{
	u32 cmd;

	return readl_poll_timeout(edu->regs + EDU_REG_DMA_CMD, cmd,
				  !(cmd & EDU_DMA_RUN), EDU_DMA_POLL_US,
				  EDU_DMA_TIMEOUT_US);
}

/*
 * Start one transfer. edu decodes the 64-bit DMA registers only with 8-byte
 * accesses (a 4-byte write at 0x80 would clear the upper half), hence writeq.
 */
static void edu_dma_start(struct edu_imp_dev *edu, u64 src, u64 dst, u32 len,
			  u32 dir)
{
	lockdep_assert_held(&edu->hw_lock);

	writeq(src, edu->regs + EDU_REG_DMA_SRC);
	writeq(dst, edu->regs + EDU_REG_DMA_DST);
	writeq(len, edu->regs + EDU_REG_DMA_CNT);
	writeq(dir | EDU_DMA_RUN, edu->regs + EDU_REG_DMA_CMD);
}

static int edu_dma_run(struct edu_imp_dev *edu, u64 src, u64 dst, u32 len,
		       u32 dir)
{
	int ret;

	edu_dma_start(edu, src, dst, len, dir);
	ret = edu_dma_poll(edu);
	/* The device wrote memory before clearing RUN: read data after it. */
	dma_rmb();
	return ret;
}

/*
 * Take the engine for a new transfer: wait for an ASYNC transfer that may
 * still own it, then for edu to be idle (a transfer that timed out may still
 * be running). Called with hw_lock held.
 */
static int edu_engine_acquire(struct edu_imp_dev *edu)
{
	long ret;

	lockdep_assert_held(&edu->hw_lock);

	if (edu->gone)
		return -ENODEV;
	if (edu->busy) {
		/* Bounded: the worker signals by its deadline. */
		ret = dma_fence_wait(&edu->busy->base, true);
		if (ret)
			return ret;
		dma_fence_put(&edu->busy->base);
		edu->busy = NULL;
	}
	return edu_dma_poll(edu);
}

/*
 * ASYNC completion: poll the engine from a worker instead of taking the edu
 * interrupt; edu is slow (~100 ms per transfer), a tick of latency is fine.
 * Takes no lock, see the comment at the top.
 */
static void edu_imp_fence_work(struct work_struct *work)
{
	struct edu_imp_fence *f = container_of(to_delayed_work(work),
					       struct edu_imp_fence, work);
	int status = 0;
	bool cookie;

	if (edu_dma_running(f->edu)) {
		if (time_before(jiffies, f->deadline)) {
			queue_delayed_work(edu_imp_wq, &f->work, 1);
			return;
		}
		status = -ETIMEDOUT;
	}
	dma_rmb();

	cookie = dma_fence_begin_signalling();
	edu_imp_fence_complete(f, status);
	dma_fence_end_signalling(cookie);
	/* f->edu must not be used past the signal: unbind waits only for it. */
	dma_fence_put(&f->base);
}

/* ---- mappings ---- */

static enum dma_resv_usage edu_imp_usage(u32 usage)
{
	switch (usage) {
	case EDU_IMP_USAGE_READ:
		return DMA_RESV_USAGE_READ;
	case EDU_IMP_USAGE_BOOKKEEP:
		return DMA_RESV_USAGE_BOOKKEEP;
	default:
		/*
		 * Write usage by default whatever the direction: dma-buf.h
		 * allows always adding write fences, and exporters that wait
		 * for WRITE, READ or BOOKKEEP usage all see it.
		 */
		return DMA_RESV_USAGE_WRITE;
	}
}

static bool edu_imp_async_busy(struct edu_imp_ctx *ctx)
{
	return ctx->async && !dma_fence_is_signaled(&ctx->async->base);
}

/* Every unmap goes through here, so INFO can tell when the last one was. */
static void edu_imp_unmap(struct edu_imp_ctx *ctx, struct sg_table *sgt)
{
	dma_resv_assert_held(ctx->dmabuf->resv);
	dma_buf_unmap_attachment(ctx->attach, sgt, DMA_BIDIRECTIONAL);
	ctx->unmap_ns = ktime_get_ns();
}

/*
 * Unmap a NOWAIT zombie mapping once its transfer is over. With @block the
 * wait is interruptible, without it nothing is waited for.
 */
static int edu_imp_reap(struct edu_imp_ctx *ctx, bool block)
{
	long ret;

	dma_resv_assert_held(ctx->dmabuf->resv);

	if (!ctx->zombie)
		return 0;
	if (edu_imp_async_busy(ctx)) {
		if (!block)
			return 0;
		ret = dma_fence_wait(&ctx->async->base, true);
		if (ret)
			return ret;
	}
	edu_imp_unmap(ctx, ctx->zombie);
	ctx->zombie = NULL;
	return 0;
}

/*
 * The deferred unmap of a zombie mapping: polls (one jiffy at a time) until
 * the transfer that kept it is over, then unmaps.
 */
static void edu_imp_reap_work(struct work_struct *work)
{
	struct edu_imp_ctx *ctx = container_of(to_delayed_work(work),
					       struct edu_imp_ctx, reap_work);
	struct dma_resv *resv = ctx->dmabuf->resv;

	dma_resv_lock(resv, NULL);
	if (ctx->zombie && edu_imp_async_busy(ctx))
		queue_delayed_work(edu_imp_wq, &ctx->reap_work, 1);
	else
		edu_imp_reap(ctx, false);
	dma_resv_unlock(resv);
}

/*
 * WATCH: does the watched device decode right now?  Called where this
 * context may reach the buffer (mapped, resv held), so a well-behaved
 * exporter guarantees it does.
 */
static void edu_imp_watch_check(struct edu_imp_ctx *ctx)
{
	struct pci_dev *pdev = ctx->watch;
	u16 cmd;

	lockdep_assert_held(&ctx->lock);
	dma_resv_assert_held(ctx->dmabuf->resv);

	if (!pdev)
		return;
	ctx->watch_checks++;
	if (pdev->current_state == PCI_D0 &&
	    !pci_read_config_word(pdev, PCI_COMMAND, &cmd) && cmd != 0xffff &&
	    (cmd & PCI_COMMAND_MEMORY))
		return;
	ctx->watch_violations++;
	dev_info_ratelimited(&ctx->edu->pdev->dev,
			     "%s does not decode while its buffer is mapped\n",
			     pci_name(pdev));
}

/*
 * Dynamic importer move_notify: the exporter is revoking or moving the
 * buffer, with the resv lock held.
 *
 * We must stop using the addresses before dropping them. Synchronous
 * transfers cannot be in flight here: they hold the resv lock from address
 * lookup to completion. An ASYNC transfer may be: edu reads the old address
 * when its timer fires. We wait for its fence here, before unmapping, so
 * the IOVA stays valid until edu is done with it, whatever the exporter
 * does. The fence also stays on the resv so that an exporter that waits for
 * fences after move_notify (as upstream 7.0 does) waits for it too. The
 * wait is bounded: the worker signals by its 5 s deadline.
 *
 * In NOWAIT test mode we do not wait: the mapping is marked invalid at once
 * and unmapped later, so only the exporter's own wait protects the BAR.
 */
static void edu_imp_move_notify(struct dma_buf_attachment *attach)
{
	struct edu_imp_ctx *ctx = attach->importer_priv;

	dma_resv_assert_held(attach->dmabuf->resv);

	ctx->move_notify_count++;
	if (!ctx->sgt)
		return;
	ctx->revoked_seen++;
	if (ctx->flags & EDU_IMP_ATTACH_IGNORE_REVOKE)
		return;
	ctx->invalidated = true;

	if ((ctx->flags & EDU_IMP_ATTACH_LATE_UNMAP) && !ctx->zombie) {
		ctx->zombie = ctx->sgt;
		ctx->sgt = NULL;
		queue_delayed_work(edu_imp_wq, &ctx->reap_work,
				   msecs_to_jiffies(late_unmap_ms));
		return;
	}
	if (edu_imp_async_busy(ctx)) {
		if ((ctx->flags & EDU_IMP_ATTACH_NOWAIT) && !ctx->zombie) {
			ctx->zombie = ctx->sgt;
			ctx->sgt = NULL;
			queue_delayed_work(edu_imp_wq, &ctx->reap_work, 1);
			return;
		}
		dma_fence_wait(&ctx->async->base, false);
	}
	edu_imp_unmap(ctx, ctx->sgt);
	ctx->sgt = NULL;
}

/*
 * Pinned importer (like RDMA's pinned umem): it cannot stop its device, so
 * a move is a bug of the exporter. Only count and complain. From 7.0 the
 * notification op is optional and pinned importers leave it out, which
 * makes them not revocable (dma_buf_attach_revocable()): so does ours.
 */
#ifndef HAVE_DMA_BUF_ATTACH_REVOCABLE
static void edu_imp_pinned_move_notify(struct dma_buf_attachment *attach)
{
	struct edu_imp_ctx *ctx = attach->importer_priv;

	dma_resv_assert_held(attach->dmabuf->resv);

	ctx->move_notify_count++;
	dev_info_ratelimited(&ctx->edu->pdev->dev,
			     "move_notify on a pinned attachment, ignored\n");
}
#endif

/*
 * The importer op that receives the exporter's notifications: move_notify,
 * renamed invalidate_mappings in 7.0.
 */
#ifdef HAVE_DMA_BUF_ATTACH_OPS_INVALIDATE_MAPPINGS
#define EDU_IMP_NOTIFY_OP invalidate_mappings
#else
#define EDU_IMP_NOTIFY_OP move_notify
#endif

static const struct dma_buf_attach_ops edu_imp_dyn_ops = {
	.allow_peer2peer = true,
	.EDU_IMP_NOTIFY_OP = edu_imp_move_notify,
};

static const struct dma_buf_attach_ops edu_imp_dyn_nop2p_ops = {
	.allow_peer2peer = false,
	.EDU_IMP_NOTIFY_OP = edu_imp_move_notify,
};

static const struct dma_buf_attach_ops edu_imp_pinned_ops = {
	.allow_peer2peer = true,
#ifndef HAVE_DMA_BUF_ATTACH_REVOCABLE
	.EDU_IMP_NOTIFY_OP = edu_imp_pinned_move_notify,
#endif
};

static const struct dma_buf_attach_ops edu_imp_pinned_nop2p_ops = {
	.allow_peer2peer = false,
#ifndef HAVE_DMA_BUF_ATTACH_REVOCABLE
	.EDU_IMP_NOTIFY_OP = edu_imp_pinned_move_notify,
#endif
};

/*
 * Drop the attachment: wait for our transfer, unmap, unpin, detach. The
 * waits are uninterruptible but bounded by the worker's deadline.
 */
static void edu_imp_teardown(struct edu_imp_ctx *ctx)
{
	struct dma_resv *resv;

	lockdep_assert_held(&ctx->lock);

	if (!ctx->attach)
		return;

	resv = ctx->dmabuf->resv;
	dma_resv_lock(resv, NULL);
	if (ctx->async)
		dma_fence_wait(&ctx->async->base, false);
	if (ctx->zombie)
		edu_imp_unmap(ctx, ctx->zombie);
	if (ctx->sgt)
		edu_imp_unmap(ctx, ctx->sgt);
	ctx->zombie = NULL;
	ctx->sgt = NULL;
	if (ctx->pinned)
		dma_buf_unpin(ctx->attach);
	ctx->pinned = false;
	dma_resv_unlock(resv);
	/*
	 * Nothing is mapped any more, so move_notify cannot queue the reap
	 * work again; a run that waited for the resv lock above finds no
	 * zombie. Cancel before @dmabuf goes away.
	 */
	cancel_delayed_work_sync(&ctx->reap_work);

	dma_buf_detach(ctx->dmabuf, ctx->attach);
	dma_buf_put(ctx->dmabuf);
	ctx->attach = NULL;
	ctx->dmabuf = NULL;
}

/* ---- ioctls ---- */

static long edu_imp_ioctl_id(struct edu_imp_ctx *ctx, void __user *argp)
{
	struct edu_imp_dev *edu = ctx->edu;
	struct edu_imp_id id = {};

	if (READ_ONCE(ctx->dead))
		return -ENODEV;

	strscpy(id.pci_name, pci_name(edu->pdev), sizeof(id.pci_name));
	id.vendor = edu->pdev->vendor;
	id.device = edu->pdev->device;
	id.edu_id = edu->edu_id;
	id.index = edu->index;
	id.bounce_dma = edu->bounce_dma;

	return copy_to_user(argp, &id, sizeof(id)) ? -EFAULT : 0;
}

#define EDU_IMP_MODE_MASK	(EDU_IMP_ATTACH_DYNAMIC | \
				 EDU_IMP_ATTACH_PINNED | \
				 EDU_IMP_ATTACH_STATIC)
#define EDU_IMP_ATTACH_VALID	(EDU_IMP_MODE_MASK | \
				 EDU_IMP_ATTACH_NO_P2P | \
				 EDU_IMP_ATTACH_DYN_ONLY)
#define EDU_IMP_ATTACH_DYN_ONLY	(EDU_IMP_ATTACH_NOWAIT | \
				 EDU_IMP_ATTACH_LATE_UNMAP | \
				 EDU_IMP_ATTACH_IGNORE_REVOKE)

static long edu_imp_ioctl_attach(struct edu_imp_ctx *ctx, void __user *argp)
{
	const struct dma_buf_attach_ops *ops = NULL;
	struct dma_buf_attachment *attach;
	struct edu_imp_attach req;
	struct dma_buf *dmabuf;
	bool no_p2p;
	u32 mode;
	long ret;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (req.flags & ~EDU_IMP_ATTACH_VALID)
		return -EINVAL;
	mode = req.flags & EDU_IMP_MODE_MASK;
	if (!mode) {
		/* The mode a real P2P importer would use. */
		mode = EDU_IMP_ATTACH_DYNAMIC;
		req.flags |= mode;
	}
	if (hweight32(mode) != 1)
		return -EINVAL;
	if ((req.flags & EDU_IMP_ATTACH_DYN_ONLY) &&
	    mode != EDU_IMP_ATTACH_DYNAMIC)
		return -EINVAL;

	no_p2p = req.flags & EDU_IMP_ATTACH_NO_P2P;
	if (mode == EDU_IMP_ATTACH_DYNAMIC)
		ops = no_p2p ? &edu_imp_dyn_nop2p_ops : &edu_imp_dyn_ops;
	else if (mode == EDU_IMP_ATTACH_PINNED)
		ops = no_p2p ? &edu_imp_pinned_nop2p_ops : &edu_imp_pinned_ops;

	dmabuf = dma_buf_get(req.fd);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);

	ret = mutex_lock_interruptible(&ctx->lock);
	if (ret)
		goto out_put;
	if (ctx->dead) {
		ret = -ENODEV;
		goto out_unlock;
	}
	if (ctx->attach) {
		ret = -EBUSY;
		goto out_unlock;
	}

	/* Not attached: nothing else touches these now. */
	ctx->flags = req.flags;
	ctx->map_count = 0;
	ctx->dma_count = 0;
	ctx->invalidated = false;
	ctx->revoked_seen = 0;
	ctx->move_notify_count = 0;
	ctx->unmap_ns = 0;

	/* move_notify may run as soon as the attachment is listed. */
	if (ops)
		attach = dma_buf_dynamic_attach(dmabuf, &ctx->edu->pdev->dev,
						ops, ctx);
	else
		attach = dma_buf_attach(dmabuf, &ctx->edu->pdev->dev);
	if (IS_ERR(attach)) {
		ret = PTR_ERR(attach);
		goto out_unlock;
	}

	if (mode == EDU_IMP_ATTACH_PINNED) {
		ret = dma_resv_lock_interruptible(dmabuf->resv, NULL);
		if (!ret) {
			ret = dma_buf_pin(attach);
			dma_resv_unlock(dmabuf->resv);
		}
		if (ret) {
			dma_buf_detach(dmabuf, attach);
			goto out_unlock;
		}
		ctx->pinned = true;
	}

	ctx->dmabuf = dmabuf;
	ctx->attach = attach;
	mutex_unlock(&ctx->lock);
	return 0;

out_unlock:
	mutex_unlock(&ctx->lock);
out_put:
	dma_buf_put(dmabuf);
	return ret;
}

/* Lock ctx->lock and check that the context is attached. */
static int edu_imp_lock_attached(struct edu_imp_ctx *ctx)
{
	int ret;

	ret = mutex_lock_interruptible(&ctx->lock);
	if (ret)
		return ret;
	if (ctx->dead || !ctx->attach) {
		mutex_unlock(&ctx->lock);
		return -ENODEV;
	}
	return 0;
}

/*
 * Lock ctx->lock and the buffer's resv, in that order, for an operation on
 * the attachment; with @reap, first unmap a NOWAIT zombie mapping whose
 * transfer is over. On success both locks are held (edu_imp_unlock_resv()
 * drops them); on error neither is.
 */
static int edu_imp_lock_resv(struct edu_imp_ctx *ctx, bool reap)
{
	int ret;

	ret = edu_imp_lock_attached(ctx);
	if (ret)
		return ret;
	ret = dma_resv_lock_interruptible(ctx->dmabuf->resv, NULL);
	if (ret)
		goto out_unlock;
	if (reap) {
		ret = edu_imp_reap(ctx, true);
		if (ret)
			goto out_resv;
	}
	return 0;

out_resv:
	dma_resv_unlock(ctx->dmabuf->resv);
out_unlock:
	mutex_unlock(&ctx->lock);
	return ret;
}

static void edu_imp_unlock_resv(struct edu_imp_ctx *ctx)
{
	dma_resv_unlock(ctx->dmabuf->resv);
	mutex_unlock(&ctx->lock);
}

static long edu_imp_ioctl_detach(struct edu_imp_ctx *ctx)
{
	long ret;

	ret = mutex_lock_interruptible(&ctx->lock);
	if (ret)
		return ret;
	if (ctx->dead)
		ret = -ENODEV;
	else if (!ctx->attach)
		ret = -ENOENT;
	else
		edu_imp_teardown(ctx);
	mutex_unlock(&ctx->lock);
	return ret;
}

static long edu_imp_ioctl_map(struct edu_imp_ctx *ctx)
{
	unsigned int bits = READ_ONCE(map_dma_mask_bits);
	struct device *dev = &ctx->edu->pdev->dev;
	struct sg_table *sgt;
	u64 mask = 0;
	long ret;

	if (bits > 64)
		return -EINVAL;
	ret = edu_imp_lock_resv(ctx, true);
	if (ret)
		return ret;
	if (ctx->sgt) {
		ret = -EBUSY;
		goto out;
	}

	if (bits) {
		mask = dma_get_mask(dev);
		ret = dma_set_mask(dev, DMA_BIT_MASK(bits));
		if (ret)
			goto out;
	}
	sgt = dma_buf_map_attachment(ctx->attach, DMA_BIDIRECTIONAL);
	if (bits)
		WARN_ON(dma_set_mask(dev, mask));
	if (IS_ERR(sgt)) {
		ret = PTR_ERR(sgt);
		goto out;
	}
	ctx->sgt = sgt;
	ctx->invalidated = false;
	ctx->map_count++;
	edu_imp_watch_check(ctx);

out:
	edu_imp_unlock_resv(ctx);
	return ret;
}

static long edu_imp_ioctl_unmap(struct edu_imp_ctx *ctx)
{
	long ret;

	ret = edu_imp_lock_resv(ctx, true);
	if (ret)
		return ret;
	if (!ctx->sgt)
		goto out;
	/* Our own unmap: never pull addresses from under edu. */
	if (edu_imp_async_busy(ctx)) {
		ret = dma_fence_wait(&ctx->async->base, true);
		if (ret)
			goto out;
	}
	edu_imp_unmap(ctx, ctx->sgt);
	ctx->sgt = NULL;

out:
	edu_imp_unlock_resv(ctx);
	return ret;
}

static long edu_imp_ioctl_info(struct edu_imp_ctx *ctx, void __user *argp)
{
	struct edu_imp_info info = {};
	struct scatterlist *sg;
	struct dma_resv *resv = NULL;
	long ret;
	int i;

	ret = mutex_lock_interruptible(&ctx->lock);
	if (ret)
		return ret;
	if (ctx->attach) {
		resv = ctx->dmabuf->resv;
		ret = dma_resv_lock_interruptible(resv, NULL);
		if (ret)
			goto out_unlock;
		edu_imp_reap(ctx, false);

		info.attached = 1;
		info.size = ctx->dmabuf->size;
		info.exporter_dynamic = dma_buf_is_dynamic(ctx->dmabuf);
		/*
		 * What dma_buf_attachment_is_dynamic() says; 7.0 made that
		 * helper private to the dma-buf core.
		 */
		info.importer_dynamic = !!ctx->attach->importer_ops;
		info.peer2peer = ctx->attach->peer2peer;
	}

	info.attach_flags = ctx->flags;
	info.invalidated = ctx->invalidated;
	info.zombie = !!ctx->zombie;
	info.revoked_seen = ctx->revoked_seen;
	info.move_notify_count = ctx->move_notify_count;
	info.map_count = ctx->map_count;
	info.dma_count = ctx->dma_count;
	info.unmap_ns = ctx->unmap_ns;
	info.watch_checks = ctx->watch_checks;
	info.watch_violations = ctx->watch_violations;
	if (ctx->sgt) {
		info.mapped = 1;
		info.nents = ctx->sgt->nents;
		for_each_sgtable_dma_sg(ctx->sgt, sg, i) {
			if (!i) {
				info.first_dma_addr = sg_dma_address(sg);
				info.first_dma_len = sg_dma_len(sg);
			}
			info.mapped_len += sg_dma_len(sg);
		}
	}

	if (resv)
		dma_resv_unlock(resv);
out_unlock:
	mutex_unlock(&ctx->lock);
	if (ret)
		return ret;
	return copy_to_user(argp, &info, sizeof(info)) ? -EFAULT : 0;
}

static long edu_imp_ioctl_sg(struct edu_imp_ctx *ctx, void __user *argp)
{
	struct edu_imp_sg_entry *ents;
	struct edu_imp_sg req;
	struct scatterlist *sg;
	u32 n = 0;
	long ret;
	int i;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (req.reserved || req.count > EDU_IMP_SG_MAX)
		return -EINVAL;

	ents = kcalloc(max(req.count, 1U), sizeof(*ents), GFP_KERNEL);
	if (!ents)
		return -ENOMEM;

	ret = edu_imp_lock_resv(ctx, false);
	if (ret)
		goto out_free;

	if (!ctx->sgt) {
		ret = -ENODEV;
	} else {
		req.nents = ctx->sgt->nents;
		for_each_sgtable_dma_sg(ctx->sgt, sg, i) {
			if ((u32)i < req.first)
				continue;
			if (n >= req.count)
				break;
			ents[n].dma_addr = sg_dma_address(sg);
			ents[n].len = sg_dma_len(sg);
			n++;
		}
		req.count = n;
	}

	edu_imp_unlock_resv(ctx);
	/* Copy out with no lock held: faults may take mmap_lock. */
	if (!ret && n &&
	    copy_to_user(u64_to_user_ptr(req.entries), ents,
			 array_size(n, sizeof(*ents))))
		ret = -EFAULT;
	if (!ret && copy_to_user(argp, &req, sizeof(req)))
		ret = -EFAULT;
out_free:
	kfree(ents);
	return ret;
}

/*
 * Translate [offset, offset + len) of the dma-buf to a bus address. The
 * range must not cross an sg entry: edu does one linear transfer.
 */
static int edu_imp_lookup(struct edu_imp_ctx *ctx, u64 offset, u32 len,
			  dma_addr_t *addr)
{
	struct scatterlist *sg;
	u64 seg_len;
	int i;

	dma_resv_assert_held(ctx->dmabuf->resv);

	if (offset >= ctx->dmabuf->size || len > ctx->dmabuf->size - offset)
		return -EINVAL;

	for_each_sgtable_dma_sg(ctx->sgt, sg, i) {
		seg_len = sg_dma_len(sg);
		if (offset < seg_len) {
			if (len > seg_len - offset)
				return -EINVAL;
			*addr = sg_dma_address(sg) + offset;
			return 0;
		}
		offset -= seg_len;
	}
	return -EINVAL;
}

static long edu_imp_ioctl_dma(struct edu_imp_ctx *ctx, void __user *argp)
{
	struct edu_imp_dev *edu = ctx->edu;
	struct edu_imp_fence *f;
	struct edu_imp_dma req;
	struct dma_resv *resv;
	dma_addr_t addr;
	void *kbuf = NULL;
	bool async;
	long ret;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (req.reserved[0] || req.reserved[1])
		return -EINVAL;
	if (!req.len || req.len > EDU_IMP_DMA_MAX_LEN)
		return -EINVAL;
	if (req.dir != EDU_IMP_DIR_TO_DMABUF &&
	    req.dir != EDU_IMP_DIR_FROM_DMABUF)
		return -EINVAL;
	if (req.flags & ~EDU_IMP_DMA_ASYNC)
		return -EINVAL;
	async = req.flags & EDU_IMP_DMA_ASYNC;
	if (async && req.dir != EDU_IMP_DIR_FROM_DMABUF)
		return -EINVAL;
	if (req.resv_usage > EDU_IMP_USAGE_BOOKKEEP)
		return -EINVAL;

	if (!async) {
		kbuf = kmalloc(req.len, GFP_KERNEL);
		if (!kbuf)
			return -ENOMEM;
		/* Before any lock: the fault path may take mmap_lock. */
		if (req.dir == EDU_IMP_DIR_TO_DMABUF &&
		    copy_from_user(kbuf, u64_to_user_ptr(req.user_buf),
				   req.len)) {
			ret = -EFAULT;
			goto out_free;
		}
	}

	/*
	 * The resv lock is held from the address lookup until the transfer
	 * is done (or, for ASYNC, started with its fence published): a revoke
	 * needs this lock to call move_notify, so it cannot unmap the
	 * addresses while we are programming edu with them.
	 */
	ret = edu_imp_lock_resv(ctx, true);
	if (ret)
		goto out_free;
	resv = ctx->dmabuf->resv;
	if (!ctx->sgt) {
		ret = -ENODEV;
		goto out_resv;
	}
	ret = edu_imp_lookup(ctx, req.offset, req.len, &addr);
	if (ret)
		goto out_resv;
	edu_imp_watch_check(ctx);
	if (async && edu_imp_async_busy(ctx)) {
		ret = -EBUSY;
		goto out_resv;
	}

	/* Dynamic importers must wait for the exporter's kernel fences. */
	ret = dma_resv_wait_timeout(resv, DMA_RESV_USAGE_KERNEL, true,
				    usecs_to_jiffies(EDU_DMA_TIMEOUT_US));
	if (ret <= 0) {
		ret = ret ? ret : -ETIMEDOUT;
		goto out_resv;
	}
	ret = dma_resv_reserve_fences(resv, 1);
	if (ret)
		goto out_resv;

	ret = mutex_lock_interruptible(&edu->hw_lock);
	if (ret)
		goto out_resv;
	ret = edu_engine_acquire(edu);
	if (ret)
		goto out_hw;
	f = edu_imp_fence_create(edu, req.len);
	if (!f) {
		ret = -ENOMEM;
		goto out_hw;
	}
	dma_resv_add_fence(resv, &f->base, edu_imp_usage(req.resv_usage));
	ctx->dma_count++;
	req.dma_addr = addr;
	req.seqno = f->base.seqno;

	if (async) {
		f->buf_gen = ++edu->buf_gen;
		f->deadline = jiffies + usecs_to_jiffies(EDU_DMA_TIMEOUT_US);
		f->started_ns = ktime_get_ns();
		edu_dma_start(edu, addr, EDU_BUF_ADDR, req.len,
			      EDU_DMA_FROM_PCI);
		req.started_ns = f->started_ns;
		/* References: engine owner, context, worker. */
		edu->busy = f;
		if (ctx->async)
			dma_fence_put(&ctx->async->base);
		ctx->async = to_edu_fence(dma_fence_get(&f->base));
		dma_fence_get(&f->base);
		queue_delayed_work(edu_imp_wq, &f->work, 1);
		ret = 0;
		goto out_hw;
	}

	f->started_ns = ktime_get_ns();
	req.started_ns = f->started_ns;
	if (req.dir == EDU_IMP_DIR_FROM_DMABUF) {
		f->buf_gen = ++edu->buf_gen;
		ret = edu_dma_run(edu, addr, EDU_BUF_ADDR, req.len,
				  EDU_DMA_FROM_PCI);
		if (!ret)
			ret = edu_dma_run(edu, EDU_BUF_ADDR, edu->bounce_dma,
					  req.len, EDU_DMA_TO_PCI);
		if (!ret)
			memcpy(kbuf, edu->bounce, req.len);
	} else {
		memcpy(edu->bounce, kbuf, req.len);
		/* Bounce contents must be visible before edu reads them. */
		dma_wmb();
		f->buf_gen = ++edu->buf_gen;
		ret = edu_dma_run(edu, edu->bounce_dma, EDU_BUF_ADDR, req.len,
				  EDU_DMA_FROM_PCI);
		if (!ret)
			ret = edu_dma_run(edu, EDU_BUF_ADDR, addr, req.len,
					  EDU_DMA_TO_PCI);
	}
	edu_imp_fence_complete(f, ret);
	req.completed_ns = f->completed_ns;
	dma_fence_put(&f->base);
	edu_imp_watch_check(ctx);

out_hw:
	mutex_unlock(&edu->hw_lock);
out_resv:
	edu_imp_unlock_resv(ctx);
	if (ret)
		goto out_free;

	if (!async && req.dir == EDU_IMP_DIR_FROM_DMABUF &&
	    copy_to_user(u64_to_user_ptr(req.user_buf), kbuf, req.len))
		ret = -EFAULT;
	else if (copy_to_user(argp, &req, sizeof(req)))
		ret = -EFAULT;
out_free:
	kfree(kbuf);
	return ret;
}

/* Bring the edu buffer contents of a finished ASYNC transfer to kbuf. */
static int edu_imp_fetch(struct edu_imp_dev *edu, struct edu_imp_fence *f,
			 void *kbuf, u32 len)
{
	int ret;

	ret = mutex_lock_interruptible(&edu->hw_lock);
	if (ret)
		return ret;
	if (edu->gone) {
		ret = -ENODEV;
		goto out;
	}
	if (edu->buf_gen != f->buf_gen) {
		ret = -ESTALE;
		goto out;
	}
	ret = edu_engine_acquire(edu);
	if (ret)
		goto out;
	/* No dma-buf address involved: no resv lock and no fence needed. */
	ret = edu_dma_run(edu, EDU_BUF_ADDR, edu->bounce_dma, len,
			  EDU_DMA_TO_PCI);
	if (!ret)
		memcpy(kbuf, edu->bounce, len);
out:
	mutex_unlock(&edu->hw_lock);
	return ret;
}

static long edu_imp_ioctl_wait(struct edu_imp_ctx *ctx, void __user *argp)
{
	struct edu_imp_fence *f = NULL;
	struct edu_imp_wait req;
	void *kbuf = NULL;
	long ret;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (req.reserved[0] || req.reserved[1])
		return -EINVAL;
	if (req.user_buf && (!req.len || req.len > EDU_IMP_DMA_MAX_LEN))
		return -EINVAL;

	ret = mutex_lock_interruptible(&ctx->lock);
	if (ret)
		return ret;
	if (ctx->async)
		f = to_edu_fence(dma_fence_get(&ctx->async->base));
	mutex_unlock(&ctx->lock);
	if (!f)
		return -ENOENT;

	/* Bounded: the worker signals by its deadline. */
	ret = dma_fence_wait(&f->base, true);
	if (ret)
		goto out_put;
	/* Read status/completed_ns after seeing the signal bit; pairs with
	 * the full barrier of test_and_set_bit() in dma_fence_signal().
	 */
	smp_rmb();

	req.status = f->status;
	req.seqno = f->base.seqno;
	req.started_ns = f->started_ns;
	req.completed_ns = f->completed_ns;

	if (req.user_buf) {
		if (f->status) {
			ret = -EIO;
			goto out_put;
		}
		if (req.len > f->len) {
			ret = -EINVAL;
			goto out_put;
		}
		kbuf = kmalloc(req.len, GFP_KERNEL);
		if (!kbuf) {
			ret = -ENOMEM;
			goto out_put;
		}
		if (READ_ONCE(ctx->dead))
			ret = -ENODEV;
		else
			ret = edu_imp_fetch(ctx->edu, f, kbuf, req.len);
		if (!ret && copy_to_user(u64_to_user_ptr(req.user_buf), kbuf,
					 req.len))
			ret = -EFAULT;
	}
	if (!ret && copy_to_user(argp, &req, sizeof(req)))
		ret = -EFAULT;
out_put:
	kfree(kbuf);
	dma_fence_put(&f->base);
	return ret;
}

static long edu_imp_ioctl_watch(struct edu_imp_ctx *ctx, void __user *argp)
{
	struct pci_dev *pdev = NULL, *old;
	struct edu_imp_watch req;
	unsigned int dom, bus, dev, fn;
	long ret;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	req.pci_name[sizeof(req.pci_name) - 1] = '\0';
	if (req.pci_name[0]) {
		if (sscanf(req.pci_name, "%x:%x:%x.%x", &dom, &bus, &dev,
			   &fn) != 4 || bus > 0xff || dev > 0x1f || fn > 7)
			return -EINVAL;
		pdev = pci_get_domain_bus_and_slot(dom, bus,
						   PCI_DEVFN(dev, fn));
		if (!pdev)
			return -ENODEV;
	}

	ret = mutex_lock_interruptible(&ctx->lock);
	if (ret) {
		pci_dev_put(pdev);
		return ret;
	}
	old = ctx->watch;
	ctx->watch = pdev;
	ctx->watch_checks = 0;
	ctx->watch_violations = 0;
	mutex_unlock(&ctx->lock);
	pci_dev_put(old);
	return 0;
}

static long edu_imp_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	struct edu_imp_ctx *ctx = file->private_data;
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case EDU_IMP_IOC_ID:
		return edu_imp_ioctl_id(ctx, argp);
	case EDU_IMP_IOC_ATTACH:
		return edu_imp_ioctl_attach(ctx, argp);
	case EDU_IMP_IOC_DETACH:
		return edu_imp_ioctl_detach(ctx);
	case EDU_IMP_IOC_MAP:
		return edu_imp_ioctl_map(ctx);
	case EDU_IMP_IOC_UNMAP:
		return edu_imp_ioctl_unmap(ctx);
	case EDU_IMP_IOC_INFO:
		return edu_imp_ioctl_info(ctx, argp);
	case EDU_IMP_IOC_SG:
		return edu_imp_ioctl_sg(ctx, argp);
	case EDU_IMP_IOC_DMA:
		return edu_imp_ioctl_dma(ctx, argp);
	case EDU_IMP_IOC_WAIT:
		return edu_imp_ioctl_wait(ctx, argp);
	case EDU_IMP_IOC_WATCH:
		return edu_imp_ioctl_watch(ctx, argp);
	default:
		return -ENOTTY;
	}
}

/* ---- file and device lifetime ---- */

static void edu_imp_dev_release(struct kref *ref)
{
	struct edu_imp_dev *edu = container_of(ref, struct edu_imp_dev, ref);

	ida_free(&edu_imp_ida, edu->index);
	mutex_destroy(&edu->hw_lock);
	mutex_destroy(&edu->ctx_lock);
	pci_dev_put(edu->pdev);
	kfree(edu);
}

static int edu_imp_open(struct inode *inode, struct file *file)
{
	struct edu_imp_dev *edu = container_of(file->private_data,
					       struct edu_imp_dev, misc);
	struct edu_imp_ctx *ctx;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	mutex_init(&ctx->lock);
	INIT_DELAYED_WORK(&ctx->reap_work, edu_imp_reap_work);
	ctx->edu = edu;

	mutex_lock(&edu->ctx_lock);
	if (READ_ONCE(edu->gone)) {
		mutex_unlock(&edu->ctx_lock);
		mutex_destroy(&ctx->lock);
		kfree(ctx);
		return -ENODEV;
	}
	kref_get(&edu->ref);
	list_add(&ctx->node, &edu->ctxs);
	mutex_unlock(&edu->ctx_lock);

	file->private_data = ctx;
	return 0;
}

static int edu_imp_release(struct inode *inode, struct file *file)
{
	struct edu_imp_ctx *ctx = file->private_data;
	struct edu_imp_dev *edu = ctx->edu;

	mutex_lock(&ctx->lock);
	edu_imp_teardown(ctx);
	mutex_unlock(&ctx->lock);

	mutex_lock(&edu->ctx_lock);
	list_del(&ctx->node);
	mutex_unlock(&edu->ctx_lock);

	if (ctx->async)
		dma_fence_put(&ctx->async->base);
	pci_dev_put(ctx->watch);
	mutex_destroy(&ctx->lock);
	kfree(ctx);
	kref_put(&edu->ref, edu_imp_dev_release);
	return 0;
}

static const struct file_operations edu_imp_fops = {
	.owner = THIS_MODULE,
	.open = edu_imp_open,
	.release = edu_imp_release,
	.unlocked_ioctl = edu_imp_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

/* Request and map BAR0 (managed): the mapping or an ERR_PTR. */
static void __iomem *edu_imp_map_regs(struct pci_dev *pdev)
{
#ifdef HAVE_PCIM_IOMAP_REGION
	return pcim_iomap_region(pdev, 0, DRV_NAME);
#else
	int ret = pcim_iomap_regions(pdev, BIT(0), DRV_NAME);

	return ret ? IOMEM_ERR_PTR(ret) : pcim_iomap_table(pdev)[0];
#endif
}

static int edu_imp_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct edu_imp_dev *edu;
	int ret;

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;

	/* edu masks addresses to its dma_mask property: the bench sets 64. */
	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (ret)
		return ret;

	edu = kzalloc(sizeof(*edu), GFP_KERNEL);
	if (!edu)
		return -ENOMEM;
	kref_init(&edu->ref);
	mutex_init(&edu->hw_lock);
	mutex_init(&edu->ctx_lock);
	INIT_LIST_HEAD(&edu->ctxs);
	edu->pdev = pci_dev_get(pdev);

	ret = ida_alloc(&edu_imp_ida, GFP_KERNEL);
	if (ret < 0) {
		edu->index = -1;
		goto err_put_pdev;
	}
	edu->index = ret;

	edu->regs = edu_imp_map_regs(pdev);
	if (IS_ERR(edu->regs)) {
		ret = PTR_ERR(edu->regs);
		goto err_ref;
	}

	edu->edu_id = readl(edu->regs + EDU_REG_ID);
	writel(0x5a5a1234, edu->regs + EDU_REG_LIVENESS);
	if ((edu->edu_id & 0xff) != 0xed ||
	    readl(edu->regs + EDU_REG_LIVENESS) != ~0x5a5a1234U) {
		dev_err(&pdev->dev, "not an edu device (id %#x)\n",
			edu->edu_id);
		ret = -ENODEV;
		goto err_ref;
	}
	/* Freed by devres after remove(), which leaves the engine idle. */
	edu->bounce = dmam_alloc_coherent(&pdev->dev, EDU_BUF_SIZE,
					  &edu->bounce_dma, GFP_KERNEL);
	if (!edu->bounce) {
		ret = -ENOMEM;
		goto err_ref;
	}
	pci_set_master(pdev);

	edu->fence_ctx = dma_fence_context_alloc(1);
	if (edu->index)
		snprintf(edu->name, sizeof(edu->name), DRV_NAME "%d",
			 edu->index);
	else
		strscpy(edu->name, DRV_NAME, sizeof(edu->name));
	edu->misc.minor = MISC_DYNAMIC_MINOR;
	edu->misc.name = edu->name;
	edu->misc.fops = &edu_imp_fops;
	edu->misc.parent = &pdev->dev;
	edu->misc.mode = 0600;
	pci_set_drvdata(pdev, edu);

	ret = misc_register(&edu->misc);
	if (ret)
		goto err_master;

	dev_info(&pdev->dev, "edu id %#x, /dev/%s, bounce %pad\n",
		 edu->edu_id, edu->name, &edu->bounce_dma);
	return 0;

err_master:
	pci_clear_master(pdev);
err_ref:
	/* The kref release frees the index and the pdev reference. */
	kref_put(&edu->ref, edu_imp_dev_release);
	return ret;

err_put_pdev:
	mutex_destroy(&edu->hw_lock);
	mutex_destroy(&edu->ctx_lock);
	pci_dev_put(pdev);
	kfree(edu);
	return ret;
}

static void edu_imp_remove(struct pci_dev *pdev)
{
	struct edu_imp_dev *edu = pci_get_drvdata(pdev);
	struct edu_imp_ctx *ctx;

	/* No new opens after this; open files stay and become dead. */
	misc_deregister(&edu->misc);

	/* Transfers not started yet fail with ENODEV from now on. */
	mutex_lock(&edu->hw_lock);
	WRITE_ONCE(edu->gone, true);
	mutex_unlock(&edu->hw_lock);

	mutex_lock(&edu->ctx_lock);
	list_for_each_entry(ctx, &edu->ctxs, node) {
		mutex_lock(&ctx->lock);
		edu_imp_teardown(ctx);
		WRITE_ONCE(ctx->dead, true);
		mutex_unlock(&ctx->lock);
	}
	mutex_unlock(&edu->ctx_lock);

	/* Let the last transfer end before the BAR and bounce buffer go. */
	mutex_lock(&edu->hw_lock);
	if (edu->busy) {
		dma_fence_wait(&edu->busy->base, false);
		dma_fence_put(&edu->busy->base);
		edu->busy = NULL;
	}
	/* A synchronous transfer that timed out may still be running. */
	if (edu_dma_poll(edu))
		dev_err(&pdev->dev, "DMA engine still busy at unbind\n");
	mutex_unlock(&edu->hw_lock);
	pci_clear_master(pdev);

	kref_put(&edu->ref, edu_imp_dev_release);
}

static const struct pci_device_id edu_imp_ids[] = {
	{ PCI_DEVICE(EDU_VENDOR_ID, EDU_DEVICE_ID) },
	{ }
};
MODULE_DEVICE_TABLE(pci, edu_imp_ids);

static struct pci_driver edu_imp_driver = {
	.name = DRV_NAME,
	.id_table = edu_imp_ids,
	.probe = edu_imp_probe,
	.remove = edu_imp_remove,
};

static int __init edu_imp_init(void)
{
	int ret;

	/* Fence signalling may be waited for under memory reclaim. */
	/* Per-CPU, as before WQ_PERCPU existed (it must be said since). */
#ifdef HAVE_WQ_PERCPU
	edu_imp_wq = alloc_workqueue("edu_importer",
				     WQ_MEM_RECLAIM | WQ_PERCPU, 0);
#else
	edu_imp_wq = alloc_workqueue("edu_importer", WQ_MEM_RECLAIM, 0);
#endif
	if (!edu_imp_wq)
		return -ENOMEM;
	ret = pci_register_driver(&edu_imp_driver);
	if (ret)
		destroy_workqueue(edu_imp_wq);
	return ret;
}

static void __exit edu_imp_exit(void)
{
	pci_unregister_driver(&edu_imp_driver);
	/* Every fence holds a module reference: no work can be pending. */
	destroy_workqueue(edu_imp_wq);
	ida_destroy(&edu_imp_ida);
}

module_init(edu_imp_init);
module_exit(edu_imp_exit);

MODULE_DESCRIPTION("dma-buf test importer on QEMU's edu device");
MODULE_LICENSE("GPL");
#ifdef HAVE_MODULE_IMPORT_NS_IDENT
MODULE_IMPORT_NS(DMA_BUF);
#else
MODULE_IMPORT_NS("DMA_BUF");
#endif
