/*
 * cmd_render: Mustache rendering from the command line.  The data file is YAML or JSON
 * (JSON is read as YAML).  Templates named *.html* are HTML-escaped, others are not,
 * unless --html or --text says otherwise.  Partials are looked up in --partials DIR (any
 * number, first wins), then in the template's own folder.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "buf.h"
#include "cli.h"
#include "cmd.h"
#include "diag.h"
#include "tmpl.h"
#include "util.h"
#include "value.h"

#define RENDER_MAX_DIRS 16

static const char usage_text[] =
    "usage: gazette render TEMPLATE [--data FILE.yaml|FILE.json] [--partials DIR]...\n"
    "                      [--html|--text]\n"
    "\n"
    "Renders a Mustache template with the given data to standard output.  Templates whose\n"
    "name contains \".html\" are HTML-escaped unless --text; others are not unless --html.\n";

int
cmd_render(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "data", required_argument, NULL, 'd' },
        { "partials", required_argument, NULL, 'p' },
        { "html", no_argument, NULL, 'H' },
        { "text", no_argument, NULL, 'T' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *dirs[RENDER_MAX_DIRS + 1];
    struct tmpl_partials *parts = NULL;
    struct value *data = NULL;
    struct tmpl *t = NULL;
    struct diag d = DIAG_INIT;
    const char *path, *datapath = NULL;
    char *text = NULL, *copy = NULL;
    size_t ndirs = 0, len;
    struct buf out;
    int ch, flags = -1, rc = 0;

    (void)c;
    optind = 0;
    while ((ch = getopt_long(argc, argv, "d:p:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'd':
            datapath = optarg;
            break;
        case 'p':
            if (ndirs == RENDER_MAX_DIRS)
                return cli_usage("render", "at most %d --partials folders", RENDER_MAX_DIRS);
            dirs[ndirs++] = optarg;
            break;
        case 'H':
            flags = TMPL_ESCAPE_HTML;
            break;
        case 'T':
            flags = 0;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        default:
            return cli_usage("render", "bad option");
        }
    }
    if (optind != argc - 1)
        return cli_usage("render", "give one TEMPLATE");
    path = argv[optind];
    if (flags == -1)
        flags = strstr(path, ".html") != NULL ? TMPL_ESCAPE_HTML : 0;
    copy = xstrdup(path);
    dirs[ndirs++] = dirname(copy);
    buf_init(&out, 0);
    if ((text = read_file_max(path, TMPL_SOURCE_MAX, &len)) == NULL) {
        diag_set(&d, EX_NOINPUT, "cannot read the template: %s", read_file_strerror(errno));
        diag_path(&d, path);
        rc = cli_fail(&d);
        goto out;
    }
    if (datapath != NULL && (data = value_load(datapath, &d)) == NULL) {
        rc = cli_fail(&d);
        goto out;
    }
    parts = tmpl_partials_new_dirs(dirs, ndirs);
    if ((t = tmpl_parse(text, len, path, &d)) == NULL ||
        tmpl_render(t, data, parts, flags, &out, &d) == -1) {
        diag_path(&d, path);
        rc = cli_fail(&d);
        goto out;
    }
    if (fwrite(buf_str(&out), 1, out.len, stdout) != out.len || fflush(stdout) != 0)
        rc = EX_IOERR;
out:
    buf_fini(&out);
    tmpl_free(t);
    tmpl_partials_free(parts);
    value_free(data);
    free(text);
    free(copy);
    return rc;
}
