// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A small userspace NVMe driver over VFIO; see nvme.h for what it does and
 * its conventions. Register layout, opcodes and status codes follow the
 * NVMe base specification 1.4.
 */
#define _GNU_SOURCE
#include "nvme.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/vfio.h>

/* CAP fields */
#define CAP_MQES(cap)	((unsigned int)((cap) & 0xffff))
#define CAP_TO(cap)	((unsigned int)(((cap) >> 24) & 0xff))
#define CAP_DSTRD(cap)	((unsigned int)(((cap) >> 32) & 0xf))
#define CAP_CSS_NVM(cap) (((cap) >> 37) & 0x1)
#define CAP_MPSMIN(cap)	((unsigned int)(((cap) >> 48) & 0xf))
#define CAP_CMBS(cap)	(((cap) >> 57) & 0x1)
/* CC / CSTS */
#define CC_EN		(1u << 0)
#define CC_SHN_NORMAL	(1u << 14)
#define CC_SHN_MASK	(3u << 14)
#define CC_IOSQES	(6u << 16)	/* 64-byte SQ entries */
#define CC_IOCQES	(4u << 20)	/* 16-byte CQ entries */
#define CSTS_RDY	(1u << 0)
#define CSTS_CFS	(1u << 1)
#define CSTS_SHST(v)	(((v) >> 2) & 3)
#define CSTS_SHST_DONE	2
/* CMB registers */
#define CMBSZ_SQS	(1u << 0)
#define CMBSZ_CQS	(1u << 1)
#define CMBSZ_LISTS	(1u << 2)
#define CMBSZ_RDS	(1u << 3)
#define CMBSZ_WDS	(1u << 4)
#define CMBMSC_CRE	(1u << 0)
#define CMBMSC_CMSE	(1u << 1)
#define CMBSTS_CBAI	(1u << 0)

/* A command that does not complete in this long has been lost. */
#define CMD_TIMEOUT_MS	30000

struct nvme_sqe {
	uint32_t cdw0;		/* opcode 7:0, CID 31:16 */
	uint32_t nsid;
	uint32_t cdw2, cdw3;
	uint64_t mptr;
	uint64_t prp1, prp2;
	uint32_t cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
};

struct nvme_cqe {
	uint32_t result;
	uint32_t rsvd;
	uint16_t sqhd;
	uint16_t sqid;
	uint16_t cid;
	uint16_t status;	/* phase bit 0, status field 15:1 */
};

_Static_assert(sizeof(struct nvme_sqe) == 64, "SQ entry is 64 bytes");
_Static_assert(sizeof(struct nvme_cqe) == 16, "CQ entry is 16 bytes");

/* Layout of admin_mem, one page each. */
enum { PG_ASQ, PG_ACQ, PG_IDENT, PG_PRPLIST, PG_IOSQ, PG_IOCQ, PG_COUNT };

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- registers ---- */

int nvme_read32(struct nvme_ctrl *c, unsigned int off, uint32_t *val)
{
	ssize_t n = pread(c->fd, val, 4, (off_t)(c->bar0 + off));

	if (n == 4)
		return 0;
	return n < 0 ? -errno : -EIO;
}

int nvme_write32(struct nvme_ctrl *c, unsigned int off, uint32_t val)
{
	ssize_t n = pwrite(c->fd, &val, 4, (off_t)(c->bar0 + off));

	if (n == 4)
		return 0;
	return n < 0 ? -errno : -EIO;
}

int nvme_read64(struct nvme_ctrl *c, unsigned int off, uint64_t *val)
{
	uint32_t lo, hi;
	int ret;

	ret = nvme_read32(c, off, &lo);
	if (!ret)
		ret = nvme_read32(c, off + 4, &hi);
	if (!ret)
		*val = (uint64_t)hi << 32 | lo;
	return ret;
}

/* Low dword first, then high: what QEMU and the spec's 32-bit hosts do. */
int nvme_write64(struct nvme_ctrl *c, unsigned int off, uint64_t val)
{
	int ret = nvme_write32(c, off, (uint32_t)val);

	return ret ? ret : nvme_write32(c, off + 4, (uint32_t)(val >> 32));
}

/* ---- host memory ---- */

int nvme_dma_alloc(struct nvme_ctrl *c, size_t len, struct nvme_dma *d)
{
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };
	void *va;

	len = (len + NVME_PAGE - 1) & ~(size_t)(NVME_PAGE - 1);
	va = mmap(NULL, len, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (va == MAP_FAILED)
		return -errno;
	memset(va, 0, len);
	map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	map.vaddr = (uintptr_t)va;
	map.iova = c->iova_next;
	map.size = len;
	if (ioctl(c->iommu, VFIO_IOMMU_MAP_DMA, &map)) {
		int ret = -errno;

		munmap(va, len);
		return ret;
	}
	d->va = va;
	d->iova = map.iova;
	d->len = len;
	/* A guard page between allocations. */
	c->iova_next += len + NVME_PAGE;
	return 0;
}

void nvme_dma_free(struct nvme_ctrl *c, struct nvme_dma *d)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap), .iova = d->iova, .size = d->len,
	};

	if (!d->va)
		return;
	ioctl(c->iommu, VFIO_IOMMU_UNMAP_DMA, &unmap);
	munmap(d->va, d->len);
	memset(d, 0, sizeof(*d));
}

static void queue_setup(struct nvme_ctrl *c, struct nvme_queue *q,
			uint16_t qid, int sq_page, int cq_page)
{
	memset(q, 0, sizeof(*q));
	q->qid = qid;
	q->phase = 1;
	q->sq.va = c->admin_mem.va + (size_t)sq_page * NVME_PAGE;
	q->sq.iova = c->admin_mem.iova + (uint64_t)sq_page * NVME_PAGE;
	q->sq.len = NVME_PAGE;
	q->cq.va = c->admin_mem.va + (size_t)cq_page * NVME_PAGE;
	q->cq.iova = c->admin_mem.iova + (uint64_t)cq_page * NVME_PAGE;
	q->cq.len = NVME_PAGE;
	memset(q->sq.va, 0, NVME_PAGE);
	memset(q->cq.va, 0, NVME_PAGE);
}

int nvme_attach(struct nvme_ctrl *c, struct vfio_dmabuf_device *dev,
		uint64_t iova_base)
{
	struct vfio_region_info info;
	int ret;

	memset(c, 0, sizeof(*c));
	c->fd = vfio_dmabuf_device_fd(dev);
	c->iommu = vfio_dmabuf_device_iommu_fd(dev, NULL);
	c->iova_next = iova_base;
	ret = vfio_dmabuf_region(c->fd, VFIO_PCI_BAR0_REGION_INDEX, &info);
	if (ret)
		return ret;
	if (info.size < NVME_REG_DBS + 2 * 4)
		return -ENODEV;
	c->bar0 = info.offset;
	ret = nvme_read64(c, NVME_REG_CAP, &c->cap);
	if (!ret)
		ret = nvme_read32(c, NVME_REG_VS, &c->vs);
	if (ret)
		return ret;
	if (c->cap == ~0ULL)
		return -ENODEV;	/* all ones: nothing answers */
	if (CAP_MPSMIN(c->cap) != 0 || !CAP_CSS_NVM(c->cap))
		return -EOPNOTSUPP; /* 4 KiB pages and the NVM command set only */
	if (CAP_MQES(c->cap) + 1 < NVME_QDEPTH)
		return -EOPNOTSUPP;
	c->dstrd = 4u << CAP_DSTRD(c->cap);
	c->timeout_ms = CAP_TO(c->cap) * 500;
	if (c->timeout_ms < 500)
		c->timeout_ms = 500;
	return nvme_dma_alloc(c, PG_COUNT * NVME_PAGE, &c->admin_mem);
}

void nvme_detach(struct nvme_ctrl *c)
{
	nvme_dma_free(c, &c->admin_mem);
}

/* ---- controller state ---- */

static int wait_csts(struct nvme_ctrl *c, uint32_t mask, uint32_t want)
{
	uint64_t deadline = now_ms() + c->timeout_ms;
	uint32_t csts;
	int ret;

	for (;;) {
		ret = nvme_read32(c, NVME_REG_CSTS, &csts);
		if (ret)
			return ret;
		if (csts == ~0u)
			return -ENODEV;
		if ((csts & mask) == want)
			return 0;
		if (now_ms() > deadline)
			return -ETIMEDOUT;
		usleep(1000);
	}
}

int nvme_disable(struct nvme_ctrl *c)
{
	uint32_t cc;
	int ret;

	ret = nvme_read32(c, NVME_REG_CC, &cc);
	if (ret)
		return ret;
	if (cc & CC_EN) {
		ret = nvme_write32(c, NVME_REG_CC, cc & ~(CC_EN | CC_SHN_MASK));
		if (ret)
			return ret;
	}
	c->io_created = false;
	return wait_csts(c, CSTS_RDY, 0);
}

int nvme_cmb_locate(struct nvme_ctrl *c)
{
	struct nvme_cmb *m = &c->cmb;
	unsigned int szu;
	uint64_t unit;
	int ret;

	m->present = CAP_CMBS(c->cap);
	if (!m->present)
		return -ENODEV;
	ret = nvme_read32(c, NVME_REG_CMBSZ, &m->cmbsz);
	if (!ret)
		ret = nvme_read32(c, NVME_REG_CMBLOC, &m->cmbloc);
	if (ret)
		return ret;
	m->enabled = m->cmbsz != 0;
	if (!m->enabled)
		return -ENODEV;
	szu = (m->cmbsz >> 8) & 0xf;
	if (szu > 6)
		return -EPROTO;	/* reserved size unit */
	unit = 4096ULL << (4 * szu);
	m->size = (uint64_t)(m->cmbsz >> 12) * unit;
	m->bir = m->cmbloc & 7;
	m->bar_offset = (uint64_t)(m->cmbloc >> 12) * unit;
	m->wds = m->cmbsz & CMBSZ_WDS;
	m->rds = m->cmbsz & CMBSZ_RDS;
	if (m->bir == 1 || m->bir > 5 || !m->size)
		return -EPROTO;
	return 0;
}

int nvme_cmb_enable(struct nvme_ctrl *c, uint64_t cba)
{
	uint32_t sz, sts;
	int ret;

	if (!CAP_CMBS(c->cap))
		return -ENODEV;
	/*
	 * NVMe >= 1.4: CMBLOC/CMBSZ read zero until CMBMSC.CRE. (A 1.3
	 * controller, or QEMU's legacy-cmb, has them set already.)
	 */
	ret = nvme_read32(c, NVME_REG_CMBSZ, &sz);
	if (ret)
		return ret;
	if (!sz) {
		ret = nvme_write32(c, NVME_REG_CMBMSC, CMBMSC_CRE);
		if (ret)
			return ret;
	}
	ret = nvme_cmb_locate(c);
	if (ret)
		return ret;
	if (cba & (NVME_PAGE - 1))
		return -EINVAL;
	/*
	 * Controller memory space: with CMSE, addresses the controller is
	 * given (PRPs, queues) in [CBA, CBA + size) are its own CMB. High
	 * dword first: the controller acts on the write of the low one.
	 */
	ret = nvme_write32(c, NVME_REG_CMBMSC + 4, (uint32_t)(cba >> 32));
	if (!ret)
		ret = nvme_write32(c, NVME_REG_CMBMSC,
				   (uint32_t)cba | CMBMSC_CRE | CMBMSC_CMSE);
	if (!ret)
		ret = nvme_read32(c, NVME_REG_CMBSTS, &sts);
	if (ret)
		return ret;
	if (sts & CMBSTS_CBAI)
		return -EADDRNOTAVAIL;
	c->cmb.cba = cba;
	c->cmb.cmse = true;
	return 0;
}

/*
 * PCI_COMMAND: memory decoding and bus mastering on. vfio-pci leaves bus
 * mastering to its user (and a function reset clears it); without it the
 * controller's DMA (queues, data) goes nowhere.
 */
static int enable_pci(struct nvme_ctrl *c)
{
	struct vfio_region_info ri;
	uint16_t cmd;
	int ret;

	ret = vfio_dmabuf_region(c->fd, VFIO_PCI_CONFIG_REGION_INDEX, &ri);
	if (ret)
		return ret;
	if (pread(c->fd, &cmd, 2, (off_t)(ri.offset + 4)) != 2)
		return -EIO;
	if ((cmd & 0x6) == 0x6)
		return 0;
	cmd |= 0x6;	/* PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER */
	if (pwrite(c->fd, &cmd, 2, (off_t)(ri.offset + 4)) != 2)
		return -EIO;
	return 0;
}

int nvme_enable(struct nvme_ctrl *c)
{
	uint32_t csts;
	int ret;

	queue_setup(c, &c->admin, 0, PG_ASQ, PG_ACQ);
	ret = enable_pci(c);
	if (!ret)
		ret = nvme_write32(c, NVME_REG_INTMS, ~0u);	/* we poll */
	if (!ret)
		ret = nvme_write32(c, NVME_REG_AQA,
				   (NVME_QDEPTH - 1) << 16 | (NVME_QDEPTH - 1));
	if (!ret)
		ret = nvme_write64(c, NVME_REG_ASQ, c->admin.sq.iova);
	if (!ret)
		ret = nvme_write64(c, NVME_REG_ACQ, c->admin.cq.iova);
	if (!ret)
		ret = nvme_write32(c, NVME_REG_CC, CC_IOSQES | CC_IOCQES | CC_EN);
	if (ret)
		return ret;
	ret = wait_csts(c, CSTS_RDY | CSTS_CFS, CSTS_RDY);
	if (ret == -ETIMEDOUT && !nvme_read32(c, NVME_REG_CSTS, &csts) &&
	    (csts & CSTS_CFS))
		return -EIO;	/* controller fatal status */
	return ret;
}

/* ---- commands ---- */

static int submit(struct nvme_ctrl *c, struct nvme_queue *q,
		  struct nvme_sqe *cmd, uint32_t *result)
{
	struct nvme_sqe *sq = (struct nvme_sqe *)q->sq.va;
	volatile struct nvme_cqe *cqe;
	uint16_t cid = q->next_cid++, status;
	uint64_t deadline;
	int ret;

	cmd->cdw0 = (cmd->cdw0 & 0xffff) | (uint32_t)cid << 16;
	sq[q->sq_tail] = *cmd;
	q->sq_tail = (uint16_t)((q->sq_tail + 1) % NVME_QDEPTH);
	/* The entry is in memory before the doorbell (a system call). */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	ret = nvme_write32(c, NVME_REG_DBS + 2 * q->qid * c->dstrd, q->sq_tail);
	if (ret)
		return ret;

	cqe = (volatile struct nvme_cqe *)q->cq.va + q->cq_head;
	deadline = now_ms() + CMD_TIMEOUT_MS;
	for (;;) {
		status = cqe->status;
		if ((status & 1) == q->phase)
			break;
		if (now_ms() > deadline) {
			uint32_t csts = 0;

			/* Controller Fatal Status: it gave up on the queue. */
			if (!nvme_read32(c, NVME_REG_CSTS, &csts) &&
			    (csts & CSTS_CFS))
				return -EREMOTEIO;
			return -ETIMEDOUT;
		}
		usleep(50);
	}
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (cqe->cid != cid)
		return -EPROTO;
	if (result)
		*result = cqe->result;
	q->cq_head = (uint16_t)((q->cq_head + 1) % NVME_QDEPTH);
	if (!q->cq_head)
		q->phase ^= 1;
	ret = nvme_write32(c, NVME_REG_DBS + (2 * q->qid + 1) * c->dstrd,
			   q->cq_head);
	if (ret)
		return ret;
	status >>= 1;
	if (NVME_SC(status) || NVME_SCT(status)) {
		c->last_status = status;
		c->last_opcode = cmd->cdw0 & 0xff;
		c->last_admin = q->qid == 0;
		return -EIO;
	}
	return 0;
}

static void copy_str(char *dst, const uint8_t *src, size_t len)
{
	memcpy(dst, src, len);
	dst[len] = '\0';
	while (len && (dst[len - 1] == ' ' || dst[len - 1] == '\0'))
		dst[--len] = '\0';
}

static uint32_t le32_at(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

int nvme_identify(struct nvme_ctrl *c)
{
	uint8_t *id = c->admin_mem.va + PG_IDENT * NVME_PAGE;
	struct nvme_sqe cmd = {
		.cdw0 = NVME_ADM_IDENTIFY,
		.prp1 = c->admin_mem.iova + PG_IDENT * NVME_PAGE,
		.cdw10 = 1,		/* CNS 1: controller */
	};
	unsigned int mdts, lbaf, lbads;
	uint64_t nsze;
	int ret;

	ret = submit(c, &c->admin, &cmd, NULL);
	if (ret)
		return ret;
	copy_str(c->serial, id + 4, 20);
	copy_str(c->model, id + 24, 40);
	copy_str(c->firmware, id + 64, 8);
	mdts = id[77];
	c->max_xfer = mdts ? (uint32_t)(NVME_PAGE << mdts) : 0;
	c->nn = le32_at(id + 516);

	/* CNS 2: active namespace IDs (first one is ours). */
	memset(&cmd, 0, sizeof(cmd));
	cmd.cdw0 = NVME_ADM_IDENTIFY;
	cmd.prp1 = c->admin_mem.iova + PG_IDENT * NVME_PAGE;
	cmd.cdw10 = 2;
	ret = submit(c, &c->admin, &cmd, NULL);
	if (ret)
		return ret;
	c->nsid = le32_at(id);
	if (!c->nsid)
		return -ENXIO;	/* no active namespace */

	memset(&cmd, 0, sizeof(cmd));
	cmd.cdw0 = NVME_ADM_IDENTIFY;
	cmd.nsid = c->nsid;
	cmd.prp1 = c->admin_mem.iova + PG_IDENT * NVME_PAGE;
	cmd.cdw10 = 0;		/* CNS 0: namespace */
	ret = submit(c, &c->admin, &cmd, NULL);
	if (ret)
		return ret;
	nsze = (uint64_t)le32_at(id + 4) << 32 | le32_at(id);
	lbaf = id[26] & 0xf;
	lbads = id[128 + 4 * lbaf + 2];
	if (le32_at(id + 128 + 4 * lbaf) & 0xffff)
		return -EOPNOTSUPP;	/* metadata in the LBA format */
	if (lbads < 9 || lbads > 12)
		return -EOPNOTSUPP;	/* blocks of 512 B .. 4 KiB */
	c->nsze = nsze;
	c->lba_size = 1u << lbads;
	return 0;
}

int nvme_create_io_queues(struct nvme_ctrl *c)
{
	struct nvme_sqe cmd = {
		.cdw0 = NVME_ADM_CREATE_CQ,
		.cdw10 = (NVME_QDEPTH - 1) << 16 | 1,
		.cdw11 = 1,		/* physically contiguous, no interrupts */
	};
	int ret;

	queue_setup(c, &c->io, 1, PG_IOSQ, PG_IOCQ);
	cmd.prp1 = c->io.cq.iova;
	ret = submit(c, &c->admin, &cmd, NULL);
	if (ret)
		return ret;
	memset(&cmd, 0, sizeof(cmd));
	cmd.cdw0 = NVME_ADM_CREATE_SQ;
	cmd.prp1 = c->io.sq.iova;
	cmd.cdw10 = (NVME_QDEPTH - 1) << 16 | 1;
	cmd.cdw11 = 1u << 16 | 1;	/* CQ 1, physically contiguous */
	ret = submit(c, &c->admin, &cmd, NULL);
	if (ret)
		return ret;
	c->io_created = true;
	return 0;
}

int nvme_start(struct nvme_ctrl *c, uint64_t cba)
{
	int ret;

	ret = nvme_disable(c);
	if (!ret && cba)
		ret = nvme_cmb_enable(c, cba);
	if (!ret)
		ret = nvme_enable(c);
	if (!ret)
		ret = nvme_identify(c);
	if (!ret)
		ret = nvme_create_io_queues(c);
	return ret;
}

int nvme_shutdown(struct nvme_ctrl *c)
{
	struct nvme_sqe cmd = { .cdw0 = NVME_ADM_DELETE_SQ, .cdw10 = 1 };
	uint32_t cc;
	int ret = 0, r;

	if (c->io_created) {
		ret = submit(c, &c->admin, &cmd, NULL);
		memset(&cmd, 0, sizeof(cmd));
		cmd.cdw0 = NVME_ADM_DELETE_CQ;
		cmd.cdw10 = 1;
		r = submit(c, &c->admin, &cmd, NULL);
		ret = ret ? ret : r;
		c->io_created = false;
	}
	r = nvme_read32(c, NVME_REG_CC, &cc);
	if (!r)
		r = nvme_write32(c, NVME_REG_CC,
				 (cc & ~CC_SHN_MASK) | CC_SHN_NORMAL);
	if (!r)
		r = wait_csts(c, 3u << 2, CSTS_SHST_DONE << 2);
	if (!r)
		r = nvme_disable(c);
	return ret ? ret : r;
}

int nvme_io(struct nvme_ctrl *c, uint8_t opcode, uint64_t slba,
	    uint32_t nblocks, uint64_t addr)
{
	uint64_t *list = (uint64_t *)(c->admin_mem.va + PG_PRPLIST * NVME_PAGE);
	struct nvme_sqe cmd = {
		.cdw0 = opcode,
		.nsid = c->nsid,
		.prp1 = addr,
		.cdw10 = (uint32_t)slba,
		.cdw11 = (uint32_t)(slba >> 32),
	};
	uint64_t len, first, rest, npages, i;

	if (!c->io_created)
		return -ENOTCONN;
	if (!nblocks || nblocks > 0x10000 || (addr & 3))
		return -EINVAL;
	cmd.cdw12 = nblocks - 1;
	len = (uint64_t)nblocks * c->lba_size;
	if (c->max_xfer && len > c->max_xfer)
		return -E2BIG;
	first = NVME_PAGE - (addr & (NVME_PAGE - 1));
	if (len > first) {
		rest = len - first;
		npages = (rest + NVME_PAGE - 1) / NVME_PAGE;
		if (npages == 1) {
			cmd.prp2 = addr + first;
		} else if (npages <= NVME_PRP_LIST_MAX) {
			for (i = 0; i < npages; i++)
				list[i] = addr + first + i * NVME_PAGE;
			cmd.prp2 = c->admin_mem.iova + PG_PRPLIST * NVME_PAGE;
		} else {
			return -E2BIG;	/* would need a chained PRP list */
		}
	}
	return submit(c, &c->io, &cmd, NULL);
}

/* ---- names ---- */

const char *nvme_sct_name(unsigned int sct)
{
	switch (sct) {
	case 0: return "Generic Command Status";
	case 1: return "Command Specific Status";
	case 2: return "Media and Data Integrity Errors";
	case 3: return "Path Related Status";
	case 7: return "Vendor Specific";
	default: return "Reserved status code type";
	}
}

struct code_name {
	uint8_t sc;
	const char *name;
};

static const struct code_name generic[] = {
	{ 0x00, "Successful Completion" },
	{ 0x01, "Invalid Command Opcode" },
	{ 0x02, "Invalid Field in Command" },
	{ 0x03, "Command ID Conflict" },
	{ 0x04, "Data Transfer Error" },
	{ 0x05, "Commands Aborted due to Power Loss Notification" },
	{ 0x06, "Internal Error" },
	{ 0x07, "Command Abort Requested" },
	{ 0x08, "Command Aborted due to SQ Deletion" },
	{ 0x09, "Command Aborted due to Failed Fused Command" },
	{ 0x0a, "Command Aborted due to Missing Fused Command" },
	{ 0x0b, "Invalid Namespace or Format" },
	{ 0x0c, "Command Sequence Error" },
	{ 0x0d, "Invalid SGL Segment Descriptor" },
	{ 0x0e, "Invalid Number of SGL Descriptors" },
	{ 0x0f, "Data SGL Length Invalid" },
	{ 0x10, "Metadata SGL Length Invalid" },
	{ 0x11, "SGL Descriptor Type Invalid" },
	{ 0x12, "Invalid Use of Controller Memory Buffer" },
	{ 0x13, "PRP Offset Invalid" },
	{ 0x14, "Atomic Write Unit Exceeded" },
	{ 0x15, "Operation Denied" },
	{ 0x16, "SGL Offset Invalid" },
	{ 0x18, "Host Identifier Inconsistent Format" },
	{ 0x19, "Keep Alive Timer Expired" },
	{ 0x1a, "Keep Alive Timeout Invalid" },
	{ 0x1b, "Command Aborted due to Preempt and Abort" },
	{ 0x1c, "Sanitize Failed" },
	{ 0x1d, "Sanitize In Progress" },
	{ 0x1e, "SGL Data Block Granularity Invalid" },
	{ 0x1f, "Command Not Supported for Queue in CMB" },
	{ 0x20, "Namespace is Write Protected" },
	{ 0x21, "Command Interrupted" },
	{ 0x22, "Transient Transport Error" },
	{ 0x80, "LBA Out of Range" },
	{ 0x81, "Capacity Exceeded" },
	{ 0x82, "Namespace Not Ready" },
	{ 0x83, "Reservation Conflict" },
	{ 0x84, "Format In Progress" },
};

static const struct code_name specific[] = {
	{ 0x00, "Completion Queue Invalid" },
	{ 0x01, "Invalid Queue Identifier" },
	{ 0x02, "Invalid Queue Size" },
	{ 0x03, "Abort Command Limit Exceeded" },
	{ 0x05, "Asynchronous Event Request Limit Exceeded" },
	{ 0x06, "Invalid Firmware Slot" },
	{ 0x07, "Invalid Firmware Image" },
	{ 0x08, "Invalid Interrupt Vector" },
	{ 0x09, "Invalid Log Page" },
	{ 0x0a, "Invalid Format" },
	{ 0x0b, "Firmware Activation Requires Conventional Reset" },
	{ 0x0c, "Invalid Queue Deletion" },
	{ 0x0d, "Feature Identifier Not Saveable" },
	{ 0x0e, "Feature Not Changeable" },
	{ 0x0f, "Feature Not Namespace Specific" },
	{ 0x80, "Conflicting Attributes" },
	{ 0x81, "Invalid Protection Information" },
	{ 0x82, "Attempted Write to Read Only Range" },
};

static const struct code_name media[] = {
	{ 0x80, "Write Fault" },
	{ 0x81, "Unrecovered Read Error" },
	{ 0x82, "End-to-end Guard Check Error" },
	{ 0x83, "End-to-end Application Tag Check Error" },
	{ 0x84, "End-to-end Reference Tag Check Error" },
	{ 0x85, "Compare Failure" },
	{ 0x86, "Access Denied" },
	{ 0x87, "Deallocated or Unwritten Logical Block" },
};

static const char *lookup(const struct code_name *t, size_t n, uint8_t sc)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i].sc == sc)
			return t[i].name;
	return NULL;
}

#define LOOKUP(t, sc) lookup(t, sizeof(t) / sizeof(t[0]), sc)

const char *nvme_status_name(uint16_t status)
{
	const char *name = NULL;

	switch (NVME_SCT(status)) {
	case 0: name = LOOKUP(generic, NVME_SC(status)); break;
	case 1: name = LOOKUP(specific, NVME_SC(status)); break;
	case 2: name = LOOKUP(media, NVME_SC(status)); break;
	default: break;
	}
	return name ? name : "(status code not known to this driver)";
}

const char *nvme_opcode_name(bool admin, uint8_t opcode)
{
	if (admin) {
		switch (opcode) {
		case NVME_ADM_DELETE_SQ: return "DELETE I/O SQ";
		case NVME_ADM_CREATE_SQ: return "CREATE I/O SQ";
		case NVME_ADM_DELETE_CQ: return "DELETE I/O CQ";
		case NVME_ADM_CREATE_CQ: return "CREATE I/O CQ";
		case NVME_ADM_IDENTIFY: return "IDENTIFY";
		default: return "admin command";
		}
	}
	switch (opcode) {
	case NVME_CMD_FLUSH: return "FLUSH";
	case NVME_CMD_WRITE: return "WRITE";
	case NVME_CMD_READ: return "READ";
	default: return "I/O command";
	}
}

const char *nvme_status_str(const struct nvme_ctrl *c, char *buf, size_t len)
{
	snprintf(buf, len, "%s: %s (SCT %#x %s, SC %#04x%s)",
		 nvme_opcode_name(c->last_admin, c->last_opcode),
		 nvme_status_name(c->last_status), NVME_SCT(c->last_status),
		 nvme_sct_name(NVME_SCT(c->last_status)),
		 NVME_SC(c->last_status),
		 NVME_DNR(c->last_status) ? ", do not retry" : "");
	return buf;
}
