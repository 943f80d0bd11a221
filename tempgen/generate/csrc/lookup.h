/* Finding a context in the model's suffix trie (lookup.c). */
#ifndef TEMPGEN_LOOKUP_H
#define TEMPGEN_LOOKUP_H

#include "tables.h"

/* Ranks of the matched suffixes of one context (order-1 tokens, newest last) in the model's
 * suffix trie: rank[0] = 0 (the empty context), rank[j] that of the suffix of length j.
 * Returns how many (at least 1). */
int ranks(const Model *m, const int64_t *ctx, int64_t *rank);

#endif
