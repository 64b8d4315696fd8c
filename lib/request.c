// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The VFIO_DEVICE_FEATURE_DMA_BUF request: building it, sending it, and
 * checking it in userspace the way the kernel will.
 */
#define _GNU_SOURCE
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/*
 * The most ranges one request may hold: what one kmalloc() holds
 * (KMALLOC_MAX_SIZE, 4 MiB on x86-64) divided by a range's 16 bytes. Both
 * upstream and vfio-pci-dmabuf refuse more with ENOMEM.
 */
#define VD_MAX_RANGES	262144u

int vfio_dmabuf_argsz(unsigned int nr, uint32_t *argsz)
{
	const uint64_t fixed = sizeof(struct vfio_device_feature) +
			       sizeof(struct vfio_device_feature_dma_buf);
	uint64_t total;

	if (!nr)
		return -EINVAL;
	/* nr < 2^32 and a range is 16 bytes: no 64-bit overflow possible. */
	total = fixed + (uint64_t)nr * sizeof(struct vfio_region_dma_range);
	if (total > UINT32_MAX)
		return -EOVERFLOW;
	if (argsz)
		*argsz = (uint32_t)total;
	return 0;
}

int vfio_dmabuf_build(void *buf, size_t len, unsigned int region,
		      const struct vfio_region_dma_range *ranges,
		      unsigned int nr, unsigned int open_flags)
{
	struct vfio_device_feature *feat = buf;
	struct vfio_device_feature_dma_buf *db;
	uint32_t argsz;
	int ret;

	ret = vfio_dmabuf_argsz(nr, &argsz);
	if (ret)
		return ret;
	if (!buf || !ranges)
		return -EINVAL;
	if (len < argsz)
		return -ENOSPC;
	if (argsz > INT_MAX)
		return -EOVERFLOW;
	memset(buf, 0, argsz);
	feat->argsz = argsz;
	feat->flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF;
	db = (struct vfio_device_feature_dma_buf *)feat->data;
	db->region_index = region;
	db->open_flags = open_flags;
	db->flags = 0;
	db->nr_ranges = nr;
	/*
	 * The ranges follow the fixed part (the uapi's flexible array). Placed
	 * by size, not by the member's name, so this keeps compiling should
	 * the name change upstream.
	 */
	memcpy(db + 1, ranges, (size_t)nr * sizeof(*ranges));
	return (int)argsz;
}

int vfio_dmabuf_probe(int device_fd)
{
	struct vfio_device_feature feat = {
		.argsz = sizeof(feat),
		.flags = VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_GET |
			 VFIO_DEVICE_FEATURE_DMA_BUF,
	};

	if (device_fd < 0)
		return -EBADF;
	return ioctl(device_fd, VFIO_DEVICE_FEATURE, &feat) ? -errno : 0;
}

int vfio_dmabuf_export(int device_fd, unsigned int region,
		       const struct vfio_region_dma_range *ranges,
		       unsigned int nr, unsigned int open_flags)
{
	uint32_t argsz;
	void *buf;
	int ret;

	if (device_fd < 0)
		return -EBADF;
	ret = vfio_dmabuf_argsz(nr, &argsz);
	if (ret)
		return ret;
	buf = aligned_alloc(8, (argsz + 7) & ~(size_t)7);
	if (!buf)
		return -ENOMEM;
	ret = vfio_dmabuf_build(buf, argsz, region, ranges, nr,
				open_flags | O_CLOEXEC);
	if (ret >= 0) {
		ret = ioctl(device_fd, VFIO_DEVICE_FEATURE, buf);
		if (ret < 0)
			ret = -errno;
	}
	free(buf);
	return ret;
}

int vfio_dmabuf_region(int device_fd, unsigned int region,
		       struct vfio_region_info *info)
{
	if (!info)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	info->index = region;
	return ioctl(device_fd, VFIO_DEVICE_GET_REGION_INFO, info) ? -errno : 0;
}

int vfio_dmabuf_export_bar(int device_fd, unsigned int region,
			   unsigned int open_flags)
{
	struct vfio_region_dma_range r = { 0 };
	struct vfio_region_info ri;
	int ret;

	if (region >= VFIO_PCI_ROM_REGION_INDEX)
		return -ENODEV;
	ret = vfio_dmabuf_region(device_fd, region, &ri);
	if (ret)
		return ret;
	if (!ri.size)
		return -ENODEV;
	r.length = ri.size;
	return vfio_dmabuf_export(device_fd, region, &r, 1, open_flags);
}

static int region_rw(int fd, unsigned int region, void *buf, size_t len,
		     off_t off, bool write)
{
	struct vfio_region_info ri;
	ssize_t n;
	int ret;

	ret = vfio_dmabuf_region(fd, region, &ri);
	if (ret)
		return ret;
	if (off < 0 || (uint64_t)off + len > ri.size)
		return -EINVAL;
	off += (off_t)ri.offset;
	n = write ? pwrite(fd, buf, len, off) : pread(fd, buf, len, off);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

int vd_region_read(int device_fd, unsigned int region, void *buf,
		   size_t len, off_t off)
{
	return region_rw(device_fd, region, buf, len, off, false);
}

int vd_region_write(int device_fd, unsigned int region, const void *buf,
		    size_t len, off_t off)
{
	return region_rw(device_fd, region, (void *)buf, len, off, true);
}

/* Fill @why (if any) and report @err for range @idx (-1: the request). */
static int refuse(int err, long idx, long *bad_range, char *why,
		  size_t why_len, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static int refuse(int err, long idx, long *bad_range, char *why,
		  size_t why_len, const char *fmt, ...)
{
	va_list ap;

	if (bad_range)
		*bad_range = idx;
	if (why && why_len) {
		va_start(ap, fmt);
		vsnprintf(why, why_len, fmt, ap);
		va_end(ap);
	}
	return err;
}

/* True when BAR @region is an I/O port BAR (bit 0 of its config dword). */
static bool bar_is_io(int device_fd, unsigned int region)
{
	uint32_t bar;

	if (vd_region_read(device_fd, VFIO_PCI_CONFIG_REGION_INDEX, &bar,
			   sizeof(bar), 0x10 + 4 * (off_t)region))
		return false;
	return bar & 1;
}

/*
 * The kernel's checks, in its order (docs/design.md, "Differences from
 * upstream 7.2", rows 3-12): the first that fails decides the errno.
 */
int vfio_dmabuf_check(int device_fd, unsigned int region,
		      const struct vfio_region_dma_range *ranges,
		      unsigned int nr, long *bad_range, char *why,
		      size_t why_len)
{
	const uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	struct vfio_region_info ri;
	uint64_t total = 0, end;
	unsigned int i;
	int ret;

	if (bad_range)
		*bad_range = -1;
	if (why && why_len)
		why[0] = '\0';
	if (device_fd < 0)
		return refuse(-EBADF, -1, bad_range, why, why_len,
			      "not an open VFIO device fd");
	if (!nr)
		return refuse(-EINVAL, -1, bad_range, why, why_len,
			      "no ranges (nr_ranges is 0)");
	if (!ranges)
		return refuse(-EINVAL, -1, bad_range, why, why_len,
			      "ranges is NULL");
	if (region >= VFIO_PCI_ROM_REGION_INDEX)
		return refuse(-ENODEV, -1, bad_range, why, why_len,
			      "region %u is not a BAR (only 0-5 can be exported)",
			      region);
	ret = vfio_dmabuf_region(device_fd, region, &ri);
	if (ret)
		return refuse(ret, -1, bad_range, why, why_len,
			      "VFIO_DEVICE_GET_REGION_INFO of region %u failed",
			      region);
	if (!ri.size)
		return refuse(-ENODEV, -1, bad_range, why, why_len,
			      "BAR%u is not implemented (size 0)", region);
	if (nr > VD_MAX_RANGES)
		return refuse(-ENOMEM, -1, bad_range, why, why_len,
			      "%u ranges: more than the %u one request may hold",
			      nr, VD_MAX_RANGES);
	for (i = 0; i < nr; i++) {
		const struct vfio_region_dma_range *r = &ranges[i];

		if (!r->length)
			return refuse(-EINVAL, i, bad_range, why, why_len,
				      "range %u has length 0", i);
		if ((r->offset | r->length) & (page - 1))
			return refuse(-EINVAL, i, bad_range, why, why_len,
				      "range %u (%#llx:%#llx) is not aligned to the %llu-byte page",
				      i, (unsigned long long)r->offset,
				      (unsigned long long)r->length,
				      (unsigned long long)page);
		if (__builtin_add_overflow(total, r->length, &total))
			return refuse(-EINVAL, -1, bad_range, why, why_len,
				      "the lengths add up past 2^64");
	}
	if (total >> 63)
		return refuse(-EINVAL, -1, bad_range, why, why_len,
			      "total size %#llx is 2^63 bytes or more",
			      (unsigned long long)total);
	if (bar_is_io(device_fd, region))
		return refuse(-EINVAL, -1, bad_range, why, why_len,
			      "BAR%u is an I/O port BAR", region);
	for (i = 0; i < nr; i++) {
		const struct vfio_region_dma_range *r = &ranges[i];

		if (__builtin_add_overflow(r->offset, r->length, &end))
			return refuse(-EOVERFLOW, i, bad_range, why, why_len,
				      "range %u: offset + length wraps", i);
		if (end > ri.size)
			return refuse(-EINVAL, i, bad_range, why, why_len,
				      "range %u (%#llx:%#llx) ends beyond BAR%u's %#llx bytes",
				      i, (unsigned long long)r->offset,
				      (unsigned long long)r->length, region,
				      (unsigned long long)ri.size);
	}
	return 0;
}
