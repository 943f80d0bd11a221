/* Finding a context in the model's suffix trie (lookup.c). */
#ifndef TEMPGEN_LOOKUP_H
#define TEMPGEN_LOOKUP_H

#include "tables.h"

/* Ranks of the matched suffixes of one context (order-1 tokens, newest last) in the model's
 * suffix trie: rank[0] = 0 (the empty context), rank[j] that of the suffix of length j.
 * Returns how many (at least 1). */
int ranks(const Model *m, const int64_t *ctx, int64_t *rank);

/* The ranks of row `key` (0 <= key < rows(m)), as `ranks` gives them; returns how many. A
 * row's key is its number among all the model's contexts, level by level: that of its
 * deepest matched suffix rank[n-1], which names the row (the shorter ones are its
 * ancestors; lm/ngram.py, row_keys). */
int key_ranks(const Model *m, int64_t key, int64_t *rank);
/* How many contexts the model has, over all its levels: the keys' bound. */
int64_t rows(const Model *m);

#endif
