// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Queries on a dma-buf fd: its size and the name of the module exporting
 * it, as the kernel's dma-buf core reports them.
 */
#define _GNU_SOURCE
#include "internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Value of "key:" in /proc/self/fdinfo/<fd>, whitespace-trimmed. */
static int fdinfo_field(int fd, const char *key, char *out, size_t len)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	int ret = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *v, *end;

		if (strncmp(line, key, klen) || line[klen] != ':')
			continue;
		v = line + klen + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		end = v + strlen(v);
		while (end > v && isspace((unsigned char)end[-1]))
			*--end = '\0';
		if ((size_t)(end - v) + 1 > len) {
			ret = -ERANGE;
		} else {
			memcpy(out, v, (size_t)(end - v) + 1);
			ret = 0;
		}
		break;
	}
	fclose(f);
	return ret;
}

int64_t vfio_dmabuf_size(int dmabuf_fd)
{
	char buf[32], *end;
	off_t size;
	int ret;

	/* dma-buf's llseek answers SEEK_END with the size. */
	size = lseek(dmabuf_fd, 0, SEEK_END);
	if (size >= 0) {
		lseek(dmabuf_fd, 0, SEEK_SET);
		return size;
	}
	if (errno == EBADF)
		return -EBADF;
	ret = fdinfo_field(dmabuf_fd, "size", buf, sizeof(buf));
	if (ret)
		return ret;
	errno = 0;
	size = (off_t)strtoll(buf, &end, 0);
	if (errno || *end || size < 0)
		return -EIO;
	return size;
}

int vfio_dmabuf_exp_name(int dmabuf_fd, char *buf, size_t len)
{
	if (dmabuf_fd < 0)
		return -EBADF;
	if (!buf || !len)
		return -EINVAL;
	return fdinfo_field(dmabuf_fd, "exp_name", buf, len);
}
