/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvfio-dmabuf internals shared between its files; never installed.
 */
#ifndef VFIO_DMABUF_INTERNAL_H
#define VFIO_DMABUF_INTERNAL_H

#include "vfio-dmabuf.h"

#include <sys/types.h>

/* Read @len bytes at @off of VFIO region @region; -errno, -EIO if short. */
int vd_region_read(int device_fd, unsigned int region, void *buf,
		   size_t len, off_t off);
/* The same, writing. */
int vd_region_write(int device_fd, unsigned int region, const void *buf,
		    size_t len, off_t off);

#endif /* VFIO_DMABUF_INTERNAL_H */
