// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Reading the driver's debugfs exports file: see exports.h.
 */
#define _GNU_SOURCE
#include "exports.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void exp_parse_line(const char *line, struct exp_line *l)
{
	char revoked[8], mapped[8];
	const char *dev, *rest;
	unsigned long long a, b, c;
	unsigned int u1, u2;

	memset(l, 0, sizeof(*l));
	l->kind = EXP_OTHER;
	if (sscanf(line, "export %llu: region %u size %llx nr_ranges %u revoked %7s",
		   &a, &u1, &b, &u2, revoked) == 5) {
		l->kind = EXP_EXPORT;
		l->id = a;
		l->region = u1;
		l->size = b;
		l->nr_ranges = u2;
		l->revoked = !strcmp(revoked, "yes");
	} else if (sscanf(line, " range %u: offset %llx length %llx",
			  &u1, &b, &c) == 3) {
		l->kind = EXP_RANGE;
		l->index = u1;
		l->offset = b;
		l->length = c;
	} else if ((dev = strstr(line, "attach ")) && (rest = strstr(dev, ": map ")) &&
		   sscanf(rest, ": map %31s mapped %7s", l->map, mapped) == 2) {
		/* The importer's device name has colons of its own. */
		dev += strlen("attach ");
		snprintf(l->device, sizeof(l->device), "%.*s", (int)(rest - dev), dev);
		l->kind = EXP_ATTACH;
		l->mapped = !strcmp(mapped, "yes");
	}
}

/* JSON state: which arrays of the current export are open. */
enum { IN_NONE, IN_RANGES, IN_ATTACH };

/* Close the current export; one without attachments gets an empty list. */
static void close_export(struct json *j, int *state)
{
	if (*state == IN_RANGES) {
		json_end(j, ']');
		json_arr(j, "attachments");
		*state = IN_ATTACH;
	}
	if (*state == IN_ATTACH) {
		json_end(j, ']');
		json_end(j, '}');
	}
	*state = IN_NONE;
}

static void json_line(struct json *j, const struct exp_line *l, int *state)
{
	if (l->kind == EXP_EXPORT) {
		close_export(j, state);
		json_obj(j, NULL);
		json_u64(j, "id", l->id);
		json_u64(j, "region", l->region);
		json_u64(j, "size", l->size);
		json_u64(j, "nr_ranges", l->nr_ranges);
		json_bool(j, "revoked", l->revoked);
		json_arr(j, "ranges");
		*state = IN_RANGES;
	} else if (l->kind == EXP_RANGE && *state == IN_RANGES) {
		json_obj(j, NULL);
		json_u64(j, "offset", l->offset);
		json_u64(j, "length", l->length);
		json_end(j, '}');
	} else if (l->kind == EXP_ATTACH && *state != IN_NONE) {
		if (*state == IN_RANGES) {
			json_end(j, ']');
			json_arr(j, "attachments");
			*state = IN_ATTACH;
		}
		json_obj(j, NULL);
		json_str(j, "device", l->device);
		json_str(j, "map", l->map);
		json_bool(j, "mapped", l->mapped);
		json_end(j, '}');
	}
}

int exp_show(const char *path, struct json *j)
{
	int state = IN_NONE, n = 0;
	struct exp_line l;
	char line[512];
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (j)
		json_arr(j, "exports");
	while (fgets(line, sizeof(line), f)) {
		exp_parse_line(line, &l);
		n += l.kind == EXP_EXPORT;
		if (j)
			json_line(j, &l, &state);
		else
			printf("  %s", line);
	}
	fclose(f);
	if (j) {
		close_export(j, &state);
		json_end(j, ']');
	}
	return n;
}
