/* Kept contexts: the rows of the contexts a run meets again and again, with running sums of
 * their tempered weights, built when first needed and kept for the whole run.
 *
 * A row differs from its parent's (the context one token shorter) only at the tokens the
 * context lists: p(w) = gamma p'(w) + u(w), and u(w) = 0 off those successors. A short
 * context is kept dense (its whole row); a longer one sparse (its successors only), as a
 * correction to its parent. Either way a kept context K answers, for any token x:
 *   value(K, w)   p_K(w), exactly as the interpolation recursion rounds it;
 *   prefix(K, x)  the tempered mass of the tokens before x, sum of (p_K / max p_K)^(1/T),
 *                 and the sum of a log a over them (for the entropy).
 */
#ifndef TEMPGEN_KEPT_H
#define TEMPGEN_KEPT_H

#include <stddef.h>

#include "tables.h"

typedef struct Kept Kept;
struct Kept {
    const Kept *parent;   /* the context one token shorter (sparse contexts) */
    Ints tok;             /* sparse: members are tokens tok[lo..lo+n-1], ascending; dense:
                             tok.p is NULL and every token is a member, by id */
    int64_t lo, n;
    int stride;           /* values per record (below) */
    double gamma;         /* p = gamma p' + u */
    double pmax, log_max; /* max p_K, exactly, and its log */
    int64_t top;          /* the first token with p_K = pmax, or -1: a tie hides which */
    double *rec;          /* (n + 1) records of `stride` values: the member's p_K, then per
                             temperature the sums over the members before it of
                             a_K = (p_K / pmax)^(1/T) and a_K log a_K, and (sparse) of the
                             parent's a and a log a at the same tokens */
    double *phi;          /* sparse, per temperature: phi and log phi, where a non-member's
                             a_K is phi times its parent's a */
    struct Ranking *ranking; /* its members by p_K (ranked.h), or NULL until needed */
};

typedef struct Block Block; /* kept.c */
#define WHOLE_BYTES (1 << 18) /* Cache.whole: their rows fit in this many bytes */

/* What a run keeps: its kept contexts (in large blocks, freed together), and the scratch
 * rows of one step. */
typedef struct {
    const Model *m;
    int dense, depth;     /* contexts of levels 1..dense are kept dense, ..depth sparse */
    int whole;            /* model_row starts from levels 1..whole (<= dense): as many as
                             the processor's cache holds whole, as a row read from memory
                             costs more than working it out from a shorter one in cache */
    Block *blocks;
    int n_temps;
    const double *temps;  /* the distinct temperatures > 0 of the rows */
    int dstride, sstride; /* values per record: 1 + 2 n_temps (dense), 1 + 4 n_temps */
    Kept **kept[MAX_ORDER + 1]; /* per level <= depth: (n_ctx,), NULL until built */
    int64_t room;         /* values sparse contexts may still take */
    /* scratch: the set S in token order (ns members), p of its members in the same order,
     * where each member is (pos[w]) and which tokens are members (in_s, a bit a token: it
     * stays in the processor's nearest cache); buf, pbuf, vbuf: room to merge */
    int32_t *pos;
    uint64_t *in_s;
    int64_t ns;
    int32_t *iota;        /* 0, 1, ..., vocab - 1: where each token is in a whole row */
    int32_t *set, *buf;
    int64_t *place, *pbuf; /* each member's place in the kept context (value) */
    double *val, *vbuf, *z, *w, *run, *row, *gap;
    int64_t *ints;         /* the blocks the scratch rows above lie in (merging swaps them) */
    double *doubles;
} Cache;

int cache_init(Cache *s, const Model *m, int dense, int depth, int64_t room,
               const double *temps, int n_temps);
void cache_free(Cache *s);
/* Room for `bytes` for the run's whole life, or NULL when out of memory. */
void *cache_keep(Cache *s, size_t bytes);

/* The deepest kept context among levels 1..k of the matched ranks (building it, and its
 * parents, when first needed; a sparse one only while there is room), or NULL when out of
 * memory. *level: its level. */
Kept *kept_of(Cache *s, const int64_t *rank, int k, int *level);
double value_sparse(const Kept *K, int64_t w, int64_t *place);
/* p_K(w) of a sparse K given i, the count of its members < w (*place as value() sets it). */
double value_of(const Kept *K, int64_t w, int64_t i, int64_t *place);
void prefix_sparse(const Kept *K, int ti, int64_t x, int64_t i, double *mass, double *az);

/* p_K(w); *place (if not NULL): 2 (how many members of K are < w) + (w is a member). */
static inline double value(const Kept *K, int64_t w, int64_t *place) {
    if (K->tok.p) return value_sparse(K, w, place);
    if (place) *place = 2 * w + 1;
    return K->rec[w * K->stride];
}

/* value(K, w, place) for ascending w: *from (0 at first) is where the last one was. */
double value_after(const Kept *K, int64_t w, int64_t *from, int64_t *place);

/* The mass and the sum of a log a of the tokens < x at temperature ti; i: how many members
 * of K are < x, or -1 if not known. */
static inline void prefix(const Kept *K, int ti, int64_t x, int64_t i, double *mass,
                          double *az) {
    if (K->tok.p) {
        prefix_sparse(K, ti, x, i, mass, az);
        return;
    }
    const double *r = K->rec + x * K->stride + 1 + 2 * ti;
    *mass = r[0];
    *az = r[1];
}
/* K's mass and sum of a log a at temperature ti over each gap between the tokens set[0..ns-1]
 * (ascending): gap i, the tokens after set[i - 1] and before set[i] (gap ns: to the end of
 * the vocabulary), into gap[2 i] and gap[2 i + 1]. place: each token's place in K (value),
 * or NULL when not known (or K dense). */
void gaps(const Kept *K, int ti, const int32_t *set, int64_t ns, int64_t vocab,
          const int64_t *place, double *gap);
/* The first token x in [lo, hi) whose mass before x + 1 exceeds `mass` (else hi - 1). */
int64_t find(const Kept *K, int ti, int64_t lo, int64_t hi, double mass);

/* The search of the inverse CDF: the first i in [0, n) with run[i * stride] > target,
 * else n - 1 (run ascending). */
static inline int64_t first_above(const double *run, int64_t n, int64_t stride,
                                  double target) {
    int64_t a = 0, b = n - 1;
    while (a < b) {
        int64_t mid = a + (b - a) / 2;
        if (run[mid * stride] > target) b = mid;
        else a = mid + 1;
    }
    return a;
}

#endif
