/* The noise's log and the draw's search (noise.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "noise.h"

/* ln 2 in two parts (e * LN2_HI is exact), and sqrt(1/2): as generate/noise.py */
#define LN2_HI 6.93147180369123816490e-01
#define LN2_LO 1.90821492927058770002e-10
#define SQRT_HALF 0.70710678118654752440

double nlog(double x) {
    /* frexp by the bits (x is normal): m in [1/2, 1), x = m 2^e */
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    int e = (int)((b >> 52) & 0x7ff) - 1022;
    b = (b & 0x800fffffffffffffu) | 0x3fe0000000000000u;
    double m;
    memcpy(&m, &b, sizeof m);
    if (m < SQRT_HALF) {
        m = m * 2.0;
        e -= 1;
    }
    double f = (m - 1.0) / (m + 1.0), s = f * f, p = 1.0 / 23.0;
    /* 1 / (2k + 1), k = 10 down to 1, by Horner's rule (as noise.py's loop) */
    p = p * s + 1.0 / 21.0;
    p = p * s + 1.0 / 19.0;
    p = p * s + 1.0 / 17.0;
    p = p * s + 1.0 / 15.0;
    p = p * s + 1.0 / 13.0;
    p = p * s + 1.0 / 11.0;
    p = p * s + 1.0 / 9.0;
    p = p * s + 1.0 / 7.0;
    p = p * s + 1.0 / 5.0;
    p = p * s + 1.0 / 3.0;
    double f2 = f * 2.0, de = (double)e;
    return de * LN2_HI + ((f2 + f2 * (s * p)) + de * LN2_LO);
}

void leaves_tree(Leaves *l) {
    int64_t n = l->n;
    for (int64_t i = 0; i < n; i++) l->tree[n + i] = l->w[i];
    for (int64_t i = n - 1; i >= 1; i--) {
        double a = l->tree[2 * i], b = l->tree[2 * i + 1];
        l->tree[i] = a > b ? a : b;
    }
}

/* The largest w of the list's candidates lo..hi-1 (hi > lo), from its max tree. */
static double range_max(const Leaves *l, int64_t lo, int64_t hi) {
    double m = 0.0;
    for (lo += l->n, hi += l->n; lo < hi; lo >>= 1, hi >>= 1) {
        if (lo & 1) m = l->tree[lo] > m ? l->tree[lo] : m, lo++;
        if (hi & 1) hi--, m = l->tree[hi] > m ? l->tree[hi] : m;
    }
    return m;
}

/* How many of pos[lo..hi) are below x, plus lo. */
static int32_t split(const int32_t *pos, int32_t lo, int32_t hi, int64_t x) {
    while (lo < hi) {
        int32_t mid = lo + (hi - lo) / 2;
        if (pos[mid] < x) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

double leaves_max(const Leaves *l, int64_t lo, int64_t hi) {
    int32_t a = split(l->pos, 0, (int32_t)l->n, lo), b = split(l->pos, a, (int32_t)l->n, hi);
    return a < b ? range_max(l, a, b) : 0.0;
}

void leaves_of(Leaves *l, const int32_t *id, const double *w, int64_t n,
               const int32_t *token_leaf, uint64_t *bits, double *by_leaf) {
    for (int64_t i = 0; i < n; i++) {
        int32_t at = token_leaf[id[i]];
        by_leaf[at] = w[i];
        bits[at >> 6] |= (uint64_t)1 << (at & 63);
    }
    int64_t o = 0;
    for (int64_t word = 0; o < n; word++) { /* (read, and left zero) */
        uint64_t b = bits[word];
        bits[word] = 0;
        for (; b; b &= b - 1) {
            int32_t at = (int32_t)(word * 64 + __builtin_ctzll(b));
            l->pos[o] = at;
            l->w[o++] = by_leaf[at];
        }
    }
    l->n = n;
    leaves_tree(l);
}

static void layout(const int32_t *leaf_token, int32_t *token_node, int32_t *inner,
                   int64_t *n_inner, int64_t id, int64_t lo, int64_t hi) {
    if (hi - lo == 1) {
        token_node[leaf_token[lo]] = (int32_t)id;
        return;
    }
    int64_t mid = lo + (hi - lo) / 2; /* (gumbel_min's split) */
    inner[(*n_inner)++] = (int32_t)id;
    layout(leaf_token, token_node, inner, n_inner, 2 * id, lo, mid);
    layout(leaf_token, token_node, inner, n_inner, 2 * id + 1, mid, hi);
}

static int larger_first(const void *x, const void *y) {
    return *(const int32_t *)y - *(const int32_t *)x;
}

void tree_layout(const int32_t *leaf_token, int64_t vocab, int32_t *token_node, int32_t *inner) {
    int64_t n = 0;
    layout(leaf_token, token_node, inner, &n, 1, 0, vocab);
    qsort(inner, (size_t)n, sizeof *inner, larger_first); /* (a child's id exceeds its parent's) */
}

void node_weights(const int32_t *id, const double *w, int64_t n, int64_t vocab,
                  const int32_t *token_node, const int32_t *inner, double *nw) {
    for (int64_t t = 0; t < vocab; t++) nw[token_node[t]] = 0.0;
    for (int64_t i = 0; i < n; i++) nw[token_node[id[i]]] = w[i];
    for (int64_t i = 0; i < vocab - 1; i++) {
        int64_t x = inner[i];
        double a = nw[2 * x], b = nw[2 * x + 1];
        nw[x] = a > b ? a : b;
    }
}

/* The search: depth first, the more promising child first, its sibling waiting on a stack
 * while it can beat the best leaf so far (a node waits for each level above it at most). */
#define STACK 64
typedef struct {
    const Scores *sc;
    uint64_t key;
    double best; /* the least E / w of a leaf so far */
    int64_t best_pos;
} Walk;

/* A node's bound of w (its candidates' most), and its key from it (0 w: it has none). */
static inline __attribute__((always_inline)) double bound(const Walk *k, Node *nd) {
    const Scores *sc = k->sc;
    double w = 0.0;
    if (sc->exact)
        w = sc->exact[nd->id];
    else if (nd->clo < nd->chi) w = nd->hi - nd->lo == 1 ? sc->list->w[nd->clo]
                                                  : range_max(sc->list, nd->clo, nd->chi);
    else if (nd->hi - nd->lo == 1 && sc->leaf) w = sc->leaf(sc->ctx, nd->lo);
    if (sc->leaf && !sc->exact && nd->hi - nd->lo > 1) {
        double b = sc->node_w ? sc->scale * sc->node_w[nd->id]
                              : sc->bound(sc->ctx, nd->id, nd->lo, nd->hi);
        w = b > w ? b : w;
    }
    nd->w = w;
    nd->key = w > 0.0 ? nd->e / w : INFINITY;
    return w;
}

/* A lazy node's E drawn: its parent's and an exponential over its size (noise.py, gumbels:
 * the same operations, so the same E). Whether it can still beat the best. */
static int resolve(const Walk *k, Node *nd) {
    if (nd->lazy) {
        nd->e += -nlog(uniform(mix(k->key + 2 * (nd->id / 2) + 1))) / (double)(nd->hi - nd->lo);
        nd->lazy = 0;
        nd->key = nd->e / nd->w;
    }
    return nd->key < k->best;
}

int64_t gumbel_min(const Scores *sc, uint64_t key, int64_t vocab, double *e) {
    int32_t n_list = sc->list ? (int32_t)sc->list->n : 0;
    const int32_t *pos = sc->list ? sc->list->pos : NULL;
    Walk k = {.sc = sc, .key = key, .best = INFINITY, .best_pos = -1};
    Node stack[STACK], cur = {.e = -nlog(uniform(mix(key + 1))) / (double)vocab, .id = 1,
                                  .lo = 0, .hi = (int32_t)vocab, .clo = 0, .chi = n_list};
    int64_t depth = 0;
    *e = INFINITY;
    if (!sc->leaf && !sc->exact && n_list == 0) return -1;
    int live = bound(&k, &cur) > 0.0;
    for (;;) {
        if (live && cur.hi - cur.lo == 1) { /* (a leaf's key is exact: its w is its own) */
            k.best = cur.key;
            k.best_pos = cur.lo;
            *e = cur.e;
            live = 0;
        }
        if (!live) { /* the next waiting node that can beat the best */
            while (depth > 0 && !live) {
                cur = stack[--depth];
                live = cur.key < k.best && resolve(&k, &cur);
            }
            if (!live) break;
            continue;
        }
        int32_t n = cur.hi - cur.lo, mid = cur.lo + n / 2;
        int32_t cmid = pos ? split(pos, cur.clo, cur.chi, mid) : 0;
        int left = uniform(mix(key + 2 * cur.id)) * (double)n < (double)(mid - cur.lo);
        Node a = {.e = cur.e, .id = 2 * cur.id, .lo = cur.lo, .hi = mid, .clo = cur.clo,
                  .chi = cmid, .lazy = !left};
        Node b = {.e = cur.e, .id = 2 * cur.id + 1, .lo = mid, .hi = cur.hi, .clo = cmid,
                  .chi = pos ? cur.chi : 0, .lazy = left};
        bound(&k, &a);
        bound(&k, &b);
        if (b.key < a.key) { /* (a's key is its E's bound: its own may be more) */
            Node t = a;
            a = b;
            b = t;
        }
        if (b.key < k.best) stack[depth++] = b;
        cur = a;
        live = cur.key < k.best && resolve(&k, &cur);
    }
    return k.best_pos;
}
