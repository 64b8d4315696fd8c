/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the files of the vfio-dmabuf CLI share: the run's context, the
 * command table, and the helpers every verb uses to parse its arguments
 * and to report errors.
 *
 * Conventions: a verb returns the process exit status, CLI_OK (0),
 * CLI_FAILED (1: the operation failed, the cause on stderr) or CLI_USAGE
 * (2: a syntax error, exactly one line on stderr naming it). Errors inside
 * are -errno, explained to the user where they are reported.
 */
#ifndef VFIO_DMABUF_CLI_H
#define VFIO_DMABUF_CLI_H

#include <getopt.h>
#include <stdbool.h>

#include "../lib/vfio-dmabuf.h"
#include "admin.h"
#include "json.h"

#define CLI_OK		0
#define CLI_FAILED	1
#define CLI_USAGE	2

struct cli_cmd;

/* One run of the CLI: no global state, this is passed around. */
struct cli {
	const struct cli_cmd *cmd;	/* the verb running, NULL before */
	bool json;			/* -o json */
	unsigned int open_flags;	/* --cdev: VFIO_DMABUF_OPEN_CDEV */
};

struct cli_cmd {
	const char *name;
	const char *synopsis;		/* arguments, after the name */
	const char *help;		/* the verb's section of the manual */
	int (*run)(struct cli *cli, int argc, char **argv);
};

/* The verbs, in manual order, ending with a NULL name (help.c). */
extern const struct cli_cmd cli_cmds[];
const struct cli_cmd *cli_find(const char *name);
/* The whole manual (--help, help) or one verb's part of it. */
void cli_manual(FILE *f);
void cli_cmd_help(const struct cli_cmd *cmd, FILE *f);

/* The verbs (cmd_*.c). */
int cmd_probe(struct cli *cli, int argc, char **argv);
int cmd_export(struct cli *cli, int argc, char **argv);
int cmd_info(struct cli *cli, int argc, char **argv);
int cmd_status(struct cli *cli, int argc, char **argv);
int cmd_bind(struct cli *cli, int argc, char **argv);
int cmd_unbind(struct cli *cli, int argc, char **argv);
int cmd_help(struct cli *cli, int argc, char **argv);

/*
 * A syntax error: one line "vfio-dmabuf: VERB: WHAT (see ...)" on stderr.
 * Returns CLI_USAGE.
 */
int cli_usage(const struct cli *cli, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * A failed operation: "vfio-dmabuf: WHAT: ENAME (strerror): WHY" on
 * stderr, WHY being @why or, when NULL, the library's explanation of @err
 * for @op. Returns CLI_FAILED.
 */
int cli_fail(enum vfio_dmabuf_op op, int err, const char *why,
	     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Option parsing results of cli_opt() beside the option characters. */
#define CLI_OPT_END	(-1)
#define CLI_OPT_HELP	(-2)	/* --help printed: return CLI_OK */
#define CLI_OPT_ERROR	(-3)	/* syntax error reported: return CLI_USAGE */

/*
 * getopt_long() for a verb, starting over at each verb's first call
 * (cli->cmd unchanged between calls). Handles -h/--help and -o/--output
 * (text or json) itself when @opts has them; reports unknown options and
 * missing values as syntax errors. @shortopts must start with ':'.
 */
int cli_opt(struct cli *cli, int argc, char **argv, const char *shortopts,
	    const struct option *opts);
/* Reset the parser before a verb's first cli_opt(). */
void cli_opt_reset(void);

/*
 * The positional arguments left (argv[optind..]) must number between
 * @min and @max: else a syntax error naming the verb's synopsis.
 */
int cli_args(const struct cli *cli, int argc, int min, int max);

/* A PCI address argument, canonical in @bdf; a syntax error if it is not. */
int cli_bdf(const struct cli *cli, const char *arg, char *bdf);

/* A number argument of option @opt (adm_parse_u64); syntax error if bad. */
int cli_number(const struct cli *cli, const char *opt, const char *arg,
	       uint64_t max, uint64_t *v);

/*
 * Open @bdf as a VFIO device; on failure report it (naming the bound
 * driver) and return the -errno.
 */
int cli_open(const struct cli *cli, const char *bdf,
	     struct vfio_dmabuf_device **dev);

/* "BARn" for a BAR region index, "?" otherwise. */
const char *cli_region_name(unsigned int i);

#endif /* VFIO_DMABUF_CLI_H */
