/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Run the vfio-dmabuf CLI from a guest test. The CLI is the static binary
 * tests/guest/Makefile builds next to the test programs (guest: /tests).
 */
#ifndef TOOLS_UTIL_H
#define TOOLS_UTIL_H

#include <stddef.h>

/*
 * Run "vfio-dmabuf ARGS..." (NULL-terminated) with stdout and stderr both
 * captured into @out (NUL-terminated, truncated to @len). Returns the exit
 * status, 128 + signal, or -errno.
 */
int tools_cli(char *out, size_t len, ...);

#endif
