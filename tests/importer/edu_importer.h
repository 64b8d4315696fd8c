/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * edu-importer: a dma-buf importer on QEMU's edu device, for testing
 * exporters of PCI BAR dma-bufs (vfio-pci-dmabuf).
 *
 * Userspace interface. This header is self-contained and may be included
 * directly from C11 programs; all structures use fixed-width types, have no
 * implicit padding and are multiples of 8 bytes. Fields named "reserved"
 * must be zero on input and are zero on output.
 *
 * One open file of /dev/edu-importer (the first edu device; further devices
 * are /dev/edu-importer1, /dev/edu-importer2, ...) is one importer context:
 * it holds at most one attachment to one dma-buf at a time.
 *
 * Typical sequence: ATTACH, MAP, DMA..., UNMAP, DETACH. Closing the file
 * tears everything down.
 */
#ifndef _UAPI_EDU_IMPORTER_H
#define _UAPI_EDU_IMPORTER_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define EDU_IMP_IOC_MAGIC	0xED

/* Largest transfer: QEMU 7.2's edu aborts the VM on a full 4096 B transfer. */
#define EDU_IMP_DMA_MAX_LEN	4095

/* Upper bound of entries returned by one EDU_IMP_IOC_SG call. */
#define EDU_IMP_SG_MAX		1024

/*
 * EDU_IMP_IOC_ID: identify the edu device behind this char device.
 * Never fails unless the edu device is gone (ENODEV).
 */
struct edu_imp_id {
	char pci_name[32];	/* out: e.g. "0000:00:04.0", NUL-terminated */
	__u32 vendor;		/* out: 0x1234 */
	__u32 device;		/* out: 0x11e8 */
	__u32 edu_id;		/* out: edu identification register */
	__u32 index;		/* out: N of /dev/edu-importerN (0: no suffix) */
	__u64 bounce_dma;	/* out: bus address of the host bounce buffer */
};

/*
 * EDU_IMP_IOC_ATTACH: attach the context to a dma-buf.
 *
 * At most one mode flag (none means DYNAMIC):
 * DYNAMIC: dma_buf_dynamic_attach() with importer ops (move_notify,
 *          allow_peer2peer = true). On move_notify the importer unmaps
 *          its mapping (after waiting for its own DMA in flight) and marks
 *          it invalid; DMA then fails with ENODEV until MAP succeeds again.
 * PINNED:  like RDMA's pinned umem: dynamic attach whose move_notify only
 *          counts and logs, then dma_buf_pin(). If pinning fails the
 *          attachment is dropped and pin's errno returned (an exporter
 *          that cannot honour a pin returns EOPNOTSUPP).
 * STATIC:  dma_buf_attach() without importer ops (peer2peer is false).
 *          If the exporter is dynamic the dma-buf core maps at attach time
 *          and MAP returns that cached table; revokes are invisible.
 * Modifiers:
 * NO_P2P:  importer ops with allow_peer2peer = false (DYNAMIC/PINNED).
 * NOWAIT:  (DYNAMIC only; test mode) move_notify does not wait for an
 *          ASYNC transfer in flight: it marks the mapping invalid and
 *          defers the unmap until that transfer's fence has signalled
 *          (a worker unmaps then, or the next MAP/UNMAP/DMA/DETACH/close
 *          if it comes first). Lets a test see whether the exporter
 *          itself waits for the resv fences.
 * LATE_UNMAP: (DYNAMIC only; test mode) move_notify marks the mapping
 *          invalid at once (no DMA through it after that) but a worker
 *          unmaps it only late_unmap_ms (module parameter, default 300)
 *          later. Lets a test see whether the exporter waits for the
 *          unmap, not only for the fences.
 * IGNORE_REVOKE: (DYNAMIC only; test mode, a misbehaving importer)
 *          move_notify only counts: the mapping stays valid, DMA goes on
 *          through it, and it is unmapped only by UNMAP, DETACH or close.
 *          Lets a test see what an exporter does with an importer that
 *          never honours a revoke.
 *
 * INFO.attach_flags reports the flags with the mode bit filled in.
 *
 * Errors: EBUSY already attached; EINVAL bad flags; EBADF/EINVAL bad fd;
 * otherwise the errno of dma_buf_*attach() / dma_buf_pin() as-is.
 */
struct edu_imp_attach {
	__s32 fd;		/* in: dma-buf fd */
	__u32 flags;		/* in: EDU_IMP_ATTACH_* */
};

#define EDU_IMP_ATTACH_DYNAMIC	0x01U
#define EDU_IMP_ATTACH_PINNED	0x02U
#define EDU_IMP_ATTACH_STATIC	0x04U
#define EDU_IMP_ATTACH_NO_P2P	0x08U
#define EDU_IMP_ATTACH_NOWAIT	0x10U
#define EDU_IMP_ATTACH_LATE_UNMAP	0x20U
#define EDU_IMP_ATTACH_IGNORE_REVOKE	0x40U

/*
 * EDU_IMP_IOC_MAP (no argument): dma_resv lock + dma_buf_map_attachment(),
 * DMA_BIDIRECTIONAL. Errors: ENODEV not attached; EBUSY already mapped;
 * EINTR; otherwise the exporter's errno as-is (e.g. ENODEV if revoked).
 *
 * EDU_IMP_IOC_UNMAP (no argument): unmap (waits for this context's ASYNC
 * transfer first). Returns 0 also when nothing is mapped (a revoke may have
 * removed the mapping already). ENODEV if not attached.
 *
 * EDU_IMP_IOC_DETACH (no argument): unmap, unpin, detach, drop the dma-buf
 * reference. ENOENT if not attached. Counters survive until the next ATTACH.
 */

/* EDU_IMP_IOC_INFO: state and counters of the context. */
struct edu_imp_info {
	__u32 attached;		/* an attachment exists */
	__u32 attach_flags;	/* flags given to ATTACH */
	__u32 mapped;		/* a valid mapping is held */
	__u32 nents;		/* dma-mapped sg entries of the mapping */
	__u32 revoked_seen;	/* move_notify calls that found a live mapping */
	__u32 invalidated;	/* mapping dropped by move_notify, not re-mapped */
	__u32 zombie;		/* NOWAIT: invalidated mapping awaiting unmap */
	__u32 exporter_dynamic;	/* dma_buf_is_dynamic() */
	__u32 importer_dynamic;	/* dma_buf_attachment_is_dynamic() */
	__u32 peer2peer;	/* attach->peer2peer after attach */
	__u64 move_notify_count; /* every move_notify call, any mode */
	__u64 size;		/* dma-buf size in bytes */
	__u64 first_dma_addr;	/* dma address of the first sg entry */
	__u64 first_dma_len;	/* dma length of the first sg entry */
	__u64 mapped_len;	/* sum of the dma lengths */
	__u64 map_count;	/* successful MAP calls since ATTACH */
	__u64 dma_count;	/* DMA calls that started a transfer */
	__u64 unmap_ns;		/* CLOCK_MONOTONIC of the last unmap, any path */
	__u32 watch_checks;	/* decode checks of the WATCH device made */
	__u32 watch_violations;	/* checks that found it not decoding */
	__u64 reserved[2];
};

/*
 * EDU_IMP_IOC_WATCH: name a PCI device (normally the exporter) whose
 * memory decoding is checked every time this context has the right to
 * reach the dma-buf: after each successful MAP and before and after each
 * DMA, all with the resv lock held. A check that finds the device out of
 * D0 or with PCI_COMMAND.MEMORY clear counts as a violation (INFO). An
 * empty name stops watching. Errors: ENODEV no such PCI device.
 */
struct edu_imp_watch {
	char pci_name[32];	/* in: e.g. "0000:01:00.0", NUL-terminated */
};

/*
 * EDU_IMP_IOC_SG: copy the dma entries of the current mapping, starting at
 * entry "first". Errors: ENODEV not attached or not mapped; EINVAL count
 * too large; EFAULT.
 */
struct edu_imp_sg_entry {
	__u64 dma_addr;
	__u64 len;
};

struct edu_imp_sg {
	__u64 entries;		/* in: user pointer to struct edu_imp_sg_entry[] */
	__u32 first;		/* in: index of the first entry wanted */
	__u32 count;		/* in: capacity (<= EDU_IMP_SG_MAX); out: written */
	__u32 nents;		/* out: total dma entries of the mapping */
	__u32 reserved;
};

/*
 * EDU_IMP_IOC_DMA: move data between the dma-buf and user memory through
 * the edu DMA engine.
 *
 * The range [offset, offset + len) of the dma-buf is translated to a bus
 * address with the mapping's sg table; it must lie inside one sg entry
 * (else EINVAL). Each call publishes a dma_fence on the dma-buf's resv
 * (usage from resv_usage) that signals when the transfer ends.
 *
 * FROM_DMABUF: dma-buf -> edu buffer -> host bounce buffer -> user_buf.
 * TO_DMABUF:   user_buf -> host bounce buffer -> edu buffer -> dma-buf.
 * ASYNC (FROM_DMABUF only): start dma-buf -> edu buffer and return; a
 * worker signals the fence when edu is done; user_buf is ignored, use
 * EDU_IMP_IOC_WAIT to wait and optionally fetch the data. One ASYNC
 * transfer per context may be in flight (else EBUSY).
 *
 * Errors: ENODEV not attached, not mapped or revoked (the BAR is never
 * touched then); EINVAL bad arguments or range; ETIMEDOUT edu did not
 * finish within 5 s; EFAULT; EINTR.
 */
struct edu_imp_dma {
	__u64 offset;		/* in: byte offset into the dma-buf */
	__u64 user_buf;		/* in: user pointer, len bytes */
	__u32 len;		/* in: 1..EDU_IMP_DMA_MAX_LEN */
	__u32 dir;		/* in: EDU_IMP_DIR_* */
	__u32 flags;		/* in: EDU_IMP_DMA_* */
	__u32 resv_usage;	/* in: EDU_IMP_USAGE_* */
	__u64 dma_addr;		/* out: bus address used on the dma-buf side */
	__u64 seqno;		/* out: seqno of the published fence */
	__u64 started_ns;	/* out: ktime_get_ns() when edu was started */
	__u64 completed_ns;	/* out: when edu finished (0 for ASYNC) */
	__u64 reserved[2];
};

#define EDU_IMP_DIR_TO_DMABUF	0
#define EDU_IMP_DIR_FROM_DMABUF	1

#define EDU_IMP_DMA_ASYNC	0x01U

/* dma_resv usage of the published fence. */
#define EDU_IMP_USAGE_DEFAULT	0	/* DMA_RESV_USAGE_WRITE */
#define EDU_IMP_USAGE_WRITE	1
#define EDU_IMP_USAGE_READ	2
#define EDU_IMP_USAGE_BOOKKEEP	3

/*
 * EDU_IMP_IOC_WAIT: wait (interruptibly) for the last ASYNC transfer of
 * this context. Bounded: the completion worker gives up after 5 s and then
 * reports ETIMEDOUT in status.
 *
 * If user_buf is not 0, also copy len bytes (1..length of that transfer)
 * of what it brought into the edu buffer to user_buf; ESTALE if another
 * transfer used the edu buffer since, EIO if the transfer failed.
 *
 * Errors: ENOENT no ASYNC transfer was started; EINTR.
 */
struct edu_imp_wait {
	__u64 user_buf;		/* in: optional user pointer */
	__u32 len;		/* in: bytes to fetch when user_buf != 0 */
	__s32 status;		/* out: 0 or -errno of the transfer */
	__u64 seqno;		/* out: fence seqno */
	__u64 started_ns;	/* out: ktime_get_ns() when edu was started */
	__u64 completed_ns;	/* out: ktime_get_ns() when the worker saw it done */
	__u64 reserved[2];
};

#define EDU_IMP_IOC_ID		_IOR(EDU_IMP_IOC_MAGIC, 0x00, struct edu_imp_id)
#define EDU_IMP_IOC_ATTACH	_IOW(EDU_IMP_IOC_MAGIC, 0x01, struct edu_imp_attach)
#define EDU_IMP_IOC_DETACH	_IO(EDU_IMP_IOC_MAGIC, 0x02)
#define EDU_IMP_IOC_MAP		_IO(EDU_IMP_IOC_MAGIC, 0x03)
#define EDU_IMP_IOC_UNMAP	_IO(EDU_IMP_IOC_MAGIC, 0x04)
#define EDU_IMP_IOC_INFO	_IOR(EDU_IMP_IOC_MAGIC, 0x05, struct edu_imp_info)
#define EDU_IMP_IOC_SG		_IOWR(EDU_IMP_IOC_MAGIC, 0x06, struct edu_imp_sg)
#define EDU_IMP_IOC_DMA		_IOWR(EDU_IMP_IOC_MAGIC, 0x07, struct edu_imp_dma)
#define EDU_IMP_IOC_WAIT	_IOWR(EDU_IMP_IOC_MAGIC, 0x08, struct edu_imp_wait)
#define EDU_IMP_IOC_WATCH	_IOW(EDU_IMP_IOC_MAGIC, 0x09, struct edu_imp_watch)

#endif /* _UAPI_EDU_IMPORTER_H */
