/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Run the vfio-dmabuf CLI from a guest test, and read the JSON it prints.
 * The CLI is the static binary tests/guest/Makefile builds next to the
 * test programs (guest: /tests).
 */
#ifndef TOOLS_UTIL_H
#define TOOLS_UTIL_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Run "vfio-dmabuf ARGS..." (NULL-terminated) with stdout and stderr both
 * captured into @out (NUL-terminated, truncated to @len). Returns the exit
 * status, 128 + signal, or -errno.
 */
int tools_cli(char *out, size_t len, ...);

/* As tools_cli(), with stdout in @out and stderr in @err, apart. */
int tools_cli2(char *out, size_t olen, char *err, size_t elen, ...);

/* As tools_cli2(), the arguments in a NULL-terminated array; @err may be
 * NULL (stderr into @out). */
int tools_cli_argv(char *out, size_t olen, char *err, size_t elen,
		   const char *const *args);

/* Number of lines (newline-terminated) in @s. */
int tools_lines(const char *s);

/*
 * A small JSON reader for the CLI's -o json output. tools_json_check():
 * 0 when @doc is exactly one valid JSON value (RFC 8259, whitespace
 * around allowed), else -EINVAL. tools_json_find(): the value at @path
 * ("a.b.0.c": object members by key, array elements by index), NULL when
 * absent or @doc is invalid there.
 */
int tools_json_check(const char *doc);
const char *tools_json_find(const char *doc, const char *path);
/* The string at @path, unescaped (\uXXXX kept as '?'); -ENOENT, -EINVAL. */
int tools_json_str(const char *doc, const char *path, char *buf, size_t len);
/* The integer at @path; -ENOENT, -EINVAL (not an integer). */
int tools_json_int(const char *doc, const char *path, long long *v);
/* 1 true, 0 false, -ENOENT, -EINVAL (not a boolean). */
int tools_json_bool(const char *doc, const char *path);
/* The number of elements of the array at @path, or -ENOENT/-EINVAL. */
int tools_json_len(const char *doc, const char *path);
bool tools_json_null(const char *doc, const char *path);

#endif
