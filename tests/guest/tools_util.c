// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include "tools_util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
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

int tools_cli(char *out, size_t len, ...)
{
	char *argv[32] = { "vfio-dmabuf" };
	char path[PATH_MAX], drain[256];
	int argc = 1, p[2], status, ret;
	size_t used = 0;
	va_list ap;
	ssize_t n;
	pid_t pid;

	ret = cli_path(path, sizeof(path));
	if (ret)
		return ret;
	va_start(ap, len);
	while (argc < 31 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	if (pipe2(p, O_CLOEXEC))
		return -errno;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		close(p[0]);
		close(p[1]);
		return ret;
	}
	if (pid == 0) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		execv(path, argv);
		_exit(127);
	}
	close(p[1]);
	while (len > 1 && used < len - 1 &&
	       (n = read(p[0], out + used, len - 1 - used)) > 0)
		used += (size_t)n;
	/* Drain what did not fit so the child never blocks on a full pipe. */
	while (read(p[0], drain, sizeof(drain)) > 0)
		;
	close(p[0]);
	if (len)
		out[used] = '\0';
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}
