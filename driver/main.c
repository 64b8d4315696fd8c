// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci-dmabuf: a vfio-pci variant driver that wraps the stock
 * vfio_pci_core and adds VFIO_DEVICE_FEATURE_DMA_BUF (upstream 6.19 uapi):
 * ranges of a memory BAR exported as a dma-buf for peer-to-peer DMA.
 *
 * Everything is delegated to vfio_pci_core except the hooks that keep
 * exported buffers safe: they are revoked before the BARs stop decoding
 * (close, reset, PCI_COMMAND.MEMORY cleared, low power, removal) and
 * restored when decoding comes back on an open device.
 *
 * Binds only through driver_override (no IDs in the table).
 */
#include <linux/module.h>
#include <linux/pci.h>

#include "vpd.h"

unsigned int vpd_revoke_timeout_ms = 5000;
module_param_named(revoke_timeout_ms, vpd_revoke_timeout_ms, uint, 0644);
MODULE_PARM_DESC(revoke_timeout_ms,
		 "A revoke waits for its importers however long they take; every this many ms it logs whom it waits for (0: never; default 5000)");

bool vpd_nvme_cmb_cre = true;
module_param_named(nvme_cmb_cre, vpd_nvme_cmb_cre, bool, 0644);
MODULE_PARM_DESC(nvme_cmb_cre,
		 "Set NVMe CMBMSC.CRE when CMBLOC/CMBSZ are hidden and CMBMSC is zero (default Y)");

static bool vpd_enable_sriov;
module_param_named(enable_sriov, vpd_enable_sriov, bool, 0644);
MODULE_PARM_DESC(enable_sriov,
		 "Allow enabling VFs of a PF bound to this driver through sysfs, as vfio-pci's enable_sriov (default N)");

static const struct vfio_device_ops vpd_ops;

static struct vpd_device *vpd_from_pdev(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *core = dev_get_drvdata(&pdev->dev);

	return container_of(core, struct vpd_device, core);
}

static int vpd_init_dev(struct vfio_device *core_vdev)
{
	struct vpd_device *vd = vpd_from_vdev(core_vdev);
	int ret;

	ret = vfio_pci_core_init_dev(core_vdev);
	if (ret)
		return ret;

	vd->ctx = vpd_ctx_alloc(vd->core.pdev);
	if (!vd->ctx) {
		vfio_pci_core_release_dev(core_vdev);
		return -ENOMEM;
	}
	return 0;
}

static void vpd_release_dev(struct vfio_device *core_vdev)
{
	struct vpd_device *vd = vpd_from_vdev(core_vdev);

	vpd_ctx_put(vd->ctx);
	vfio_pci_core_release_dev(core_vdev);
}

static int vpd_open_device(struct vfio_device *core_vdev)
{
	struct vpd_device *vd = vpd_from_vdev(core_vdev);
	int ret;

	ret = vfio_pci_core_enable(&vd->core);
	if (ret)
		return ret;
	vfio_pci_core_finish_enable(&vd->core);
	/* The BARs are reserved by the first export (vpd_bar_reserve()). */

	/* Nothing else reaches the device before open returns. */
	vpd_opened(vd);
	vpd_backend_open(vd);
	return 0;
}

static void vpd_close_device(struct vfio_device *core_vdev)
{
	struct vpd_device *vd = vpd_from_vdev(core_vdev);

	/* Revoke for good before vfio_pci_core_disable() releases the BARs. */
	vpd_kill_all(vd, VPD_BLOCK_CLOSED);
	vfio_pci_core_close_device(core_vdev);
}

/*
 * Resets need no revoke of their own here: the PCI core calls
 * reset_prepare/reset_done around every reset it performs, for every
 * device the reset touches, and only once the request has been accepted,
 * so a refused request leaves everyone's exports alone.  What the reset
 * callbacks cannot do is look at the hardware (vfio-pci holds memory_lock
 * for write there), and a reset brings devices from D3 back to D0; so
 * afterwards every device of ours in the reset set re-syncs, in one pass
 * over the set under its lock.  A hot reset that succeeded also ends an
 * AER error of every device in the set (vpd_error_recovered()).
 */
static noinline long vpd_hot_reset(struct vpd_device *vd, unsigned int cmd,
				   unsigned long arg)
{
	struct vfio_device_set *dev_set = vd->core.vdev.dev_set;
	struct vfio_device *cur;
	long ret;

	ret = vfio_pci_core_ioctl(&vd->core.vdev, cmd, arg);

	mutex_lock(&dev_set->lock);
	list_for_each_entry(cur, &dev_set->device_list, dev_set_list) {
		if (cur->ops != &vpd_ops)
			continue;
		if (!ret)
			vpd_error_recovered(vpd_from_vdev(cur));
		vpd_resync_if_stale(vpd_from_vdev(cur));
	}
	mutex_unlock(&dev_set->lock);
	return ret;
}

/* An ioctl with more to do than pass the request on (vpd_ioctl()). */
static noinline long vpd_ioctl_slow(struct vpd_device *vd, unsigned int cmd,
				    unsigned long arg)
{
	long ret;

	vpd_resync_if_stale(vd);

	switch (cmd) {
	case VFIO_DEVICE_RESET:
		ret = vfio_pci_core_ioctl(&vd->core.vdev, cmd, arg);
		if (!ret)
			vpd_error_recovered(vd);
		vpd_resync_if_stale(vd);
		return ret;
	case VFIO_DEVICE_PCI_HOT_RESET:
		return vpd_hot_reset(vd, cmd, arg);
	}
	return vfio_pci_core_ioctl(&vd->core.vdev, cmd, arg);
}

/*
 * Every ioctl of the device.  Resets, and any ioctl while an observed
 * reason may be stale (vpd_resync_if_stale()), take the slow path; any
 * other (region info, irqs, ...) goes straight on to vfio-pci with no
 * frame of ours, so that it costs what it costs on stock vfio-pci.
 */
static long vpd_ioctl(struct vfio_device *core_vdev, unsigned int cmd,
		      unsigned long arg)
{
	struct vpd_device *vd = vpd_from_vdev(core_vdev);
	/* Racy on purpose, as in vpd_resync_if_stale(). */
	unsigned int blocked = data_race(READ_ONCE(vd->ctx->blocked));

	if (unlikely((blocked & (VPD_BLOCK_DECODE | VPD_BLOCK_LOWPOWER)) ||
		     cmd == VFIO_DEVICE_RESET ||
		     cmd == VFIO_DEVICE_PCI_HOT_RESET))
		return vpd_ioctl_slow(vd, cmd, arg);
	return vfio_pci_core_ioctl(core_vdev, cmd, arg);
}

static int vpd_device_feature(struct vfio_device *core_vdev, u32 flags,
			      void __user *arg, size_t argsz)
{
	struct vpd_device *vd = vpd_from_vdev(core_vdev);
	int ret;

	vpd_resync_if_stale(vd);

	switch (flags & VFIO_DEVICE_FEATURE_MASK) {
	case VFIO_DEVICE_FEATURE_DMA_BUF:
		return vpd_feature_dma_buf(vd, flags, arg, argsz);
#ifdef HAVE_VFIO_PCI_CORE_PM_RUNTIME_ENGAGED
	case VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY:
	case VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP:
		if ((flags & VFIO_DEVICE_FEATURE_PROBE) ||
		    !(flags & VFIO_DEVICE_FEATURE_SET))
			break;
		/* Revoke before the device may drop out of D0. */
		vpd_hold(vd);
		ret = vfio_pci_core_ioctl_feature(core_vdev, flags, arg, argsz);
		vpd_sync(vd, true);
		return ret;
	case VFIO_DEVICE_FEATURE_LOW_POWER_EXIT:
		ret = vfio_pci_core_ioctl_feature(core_vdev, flags, arg, argsz);
		vpd_sync(vd, false);
		return ret;
#endif
	}
	return vfio_pci_core_ioctl_feature(core_vdev, flags, arg, argsz);
}

/* Does [pos, pos + count) contain config byte @reg? */
static bool vpd_cfg_covers(u64 pos, size_t count, unsigned int reg)
{
	return pos <= reg && reg - pos < count;
}

static bool vpd_cfg_watched(struct vpd_device *vd, u64 pos, size_t count)
{
	struct pci_dev *pdev = vd->core.pdev;

	return vpd_cfg_covers(pos, count, PCI_COMMAND) ||
	       (pdev->pm_cap &&
		vpd_cfg_covers(pos, count, pdev->pm_cap + PCI_PM_CTRL));
}

/*
 * Does the write of @count bytes at config offset @pos, holding @buf, turn
 * memory decoding off, by the value we read now?  Only the low bytes of
 * PCI_COMMAND (MEMORY) and of PMCSR (the power state) matter; a byte we
 * cannot read counts as stopping decoding.  A device without a MEMORY bit
 * is treated like any other: the hold only costs its importers a revoke.
 */
static bool vpd_cfg_write_stops_decoding(struct vpd_device *vd,
					 const char __user *buf, u64 pos,
					 size_t count)
{
	struct pci_dev *pdev = vd->core.pdev;
	unsigned int pmcsr = pdev->pm_cap + PCI_PM_CTRL;
	u8 val;

	if (vpd_cfg_covers(pos, count, PCI_COMMAND) &&
	    (get_user(val, buf + (PCI_COMMAND - pos)) ||
	     !(val & PCI_COMMAND_MEMORY)))
		return true;
	if (pdev->pm_cap && vpd_cfg_covers(pos, count, pmcsr) &&
	    (get_user(val, buf + (pmcsr - pos)) ||
	     (val & PCI_PM_CTRL_STATE_MASK)))	/* 0 is D0 */
		return true;
	return false;
}

/*
 * Did the config write just made leave memory decoding off, by what
 * vfio-pci recorded: its virtual PCI_COMMAND, which its write path makes
 * the hardware's MEMORY bit follow, and the power state?  Upstream's own
 * test reads the same fields (__vfio_pci_memory_enabled()); we take D1
 * and D2 as off too.  No config cycle and no lock: vfio-pci wrote both
 * before its write returned to this thread, and a write of another thread
 * racing this read makes the same check after its own write.
 */
static bool vpd_write_left_decoding_off(struct vpd_device *vd)
{
	struct pci_dev *pdev = vd->core.pdev;
	u16 cmd;

	if (READ_ONCE(pdev->current_state) != PCI_D0)
		return true;
	cmd = le16_to_cpu(READ_ONCE(*(__le16 *)&vd->core.vconfig[PCI_COMMAND]));
	return !pdev->no_command_memory && !(cmd & PCI_COMMAND_MEMORY);
}

/* A config write that covers a watched register (vpd_write()). */
static noinline ssize_t vpd_write_config(struct vfio_device *core_vdev,
					 const char __user *buf, size_t count,
					 loff_t *ppos)
{
	struct vpd_device *vd = vpd_from_vdev(core_vdev);
	u64 pos = *ppos & VFIO_PCI_OFFSET_MASK;
	bool hold;
	ssize_t ret;

	/*
	 * Revoke before a write that stops decoding, and only then: a write
	 * that keeps it on (bus master, INTx disable, D0 to D0) leaves
	 * importers alone, as upstream, which decides inside vfio-pci.
	 *
	 * We decide on our own read of the value, and vfio-pci reads it
	 * again from user memory: another thread of the owner may change it
	 * in between.  So afterwards we look at what vfio-pci wrote, and if
	 * decoding is off after all, the sync revokes, and waits for every
	 * importer to unmap, before this write returns.  Only an owner racing
	 * its own write can so stop decoding under a mapped importer, and
	 * only until its write returns; the importer's DMA meanwhile reaches
	 * a BAR that decodes for nobody (docs/security.md).  A write that
	 * kept decoding on syncs only if the exports are revoked for a reason
	 * it may have ended (turning MEMORY back on).
	 */
	hold = vpd_cfg_write_stops_decoding(vd, buf, pos, count);
	if (hold)
		vpd_hold(vd);
	ret = vfio_pci_core_write(core_vdev, buf, count, ppos);
	if (hold || vpd_write_left_decoding_off(vd))
		vpd_sync(vd, hold);
	else
		vpd_resync_if_stale(vd);
	return ret;
}

/*
 * Every write of the device: one that covers neither PCI_COMMAND nor PMCSR
 * (BAR writes, other config registers) goes straight on to vfio-pci with
 * no frame of ours (the watched path is out of line), so that it costs
 * what it costs on stock vfio-pci.
 */
static ssize_t vpd_write(struct vfio_device *core_vdev, const char __user *buf,
			 size_t count, loff_t *ppos)
{
	if (VFIO_PCI_OFFSET_TO_INDEX(*ppos) == VFIO_PCI_CONFIG_REGION_INDEX &&
	    vpd_cfg_watched(vpd_from_vdev(core_vdev),
			    *ppos & VFIO_PCI_OFFSET_MASK, count))
		return vpd_write_config(core_vdev, buf, count, ppos);
	return vfio_pci_core_write(core_vdev, buf, count, ppos);
}

static const struct vfio_device_ops vpd_ops = {
	.name		= VPD_NAME,
	.init		= vpd_init_dev,
	.release	= vpd_release_dev,
	.open_device	= vpd_open_device,
	.close_device	= vpd_close_device,
	.ioctl		= vpd_ioctl,
	.device_feature	= vpd_device_feature,
	.read		= vfio_pci_core_read,
	.write		= vpd_write,
	.mmap		= vfio_pci_core_mmap,
	.request	= vfio_pci_core_request,
	.match		= vfio_pci_core_match,
#ifdef HAVE_VFIO_PCI_CORE_MATCH_TOKEN_UUID
	.match_token_uuid = vfio_pci_core_match_token_uuid,
#endif
#ifdef HAVE_VFIO_GET_REGION_INFO_CAPS
	.get_region_info_caps = vfio_pci_ioctl_get_region_info,
#endif
#ifdef HAVE_VFIO_IOMMUFD_PHYSICAL
	.bind_iommufd	= vfio_iommufd_physical_bind,
	.unbind_iommufd	= vfio_iommufd_physical_unbind,
	.attach_ioas	= vfio_iommufd_physical_attach_ioas,
#endif
#ifdef HAVE_VFIO_DETACH_IOAS
	.detach_ioas	= vfio_iommufd_physical_detach_ioas,
#endif
#ifdef HAVE_VFIO_PASID_ATTACH_IOAS
	.pasid_attach_ioas = vfio_iommufd_physical_pasid_attach_ioas,
	.pasid_detach_ioas = vfio_iommufd_physical_pasid_detach_ioas,
#endif
};

/*
 * PCI core resets (sysfs reset, FLR, slot/bus reset, and the resets vfio-pci
 * performs for VFIO_DEVICE_RESET and hot reset) call these with the device
 * lock held and, from vfio-pci, with memory_lock held for write.  We only
 * take ctx->lock (below memory_lock in our order) and buffer resv locks, so
 * unlike a driver whose state lock is also held around user copies (the
 * mlx5 variant's deferred-reset case) no deferral is needed.
 */
static void vpd_reset_prepare(struct pci_dev *pdev)
{
	vpd_block(vpd_from_pdev(pdev), VPD_BLOCK_RESET);
}

/*
 * The reset restored the config space saved at reset_prepare (in D0), so
 * PCI_COMMAND is what it was.  A device that was in D3 is in D0 now; it
 * stays revoked (DECODE) until the next sync sees it decode.
 */
static void vpd_reset_done(struct pci_dev *pdev)
{
	vpd_unblock(vpd_from_pdev(pdev), VPD_BLOCK_RESET);
}

/*
 * AER/DPC recovery.  For a frozen link the recovery resets the slot or bus
 * without reset_prepare/reset_done, and a failed link is gone: revoke as
 * soon as the error is reported, before vfio-pci tells the user.  A
 * non-fatal error (channel still normal) leaves the BARs reachable.
 * Called with the device lock held, never with memory_lock.
 */
static pci_ers_result_t vpd_error_detected(struct pci_dev *pdev,
					   pci_channel_state_t state)
{
	if (state != pci_channel_io_normal)
		vpd_block(vpd_from_pdev(pdev), VPD_BLOCK_ERROR);
	return vfio_pci_core_aer_err_detected(pdev, state);
}

static void vpd_error_resume(struct pci_dev *pdev)
{
	vpd_error_recovered(vpd_from_pdev(pdev));
}

static const struct pci_error_handlers vpd_err_handlers = {
	.error_detected	= vpd_error_detected,
	.resume		= vpd_error_resume,
	.reset_prepare	= vpd_reset_prepare,
	.reset_done	= vpd_reset_done,
};

static int vpd_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct vpd_device *vd;
	int ret;

	vd = vfio_alloc_device(vpd_device, core.vdev, &pdev->dev, &vpd_ops);
	if (IS_ERR(vd))
		return PTR_ERR(vd);

	dev_set_drvdata(&pdev->dev, &vd->core);
	vpd_bars_init(vd);
	vd->backend = vpd_backend_select(pdev);
	vpd_debugfs_add(vd);

	ret = vfio_pci_core_register_device(&vd->core);
	if (ret) {
		pci_err(pdev, "registration with vfio failed (%d)\n", ret);
		goto out_put;
	}
	return 0;

out_put:
	vpd_debugfs_remove(vd);
	vfio_put_device(&vd->core.vdev);
	return ret;
}

static void vpd_remove(struct pci_dev *pdev)
{
	struct vpd_device *vd = vpd_from_pdev(pdev);

	/* The BARs go away: revoke for good before anything else. */
	vpd_kill_all(vd, VPD_BLOCK_REMOVED);
	vfio_pci_core_unregister_device(&vd->core);
	vpd_debugfs_remove(vd);
	vfio_put_device(&vd->core.vdev);
}

/*
 * sriov_numvfs as under stock vfio-pci: refused (-ENOENT, as for a driver
 * without the hook) unless enable_sriov is set, since VFs of a PF driven
 * from userspace may not work without that PF driver's help.  VFs created
 * here get driver_override set to this driver by vfio_pci_core.
 */
static int vpd_sriov_configure(struct pci_dev *pdev, int nr_virtfn)
{
	if (!vpd_enable_sriov)
		return -ENOENT;
	return vfio_pci_core_sriov_configure(dev_get_drvdata(&pdev->dev),
					     nr_virtfn);
}

static const struct pci_device_id vpd_table[] = {
	/* driver_override only: matches nothing on its own. */
	{ PCI_DRIVER_OVERRIDE_DEVICE_VFIO(PCI_ANY_ID, PCI_ANY_ID) },
	{}
};
MODULE_DEVICE_TABLE(pci, vpd_table);

/* Not const: vfio_pci_core_register_device() installs its dev_pm_ops. */
static struct pci_driver vpd_driver = {
	.name			= VPD_NAME,
	.id_table		= vpd_table,
	.probe			= vpd_probe,
	.remove			= vpd_remove,
	.err_handler		= &vpd_err_handlers,
	.sriov_configure	= vpd_sriov_configure,
	.driver_managed_dma	= true,
};

static int __init vpd_init(void)
{
	int ret;

	/* Before any importer can attach: the P2P cache follows removals. */
	ret = vpd_p2p_init();
	if (ret)
		return ret;
	vpd_debugfs_init();
	ret = pci_register_driver(&vpd_driver);
	if (ret) {
		vpd_debugfs_exit();
		vpd_p2p_exit();
	}
	return ret;
}
module_init(vpd_init);

static void __exit vpd_exit(void)
{
	pci_unregister_driver(&vpd_driver);
	vpd_debugfs_exit();
	vpd_p2p_exit();
}
module_exit(vpd_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vfio-pci variant driver exporting BAR ranges as dma-bufs");
#ifdef VPD_VERSION
MODULE_VERSION(VPD_VERSION);
#endif
#ifdef HAVE_MODULE_IMPORT_NS_IDENT
MODULE_IMPORT_NS(DMA_BUF);
#else
MODULE_IMPORT_NS("DMA_BUF");
#endif
