/*
 * main: the gazette command line.  A table maps each command to its handler; each
 * handler parses its own options with getopt_long.
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

int
main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        puts("gazette 0.1");
        return 0;
    }
    fputs("usage: gazette COMMAND\n", stderr);
    return EX_USAGE;
}
