/*
 * cmd_send: "gazette send" (what cron runs) and "gazette status" (what the journals say).
 * SPDX-License-Identifier: MIT
 */
#ifndef GAZETTE_CMD_SEND_H
#define GAZETTE_CMD_SEND_H

struct cli;

/* argv[0] is "send" / "status".  Return a sysexits code. */
int cmd_send(struct cli *c, int argc, char **argv);
int cmd_status(struct cli *c, int argc, char **argv);

#endif
