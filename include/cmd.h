/*
 * cmd: the gazette commands, one file each under src/cmd/.  Each handler gets argv with
 * argv[0] the command's name, parses its own options (getopt_long) and returns a sysexits
 * code.  main.c maps names to handlers.
 * SPDX-License-Identifier: MIT
 */
#ifndef GAZETTE_CMD_H
#define GAZETTE_CMD_H

struct cli;
struct diag;
struct issue;
struct issue_select;

/* "gazette articles FILE... [--format text|json|yaml]": what gazette made of each article. */
int cmd_articles(struct cli *c, int argc, char **argv);

/* "gazette dkim keygen|record": a signing key and its DNS record. */
int cmd_dkim(struct cli *c, int argc, char **argv);

/* "gazette check": validate the config and the list, every problem, quiet when all is well. */
int cmd_check(struct cli *c, int argc, char **argv);

/* "gazette compose": the digest and a sample message into a folder. */
int cmd_compose(struct cli *c, int argc, char **argv);

/* "gazette preview": the exact message one subscriber would get, with a lint report. */
int cmd_preview(struct cli *c, int argc, char **argv);

/* "gazette inbox PATH...|-": bounces, complaints and mailed unsubscribes applied to the list. */
int cmd_inbox(struct cli *c, int argc, char **argv);

/* "gazette render TEMPLATE [--data FILE] [--partials DIR]": any template with given data. */
int cmd_render(struct cli *c, int argc, char **argv);

/* "gazette send": send the digest to the list (what cron runs). */
int cmd_send(struct cli *c, int argc, char **argv);
/*
 * What a plain `gazette send` would send now (compose and preview show the same): an
 * unfinished campaign, else the next issue from the articles no campaign included, with
 * sel's filters.  *id and *is are NULL when there is nothing to send (not an error).
 * Caller frees *id and issue_free(*is).  Errors as send's (EX_DATAERR, EX_NOINPUT...).
 */
int send_pick_next(struct cli *c, const struct issue_select *sel, char **id,
    struct issue **is, struct diag *d);

/* "gazette serve": unsubscribe, sign-up and confirm pages over HTTP (serve.h). */
int cmd_serve(struct cli *c, int argc, char **argv);

/* "gazette status": what each campaign's journal says. */
int cmd_status(struct cli *c, int argc, char **argv);

/* "gazette subscribers list|add|remove|unsubscribe|resubscribe|import|export|count". */
int cmd_subscribers(struct cli *c, int argc, char **argv);

#endif
