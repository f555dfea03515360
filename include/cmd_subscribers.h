/*
 * cmd_subscribers: "gazette subscribers list|add|remove|unsubscribe|resubscribe|import|
 * export|count": keeping the subscriber list from the command line.
 * SPDX-License-Identifier: MIT
 */
#ifndef GAZETTE_CMD_SUBSCRIBERS_H
#define GAZETTE_CMD_SUBSCRIBERS_H

struct cli;

/* argv[0] is "subscribers".  Returns a sysexits code. */
int cmd_subscribers(struct cli *c, int argc, char **argv);

#endif
