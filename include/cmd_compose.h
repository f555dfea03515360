/*
 * cmd_compose: "gazette compose" (the digest and a sample message into a folder) and
 * "gazette preview" (the exact message one subscriber would get, with a lint report).
 * SPDX-License-Identifier: MIT
 */
#ifndef GAZETTE_CMD_COMPOSE_H
#define GAZETTE_CMD_COMPOSE_H

struct cli;

/* argv[0] is "compose" / "preview".  Return a sysexits code. */
int cmd_compose(struct cli *c, int argc, char **argv);
int cmd_preview(struct cli *c, int argc, char **argv);

#endif
