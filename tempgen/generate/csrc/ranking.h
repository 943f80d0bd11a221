/* The lists a cut without the whole row reads (ranking.c; ranked.c reads them), each sorted
 * once: the root row's
 * tokens by p (once per run), and a sparse kept context's members by p_K (once per kept
 * context), with the members' places in the root's list.
 */
#ifndef TEMPGEN_RANKING_H
#define TEMPGEN_RANKING_H

#include "chain.h"
#include "kept.h"

typedef struct Ranking {
    int64_t n;
    double *p;          /* p by rank, most likely first (ties: by token) */
    int32_t *token;     /* the token of each rank */
    int32_t *place;     /* the root: each token's rank; a context K: its members' ranks in
                           the root's list, ascending */
} Ranking;

/* The root row's ranking (k->root, made on first use), or NULL when out of memory. */
const Ranking *root_ranking(Cache *s, Work *k, const Kept *R);
/* A sparse kept context's (K->ranking, made on first use), or NULL when out of memory. */
const Ranking *member_ranking(Cache *s, Work *k, Kept *K, const Ranking *root);

/* The largest p_K of the tokens off the step's set S (in_set) and that token (the first of
 * equals), K the root or a sparse context over it, from their rankings; *token -1 when
 * every token is in S. Returns -1 when out of memory. */
int top_off_set(Cache *s, Work *k, Kept *K, double *p, int64_t *token);

#endif
