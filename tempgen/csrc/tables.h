/* The model's tables as the compiled decode loop reads them, and what its files share.
 *
 * Arrays arrive from numpy through the buffer protocol, integer tables in whatever width the
 * model file stores them (1 and 2 bytes unsigned, 4 and 8 signed).
 */
#ifndef TEMPGEN_TABLES_H
#define TEMPGEN_TABLES_H

#include <stdint.h>

#define MAX_ORDER 10

typedef struct {
    const char *p;
    int size; /* bytes per value */
} Ints;

static inline int64_t at(Ints a, int64_t i) {
    switch (a.size) {
    case 1: return ((const uint8_t *)a.p)[i];
    case 2: return ((const uint16_t *)a.p)[i];
    case 4: return ((const int32_t *)a.p)[i];
    default: return ((const int64_t *)a.p)[i];
    }
}

/* Ask for the cache line holding a[i]. A batch's lookups are independent: asking for all of
 * them before using any keeps many cache misses in flight instead of one at a time. */
static inline void fetch(Ints a, int64_t i) { __builtin_prefetch(a.p + i * a.size); }

/* A loop over integers of any stored width, written once: BODY sees `V(i)`, the i-th value
 * of `a` in its own type (so the width is chosen once per loop, not per value). */
#define FOR_WIDTH(a, BODY)                                                   \
    switch ((a).size) {                                                      \
    case 1: { const uint8_t *p_ = (const uint8_t *)(a).p; BODY; break; }    \
    case 2: { const uint16_t *p_ = (const uint16_t *)(a).p; BODY; break; }  \
    case 4: { const int32_t *p_ = (const int32_t *)(a).p; BODY; break; }    \
    default: { const int64_t *p_ = (const int64_t *)(a).p; BODY; break; }   \
    }
#define V(i) ((int64_t)p_[i])

/* What a step reads of one context, in one cache line (built by tempgen.kernel). */
typedef struct {
    double gamma, inv_denom; /* back-off weight; 1 / the sum of adjusted counts (or 0) */
    uint32_t succ, n_succ;   /* its successors: entries succ .. succ + n_succ - 1 */
    uint32_t child, n_child; /* its children (contexts one token older), on the next level */
} Ctx;

/* The order-m tables (m = 1..order): contexts of length m-1 and their successors. */
typedef struct {
    const Ctx *ctx;     /* (n_ctx,) */
    int64_t n_ctx;
    Ints first;         /* m >= 2: the oldest token of each context (by parent, ascending) */
    Ints token;         /* successor token of each entry */
    Ints adj;           /* adjusted counts (counts model), or p == NULL */
    const double *u;    /* discounted masses (back-off model), or NULL */
    double disc[4];     /* discount by adjusted count 0, 1, 2, 3+ */
    double kept[256];   /* a - disc(a), the discounted count, for a < 256 */
    int nested;         /* m >= 2: every context lists only tokens its parent lists */
    const int32_t *direct; /* m >= 2, or NULL: the rank of the context of parent rank r and
                              oldest token t at r (bos + 1) + t, -1 for none */
} Level;

typedef struct {
    int order, vocab;
    int64_t bos, boundary;       /* boundary < 0: not a per-line model */
    Level lv[MAX_ORDER + 1];     /* 1..order */
} Model;

/* How many of a[lo..lo+n-1] (ascending) are < x. Without branches on the comparisons, which
 * no predictor guesses. */
static inline int64_t lower(Ints a, int64_t lo, int64_t n, int64_t x) {
    int64_t b = lo;
    if (n <= 0) return 0;
    FOR_WIDTH(a, {
        while (n > 1) {
            int64_t half = n / 2;
            b = V(b + half - 1) < x ? b + half : b;
            n -= half;
        }
        b += V(b) < x;
    })
    return b - lo;
}

/* u(e), the discounted mass of entry e of context c: what add_successors adds. */
static inline double mass_of(const Level *lv, const Ctx *c, int64_t e) {
    if (lv->u) return lv->u[e];
    int64_t a = at(lv->adj, e);
    return (a < 256 ? lv->kept[a] : (double)a - lv->disc[3]) * c->inv_denom;
}

/* row[where[token[e]]] += u(e) for the successors of context r of a level: the second half
 * of the interpolation recursion row = gamma * row + u (NGramModel.probs, in the same order).
 * where: each token's place in row. */
static inline void add_successors(const Level *lv, int64_t r, double *row,
                                  const int32_t *where) {
    const Ctx *c = &lv->ctx[r];
    int64_t lo = c->succ, hi = lo + c->n_succ;
    if (lv->u) {
        FOR_WIDTH(lv->token, for (int64_t e = lo; e < hi; e++) row[where[V(e)]] += lv->u[e])
        return;
    }
    double inv = c->inv_denom, d3 = lv->disc[3];
    const double *kept = lv->kept;
    const Ints tok = lv->token;
    FOR_WIDTH(lv->adj, {
        const typeof(p_) adj = p_;
        FOR_WIDTH(tok, for (int64_t e = lo; e < hi; e++) {
            int64_t a = adj[e];
            row[where[V(e)]] += (a < 256 ? kept[a] : (double)a - d3) * inv;
        })
    })
}

/* Per-row scratch of a lookup: the token being looked up (-1: none) among the children
 * lo..hi-1 of its parent. */
typedef struct {
    int64_t tok, lo, hi;
    int last; /* matched, but nothing longer may be (per-line: the newline) */
} Probe;

/* lookup.c */
void ranks(const Model *m, const int64_t *ctx, int64_t batch, int64_t (*rank)[MAX_ORDER],
           int *n, Probe *pr);
void fetch_rows(const Model *m, int64_t batch, int64_t (*rank)[MAX_ORDER], const int *n,
                int depth);
int nested(const Model *m, int k);

#endif
