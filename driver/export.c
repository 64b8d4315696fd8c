// SPDX-License-Identifier: GPL-2.0-only
/*
 * VFIO_DEVICE_FEATURE_DMA_BUF: validate a request and export the ranges.
 *
 * Errnos and their order follow upstream (Linux 7.2, vfio_pci_dmabuf.c,
 * vfio_pci_core_feature_dma_buf()); the first that applies wins:
 *   PROBE/GET/SET flags, argsz < header (vfio_check_feature())  -EINVAL
 *   header unreadable                                          -EFAULT
 *   nr_ranges == 0 or flags != 0                               -EINVAL
 *   region_index not a BAR (>= ROM)                            -ENODEV
 *   BAR empty, or its region not reserved by vfio-pci          -ENODEV
 *   (someone else holds it: vpd_bar_reserve(), p2p.c)
 *   nr_ranges > VPD_MAX_RANGES (upstream: kmalloc fails)        -ENOMEM
 *   ranges unreadable                                          -EFAULT
 *   then vpd_ranges_convert() (logic.c):
 *   a range empty or not page aligned, total >= 2^63           -EINVAL
 *   BAR not a memory BAR (I/O port)                            -EINVAL
 *   BAR start + offset + length wraps                          -EOVERFLOW
 *   a range ending beyond the BAR                              -EINVAL
 * argsz is not checked against nr_ranges (upstream reads the ranges
 * wherever nr_ranges puts them), and open_flags are not checked either:
 * the file gets the O_ACCMODE and O_NONBLOCK bits, the fd O_CLOEXEC, the
 * rest is ignored.
 * Ours only: an NVMe CMB BAR only exports ranges inside the CMB window ->
 * -EINVAL (backend.c).
 * A request that passes while the device is blocked (decoding off, low
 * power, reset, error, removal under way) exports a buffer born revoked;
 * upstream decides from the decoding state alone, so it exports live
 * buffers during a removal (docs/design.md).
 */
#include <linux/fcntl.h>
#include <linux/nospec.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "vpd.h"

#define vpd_refuse(vd, fmt, ...)					\
	dev_info_ratelimited(&(vd)->core.pdev->dev,			\
			     "dma-buf export refused: " fmt, ##__VA_ARGS__)

/*
 * vpd_ranges_convert() (logic.c), and one log line naming what is wrong.
 * The range it names is still as the user gave it.
 */
static int vpd_convert_ranges(struct vpd_device *vd, u32 bar,
			      struct vfio_region_dma_range *r, u32 nr,
			      size_t *total, unsigned int *nents)
{
	u64 bar_len = vd->bars[bar].len;
	struct vpd_range_fault f;
	u64 off, len;
	int ret;

	ret = vpd_ranges_convert(r, nr, &vd->bars[bar], total, nents, &f);
	if (!ret)
		return 0;
	off = nr ? r[f.index].offset : 0;
	len = nr ? r[f.index].length : 0;
	switch (f.why) {
	case VPD_RANGE_UNALIGNED:
		vpd_refuse(vd, "range %u (%#llx+%#llx) empty or not page aligned\n",
			   f.index, off, len);
		break;
	case VPD_RANGE_OVERFLOW:
		vpd_refuse(vd, "range %u (%#llx+%#llx) overflows the physical address\n",
			   f.index, off, len);
		break;
	case VPD_RANGE_BEYOND_BAR:
		vpd_refuse(vd, "range %u (%#llx+%#llx) beyond BAR%u size %#llx\n",
			   f.index, off, len, bar, bar_len);
		break;
	case VPD_RANGE_TOTAL:
		vpd_refuse(vd, "total length reaches 2^63 (range %u)\n",
			   f.index);
		break;
	case VPD_RANGE_NOT_MEM:
		vpd_refuse(vd, "BAR%u is not a memory BAR\n", bar);
		break;
	default:
		vpd_refuse(vd, "no ranges\n");
		break;
	}
	return ret;
}

/*
 * Every allocation made for one export (the export and its ranges) is
 * charged to the caller's memory cgroup: a user may keep many exports of
 * up to VPD_MAX_RANGES ranges (4 MiB each) alive.
 *
 * The export takes over @vr, the copy of the user's ranges that
 * vpd_ranges_convert() checked and turned into struct vpd_range in place:
 * both are 16 bytes.  No second array, no second pass over a zeroed one
 * (upstream copies into a new array).
 */
static_assert(sizeof(struct vpd_range) ==
	      sizeof(struct vfio_region_dma_range));

static struct vpd_export *vpd_export_alloc(struct vpd_device *vd, u32 bar,
					   struct vpd_range *vr, u32 nr,
					   unsigned int nents)
{
	struct vpd_export *exp;

	exp = kzalloc(sizeof(*exp), GFP_KERNEL_ACCOUNT);
	if (!exp)
		return NULL;
	exp->ranges = vr;
	exp->sg_nents = nents;
	INIT_LIST_HEAD(&exp->node);
	INIT_LIST_HEAD(&exp->tables);
	exp->nr_ranges = nr;
	exp->region = bar;
	exp->bus_off = vd->bars[bar].bus_off;
	exp->pdev = pci_dev_get(vd->core.pdev);
	exp->ctx = vd->ctx;
	vpd_ctx_get(exp->ctx);
	return exp;
}

static void vpd_export_free(struct vpd_export *exp)
{
	vpd_ctx_put(exp->ctx);
	pci_dev_put(exp->pdev);
	kvfree(exp->ranges);
	kfree(exp);
}

int vpd_feature_dma_buf(struct vpd_device *vd, u32 flags,
			struct vfio_device_feature_dma_buf __user *arg,
			size_t argsz)
{
	DEFINE_DMA_BUF_EXPORT_INFO(exp_info);
	struct vfio_device_feature_dma_buf get;
	struct vfio_region_dma_range *ranges;
	struct vpd_ctx *ctx = vd->ctx;
	struct vpd_export *exp;
	struct dma_buf *dmabuf;
	unsigned int nents;
	bool reserved;
	size_t size;
	u32 bar;
	int ret, fd;

	ret = vfio_check_feature(flags, argsz, VFIO_DEVICE_FEATURE_GET,
				 sizeof(get));
	if (ret != 1)
		return ret;

	if (copy_from_user(&get, arg, sizeof(get))) {
		vpd_refuse(vd, "arguments not readable\n");
		return -EFAULT;
	}

	if (!get.nr_ranges || get.flags) {
		vpd_refuse(vd, "flags %#x, nr_ranges %u\n", get.flags,
			   get.nr_ranges);
		return -EINVAL;
	}
	if (get.region_index >= VFIO_PCI_ROM_REGION_INDEX) {
		vpd_refuse(vd, "region %u is not a BAR\n", get.region_index);
		return -ENODEV;
	}
	bar = array_index_nospec(get.region_index, PCI_STD_NUM_BARS);
	/* Upstream: vfio_pci_core_get_iomap() fails for both. */
	if (!vd->bars[bar].len) {
		vpd_refuse(vd, "BAR%u is empty\n", bar);
		return -ENODEV;
	}
	mutex_lock(&ctx->lock);
	reserved = vpd_bar_reserve(vd, bar);
	mutex_unlock(&ctx->lock);
	if (!reserved) {
		vpd_refuse(vd, "BAR%u region not reserved by vfio-pci\n", bar);
		return -ENODEV;
	}
	/*
	 * Upstream's limit and errno: memdup_array_user() cannot kmalloc()
	 * more (VPD_MAX_RANGES).  Checked before reading any range, as there.
	 */
	if (get.nr_ranges > VPD_MAX_RANGES) {
		vpd_refuse(vd, "nr_ranges %u above %u\n", get.nr_ranges,
			   VPD_MAX_RANGES);
		return -ENOMEM;
	}

	/*
	 * Not vmemdup_user(): its allocation is not charged to the memcg.
	 * The ranges are read from where nr_ranges puts them, whatever argsz
	 * says: upstream does the same, and copy_from_user() keeps it safe.
	 */
	ranges = kvmalloc_array(get.nr_ranges, sizeof(*ranges),
				GFP_KERNEL_ACCOUNT);
	if (!ranges) {
		vpd_refuse(vd, "no memory for %u ranges\n", get.nr_ranges);
		return -ENOMEM;
	}
	if (copy_from_user(ranges, arg->dma_ranges,
			   array_size(get.nr_ranges, sizeof(*ranges)))) {
		vpd_refuse(vd, "%u ranges not readable\n", get.nr_ranges);
		ret = -EFAULT;
		goto out_ranges;
	}

	ret = vpd_convert_ranges(vd, bar, ranges, get.nr_ranges, &size,
				 &nents);
	if (ret)
		goto out_ranges;

	exp = vpd_export_alloc(vd, bar, (struct vpd_range *)ranges,
			       get.nr_ranges, nents);
	if (!exp) {
		ret = -ENOMEM;
		goto out_ranges;
	}
	/* ranges is exp->ranges now, converted: freed with the export. */

	/*
	 * DEFINE_DMA_BUF_EXPORT_INFO() names the exporter after the module,
	 * KBUILD_MODNAME ("vfio_pci_dmabuf"), as upstream's is named after
	 * its module ("vfio_pci_core"): that is what fdinfo and debugfs show.
	 */
	exp_info.ops = &vpd_dmabuf_ops;
	exp_info.size = size;
	/*
	 * Any open_flags are accepted, as upstream: the file keeps only the
	 * access mode and O_NONBLOCK (what 7.2's dma_buf_getfile() keeps;
	 * masked here too so that no kernel we build for passes other bits,
	 * e.g. FMODE_NONOTIFY's, into f_flags), the fd only O_CLOEXEC.
	 */
	exp_info.flags = get.open_flags & (O_ACCMODE | O_NONBLOCK);
	exp_info.priv = exp;

	dmabuf = dma_buf_export(&exp_info);
	if (IS_ERR(dmabuf)) {
		ret = PTR_ERR(dmabuf);
		vpd_export_free(exp);
		return ret;
	}
	exp->dmabuf = dmabuf;

	/*
	 * Backend checks and publication under ctx->lock: the decoding state
	 * cannot change under us (every path that stops decoding revokes
	 * under this lock first), so device registers may be read and the
	 * "born revoked" decision is consistent.
	 */
	mutex_lock(&ctx->lock);
	ret = vd->backend->validate(vd, bar, !vpd_ctx_blocked(ctx),
				    exp->ranges, get.nr_ranges);
	if (!ret)
		vpd_export_link(ctx, exp);
	mutex_unlock(&ctx->lock);
	if (ret)
		goto out_put;

	fd = dma_buf_fd(dmabuf, get.open_flags & O_CLOEXEC);
	if (fd < 0) {
		ret = fd;
		goto out_put;
	}
	return fd;

out_put:
	/* The release op unlinks and frees the export. */
	dma_buf_put(dmabuf);
	return ret;
out_ranges:
	kvfree(ranges);
	return ret;
}
