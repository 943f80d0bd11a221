/* The model's tables as the compiled loop reads them (lm/tables.py), and the one step of the
 * interpolation recursion.
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

/* What a step reads of one context, in one cache line (built by generate/compiled.py). */
typedef struct {
    double gamma, inv_denom; /* back-off weight; 1 / the sum of adjusted counts (or 0) */
    uint32_t succ, n_succ;   /* its successors: entries succ .. succ + n_succ - 1 */
    uint32_t pad[2];         /* (32 bytes: a record never spans two cache lines) */
} Ctx;

/* The order-m tables (m = 1..order): contexts of length m-1 and their successors. */
typedef struct {
    const Ctx *ctx;     /* (n_ctx,) */
    int64_t n_ctx;
    Ints kids;          /* m < order: (n_ctx + 1,) where each context's children (contexts
                           one token older, on the next level) start; the last: where they end */
    Ints first;         /* m >= 2: the oldest token of each context (by parent, ascending) */
    Ints token;         /* successor token of each entry */
    Ints adj;           /* adjusted counts (counts model), or p == NULL */
    const double *u;    /* discounted masses (back-off model), or NULL */
    double disc[4];     /* discount by adjusted count 0, 1, 2, 3+ */
    double kept[256];   /* a - disc(a), the discounted count, for a < 256 */
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

/* lower(a, lo, n, x) when it is known to be >= from: a gallop from there, then a search, so
 * that ascending x cost little each. */
static inline int64_t lower_from(Ints a, int64_t lo, int64_t n, int64_t from, int64_t x) {
    int64_t step = 1, hi = from;
    while (hi < n && at(a, lo + hi) < x) {
        from = hi + 1;
        hi += step;
        step *= 2;
    }
    if (hi > n) hi = n;
    return from + lower(a, lo + from, hi - from, x);
}

/* One step of the interpolation recursion, p(w | h) = gamma(h) p(w | h') + u(h w), for
 * context r of level lv: out[i] = in[i] * gamma for i < n (in may be out), then u of each of
 * r's successors w added at out[where[w]]. u = (a - D(a)) / sum of a from the adjusted count
 * a, or as given (back-off). The Python counterpart: lm/ngram.py, interpolate (the same
 * operations in the same order, so the same bits). */
static inline void interpolate(const Level *lv, int64_t r, const double *in, double *out,
                               int64_t n, const int32_t *where) {
    const Ctx *c = &lv->ctx[r];
    int64_t lo = c->succ, hi = lo + c->n_succ;
    double g = c->gamma;
    if (in == out) /* (in place: a loop the compiler can vectorise without an overlap test) */
        for (int64_t i = 0; i < n; i++) out[i] *= g;
    else
        for (int64_t i = 0; i < n; i++) out[i] = in[i] * g;
    if (lv->u) {
        FOR_WIDTH(lv->token, for (int64_t e = lo; e < hi; e++) out[where[V(e)]] += lv->u[e])
        return;
    }
    double inv = c->inv_denom, d3 = lv->disc[3];
    const double *kept = lv->kept;
    const Ints tok = lv->token;
    FOR_WIDTH(lv->adj, {
        const typeof(p_) adj = p_;
        FOR_WIDTH(tok, for (int64_t e = lo; e < hi; e++) {
            int64_t a = adj[e];
            out[where[V(e)]] += (a < 256 ? kept[a] : (double)a - d3) * inv;
        })
    })
}

/* Ask memory at once for the records of the matched contexts of levels lo..hi, then for their
 * first successors, which a step then reads level by level: their waits overlap instead
 * of adding up. */
static inline void fetch_successors(const Model *m, const int64_t *rank, int lo, int hi) {
    for (int k = lo; k <= hi; k++) __builtin_prefetch(&m->lv[k].ctx[rank[k - 1]]);
    for (int k = lo; k <= hi; k++) {
        const Level *lv = &m->lv[k];
        int64_t e = lv->ctx[rank[k - 1]].succ;
        __builtin_prefetch(lv->token.p + e * lv->token.size);
        if (lv->adj.p) __builtin_prefetch(lv->adj.p + e * lv->adj.size);
        if (lv->u) __builtin_prefetch(lv->u + e);
    }
}

#endif
