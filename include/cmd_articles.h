/*
 * cmd_articles: "gazette articles FILE... [--format text|json|yaml]": what gazette made
 * of each article, so that a user can see why a scraped page came out as it did.
 * SPDX-License-Identifier: MIT
 */
#ifndef GAZETTE_CMD_ARTICLES_H
#define GAZETTE_CMD_ARTICLES_H

struct cli;

/* argv[0] is "articles".  Returns a sysexits code. */
int cmd_articles(struct cli *c, int argc, char **argv);

#endif
