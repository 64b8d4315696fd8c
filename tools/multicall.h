/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * For the in-guest programs tests/guest/tools_*.c: builds libvfio-dmabuf
 * and the vfio-dmabuf CLI into the (static) test program itself, so the
 * guest's /tests holds the CLI without any extra build rule. The program
 * becomes a multi-call binary: run as "vfio-dmabuf" (argv[0]) it is the
 * CLI; tools_cli() runs it that way in a child and captures its output.
 */
#ifndef VFIO_DMABUF_MULTICALL_H
#define VFIO_DMABUF_MULTICALL_H

#include "../lib/vfio-dmabuf.c"
#define main vfio_dmabuf_cli_main
#include "vfio-dmabuf.c"
#undef main

#include <stdarg.h>
#include <sys/wait.h>

__attribute__((constructor)) static void tools_multicall(int argc, char **argv)
{
	const char *base;

	if (argc < 1 || !argv || !argv[0])
		return;
	base = strrchr(argv[0], '/');
	base = base ? base + 1 : argv[0];
	if (!strcmp(base, "vfio-dmabuf"))
		exit(vfio_dmabuf_cli_main(argc, argv));
}

/*
 * Run "vfio-dmabuf ARGS..." (NULL-terminated) in a child, stdout and
 * stderr both into @out (NUL-terminated, truncated to @len). Returns the
 * exit status, 128 + signal, or -errno.
 */
static inline int tools_cli(char *out, size_t len, ...)
{
	char *argv[32] = { "vfio-dmabuf" };
	int argc = 1, p[2], status, ret;
	size_t used = 0;
	va_list ap;
	ssize_t n;
	pid_t pid;

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
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	close(p[1]);
	while (len && (n = read(p[0], out + used, len - 1 - used)) > 0)
		used += (size_t)n;
	/* Drain what did not fit so the child never blocks. */
	while ((n = read(p[0], (char[256]){ 0 }, 256)) > 0)
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

#endif
