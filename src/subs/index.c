/*
 * subs index: the open-addressing table on canonical addresses (subs_find, duplicates).
 * SPDX-License-Identifier: MIT
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "subs.h"
#include "util.h"

#include "subs_int.h"

/* ---- the hash on canonical addresses -------------------------------------------------- */

/*
 * Duplicates are found on the whole canonical address with ASCII case folded: RFC 5321
 * 2.4 lets a local part be case-sensitive, but no mail system we know of uses that, and
 * two copies to one reader are worse than refusing "Bob@" next to "bob@" (Leniency).
 */
static uint32_t
hash_str(const char *s)
{
    uint32_t h = 2166136261u;

    for (; *s; s++)
        h = (h ^ (unsigned char)TO_LOWER((unsigned char)*s)) * 16777619u;
    return h;
}

bool
same_addr(const char *a, const char *b)
{
    return ascii_strcasecmp(a, b) == 0;
}

/* A slot holds the address's hash in its high half and index + 1 in its low half, so a
   probe touches the entry itself only when the hashes match. */
static void
hash_put(struct subs *s, size_t idx)
{
    uint32_t h = hash_str(s->v[idx].addr);
    size_t mask = s->hcap - 1, i;

    for (i = h & mask; s->hash[i] != 0; i = (i + 1) & mask)
        ;
    s->hash[i] = (uint64_t)h << 32 | ((uint64_t)idx + 1);
}

/* Size the table for want entries at most half full, and put the current ones back. */
void
hash_reserve(struct subs *s, size_t want)
{
    size_t ncap = 1024;

    while (ncap < want * 2)
        ncap *= 2;
    if (ncap <= s->hcap)
        return;
    free(s->hash);
    s->hash = xcalloc(ncap, sizeof(*s->hash));
    s->hcap = ncap;
    for (size_t j = 0; j < s->n; j++)
        hash_put(s, j);
}

/* Index entry idx (already counted in s->n). */
void
hash_insert(struct subs *s, size_t idx)
{
    if (s->n * 2 > s->hcap) {
        s->n--;                 /* rebuild without the new entry, then add it */
        hash_reserve(s, (s->n + 1) * 2);
        s->n++;
    }
    hash_put(s, idx);
}

struct subscriber *
find_canon(const struct subs *s, const char *canon)
{
    size_t mask, i;
    uint32_t h;

    if (s->hcap == 0)
        return NULL;
    h = hash_str(canon);
    mask = s->hcap - 1;
    for (i = h & mask; s->hash[i] != 0; i = (i + 1) & mask) {
        size_t idx = (uint32_t)s->hash[i] - 1;

        if ((uint32_t)(s->hash[i] >> 32) == h && same_addr(s->v[idx].addr, canon))
            return &s->v[idx];
    }
    return NULL;
}

struct subscriber *
subs_find(const struct subs *s, const char *email)
{
    char canon[ADDR_BUF];
    const char *why;

    if (addr_check(email, strlen(email), canon, &why) == -1)
        return NULL;
    return find_canon(s, canon);
}
