/* A first cut without the whole row (ranked.c): a large vocabulary's row read from its
 * likeliest token down, through the lists of ranking.h, as far as the cut needs.
 */
#ifndef TEMPGEN_RANKED_H
#define TEMPGEN_RANKED_H

#include "chain.h"
#include "kept.h"

/* Whether the chain's first link can cut the row without the whole row: a large
 * vocabulary, and top-k, top-p, min-p, top-a, epsilon-cutoff, eta-cutoff, p-less, Top-H or
 * top-n-sigma first. */
int ranked_fits(const Cache *s, const Chain *ch);
/* The row's tokens that the link keeps, in k->cur (token order) with their log p (also in
 * k->lp by token); Top-H's, its TOP_H_TOKENS likeliest (the link then weighs them).
 * Returns 1 when the whole row must decide instead, -1 when out of memory. */
int ranked_cut(Cache *s, Work *k, const Link *lk, const int64_t *rank, int n);

#endif
