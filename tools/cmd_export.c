// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `export BDF --region N --range OFF:LEN...`: one dma-buf of BAR ranges,
 * held for a while or handed to a command.
 */
#define _GNU_SOURCE
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_RANGES	1024

struct export_args {
	struct vfio_region_dma_range ranges[MAX_RANGES];
	unsigned int nr;
	uint64_t region;
	bool has_region;
	uint64_t hold_s;
	bool hold;
	const char *exec_cmd;
	int accmode;
	char bdf[VFIO_DMABUF_BDF_LEN];
};

/* Set by SIGINT/SIGTERM during --hold: a signal handler has no context. */
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void hold(uint64_t seconds)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct timespec end, now;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += (time_t)seconds;
	while (!stop) {
		if (seconds) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (now.tv_sec >= end.tv_sec)
				break;
		}
		usleep(100 * 1000);
	}
}

static int run_cmd(const char *cmd, int fd, int64_t size)
{
	char num[32];
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return cli_fail(VFIO_DMABUF_OP_GENERIC, -errno, NULL, "fork");
	if (pid == 0) {
		/* Only the dma-buf crosses exec; the VFIO fds are O_CLOEXEC. */
		fcntl(fd, F_SETFD, 0);
		snprintf(num, sizeof(num), "%d", fd);
		setenv("VFIO_DMABUF_FD", num, 1);
		snprintf(num, sizeof(num), "%" PRId64, size);
		setenv("VFIO_DMABUF_SIZE", num, 1);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return cli_fail(VFIO_DMABUF_OP_GENERIC, -errno, NULL, "waitpid");
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

static int parse(struct cli *cli, int argc, char **argv, struct export_args *a)
{
	static const struct option opts[] = {
		{ "region", required_argument, NULL, 'r' },
		{ "range", required_argument, NULL, 'R' },
		{ "hold", required_argument, NULL, 'H' },
		{ "exec", required_argument, NULL, 'x' },
		{ "rdonly", no_argument, NULL, 'd' },
		{ "output", required_argument, NULL, 'o' },
		{ "cdev", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, ret;

	a->accmode = O_RDWR;
	cli_opt_reset();
	while ((c = cli_opt(cli, argc, argv, ":r:R:H:x:dho:", opts)) >= 0) {
		switch (c) {
		case 'r':
			if (cli_number(cli, "--region", optarg, 0xffff, &a->region))
				return CLI_USAGE;
			a->has_region = true;
			break;
		case 'R':
			if (a->nr == MAX_RANGES)
				return cli_usage(cli, "more than %d ranges", MAX_RANGES);
			ret = adm_parse_range(optarg, &a->ranges[a->nr]);
			if (ret)
				return cli_usage(cli, "bad --range '%s' (want OFF:LEN, each decimal or 0x-hex with an optional K, M or G)%s",
						 optarg, ret == -EINVAL ? "" : ": too large");
			a->nr++;
			break;
		case 'H':
			if (cli_number(cli, "--hold", optarg, INT32_MAX, &a->hold_s))
				return CLI_USAGE;
			a->hold = true;
			break;
		case 'x':
			a->exec_cmd = optarg;
			break;
		case 'd':
			a->accmode = O_RDONLY;
			break;
		}
	}
	if (c == CLI_OPT_HELP)
		return CLI_OPT_HELP;
	if (c == CLI_OPT_ERROR)
		return CLI_USAGE;
	if (cli_args(cli, argc, 1, 1) || cli_bdf(cli, argv[optind], a->bdf))
		return CLI_USAGE;
	if (!a->has_region)
		return cli_usage(cli, "needs --region N");
	if (!a->nr)
		return cli_usage(cli, "needs at least one --range OFF:LEN");
	if (a->exec_cmd && a->hold)
		return cli_usage(cli, "--hold and --exec exclude each other");
	return 0;
}

static void print_result(const struct cli *cli, const struct export_args *a,
			 int fd, int64_t size, const char *name)
{
	struct json j;
	unsigned int i;

	if (!cli->json) {
		printf("device: %s\nregion: %" PRIu64 "\n", a->bdf, a->region);
		for (i = 0; i < a->nr; i++)
			printf("range: %#llx:%#llx\n",
			       (unsigned long long)a->ranges[i].offset,
			       (unsigned long long)a->ranges[i].length);
		printf("fd: %d\nsize: %" PRId64 "\nexp_name: %s\n", fd, size,
		       name ? name : "?");
		return;
	}
	json_init(&j, stdout);
	json_obj(&j, NULL);
	json_str(&j, "device", a->bdf);
	json_u64(&j, "region", a->region);
	json_arr(&j, "ranges");
	for (i = 0; i < a->nr; i++) {
		json_obj(&j, NULL);
		json_u64(&j, "offset", a->ranges[i].offset);
		json_u64(&j, "length", a->ranges[i].length);
		json_end(&j, '}');
	}
	json_end(&j, ']');
	json_int(&j, "fd", fd);
	json_int(&j, "size", size);
	json_str(&j, "exp_name", name);
	json_bool(&j, "rdonly", a->accmode == O_RDONLY);
	json_end(&j, '}');
	json_done(&j);
}

int cmd_export(struct cli *cli, int argc, char **argv)
{
	struct export_args *a;
	struct vfio_dmabuf_device *dev;
	char name[64], why[160];
	FILE *notes;
	int ret, fd, dfd;
	int64_t size;
	long bad;

	a = calloc(1, sizeof(*a));
	if (!a)
		return cli_fail(VFIO_DMABUF_OP_GENERIC, -ENOMEM, NULL, "export");
	ret = parse(cli, argc, argv, a);
	if (ret) {
		free(a);
		return ret == CLI_OPT_HELP ? CLI_OK : ret;
	}
	if (cli_open(cli, a->bdf, &dev)) {
		free(a);
		return CLI_FAILED;
	}
	dfd = vfio_dmabuf_device_fd(dev);
	fd = vfio_dmabuf_export(dfd, (unsigned int)a->region, a->ranges, a->nr,
				(unsigned int)a->accmode);
	if (fd < 0) {
		cli_fail(VFIO_DMABUF_OP_EXPORT, fd, NULL,
			 "export of %s region %" PRIu64 " (%u range%s)", a->bdf,
			 a->region, a->nr, a->nr == 1 ? "" : "s");
		/* Name the range at fault: non-root users cannot read dmesg. */
		if (vfio_dmabuf_check(dfd, (unsigned int)a->region, a->ranges,
				      a->nr, &bad, why, sizeof(why)) == fd)
			fprintf(stderr, "vfio-dmabuf: %s\n", why);
		vfio_dmabuf_device_close(dev);
		free(a);
		return CLI_FAILED;
	}
	size = vfio_dmabuf_size(fd);
	print_result(cli, a, fd, size,
		     vfio_dmabuf_exp_name(fd, name, sizeof(name)) ? NULL : name);
	fflush(stdout);

	ret = CLI_OK;
	/* In JSON mode stdout holds only the object: notes go to stderr. */
	notes = cli->json ? stderr : stdout;
	if (a->exec_cmd) {
		ret = run_cmd(a->exec_cmd, fd, size);
	} else if (a->hold) {
		if (a->hold_s)
			fprintf(notes, "holding for %" PRIu64 " s\n", a->hold_s);
		else
			fprintf(notes, "holding until SIGINT/SIGTERM\n");
		fflush(notes);
		hold(a->hold_s);
	}
	close(fd);
	vfio_dmabuf_device_close(dev);
	free(a);
	return ret;
}
