/*
 * cmd_check: "gazette check": validate the config and the subscriber list, reporting
 * every problem found (not just the first), quiet when all is well.
 * SPDX-License-Identifier: MIT
 */
#ifndef GAZETTE_CMD_CHECK_H
#define GAZETTE_CMD_CHECK_H

struct cli;

/* argv[0] is "check".  Returns a sysexits code. */
int cmd_check(struct cli *c, int argc, char **argv);

#endif
