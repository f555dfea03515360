/*
 * cmd_render: "gazette render TEMPLATE [--data FILE] [--partials DIR]": render any
 * template with given data, for template authors.
 * SPDX-License-Identifier: MIT
 */
#ifndef GAZETTE_CMD_RENDER_H
#define GAZETTE_CMD_RENDER_H

struct cli;

/* argv[0] is "render".  Returns a sysexits code. */
int cmd_render(struct cli *c, int argc, char **argv);

#endif
