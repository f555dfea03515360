/*
 * builtin_templates: the default templates, compiled into the binary from templates/ by
 * scripts/embed-templates.sh (build/builtin_templates.c).  digest.c serves them after the
 * user's template folder.
 * SPDX-License-Identifier: MIT
 */
#ifndef GAZETTE_BUILTIN_TEMPLATES_H
#define GAZETTE_BUILTIN_TEMPLATES_H

#include <stddef.h>

struct builtin_template {
    const char *name;           /* file name without ".mustache", e.g. "digest.html" */
    const char *text;
    size_t len;
};

extern const struct builtin_template builtin_templates[];
extern const size_t builtin_ntemplates;

#endif
