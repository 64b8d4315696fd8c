// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Discovery of an NVMe controller's Controller Memory Buffer (NVMe base
 * specification 2.0, 3.1.4: CAP, CMBLOC, CMBSZ, CMBMSC), read through the
 * VFIO regions of the controller's config space and BAR0.
 */
#include "internal.h"

#include <errno.h>

#define NVME_CLASS	0x010802u	/* mass storage, NVM, NVMe */
#define NVME_REG_CAP	0x00
#define NVME_REG_CMBLOC	0x38
#define NVME_REG_CMBSZ	0x3c
#define NVME_REG_CMBMSC	0x50
#define NVME_CAP_CMBS	(1ull << 57)
#define NVME_CMBMSC_CRE	1u

static int bar0_read32(int fd, off_t reg, uint32_t *v)
{
	return vd_region_read(fd, VFIO_PCI_BAR0_REGION_INDEX, v, sizeof(*v),
			      reg);
}

int vfio_dmabuf_nvme_cmb(int device_fd, unsigned int *region,
			 struct vfio_region_dma_range *range)
{
	uint32_t class, cmbloc, cmbsz, lo, hi, cre = NVME_CMBMSC_CRE;
	uint64_t cap, unit, size, offset;
	unsigned int szu, bir;
	int ret;

	if (!region || !range)
		return -EINVAL;
	/* Class code: the top 24 bits of config dword 2. */
	ret = vd_region_read(device_fd, VFIO_PCI_CONFIG_REGION_INDEX, &class,
			     sizeof(class), 0x08);
	if (ret)
		return ret;
	if ((class >> 8) != NVME_CLASS)
		return -ENODEV;
	ret = bar0_read32(device_fd, NVME_REG_CAP, &lo);
	if (!ret)
		ret = bar0_read32(device_fd, NVME_REG_CAP + 4, &hi);
	if (!ret)
		ret = bar0_read32(device_fd, NVME_REG_CMBSZ, &cmbsz);
	if (ret)
		return ret;
	cap = (uint64_t)hi << 32 | lo;
	/*
	 * NVMe 1.4 and later report CMBLOC/CMBSZ only once CMBMSC.CRE is set.
	 * Set CRE alone, and only on an untouched CMBMSC: it makes the two
	 * registers readable and maps nothing (CMSE is left to the driver).
	 */
	if (!cmbsz && (cap & NVME_CAP_CMBS)) {
		ret = bar0_read32(device_fd, NVME_REG_CMBMSC, &lo);
		if (!ret)
			ret = bar0_read32(device_fd, NVME_REG_CMBMSC + 4, &hi);
		if (!ret && !lo && !hi)
			ret = vd_region_write(device_fd,
					      VFIO_PCI_BAR0_REGION_INDEX, &cre,
					      sizeof(cre), NVME_REG_CMBMSC);
		if (!ret)
			ret = bar0_read32(device_fd, NVME_REG_CMBSZ, &cmbsz);
		if (ret)
			return ret;
	}
	if (!cmbsz)
		return -ENODEV;
	ret = bar0_read32(device_fd, NVME_REG_CMBLOC, &cmbloc);
	if (ret)
		return ret;
	szu = (cmbsz >> 8) & 0xf;
	if (szu > 6)
		return -EPROTO;
	unit = 4096ull << (4 * szu);
	size = (uint64_t)(cmbsz >> 12) * unit;
	offset = (uint64_t)(cmbloc >> 12) * unit;
	bir = cmbloc & 7;
	/* BIR 1 is the upper half of a 64-bit BAR0; 6 and 7 are reserved. */
	if (!size || bir == 1 || bir > 5)
		return -EPROTO;
	*region = bir;
	range->offset = offset;
	range->length = size;
	return 0;
}
