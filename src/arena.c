/*
 * arena: chunked bump allocator.
 * SPDX-License-Identifier: MIT
 */
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "util.h"

#define ARENA_CHUNK (1024 * 1024 - 64)
/* Pointers, size_t and double: all this program stores here (saves space over max_align_t). */
#define ARENA_ALIGN 8

struct arena_chunk {
    struct arena_chunk *next;
    size_t size, used;
    alignas(max_align_t) unsigned char data[];
};

static void *
alloc(struct arena *a, size_t n, size_t align)
{
    struct arena_chunk *c = a->head;

    if (c != NULL)
        c->used = (c->used + align - 1) & ~(align - 1);
    if (c == NULL || c->used > c->size || c->size - c->used < n) {
        size_t size = n > ARENA_CHUNK / 4 ? n : ARENA_CHUNK;

        if (n > SIZE_MAX - sizeof(*c))
            abort();
        c = xmalloc(sizeof(*c) + size);
        c->size = size;
        c->used = 0;
        /* A big one-off block goes behind the head so the head keeps filling. */
        if (size != ARENA_CHUNK && a->head != NULL) {
            c->next = a->head->next;
            a->head->next = c;
        } else {
            c->next = a->head;
            a->head = c;
        }
    }
    a->used += n;
    c->used += n;
    return c->data + c->used - n;
}

void *
arena_alloc(struct arena *a, size_t n)
{
    return alloc(a, n, ARENA_ALIGN);
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
    char *p = alloc(a, n + 1, 1);       /* strings need no alignment */

    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
    return arena_strndup(a, s, strlen(s));
}

void
arena_fini(struct arena *a)
{
    struct arena_chunk *c = a->head, *next;

    for (; c != NULL; c = next) {
        next = c->next;
        free(c);
    }
    a->head = NULL;
    a->used = 0;
}
