/*
 * arena: bump allocation for bulk data that is freed all at once (the subscriber list
 * keeps every string here: no malloc per field).
 * SPDX-License-Identifier: MIT
 */
#ifndef GAZETTE_ARENA_H
#define GAZETTE_ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
    struct arena_chunk *head;
    size_t used;            /* bytes handed out, for accounting */
};

#define ARENA_INIT { NULL, 0 }

/* Memory for n bytes, 8-byte aligned (pointers, size_t, double); valid until arena_fini(). */
void *arena_alloc(struct arena *a, size_t n);
/* A NUL-terminated copy of n bytes at s. */
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_strdup(struct arena *a, const char *s);
void arena_fini(struct arena *a);

#endif
