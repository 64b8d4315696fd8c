/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vfio-pci-dmabuf: vfio-pci variant driver exporting BAR ranges as dma-bufs.
 *
 * Internal interfaces shared by the files of the module.
 *
 * Lock order (outermost first; asserted with lockdep_assert_held() and
 * dma_resv_assert_held() where a function relies on it):
 *
 *   vfio_device_set::lock  (vfio core around open/close_device; our
 *                           hot-reset wrapper while it re-syncs the set)
 *     -> vfio_pci_core_device::memory_lock  (vfio-pci takes it for write
 *                           around resets, PCI_COMMAND/PMCSR writes and
 *                           power changes; we take it for read, only in
 *                           ioctl/write context, to observe the hardware)
 *       -> vpd_ctx::lock   (export list, block reasons, holds)
 *         -> dma_resv lock of each exported dma-buf
 *           -> whatever the importer takes in move_notify
 *           -> i_mmap_rwsem of the dma-buf's address_space (the zap of
 *              CPU mappings, unmap_mapping_range(), on the revoke edge)
 *
 * CPU mappings of a buffer (mmap() of the dma-buf fd, dmabuf_ops.c):
 *
 *   mmap_lock (or the per-VMA lock) of the faulting or mapping process
 *     -> dma_resv lock of the buffer  (fault handler, mmap op)
 *
 * which is the order the dma-buf core itself asserts at boot
 * (dma_resv_lockdep(): mmap_lock -> resv -> reclaim -> i_mmap_rwsem).
 * Nothing of ours touches user memory or takes mmap_lock with a resv
 * lock held, and the fault path takes no other lock of ours: not
 * vpd_ctx::lock (held by a revoke while it waits for importers) and not
 * memory_lock (the fault never touches the vfio device).
 *
 * The reset callbacks (reset_prepare/reset_done) and the PCI error
 * handlers may run with memory_lock held for write by vfio-pci, so they
 * never take it and never read the hardware: they only set or clear a
 * reason.  Nothing under vpd_ctx::lock touches user memory (no mmap_lock
 * inversion with the BAR fault path, which takes memory_lock under
 * mmap_lock).  The dma-buf callbacks that run with the resv lock held (map,
 * unmap, pin, unpin) only use state guarded by that resv lock, never
 * vpd_ctx::lock.
 */
#ifndef VPD_H
#define VPD_H

#include <linux/atomic.h>
#include <linux/dma-buf.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/vfio.h>
#include <linux/vfio_pci_core.h>
#include <linux/wait.h>
#include <linux/xarray.h>

#include "compat.h"
#include <linux/vfio_dmabuf.h>

/*
 * dma-buf API differences, decided by the probes in compat/probes/.
 *
 * Linux 7.0 renamed dma_buf_move_notify() and the importer op it calls
 * (move_notify) to invalidate_mappings, and made that op optional: an
 * importer without it (RDMA's pinned umem) is not revocable.
 */
static inline void vpd_invalidate_mappings(struct dma_buf *dmabuf)
{
#ifdef HAVE_DMA_BUF_INVALIDATE_MAPPINGS
	dma_buf_invalidate_mappings(dmabuf);
#else
	dma_buf_move_notify(dmabuf);
#endif
}

/* Does the importer take notifications, so that it honours a revoke? */
static inline bool vpd_attach_revocable(struct dma_buf_attachment *attach)
{
#if defined(HAVE_DMA_BUF_ATTACH_REVOCABLE)
	return dma_buf_attach_revocable(attach);
#elif defined(HAVE_DMA_BUF_ATTACH_OPS_INVALIDATE_MAPPINGS)
	return attach->importer_ops && attach->importer_ops->invalidate_mappings;
#else
	return attach->importer_ops && attach->importer_ops->move_notify;
#endif
}

/*
 * Does dma_buf_map_attachment() call our pin before each map (and unpin
 * after each unmap) of a dynamic importer?  Only with
 * CONFIG_DMABUF_MOVE_NOTIFY=n; Linux 7.0 removed that option and behaves
 * as with =y, in the series that added dma_buf_attach_revocable().
 */
static inline bool vpd_core_pins_on_map(void)
{
#ifdef HAVE_DMA_BUF_ATTACH_REVOCABLE
	return false;
#else
	return !IS_ENABLED(CONFIG_DMABUF_MOVE_NOTIFY);
#endif
}

#define VPD_NAME	"vfio-pci-dmabuf"

/*
 * Upper bound on dma_ranges[] of one export: as many as one kmalloc() can
 * hold (KMALLOC_MAX_SIZE / 16 bytes; 262144 on x86-64 with 4 KiB pages).
 * That is where upstream (7.2) stops, with -ENOMEM from
 * memdup_array_user(); beyond it we answer -ENOMEM too.  Below it we never
 * refuse what upstream accepts: our copies are kvmalloc()ed, so they need
 * no high-order pages (upstream's kmalloc() may fail earlier when memory
 * is fragmented).  At the bound an export holds 4 MiB of vpd_range (the
 * user's array, copied once and converted in place), charged to the
 * caller's memory cgroup.
 */
#define VPD_MAX_RANGES \
	((u32)(KMALLOC_MAX_SIZE / sizeof(struct vfio_region_dma_range)))

/*
 * A buffer's size must stay below 2^63: upstream refuses more with -EINVAL
 * because dma_iova_try_alloc() takes bit 63 of a size as a flag.
 */
#define VPD_MAX_TOTAL	BIT_ULL(63)

/*
 * Reasons why the BARs of a device must not be reached by importers.  The
 * exports of a device are revoked while any reason is set (or a hold is
 * taken, see vpd_ctx::holds) and restored (importers notified again) when
 * the last one clears.  DECODE and LOWPOWER are observed state: they are
 * only ever cleared when derived from the hardware and vfio-pci's fields
 * with memory_lock held for read (revoke.c, vpd_sync()).  DECODE is also
 * set unobserved, at open and when an error ends, so that the next sync
 * (the first ioctl, device feature or watched config write) decides.
 *
 * ERROR is set by error_detected for a frozen or failed link and cleared
 * only once the device is known good again, always in exchange for DECODE,
 * so that nothing comes back before decoding is observed
 * (vpd_error_recovered()).  Known good means:
 *  - the recovery's resume: the PCI core recovered the device;
 *  - open: vfio_pci_core_enable() enabled the device afresh, after close
 *    had put its saved config space back;
 *  - a VFIO_DEVICE_RESET or VFIO_DEVICE_PCI_HOT_RESET that returned 0 (a
 *    hot reset: every device of ours in its reset set).
 * Not a reset that failed or was refused, and not reset_done alone: the
 * PCI core calls it whether or not the reset worked (sysfs "reset", other
 * drivers' resets), without telling us.  Never while the PCI core holds
 * the device disconnected (error_state pci_channel_io_perm_failure).  So
 * after a recovery that failed (no resume; 6.12 tells drivers nothing
 * more, 7.2 calls error_detected with pci_channel_io_perm_failure while
 * error_state stays frozen) the exports stay revoked until the owner
 * resets or reopens the device, not until the driver is rebound.  Nor
 * does the PCI core say when a recovery is over: a reset the owner makes
 * while one is still running counts too, and should that recovery reset
 * the link afterwards, exports restored in between are live across that
 * reset.  Only the owner can bring this about, on its own device.
 */
enum {
	VPD_BLOCK_CLOSED	= BIT(0),	/* vfio device not open */
	VPD_BLOCK_DECODE	= BIT(1),	/* MEMORY off in PCI_COMMAND or not D0 */
	VPD_BLOCK_RESET		= BIT(2),	/* PCI core reset_prepare..reset_done */
	VPD_BLOCK_LOWPOWER	= BIT(3),	/* low-power feature engaged */
	VPD_BLOCK_REMOVED	= BIT(4),	/* driver unbound: permanent */
	VPD_BLOCK_ERROR		= BIT(5),	/* AER/DPC: frozen or failed link */
};

enum vpd_map_type {
	VPD_MAP_UNKNOWN = 0,
	VPD_MAP_BUS,		/* common switch, no ACS redirect: bus address */
	VPD_MAP_HOST_BRIDGE,	/* via the root complex: IOMMU/DMA mapping */
	VPD_MAP_UNSUPPORTED,	/* no P2P path */
};

/* Why a map type was chosen; used for the refusal message. */
enum vpd_p2p_reason {
	VPD_P2P_OK = 0,
	VPD_P2P_NOT_PCI,	/* importer is not a PCI device */
	VPD_P2P_NO_HB_DEV,	/* root bus has no host bridge device */
	VPD_P2P_HB_DENIED,	/* host bridge not on any allow list */
	VPD_P2P_HB_DIFFERENT,	/* different host bridges, not both allowed */
};

struct vpd_p2p_verdict {
	enum vpd_map_type type;
	enum vpd_p2p_reason reason;
	bool acs_redirect;	/* an ACS redirect forced the host bridge path */
	u16 hb_vendor;		/* exporter's host bridge device, if any */
	u16 hb_device;
	/*
	 * What the PCI bus walk at attach found for a host-bridge path, so
	 * that type and reason can be decided again for another allow list
	 * without walking the bus (vpd_p2p_refresh()).
	 */
	bool via_hb;		/* no bus path: through the host bridge(s) */
	bool hb_found;		/* hb_vendor/hb_device are valid */
	bool same_hb;		/* importer below the exporter's host bridge */
	bool imp_hb_found;	/* imp_hb_* are valid (!same_hb only) */
	u16 imp_hb_vendor;	/* importer's host bridge device */
	u16 imp_hb_device;
	unsigned int gen;	/* allow-list generation type/reason are for */
};

/*
 * A physical MMIO range of an export, in user order.  Immutable.
 *
 * 16 bytes, as upstream's struct phys_vec (address and length): an export
 * may hold VPD_MAX_RANGES of them.  Instead of the length, each range
 * keeps where it ends in the buffer (the running sum of the lengths up to
 * and including it), so that a CPU fault finds the range holding a
 * buffer offset by binary search (vpd_ranges_find()) without a second
 * array; the length and the start are the difference to the range before
 * (vpd_range_len(), vpd_range_start()).  The offset in the BAR is phys
 * minus the BAR's start.  The ends sum modulo 2^64: below VPD_MAX_TOTAL
 * for an export, wrapping only in KUnit's tables of impossible lengths.
 * Same size as struct vfio_region_dma_range, so the user's copy is
 * converted in place (export.c).
 */
struct vpd_range {
	phys_addr_t phys;	/* CPU physical address */
	u64 end;		/* buffer offset just past the range */
};

static inline u64 vpd_range_start(const struct vpd_range *r, u32 i)
{
	return i ? r[i - 1].end : 0;
}

static inline u64 vpd_range_len(const struct vpd_range *r, u32 i)
{
	return r[i].end - vpd_range_start(r, i);
}

/*
 * Per-device export context.  Separately allocated and reference counted
 * because exported dma-bufs may outlive the vfio device (close) and even the
 * driver binding (remove): a buffer's release must still be able to unlink
 * itself without touching freed memory.
 *
 * References: one held by the vpd_device from init to release, one by every
 * vpd_export from creation to dma-buf release.
 */
struct vpd_ctx {
	struct kref kref;

	/*
	 * Guards exports, blocked, holds, next_id and cmb.  Taken from process
	 * context only, possibly with memory_lock held (by vfio-pci for write
	 * in the reset callbacks, by us for read in vpd_sync()).  Held across
	 * dma_resv_lock() of our buffers, never the other way round.
	 */
	struct mutex lock;
	struct list_head exports;	/* vpd_export::node, live exports */
	unsigned int blocked;		/* VPD_BLOCK_* */
	/*
	 * User operations in flight that stop decoding (config writes whose
	 * value clears PCI_COMMAND.MEMORY or leaves D0, low-power entry).
	 * Counted apart from the observed state so that no observation can
	 * undo another thread's "revoke before the write": blocked while
	 * non-zero.
	 */
	unsigned int holds;
	u64 next_id;

	/* Woken whenever an export's last mapping is unmapped. */
	wait_queue_head_t unmap_wq;

	/* NVMe CMB window, read while the device decodes (backend.c). */
	struct {
		bool valid;		/* fields below describe the window */
		u8 bir;
		u64 offset;
		u64 size;
	} cmb;

	/*
	 * Cache of what the PCI bus walk found for each importer (bus path or
	 * host bridge, ACS redirect), keyed by vpd_p2p_key(); xarray-internal
	 * locking.  Independent of the allow list; an entry counts only until
	 * a PCI device is removed (p2p.c, vpd_p2p_topo_gen).
	 */
	struct xarray p2p_cache;

	char name[32];			/* pci_name() of the exporter */
};

struct vpd_bar {
	/* Immutable after probe. */
	phys_addr_t phys;		/* resource start (CPU physical) */
	u64 len;			/* resource length, 0: no BAR */
	u64 bus_off;			/* bus address - CPU physical address */
	bool mem;			/* memory (not I/O port) BAR */
};

struct vpd_backend;

struct vpd_device {
	struct vfio_pci_core_device core;	/* must stay first: drvdata */
	struct vpd_ctx *ctx;

	struct vpd_bar bars[PCI_STD_NUM_BARS];
	const struct vpd_backend *backend;
	struct dentry *dbg_dir;
};

/*
 * One exported dma-buf.  Created by export.c, freed by the dma-buf release
 * op.  Fields are immutable after creation unless stated otherwise.
 * Ordered so that the struct is 96 bytes on 64-bit (kmalloc-96, one per
 * export; upstream's is in kmalloc-128).
 */
struct vpd_export {
	struct vpd_ctx *ctx;		/* reference held */
	struct dma_buf *dmabuf;		/* its size is the buffer's */
	/*
	 * Exporter, reference held so the struct stays valid for messages
	 * and topology walks; the device itself is only relied upon while
	 * !revoked under the resv lock (an unrevoked buffer implies an open,
	 * registered vfio device).  Nothing else of the vfio device is
	 * referenced: everything map needs is copied in here at export.
	 */
	struct pci_dev *pdev;
	u64 id;				/* set before publication */
	u64 bus_off;
	struct vpd_range *ranges;
	u32 nr_ranges;
	/*
	 * Entries of every sg table of this export, counted while the
	 * ranges were checked (vpd_ranges_convert()): no map walks the
	 * ranges twice.
	 */
	unsigned int sg_nents;
	u8 region;			/* BAR index */

	/* Guarded by ctx->lock. */
	bool draining;			/* notified by the revoke in progress */

	/*
	 * Guarded by dmabuf->resv.  While revoked, no CPU mapping of the
	 * buffer exists either: the edge to revoked zaps them all under the
	 * resv lock, and the fault handler maps a page only under the resv
	 * lock with revoked false (dmabuf_ops.c).
	 */
	bool revoked;			/* importers must not map */
	bool dead;			/* revoked for good (close/remove) */

	/*
	 * Live sg tables of all attachments: their count, changed under
	 * dmabuf->resv and read locklessly by a revoke waiting on
	 * ctx->unmap_wq, and the tables themselves (vpd_sgt::node), guarded
	 * by dmabuf->resv, so that a report or debugfs can say which
	 * attachment holds one.
	 */
	atomic_t nr_maps;
	struct list_head tables;

	/*
	 * Guarded by ctx->lock: on ctx->exports while live, else empty
	 * (list_del_init()), so unlinking twice is harmless.
	 */
	struct list_head node;
};

/*
 * Per-attachment exporter state (attach->priv), only where there is some
 * to keep: an importer that reaches the BAR by bus address, on a kernel
 * whose core does not pin on map, has none (attach->priv is NULL), since
 * its verdict cannot change and each sg table says how it was mapped
 * (struct vpd_sgt).  Such is every importer below a common switch on
 * 7.x, and attach then allocates nothing, as upstream's.
 */
struct vpd_attach {
	/*
	 * Computed at attach; decided again by map (under dmabuf->resv) when
	 * the allow list changed since.
	 */
	struct vpd_p2p_verdict verdict;

	/* Guarded by dmabuf->resv. */
	bool pin_pending;		/* see dmabuf_ops.c: pin mechanism */
	unsigned int unpin_due;		/* core unpins expected */
};

/*
 * One sg table given to an importer by map (sg.c), freed by its unmap.
 * It carries how its entries were mapped, so unmap needs no attachment
 * state, and up to VPD_SGT_INLINE entries in the same allocation, so a
 * map of a few runs allocates once.  The entries of a larger table are
 * one array of their own, not chained pages of sg_alloc_table().
 */
struct vpd_sgt {
	struct sg_table table;		/* what the importer gets */
	enum vpd_map_type type;		/* immutable */
	struct dma_buf_attachment *attach;	/* immutable: whose table */
	struct list_head node;		/* vpd_export::tables, resv-guarded */
	struct scatterlist sgl[];	/* inline entries, if they fit */
};

/* Inline entries: the whole vpd_sgt stays within one page. */
#define VPD_SGT_INLINE \
	((PAGE_SIZE - sizeof(struct vpd_sgt)) / sizeof(struct scatterlist))

static inline struct vpd_device *vpd_from_vdev(struct vfio_device *vdev)
{
	return container_of(vdev, struct vpd_device, core.vdev);
}

/* main.c */
extern unsigned int vpd_revoke_timeout_ms;
extern bool vpd_nvme_cmb_cre;

/* export.c */
enum vpd_range_why {
	VPD_RANGE_OK = 0,
	VPD_RANGE_NONE,		/* no range at all */
	VPD_RANGE_UNALIGNED,	/* empty, or offset/length not page aligned */
	VPD_RANGE_OVERFLOW,	/* BAR start + offset + length wraps */
	VPD_RANGE_BEYOND_BAR,	/* ends beyond the BAR */
	VPD_RANGE_TOTAL,	/* sum of the lengths >= VPD_MAX_TOTAL */
	VPD_RANGE_NOT_MEM,	/* the BAR is not a memory BAR */
};

struct vpd_range_fault {
	u32 index;		/* first bad range */
	enum vpd_range_why why;
};

int vpd_ranges_convert(struct vfio_region_dma_range *r, u32 nr,
		       const struct vpd_bar *bar, size_t *total,
		       unsigned int *nents,
		       struct vpd_range_fault *fault);	/* logic.c */
int vpd_feature_dma_buf(struct vpd_device *vd, u32 flags,
			struct vfio_device_feature_dma_buf __user *arg,
			size_t argsz);

/* dmabuf_ops.c */
extern const struct dma_buf_ops vpd_dmabuf_ops;

/* p2p.c */
void vpd_p2p_verdict(struct vpd_ctx *ctx, struct pci_dev *exporter,
		     struct device *importer, struct vpd_p2p_verdict *v);
void vpd_p2p_log_refusal(struct pci_dev *exporter, struct device *importer,
			 const struct vpd_p2p_verdict *v);
void vpd_p2p_refresh(struct vpd_p2p_verdict *v);
const char *vpd_map_type_name(enum vpd_map_type type);
struct seq_file;
int vpd_p2p_cache_show(struct seq_file *s, void *unused);	/* debugfs */
int vpd_p2p_init(void);
void vpd_p2p_exit(void);
void vpd_bars_init(struct vpd_device *vd);
/*
 * How often an export asks for a BAR's region that vfio-pci's own first
 * use holds but has not mapped yet, 50-100 us apart (vpd_bar_reserve()).
 */
#define VPD_BAR_RESERVE_TRIES	100
bool vpd_bar_reserve(struct vpd_device *vd, u32 i);
bool vpd_p2p_key(int domain, u16 dev_id, unsigned long *key);	/* logic.c */

/* sg.c */
/* Longest sg entry: page aligned, and sg_dma_len is 32 bits. */
#define VPD_MAX_SEG	((u64)ALIGN_DOWN(UINT_MAX, PAGE_SIZE))

/*
 * Iterate @r[0..@nr) in user order, merging each range into the run before
 * it when it starts exactly where that run ends.  Returns false when done;
 * else the run is @phys + @len and *@idx moves past it.  A run is only
 * extended when neither its end address nor its length wraps around, so a
 * run is always a real, contiguous window (wrapping ranges stay apart).
 * Inline: the map fills its sg table with it, once per range.
 */
static inline bool vpd_ranges_next_merged(const struct vpd_range *r, u32 nr,
					  u32 *idx, phys_addr_t *phys,
					  u64 *len)
{
	u32 i = *idx;
	u64 start, run, pend, next;

	if (i >= nr)
		return false;
	/*
	 * A run is contiguous in the buffer by construction: its length
	 * after range k is r[k].end - start, with no sum of lengths to
	 * take.  It wraps exactly when that difference shrinks.
	 */
	start = vpd_range_start(r, i);
	*phys = r[i].phys;
	run = r[i].end - start;
	for (i++; i < nr; i++) {
		if (check_add_overflow((u64)*phys, run, &pend) ||
		    (u64)r[i].phys != pend)
			break;
		next = r[i].end - start;
		if (next < run)
			break;
		run = next;
	}
	*len = run;
	*idx = i;
	return true;
}

u32 vpd_ranges_find(const struct vpd_range *r, u32 nr,
		    u64 off);				/* logic.c */
struct sg_table *vpd_sgt_map(struct vpd_export *exp,
			     struct dma_buf_attachment *attach,
			     enum vpd_map_type type,
			     enum dma_data_direction dir);
void vpd_sgt_unmap(struct vpd_export *exp, struct sg_table *sgt,
		   enum dma_data_direction dir);
bool vpd_attach_mapped(struct vpd_export *exp,
		       struct dma_buf_attachment *attach);

/* backend.c */
struct vpd_backend {
	const char *name;
	/*
	 * Check ranges of @bar beyond the generic BAR checks (after
	 * export.c converted them: phys and end).  Called with
	 * ctx->lock held; @decoding tells whether device registers may be
	 * read now.  Returns 0 or a negative errno.
	 */
	int (*validate)(struct vpd_device *vd, u32 bar, bool decoding,
			const struct vpd_range *ranges, u32 nr);
};

const struct vpd_backend *vpd_backend_select(struct pci_dev *pdev);
void vpd_backend_open(struct vpd_device *vd);

#define VPD_NVME_CMBSZ_SZU_MAX	6	/* 64 GiB units; 7..15 reserved */
int vpd_nvme_cmb_decode(u32 cmbloc, u32 cmbsz, u8 *bir, u64 *offset,
			u64 *size);			/* logic.c */
bool vpd_cmb_contains(u64 win_off, u64 win_size, u64 off,
		      u64 len);				/* logic.c */

/* revoke.c */
struct vpd_ctx *vpd_ctx_alloc(struct pci_dev *pdev);
void vpd_ctx_put(struct vpd_ctx *ctx);
void vpd_ctx_get(struct vpd_ctx *ctx);
void vpd_block(struct vpd_device *vd, unsigned int reasons);
void vpd_unblock(struct vpd_device *vd, unsigned int reasons);
void vpd_update(struct vpd_device *vd, unsigned int set, unsigned int clear);
void vpd_hold(struct vpd_device *vd);
void vpd_sync(struct vpd_device *vd, bool release_hold);
void vpd_opened(struct vpd_device *vd);

/*
 * Some changes back to a decoding state happen without us: vfio-pci
 * leaves low power on its own when a wakeup eventfd fires, and a PCI core
 * reset (sysfs, AER recovery) may bring a device from D3 back to D0.  The
 * observed reasons are therefore re-derived at every ioctl and config
 * write while one of them is set.  The unlocked read is only a hint: both
 * reasons are set only by vpd_sync() itself, under the locks.  Inline:
 * every ioctl of the device runs it (two loads and a test, not a call).
 */
static inline void vpd_resync_if_stale(struct vpd_device *vd)
{
	/* Racy on purpose: a stale hint only costs or skips one sync. */
	unsigned int blocked = data_race(READ_ONCE(vd->ctx->blocked));

	if (unlikely(blocked & (VPD_BLOCK_DECODE | VPD_BLOCK_LOWPOWER)))
		vpd_sync(vd, false);
}

void vpd_error_recovered(struct vpd_device *vd);
bool vpd_ctx_blocked(struct vpd_ctx *ctx);
void vpd_export_mapped(struct vpd_export *exp);
void vpd_export_unmapped(struct vpd_export *exp);
void vpd_kill_all(struct vpd_device *vd, unsigned int reason);
void vpd_export_link(struct vpd_ctx *ctx, struct vpd_export *exp);
void vpd_export_unlink(struct vpd_export *exp);
struct file *vpd_dmabuf_file_get(struct dma_buf *dmabuf);

/* debugfs.c */
void vpd_debugfs_init(void);
void vpd_debugfs_exit(void);
void vpd_debugfs_add(struct vpd_device *vd);
void vpd_debugfs_remove(struct vpd_device *vd);

#endif /* VPD_H */
