/* Kept contexts: the rows of the contexts a run meets again and again, built when first
 * needed and kept for the whole run, with what a draw asks of them.
 *
 * A row differs from its parent's (the context one token shorter) only at the tokens the
 * context lists: p(w) = gamma p'(w) + u(w), and u(w) = 0 off those successors. A short
 * context is kept dense (its whole row); a longer one sparse (its successors only), as a
 * correction to its parent. Either way a kept context K answers, for any token w:
 *   value(K, w)       p_K(w), exactly as the interpolation recursion rounds it;
 *   kept_amax(K, ti, node)  the largest a = (p_K / max p_K)^(1/T) at temperature ti over a
 *                     node's leaves of the noise tree (noise.h), or a little more: the
 *                     draw's search bounds a row by it;
 *   K->tot            per temperature, the sum over the vocabulary of a = (p_K / max p_K)^(1/T),
 *                     of a ln a and of a (ln a)^2: a row's normaliser, entropy and variance,
 *                     without the row.
 */
#ifndef TEMPGEN_KEPT_H
#define TEMPGEN_KEPT_H

#include <stddef.h>

#include "noise.h"
#include "tables.h"

typedef struct Kept Kept;
struct Kept {
    const Kept *parent;   /* the context one token shorter (sparse contexts) */
    Ints tok;             /* sparse: members are tokens tok[lo..lo+n-1], ascending; dense:
                             tok.p is NULL and every token is a member, by id */
    int64_t lo, n;
    double gamma;         /* p = gamma p' + u */
    double pmax, log_max; /* max p_K, exactly, and its log */
    int64_t top;          /* the first token with p_K = pmax, or -1: a tie hides which */
    double *p;            /* p_K of each member, in member (token) order */
    double *tot;          /* per temperature ti: tot[3 ti] the sum of a, tot[3 ti + 1] of a ln a,
                             tot[3 ti + 2] of a (ln a)^2 */
    double sl, sll;       /* the sums over the vocabulary of ln p_K and of its square (NaN
                             when some p_K is 0): top-n-sigma's mean and spread */
    /* dense, per temperature ti: a of each token (arow + ti vocab), and the largest a of each
     * node of the noise tree, by node id (amax + ti tree_ids); ln p_K of each token (lnp) */
    double *arow, *amax, *lnp;
    /* sparse, per temperature ti: the members in leaf order with their a (la[ti]), and phi,
     * where a non-member's a is phi times the parent's */
    Leaves *la;
    double *phi;
    struct Ranking *ranking; /* its members by p_K (ranking.h), or NULL until needed */
    struct Members *values;  /* its members by value (distinct.h), or NULL until needed */
};

typedef struct Block Block; /* kept.c */
#define WHOLE_BYTES (1 << 18) /* Cache.whole: their rows fit in this many bytes */

/* What a run keeps: its kept contexts (in large blocks, freed together), the noise tree's
 * leaves, and the scratch rows of one step. */
typedef struct {
    const Model *m;
    int dense, depth;     /* contexts of levels 1..dense are kept dense, ..depth sparse */
    int whole;            /* model_row starts from levels 1..whole (<= dense): as many as
                             the processor's cache holds whole, as a row read from memory
                             costs more than working it out from a shorter one in cache */
    Block *blocks;
    int n_temps;
    const double *temps;  /* the distinct temperatures > 0 of the rows */
    const int32_t *leaf_token; /* the token at each leaf of the noise tree (noise.py) */
    int32_t *token_leaf;  /* and each token's leaf */
    int32_t *token_node, *inner; /* the tree's layout for node weights (noise.h, tree_layout) */
    int64_t tree_ids;     /* node ids of the noise tree are below this */
    Kept **kept[MAX_ORDER + 1]; /* per level <= depth: (n_ctx,), NULL until built */
    int64_t room;         /* bytes sparse contexts may still take */
    int64_t room_all;     /* and at the start (cache_renew) */
    int sums_only;        /* a run that draws nothing (module.c, rows_moments): its kept
                             contexts hold their totals, not the noise tree's maxima and
                             leaves (amax and la left unset) */
    /* scratch: the set S in token order (ns members), p of its members in the same order
     * (val) and p_K (kval), where each member is (pos[w]) and which tokens are members
     * (in_s, a bit a token: it stays in the processor's nearest cache); buf, pbuf, vbuf,
     * kbuf: room to merge */
    int32_t *pos;
    uint64_t *in_s;
    int64_t ns;
    int32_t *iota;        /* 0, 1, ..., vocab - 1: where each token is in a whole row */
    int32_t *set, *buf;
    int64_t *place, *pbuf; /* each member's place in the kept context (value) */
    double *val, *vbuf, *kval, *kbuf, *z, *w, *row;
    uint64_t *bits;       /* (vocab bits): zero between uses */
    int64_t *ints;         /* the blocks the scratch rows above lie in (merging swaps them) */
    double *doubles;
} Cache;

int cache_init(Cache *s, const Model *m, int dense, int depth, int64_t room,
               const double *temps, int n_temps, const int32_t *leaf_token);
void cache_free(Cache *s);
/* The cache emptied, as cache_init left it: for rows met in an order where the contexts
 * kept so far are not needed again (rows of one parent together: moments.h). */
int cache_renew(Cache *s);
/* The bytes kept_of(s, rank, k, ...) would take to keep its context and its parents (0
 * when kept already, or known not to be). */
int64_t kept_need(const Cache *s, const int64_t *rank, int k);
/* Room for `bytes` for the run's whole life, or NULL when out of memory. */
void *cache_keep(Cache *s, size_t bytes);

/* The deepest kept context among levels 1..k of the matched ranks (building it, and its
 * parents, when first needed; a sparse one only while there is room), or NULL when out of
 * memory. *level: its level. */
Kept *kept_of(Cache *s, const int64_t *rank, int k, int *level);
double value_sparse(const Kept *K, int64_t w, int64_t *place);
/* p_K(w) of a sparse K given i, the count of its members < w (*place as value() sets it). */
double value_of(const Kept *K, int64_t w, int64_t i, int64_t *place);
/* The largest a at temperature ti over node `id` of the noise tree, its leaves [lo, hi)
 * (exact for a dense K; a sparse one's is an upper bound but for rounding). */
double kept_amax(const Kept *K, int ti, int64_t tree_ids, uint64_t id, int64_t lo, int64_t hi);

/* p_K(w); *place (if not NULL): 2 (how many members of K are < w) + (w is a member). */
static inline double value(const Kept *K, int64_t w, int64_t *place) {
    if (K->tok.p) return value_sparse(K, w, place);
    if (place) *place = 2 * w + 1;
    return K->p[w];
}

/* The run's temperature index of t exactly, or -1. */
static inline int temp_index(const Cache *s, double t) {
    for (int ti = 0; ti < s->n_temps; ti++)
        if (s->temps[ti] == t) return ti;
    return -1;
}

/* value(K, w, place) for ascending w: *from (0 at first) is where the last one was. */
double value_after(const Kept *K, int64_t w, int64_t *from, int64_t *place);

#endif
