// SPDX-License-Identifier: GPL-2.0-only
/*
 * Backends: which physical ranges of a BAR may be exported.
 *
 * plain: the whole BAR (the generic checks in export.c are all there is).
 *
 * nvme-cmb: NVMe controllers (class 01:08:02) with a Controller Memory
 * Buffer.  The CMB is a window of one BAR described by CMBLOC (BAR0+0x38:
 * BIR in bits 2:0, OFST in bits 31:12) and CMBSZ (BAR0+0x3c: SZU in bits
 * 11:8 giving a unit of 4 KiB << (4 * SZU), SZ in bits 31:12); both in
 * units of that size (decoded in 64 bits by vpd_nvme_cmb_decode(): the unit
 * alone is 4 GiB for SZU 5 and 64 GiB for SZU 6; 7..15 are reserved and
 * leave no window).  Exports of the CMB's BAR must stay inside the window;
 * other BARs are plain.  NVMe >= 1.4 controllers (QEMU's nvme without
 * legacy-cmb) read CMBLOC/CMBSZ as zero until CMBMSC.CRE (BAR0+0x50, bit 0)
 * is set; with the nvme_cmb_cre parameter (default on) we set CRE, and only
 * CRE, when CMBMSC is still zero.  CRE merely makes the two registers
 * visible; CMSE and the base address are left to the device's user.
 */
#include <linux/io.h>
#include <linux/nvme.h>

#include "vpd.h"

static int vpd_plain_validate(struct vpd_device *vd, u32 bar, bool decoding,
			      const struct vpd_range *ranges,
			      u32 nr)
{
	return 0;
}

static const struct vpd_backend vpd_backend_plain = {
	.name = "plain",
	.validate = vpd_plain_validate,
};

#define VPD_NVME_REGS_LEN	(NVME_REG_CMBMSC + 8)
#define VPD_NVME_CAP_CMBS_HI	BIT(57 - 32)

/* Read the CMB window.  ctx->lock held and the device decoding. */
static void vpd_nvme_read_cmb(struct vpd_device *vd)
{
	struct pci_dev *pdev = vd->core.pdev;
	struct vpd_ctx *ctx = vd->ctx;
	u32 cap_hi, cmbloc, cmbsz;
	void __iomem *regs;
	u64 size, offset;
	u8 bir;

	lockdep_assert_held(&ctx->lock);

	if (!vd->bars[0].mem || vd->bars[0].len < VPD_NVME_REGS_LEN)
		return;
	regs = pci_iomap_range(pdev, 0, 0, VPD_NVME_REGS_LEN);
	if (!regs)
		return;

	cap_hi = readl(regs + NVME_REG_CAP + 4);
	if (cap_hi == ~0U || !(cap_hi & VPD_NVME_CAP_CMBS_HI)) {
		ctx->cmb.valid = false;
		goto out;
	}

	cmbsz = readl(regs + NVME_REG_CMBSZ);
	if (!cmbsz && vpd_nvme_cmb_cre &&
	    !readl(regs + NVME_REG_CMBMSC) &&
	    !readl(regs + NVME_REG_CMBMSC + 4)) {
		writel(NVME_CMBMSC_CRE, regs + NVME_REG_CMBMSC);
		cmbsz = readl(regs + NVME_REG_CMBSZ);
	}
	cmbloc = readl(regs + NVME_REG_CMBLOC);
	if (!cmbsz || cmbsz == ~0U)
		goto out;	/* keep a window read earlier, if any */

	/* Reserved SZU or no such BAR: no window, the BAR exports nothing. */
	if (vpd_nvme_cmb_decode(cmbloc, cmbsz, &bir, &offset, &size)) {
		ctx->cmb.valid = false;
		goto out;
	}

	ctx->cmb.bir = bir;
	ctx->cmb.offset = offset;
	ctx->cmb.size = size;
	ctx->cmb.valid = true;
out:
	pci_iounmap(pdev, regs);
}

static int vpd_nvme_validate(struct vpd_device *vd, u32 bar, bool decoding,
			     const struct vpd_range *r, u32 nr)
{
	struct vpd_ctx *ctx = vd->ctx;
	u64 off, len;
	u32 i;

	lockdep_assert_held(&ctx->lock);

	/* Registers are only readable while decoding; else use the last. */
	if (decoding)
		vpd_nvme_read_cmb(vd);

	if (!ctx->cmb.valid || ctx->cmb.bir != bar)
		return 0;

	for (i = 0; i < nr; i++) {
		/* The user's offset and length (vpd_range). */
		off = r[i].phys - vd->bars[bar].phys;
		len = vpd_range_len(r, i);
		if (!vpd_cmb_contains(ctx->cmb.offset, ctx->cmb.size,
				      off, len)) {
			dev_info_ratelimited(&vd->core.pdev->dev,
					     "dma-buf export refused: range %u (%#llx+%#llx) outside NVMe CMB window %#llx+%#llx of BAR%u\n",
					     i, off, len,
					     ctx->cmb.offset, ctx->cmb.size,
					     bar);
			return -EINVAL;
		}
	}
	return 0;
}

static const struct vpd_backend vpd_backend_nvme = {
	.name = "nvme-cmb",
	.validate = vpd_nvme_validate,
};

const struct vpd_backend *vpd_backend_select(struct pci_dev *pdev)
{
	if (pdev->class == PCI_CLASS_STORAGE_EXPRESS &&
	    (pci_resource_flags(pdev, 0) & IORESOURCE_MEM))
		return &vpd_backend_nvme;
	return &vpd_backend_plain;
}

/*
 * Called when the device is opened and decoding: learn the CMB window early
 * so exports made while decoding is off can still be validated.
 */
void vpd_backend_open(struct vpd_device *vd)
{
	struct vpd_ctx *ctx = vd->ctx;

	if (vd->backend != &vpd_backend_nvme)
		return;
	/*
	 * vpd_opened() left decoding unobserved (DECODE set): an NVMe
	 * controller's open looks now, since its registers are read only
	 * while it decodes.  Other devices wait for their first ioctl.
	 */
	vpd_sync(vd, false);
	mutex_lock(&ctx->lock);
	if (!vpd_ctx_blocked(ctx))
		vpd_nvme_read_cmb(vd);
	mutex_unlock(&ctx->lock);
}
