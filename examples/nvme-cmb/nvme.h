/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A small userspace NVMe driver over VFIO (legacy container/group API, the
 * device opened by libvfio-dmabuf): controller reset and enable, one admin
 * queue pair, IDENTIFY, one I/O queue pair, READ and WRITE with PRPs,
 * completion by polling, clean shutdown, and the Controller Memory Buffer
 * (CMB) enabled and located from CMBLOC/CMBSZ (and CMBMSC on NVMe >= 1.4).
 *
 * BAR0 (registers and doorbells) is reached with pread/pwrite on the VFIO
 * region, not mmap: every register access is then a system call that fails
 * cleanly (EIO) while memory decoding is off, instead of a SIGBUS.
 *
 * Host memory for queues and data is anonymous memory mapped for the
 * device with VFIO_IOMMU_MAP_DMA at IOVAs this driver chooses.
 *
 * Conventions: every int function returns 0 (or a count) on success and a
 * negative errno on failure. A command the controller completed with an
 * error status returns -EIO and leaves the status in ctrl->last_status
 * (nvme_status_str() names it); one that never completes returns
 * -ETIMEDOUT, or -EREMOTEIO when the controller set CSTS.CFS (fatal).
 */
#ifndef NVME_CMB_NVME_H
#define NVME_CMB_NVME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vfio-dmabuf.h>

#define NVME_PAGE		4096u
#define NVME_QDEPTH		32u	/* entries of every queue we create */
#define NVME_PRP_LIST_MAX	(NVME_PAGE / 8)

/* Host memory the controller reaches: CPU address, IOVA, length. */
struct nvme_dma {
	uint8_t *va;
	uint64_t iova;
	size_t len;
};

struct nvme_queue {
	struct nvme_dma sq, cq;
	uint16_t qid;
	uint16_t sq_tail;
	uint16_t cq_head;
	uint8_t phase;
	uint16_t next_cid;
};

struct nvme_cmb {
	bool present;		/* CAP.CMBS */
	bool enabled;		/* CMBSZ non-zero (CRE set if needed) */
	bool cmse;		/* controller memory space enabled (CMBMSC) */
	uint32_t cmbloc, cmbsz;
	unsigned int bir;	/* BAR holding the CMB */
	uint64_t bar_offset;	/* CMB start within that BAR */
	uint64_t size;
	uint64_t cba;		/* controller address of the CMB's first byte */
	bool wds, rds;		/* write/read data may live in the CMB */
};

struct nvme_ctrl {
	int fd;				/* VFIO device fd (not owned) */
	int iommu;			/* type1 container (not owned) */
	uint64_t bar0;			/* file offset of BAR0 in the device fd */
	uint64_t cap;
	uint32_t vs;
	unsigned int dstrd;		/* doorbell stride, bytes */
	unsigned int timeout_ms;	/* CAP.TO */
	uint64_t iova_next;		/* next free IOVA of our allocator */

	struct nvme_dma admin_mem;	/* admin SQ/CQ, identify page, PRP list */
	struct nvme_queue admin, io;
	bool io_created;
	struct nvme_cmb cmb;

	/* IDENTIFY */
	char model[41], serial[21], firmware[9];
	uint32_t nn;			/* number of namespaces */
	uint32_t max_xfer;		/* MDTS in bytes (0: no limit) */
	uint32_t nsid;			/* the namespace we use (first active) */
	uint64_t nsze;			/* its size in blocks */
	uint32_t lba_size;		/* its block size */

	uint16_t last_status;		/* status field of the last failure */
	uint8_t last_opcode;
	bool last_admin;
};

/* Register offsets (NVMe base specification 1.4, "Controller Registers"). */
#define NVME_REG_CAP	0x00
#define NVME_REG_VS	0x08
#define NVME_REG_INTMS	0x0c
#define NVME_REG_CC	0x14
#define NVME_REG_CSTS	0x1c
#define NVME_REG_AQA	0x24
#define NVME_REG_ASQ	0x28
#define NVME_REG_ACQ	0x30
#define NVME_REG_CMBLOC	0x38
#define NVME_REG_CMBSZ	0x3c
#define NVME_REG_CMBMSC	0x50
#define NVME_REG_CMBSTS	0x58
#define NVME_REG_DBS	0x1000

/* Opcodes */
#define NVME_ADM_DELETE_SQ	0x00
#define NVME_ADM_CREATE_SQ	0x01
#define NVME_ADM_DELETE_CQ	0x04
#define NVME_ADM_CREATE_CQ	0x05
#define NVME_ADM_IDENTIFY	0x06
#define NVME_CMD_FLUSH		0x00
#define NVME_CMD_WRITE		0x01
#define NVME_CMD_READ		0x02

/* Status field of a completion: SC bits 7:0, SCT bits 10:8, DNR bit 14. */
#define NVME_SC(st)	((st) & 0xff)
#define NVME_SCT(st)	(((st) >> 8) & 0x7)
#define NVME_DNR(st)	(((st) >> 14) & 0x1)

/*
 * Attach to an opened VFIO device (not owned): find BAR0, read CAP and VS.
 * @iova_base: first IOVA our host memory gets (must not overlap BAR0 nor
 * the CMB's controller addresses).
 */
int nvme_attach(struct nvme_ctrl *c, struct vfio_dmabuf_device *dev,
		uint64_t iova_base);
/* Free the admin queue memory; the controller is left as it is. */
void nvme_detach(struct nvme_ctrl *c);

int nvme_read32(struct nvme_ctrl *c, unsigned int off, uint32_t *val);
int nvme_write32(struct nvme_ctrl *c, unsigned int off, uint32_t val);
int nvme_read64(struct nvme_ctrl *c, unsigned int off, uint64_t *val);
int nvme_write64(struct nvme_ctrl *c, unsigned int off, uint64_t val);

/* CC.EN = 0 and wait for CSTS.RDY = 0 (a controller reset). */
int nvme_disable(struct nvme_ctrl *c);
/*
 * Enable the CMB: CMBMSC.CRE so CMBLOC/CMBSZ read (NVMe >= 1.4), decode
 * them, then CMBMSC.CMSE with controller base address @cba so that PRPs in
 * [cba, cba + size) are served from the CMB. -ENODEV: no CMB (CAP.CMBS 0
 * or CMBSZ still zero); -EADDRNOTAVAIL: the controller refused @cba
 * (CMBSTS.CBAI). Call while the controller is disabled.
 */
int nvme_cmb_enable(struct nvme_ctrl *c, uint64_t cba);
/* Where the CMB is, from CMBLOC/CMBSZ only (no change to CMBMSC). */
int nvme_cmb_locate(struct nvme_ctrl *c);
/* Admin queue registers, CC.EN = 1, wait for CSTS.RDY (-EIO on CFS). */
int nvme_enable(struct nvme_ctrl *c);
/* IDENTIFY controller and the first active namespace. */
int nvme_identify(struct nvme_ctrl *c);
/* Create I/O CQ 1 and I/O SQ 1 (polled: no interrupts). */
int nvme_create_io_queues(struct nvme_ctrl *c);
/*
 * The whole bring-up: disable, CMB (when @cba != 0), enable, identify,
 * I/O queues.
 */
int nvme_start(struct nvme_ctrl *c, uint64_t cba);
/* Delete the I/O queues, CC.SHN = normal, wait CSTS.SHST = complete, disable. */
int nvme_shutdown(struct nvme_ctrl *c);

/*
 * READ or WRITE (@opcode) of @nblocks blocks at @slba with the data at
 * controller address @addr, contiguous (an IOVA of host memory or a CMB
 * controller address): PRP1, PRP2 or a PRP list (in host memory) built
 * from it.
 */
int nvme_io(struct nvme_ctrl *c, uint8_t opcode, uint64_t slba,
	    uint32_t nblocks, uint64_t addr);

/* Host memory for the controller: mmap + VFIO_IOMMU_MAP_DMA. */
int nvme_dma_alloc(struct nvme_ctrl *c, size_t len, struct nvme_dma *d);
void nvme_dma_free(struct nvme_ctrl *c, struct nvme_dma *d);

/* "Generic Command Status", "Command Specific Status", ... */
const char *nvme_sct_name(unsigned int sct);
/* Name of a status (SCT and SC), e.g. "LBA Out of Range". */
const char *nvme_status_name(uint16_t status);
/* "READ: LBA Out of Range (SCT 0x0 Generic Command Status, SC 0x80)" */
const char *nvme_status_str(const struct nvme_ctrl *c, char *buf, size_t len);
/* Name of an opcode (admin or I/O). */
const char *nvme_opcode_name(bool admin, uint8_t opcode);

#endif
