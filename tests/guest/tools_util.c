// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include "tools_util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

/* The CLI sits in the same folder as the running test program. */
static int cli_path(char *path, size_t len)
{
	char self[PATH_MAX];
	ssize_t n;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return -errno;
	self[n] = '\0';
	snprintf(path, len, "%s/vfio-dmabuf", dirname(self));
	return 0;
}

/* Read @fd to EOF into @buf (NUL-terminated, truncated to @len). */
static void slurp(int fd, char *buf, size_t len)
{
	char drain[256];
	size_t used = 0;
	ssize_t n;

	while (len > 1 && used < len - 1 &&
	       (n = read(fd, buf + used, len - 1 - used)) > 0)
		used += (size_t)n;
	/* Drain what did not fit so the child never blocks on a full pipe. */
	while (read(fd, drain, sizeof(drain)) > 0)
		;
	if (len)
		buf[used] = '\0';
}

#define MAX_ARGS	32

/* Run the CLI; stdout to @out, stderr to @err or, if NULL, to @out too. */
int tools_cli_argv(char *out, size_t olen, char *err, size_t elen,
		   const char *const *args)
{
	char *argv[MAX_ARGS + 1] = { "vfio-dmabuf" };
	char path[PATH_MAX];
	int argc = 1, p[2], efd = -1, status, ret;
	pid_t pid;

	ret = cli_path(path, sizeof(path));
	if (ret)
		return ret;
	while (argc < MAX_ARGS && args[argc - 1]) {
		argv[argc] = (char *)args[argc - 1];
		argc++;
	}
	argv[argc] = NULL;
	if (pipe2(p, O_CLOEXEC))
		return -errno;
	/* stderr into a file: the two streams cannot block each other. */
	if (err) {
		efd = memfd_create("cli-stderr", MFD_CLOEXEC);
		if (efd < 0) {
			ret = -errno;
			close(p[0]);
			close(p[1]);
			return ret;
		}
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		close(p[0]);
		close(p[1]);
		if (efd >= 0)
			close(efd);
		return ret;
	}
	if (pid == 0) {
		dup2(p[1], 1);
		dup2(err ? efd : p[1], 2);
		execv(path, argv);
		_exit(127);
	}
	close(p[1]);
	slurp(p[0], out, olen);
	close(p[0]);
	if (waitpid(pid, &status, 0) < 0)
		ret = -errno;
	else if (WIFEXITED(status))
		ret = WEXITSTATUS(status);
	else
		ret = 128 + WTERMSIG(status);
	if (err) {
		lseek(efd, 0, SEEK_SET);
		slurp(efd, err, elen);
		close(efd);
	}
	return ret;
}

/* The NULL-terminated arguments of @ap into @args. */
static void collect(const char **args, va_list ap)
{
	int n = 0;

	while (n < MAX_ARGS - 1 && (args[n] = va_arg(ap, const char *)))
		n++;
	args[n] = NULL;
}

int tools_cli(char *out, size_t len, ...)
{
	const char *args[MAX_ARGS];
	va_list ap;

	va_start(ap, len);
	collect(args, ap);
	va_end(ap);
	return tools_cli_argv(out, len, NULL, 0, args);
}

int tools_cli2(char *out, size_t olen, char *err, size_t elen, ...)
{
	const char *args[MAX_ARGS];
	va_list ap;

	va_start(ap, elen);
	collect(args, ap);
	va_end(ap);
	return tools_cli_argv(out, olen, err, elen, args);
}

int tools_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* ---- JSON ---- */

static const char *ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

/* Past the string at @p (which starts with '"'), or NULL if invalid. */
static const char *skip_string(const char *p)
{
	int i;

	for (p++; *p != '"'; p++) {
		if ((unsigned char)*p < 0x20)
			return NULL;	/* control characters must be escaped */
		if (*p != '\\')
			continue;
		p++;
		if (*p == 'u') {
			for (i = 1; i <= 4; i++)
				if (!isxdigit((unsigned char)p[i]))
					return NULL;
			p += 4;
		} else if (!strchr("\"\\/bfnrt", *p) || !*p) {
			return NULL;
		}
	}
	return p + 1;
}

static const char *skip_number(const char *p)
{
	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (isdigit((unsigned char)*p))
			p++;
	else
		return NULL;
	if (*p == '.') {
		if (!isdigit((unsigned char)*++p))
			return NULL;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!isdigit((unsigned char)*p))
			return NULL;
		while (isdigit((unsigned char)*p))
			p++;
	}
	return p;
}

/* Past the value at @p (no leading blanks), or NULL if invalid. */
static const char *skip_value(const char *p, int depth)
{
	char close;

	if (depth > 64)
		return NULL;
	switch (*p) {
	case '"':
		return skip_string(p);
	case '{':
	case '[':
		close = *p == '{' ? '}' : ']';
		p = ws(p + 1);
		if (*p == close)
			return p + 1;
		for (;;) {
			if (close == '}') {
				if (*p != '"' || !(p = skip_string(p)))
					return NULL;
				p = ws(p);
				if (*p != ':')
					return NULL;
				p = ws(p + 1);
			}
			p = skip_value(p, depth + 1);
			if (!p)
				return NULL;
			p = ws(p);
			if (*p == close)
				return p + 1;
			if (*p != ',')
				return NULL;
			p = ws(p + 1);
		}
	case 't':
		return strncmp(p, "true", 4) ? NULL : p + 4;
	case 'f':
		return strncmp(p, "false", 5) ? NULL : p + 5;
	case 'n':
		return strncmp(p, "null", 4) ? NULL : p + 4;
	default:
		return skip_number(p);
	}
}

int tools_json_check(const char *doc)
{
	const char *end = skip_value(ws(doc), 0);

	return end && !*ws(end) ? 0 : -EINVAL;
}

/* Does the JSON string at @p (quoted, no escapes in keys) equal @key[0..n)? */
static bool key_is(const char *p, const char *key, size_t n)
{
	return !strncmp(p + 1, key, n) && p[1 + n] == '"';
}

const char *tools_json_find(const char *doc, const char *path)
{
	const char *p = ws(doc), *seg = path;
	size_t n;
	long idx, i;
	char *end;

	if (tools_json_check(doc))
		return NULL;
	while (*seg) {
		n = strcspn(seg, ".");
		if (*p == '{') {
			p = ws(p + 1);
			while (*p == '"') {
				bool hit = key_is(p, seg, n);

				p = ws(ws(skip_string(p)) + 1);	/* past ':' */
				if (hit)
					break;
				p = ws(skip_value(p, 0));
				p = *p == ',' ? ws(p + 1) : p;
			}
			if (*p == '}')
				return NULL;
		} else if (*p == '[') {
			idx = strtol(seg, &end, 10);
			if (end != seg + n || idx < 0)
				return NULL;
			p = ws(p + 1);
			for (i = 0; i < idx && *p != ']'; i++) {
				p = ws(skip_value(p, 0));
				p = *p == ',' ? ws(p + 1) : p;
			}
			if (*p == ']')
				return NULL;
		} else {
			return NULL;
		}
		seg += n;
		if (*seg == '.')
			seg++;
	}
	return p;
}

int tools_json_str(const char *doc, const char *path, char *buf, size_t len)
{
	const char *p = tools_json_find(doc, path);
	size_t used = 0;
	char c;

	if (!p)
		return -ENOENT;
	if (*p != '"')
		return -EINVAL;
	for (p++; *p != '"' && used + 1 < len; p++) {
		c = *p;
		if (c == '\\') {
			c = *++p;
			switch (c) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'u': c = '?'; p += 4; break;
			}
		}
		buf[used++] = c;
	}
	if (len)
		buf[used] = '\0';
	return 0;
}

int tools_json_int(const char *doc, const char *path, long long *v)
{
	const char *p = tools_json_find(doc, path);
	char *end;

	if (!p)
		return -ENOENT;
	errno = 0;
	*v = strtoll(p, &end, 10);
	if (end == p || errno || *end == '.' || *end == 'e' || *end == 'E')
		return -EINVAL;
	return 0;
}

int tools_json_bool(const char *doc, const char *path)
{
	const char *p = tools_json_find(doc, path);

	if (!p)
		return -ENOENT;
	if (!strncmp(p, "true", 4))
		return 1;
	if (!strncmp(p, "false", 5))
		return 0;
	return -EINVAL;
}

int tools_json_len(const char *doc, const char *path)
{
	const char *p = tools_json_find(doc, path);
	int n = 0;

	if (!p)
		return -ENOENT;
	if (*p != '[')
		return -EINVAL;
	p = ws(p + 1);
	while (*p != ']') {
		p = ws(skip_value(p, 0));
		n++;
		p = *p == ',' ? ws(p + 1) : p;
	}
	return n;
}

bool tools_json_null(const char *doc, const char *path)
{
	const char *p = tools_json_find(doc, path);

	return p && !strncmp(p, "null", 4);
}
