// SPDX-License-Identifier: GPL-2.0-only
/*
 * dma_buf_ops of exported BAR ranges.
 *
 * We are a dynamic exporter (we have pin/unpin): otherwise the dma-buf core
 * would map once at attach time and hand the cached, soon stale, table to
 * the importer forever.  Only importers that honour revocation may use the
 * buffer: dynamic importers (importer_ops with move_notify, called
 * invalidate_mappings since 7.0: vpd_attach_revocable()) that allow
 * peer-to-peer and never pin.
 *
 * Pin mechanism.  With CONFIG_DMABUF_MOVE_NOTIFY=y (and from 7.0 on, which
 * has no such option and always behaves so) the core never calls our
 * pin on its own (static importers, which would make it do so at attach,
 * are refused in attach), so every pin is an importer's dma_buf_pin() and
 * is refused with -EOPNOTSUPP.
 *
 * With CONFIG_DMABUF_MOVE_NOTIFY=n, dma_buf_map_attachment() calls our pin
 * right before map_dma_buf (and unpin right after unmap_dma_buf, or right
 * after a failed map_dma_buf), all inside the importer's resv critical
 * section.  An importer's own dma_buf_pin() is indistinguishable at the
 * moment it happens, so pin only records it as "pending":
 *
 *   pin:   pending already set -> refuse (-EOPNOTSUPP): the previous pin
 *          was not consumed by a map, so it was the importer's own;
 *          otherwise set pending.
 *   map:   consume pending (it was the core's pin for this map); on
 *          failure the core unpins at once: unpin_due++.
 *   unmap: the core unpins right after: unpin_due++.
 *   unpin: unpin_due ? unpin_due-- (core) : clear pending (importer).
 *
 * So an importer that pins first (the RDMA pinned-umem pattern: pin, then
 * map) gets -EOPNOTSUPP from the pin the core issues inside its map, and an
 * importer pinning while mapped is refused at its next map.  A pending pin
 * by itself grants nothing: without a map there are no DMA addresses.  All
 * of this state lives in vpd_attach and is guarded by the resv lock.
 *
 * CPU mappings.  mmap() of the dma-buf fd maps the buffer as one virtual
 * area laid out like its ranges, in order, one page per fault with
 * vfio-pci's memory type for BARs.  A fault maps a page only under
 * the resv lock with the export not revoked; the edge to revoked zaps
 * every mapping under that lock (revoke.c), so once a revoke returns no
 * CPU can reach the BAR through the buffer, and a fault while revoked
 * raises SIGBUS.  The fault reads only the export (immutable ranges, the
 * resv-guarded revoked flag), never the vfio device, which may be closed
 * or gone: each VMA holds a reference on the buffer's file, hence on the
 * export, not on the device.
 */
#include <linux/dma-resv.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "vpd.h"

#ifndef HAVE_VMF_INSERT_MIXED_PFN
#include <linux/pfn_t.h>
#endif

static int vpd_dmabuf_attach(struct dma_buf *dmabuf,
			     struct dma_buf_attachment *attach)
{
	struct vpd_export *exp = dmabuf->priv;
	struct vpd_p2p_verdict verdict;
	struct vpd_attach *va;

	if (!attach->peer2peer) {
		dev_info_ratelimited(&exp->pdev->dev,
				     "dma-buf attach refused: %s does not allow peer-to-peer\n",
				     dev_name(attach->dev));
		return -EOPNOTSUPP;
	}

	/*
	 * Revoked before not revocable: upstream's order and errnos.  Read
	 * without the resv lock, as upstream does: only a courtesy, since
	 * every map decides again under the lock, and the lock round trip
	 * was most of what an attach cost over upstream's.
	 */
	if (data_race(READ_ONCE(exp->revoked))) {
		dev_info_ratelimited(&exp->pdev->dev,
				     "dma-buf attach refused: export %llu is revoked\n",
				     exp->id);
		return -ENODEV;
	}
	if (!vpd_attach_revocable(attach)) {
		dev_info_ratelimited(&exp->pdev->dev,
				     "dma-buf attach refused: %s takes no move notification and cannot honour revocation\n",
				     dev_name(attach->dev));
		return -EOPNOTSUPP;
	}

	/*
	 * The bus walk (or its cache) outside the resv lock.  A bus path is
	 * final (only host-bridge verdicts depend on the allow list) and
	 * each table carries its type: without pin bookkeeping there is
	 * nothing to keep (struct vpd_attach).
	 */
	vpd_p2p_verdict(exp->ctx, exp->pdev, attach->dev, &verdict);
	if (verdict.type == VPD_MAP_BUS && !vpd_core_pins_on_map()) {
		attach->priv = NULL;
		return 0;
	}
	va = kzalloc(sizeof(*va), GFP_KERNEL);
	if (!va)
		return -ENOMEM;
	va->verdict = verdict;
	attach->priv = va;
	return 0;
}

static void vpd_dmabuf_detach(struct dma_buf *dmabuf,
			      struct dma_buf_attachment *attach)
{
	kfree(attach->priv);
	attach->priv = NULL;
}

static int vpd_dmabuf_pin(struct dma_buf_attachment *attach)
{
	struct vpd_export *exp = attach->dmabuf->priv;
	struct vpd_attach *va = attach->priv;

	dma_resv_assert_held(attach->dmabuf->resv);

	if (vpd_core_pins_on_map() && !va->pin_pending) {
		va->pin_pending = true;
		return 0;
	}

	dev_info_ratelimited(&exp->pdev->dev,
			     "dma-buf pin refused: %s pins the buffer, which cannot honour revocation\n",
			     dev_name(attach->dev));
	return -EOPNOTSUPP;
}

static void vpd_dmabuf_unpin(struct dma_buf_attachment *attach)
{
	struct vpd_attach *va = attach->priv;

	dma_resv_assert_held(attach->dmabuf->resv);

	if (!vpd_core_pins_on_map())
		return;
	if (va->unpin_due)
		va->unpin_due--;
	else
		va->pin_pending = false;
}

static struct sg_table *vpd_dmabuf_map(struct dma_buf_attachment *attach,
				       enum dma_data_direction dir)
{
	struct vpd_export *exp = attach->dmabuf->priv;
	struct vpd_attach *va = attach->priv;
	enum vpd_map_type type = VPD_MAP_BUS;
	struct sg_table *sgt;

	dma_resv_assert_held(attach->dmabuf->resv);

	if (vpd_core_pins_on_map())
		va->pin_pending = false;

	if (exp->revoked) {
		dev_info_ratelimited(&exp->pdev->dev,
				     "dma-buf map refused: export %llu is revoked\n",
				     exp->id);
		sgt = ERR_PTR(-ENODEV);
		goto out;
	}

	/*
	 * Not revoked: the vfio device is open and its BARs decode.
	 *
	 * p2p_host_bridges may have changed since attach: decide again
	 * (vpd_p2p_refresh() reuses the topology attach found; no bus walk
	 * under the resv lock).  Tables already live keep the type they were
	 * mapped with (struct vpd_sgt).  No va: a bus path, for good.
	 */
	if (va) {
		vpd_p2p_refresh(&va->verdict);
		type = va->verdict.type;
		if (type != VPD_MAP_BUS && type != VPD_MAP_HOST_BRIDGE) {
			vpd_p2p_log_refusal(exp->pdev, attach->dev,
					    &va->verdict);
			sgt = ERR_PTR(-EINVAL);
			goto out;
		}
	}

	sgt = vpd_sgt_map(exp, attach, type, dir);
	if (!IS_ERR(sgt))
		vpd_export_mapped(exp);
out:
	/* On failure the core unpins right away (MOVE_NOTIFY=n). */
	if (vpd_core_pins_on_map() && IS_ERR(sgt))
		va->unpin_due++;
	return sgt;
}

static void vpd_dmabuf_unmap(struct dma_buf_attachment *attach,
			     struct sg_table *sgt,
			     enum dma_data_direction dir)
{
	struct vpd_export *exp = attach->dmabuf->priv;
	struct vpd_attach *va = attach->priv;

	dma_resv_assert_held(attach->dmabuf->resv);

	vpd_sgt_unmap(exp, sgt, dir);
	/* A revoke may be waiting for this one (revoke.c). */
	vpd_export_unmapped(exp);
	if (vpd_core_pins_on_map())
		va->unpin_due++;
}

/*
 * A BAR page into a VM_MIXEDMAP area: a special PTE (x86 has pte_special),
 * with no struct page looked up even where the PFN has one, so the
 * pfn_valid() BUG_ON of vmf_insert_pfn() on mixed maps does not apply.
 * PFN_DEV without PFN_MAP: not a devmap page.
 */
static vm_fault_t vpd_insert_mixed(struct vm_area_struct *vma,
				   unsigned long addr, unsigned long pfn)
{
#ifdef HAVE_VMF_INSERT_MIXED_PFN
	return vmf_insert_mixed(vma, addr, pfn);
#else
	return vmf_insert_mixed(vma, addr, __pfn_to_pfn_t(pfn, PFN_DEV));
#endif
}

/*
 * One page of a CPU mapping.  Runs with the faulting process's mmap_lock
 * (or the VMA's lock) held for read and takes the buffer's resv lock
 * inside it, the order the dma-buf core asserts; no lock of ours and not
 * vfio-pci's memory_lock.  The resv lock orders the fault against the
 * revoke edge: either the page is mapped before the revoke takes the lock
 * (and its zap removes it) or the fault finds the export revoked.
 */
static vm_fault_t vpd_dmabuf_vm_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct vpd_export *exp = vma->vm_private_data;
	struct dma_resv *resv = exp->dmabuf->resv;
	vm_fault_t ret;
	u64 off;
	u32 i;

	/* pgoff is in buffer pages: dma_buf_mmap*() checked it fits. */
	off = (u64)vmf->pgoff << PAGE_SHIFT;
	i = vpd_ranges_find(exp->ranges, exp->nr_ranges, off);
	if (i >= exp->nr_ranges)
		return VM_FAULT_SIGBUS;
	off -= vpd_range_start(exp->ranges, i);

	dma_resv_lock(resv, NULL);
	if (exp->revoked)
		ret = VM_FAULT_SIGBUS;
	else
		ret = vpd_insert_mixed(vma, vmf->address,
				       PHYS_PFN(exp->ranges[i].phys + off));
	dma_resv_unlock(resv);
	return ret;
}

static const struct vm_operations_struct vpd_dmabuf_vm_ops = {
	.fault = vpd_dmabuf_vm_fault,
};

/*
 * VM flags of a buffer mapping: I/O memory that neither grows nor goes
 * into core dumps, which KVM on arm64 may map Normal-NC where the kernel
 * knows the flag; vfio_pci_core_mmap()'s flags, but VM_MIXEDMAP where it
 * has VM_PFNMAP.
 *
 * Not VM_PFNMAP: VFIO type1 (vaddr_get_pfns()), when pinning fails,
 * follows the PTEs of a VM_PFNMAP area and keeps the PFNs in the IOMMU
 * with no notifier, so a holder of the buffer fd could turn its CPU
 * mapping into a device mapping that outlives every revoke.  Pinning
 * refuses VM_IO (check_vma_flags(), and GUP-fast skips special PTEs), so
 * VFIO_IOMMU_MAP_DMA of this area fails with EFAULT.  The other kernel
 * paths that resolve a user mapping once are listed in docs/security.md.
 */
#ifdef HAVE_VM_ALLOW_ANY_UNCACHED
#define VPD_VM_FLAGS	(VM_ALLOW_ANY_UNCACHED | VM_IO | VM_MIXEDMAP | \
			 VM_DONTEXPAND | VM_DONTDUMP)
#else
#define VPD_VM_FLAGS	(VM_IO | VM_MIXEDMAP | VM_DONTEXPAND | VM_DONTDUMP)
#endif

static void vpd_vm_flags_mod(struct vm_area_struct *vma, vm_flags_t set,
			     vm_flags_t clear)
{
#ifdef HAVE_VM_FLAGS_MOD
	vm_flags_mod(vma, set, clear);
#else
	vma->vm_flags = (vma->vm_flags | set) & ~clear;
#endif
}

/*
 * mmap() of the dma-buf fd (dma_buf_mmap_internal()) or of an importer's
 * file that forwards to it (dma_buf_mmap()); either way the dma-buf core
 * has checked that the area fits the buffer, vm_pgoff counts buffer pages
 * and vm_file is the buffer's file.  Called with mmap_lock held for write.
 */
static int vpd_dmabuf_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma)
{
	struct vpd_export *exp = dmabuf->priv;
	vm_flags_t clear = 0;
	bool revoked;

	/*
	 * A private mapping would be copy-on-write, which means nothing for
	 * MMIO; vfio-pci refuses it too.  VM_MAYSHARE, not VM_SHARED: the
	 * VFS clears VM_SHARED (and VM_MAYWRITE) of a shared mapping of a
	 * file opened without FMODE_WRITE, such as an O_RDONLY buffer.
	 */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	/*
	 * The buffer's open_flags decide: the VFS already refuses a
	 * writable shared mapping of a file opened without FMODE_WRITE, but
	 * dma_buf_mmap() applies flags checked against another file.
	 */
	if (!(dmabuf->file->f_mode & FMODE_WRITE)) {
		if (vma->vm_flags & VM_WRITE)
			return -EACCES;
		clear = VM_MAYWRITE;
	}

	/*
	 * Like attach, refuse a buffer that is revoked now: a mapping could
	 * not be used before a restore, and never after close or remove.
	 * Only a courtesy: a revoke racing with this is caught by the fault.
	 */
	dma_resv_lock(dmabuf->resv, NULL);
	revoked = exp->revoked;
	dma_resv_unlock(dmabuf->resv);
	if (revoked) {
		dev_info_ratelimited(&exp->pdev->dev,
				     "dma-buf mmap refused: export %llu is revoked\n",
				     exp->id);
		return -ENODEV;
	}

	/* vfio-pci's memory type for BAR mmaps (vfio_pci_core_mmap()). */
	vma->vm_page_prot = pgprot_noncached(vma->vm_page_prot);
	vma->vm_page_prot = pgprot_decrypted(vma->vm_page_prot);
	vpd_vm_flags_mod(vma, VPD_VM_FLAGS, clear);
	vma->vm_ops = &vpd_dmabuf_vm_ops;
	vma->vm_private_data = exp;
	return 0;
}

static void vpd_dmabuf_release(struct dma_buf *dmabuf)
{
	struct vpd_export *exp = dmabuf->priv;
	struct vpd_ctx *ctx = exp->ctx;

	vpd_export_unlink(exp);
	pci_dev_put(exp->pdev);
	kvfree(exp->ranges);
	kfree(exp);
	vpd_ctx_put(ctx);
}

const struct dma_buf_ops vpd_dmabuf_ops = {
	.attach		= vpd_dmabuf_attach,
	.detach		= vpd_dmabuf_detach,
	.pin		= vpd_dmabuf_pin,
	.unpin		= vpd_dmabuf_unpin,
	.map_dma_buf	= vpd_dmabuf_map,
	.unmap_dma_buf	= vpd_dmabuf_unmap,
	.mmap		= vpd_dmabuf_mmap,
	.release	= vpd_dmabuf_release,
};
