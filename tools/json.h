/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A small JSON writer for `-o json`: objects and arrays nested up to
 * JSON_DEPTH, indented two spaces a level, strings escaped per RFC 8259
 * (invalid UTF-8 becomes U+FFFD, so the output is always valid JSON).
 * Every value call takes the member's key; pass NULL inside arrays and for
 * the top-level value.
 */
#ifndef VFIO_DMABUF_JSON_H
#define VFIO_DMABUF_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_DEPTH	8

struct json {
	FILE *f;
	unsigned int depth;
	bool more[JSON_DEPTH + 1];	/* a value was written at this level */
};

void json_init(struct json *j, FILE *f);
void json_obj(struct json *j, const char *key);
void json_arr(struct json *j, const char *key);
/* Close the innermost object or array. */
void json_end(struct json *j, char close);
/* @v NULL writes null. */
void json_str(struct json *j, const char *key, const char *v);
void json_u64(struct json *j, const char *key, uint64_t v);
void json_int(struct json *j, const char *key, long long v);
void json_bool(struct json *j, const char *key, bool v);
void json_null(struct json *j, const char *key);
/* After the top-level value: the final newline. */
void json_done(struct json *j);

/* Write @s as a JSON string literal (quotes included). */
void json_escape(FILE *f, const char *s);

#endif /* VFIO_DMABUF_JSON_H */
