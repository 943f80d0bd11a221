/* A row's first truncation (top-k, top-p or min-p) without the whole row, for a large
 * vocabulary: the tokens from the most likely down, until the link would cut.
 *
 * A row is G p_K off the set S (rowset.h), and K is the root (every token, by p) or a
 * context of level 2 over it, whose non-members have gamma_K times the root's p. So the
 * row from the top down is a merge of three lists, each sorted once: S by p (each step;
 * it is small), K's members by p_K (once per kept context), and the root's tokens by p
 * (once per run), the last two leaving out the tokens S (and K) hold. S is a heap, as a cut
 * takes few of its members. Scaling by G keeps
 * their order; the values are the recursion's own, so the kept tokens are those the whole
 * row gives.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "rowset.h"
#include "vmath.h"

typedef struct {
    Cache *s;
    Work *k;
    const Kept *K;        /* the root, or a sparse context of level 2 */
    const int64_t *rank;
    int k0, n;
    int32_t *heap;        /* S's members not yet taken (indices into s->set), a heap by p */
    const int32_t *korder, *root; /* K's members by p, the root's tokens by p */
    int64_t ns, ib, ic;
    const int32_t *mark;  /* sparse K: mark[2 w] == marked for K's members and S's */
    int32_t marked;
    double g[MAX_ORDER];  /* the gammas of levels k0+1..n, whose product p_K takes off S */
    int ng;
    double pa, pb, pc;    /* each list's next p (-1 when it is done) */
    int32_t ta, tb, tc;   /* and its token */
} Ranked;

/* The root's tokens by p, most likely first (ties: by token), sorted once per run. */
static const int32_t *root_order(Cache *s, Work *k, const Kept *R) {
    int64_t v = s->m->vocab;
    if (!k->root_ranked) {
        for (int64_t i = 0; i < v; i++) k->tmp[i] = R->rec[i * R->stride];
        sort_by(k->tmp, v, -1, k->ranked, k->order2);
        for (int64_t i = 0; i < v; i++) k->root_p[i] = k->tmp[k->ranked[i]];
        k->root_ranked = 1;
    }
    return k->ranked;
}

/* K's members by p_K, most likely first, sorted once per kept context (NULL: no room). */
static const int32_t *member_order(Cache *s, Work *k, Kept *K) {
    if (!K->order) {
        int32_t *order = cache_keep(s, sizeof(int32_t) * (size_t)(K->n + 1));
        if (!order) return NULL;
        for (int64_t i = 0; i < K->n; i++) k->tmp[i] = K->rec[i * K->stride];
        sort_by(k->tmp, K->n, -1, order, k->order2);
        K->order = order;
    }
    return K->order;
}

/* Whether S's member i comes before j: more likely, or as likely and earlier (without
 * branches: which one wins is as good as random). */
static inline int before(const double *val, int32_t i, int32_t j) {
    return (val[i] > val[j]) | ((val[i] == val[j]) & (i < j));
}

static void sift(Ranked *r, int64_t at) {
    const double *val = r->s->val;
    int32_t *h = r->heap, x = h[at];
    for (int64_t a; (a = 2 * at + 1) < r->ns;) {
        a += a + 1 < r->ns && before(val, h[a + 1], h[a]); /* (the better child) */
        if (!before(val, h[a], x)) break;
        h[at] = h[a];
        at = a;
    }
    h[at] = x;
}

static void next_a(Ranked *r) {
    r->pa = -1.0;
    if (r->ns > 0) {
        int32_t i = r->heap[0];
        r->pa = r->s->val[i];
        r->ta = r->s->set[i];
        r->heap[0] = r->heap[--r->ns];
        sift(r, 0);
    }
}

/* outside() of rowset.h, from the gammas read once. */
static inline double scaled(const Ranked *r, double p) {
    for (int i = 0; i < r->ng; i++) p *= r->g[i];
    return p;
}

static void next_b(Ranked *r) {
    const Kept *K = r->K;
    Cache *s = r->s;
    for (r->pb = -1.0; r->korder && r->ib < K->n;) {
        int32_t j = r->korder[r->ib++], w = (int32_t)at(K->tok, K->lo + j);
        if (s->stamp[w] == s->now) continue; /* (in S: list a has it) */
        r->pb = scaled(r, K->rec[j * K->stride]);
        r->tb = w;
        return;
    }
}

static inline void next_c(Ranked *r) {
    const Kept *K = r->K;
    const int32_t *stamp = r->s->stamp, *root = r->root;
    int32_t now = r->s->now;
    int64_t v = r->s->m->vocab, ic = r->ic;
    for (r->pc = -1.0; ic < v; ic++) {
        int32_t w = root[ic];
        if (K->tok.p ? r->mark[2 * w] == r->marked : stamp[w] == now) continue; /* (a, b) */
        double p = r->k->root_p[ic++];
        if (K->tok.p) p *= K->gamma; /* (as value_sparse rounds it) */
        r->pc = scaled(r, p);
        r->tc = w;
        break;
    }
    r->ic = ic;
}

/* The next most likely token and its p (p <= 0: none left). */
static inline double next(Ranked *r, int32_t *token) {
    double p = r->pa;
    int which = 0;
    *token = r->ta;
    if (r->pb > p || (r->pb == p && r->pb >= 0 && r->tb < *token)) p = r->pb, *token = r->tb, which = 1;
    if (r->pc > p || (r->pc == p && r->pc >= 0 && r->tc < *token)) p = r->pc, *token = r->tc, which = 2;
    if (p <= 0) return p;
    if (which == 0) next_a(r);
    else if (which == 1) next_b(r);
    else next_c(r);
    return p;
}

int ranked_fits(const Cache *s, const Chain *ch) {
    if (s->dense != 1 || ch->n < 1) return 0;
    const Link *lk = &ch->link[0];
    return lk->kind == L_TOP_P || lk->kind == L_MIN_P ||
           (lk->kind == L_TOP_K && lk->x[0] < s->m->vocab);
}

/* The candidates in token order (their log p are in k->lp): a few by insertion, more by
 * a bitmap of the vocabulary, read in order. */
static void by_token(Work *k, Cands *c) {
    int32_t *id = c->id;
    for (int64_t i = 0; i < c->n; i++) k->lp[id[i]] = c->w[i];
    if (c->n <= 32) {
        for (int64_t i = 1; i < c->n; i++) {
            int32_t t = id[i];
            int64_t j = i;
            for (; j > 0 && id[j - 1] > t; j--) id[j] = id[j - 1];
            id[j] = t;
        }
    } else {
        uint64_t *bits = k->bits;
        for (int64_t i = 0; i < c->n; i++) bits[id[i] >> 6] |= (uint64_t)1 << (id[i] & 63);
        int64_t o = 0;
        for (int64_t word = 0; o < c->n; word++) { /* (read, and left zero) */
            uint64_t b = bits[word];
            bits[word] = 0;
            for (; b; b &= b - 1) id[o++] = (int32_t)(word * 64 + __builtin_ctzll(b));
        }
    }
    for (int64_t i = 0; i < c->n; i++) c->w[i] = k->lp[id[i]];
}

int ranked_cut(Cache *s, Work *k, const Link *lk, const int64_t *rank, int n) {
    Ranked r = {.s = s, .k = k, .rank = rank, .n = n};
    Kept *K = kept_of(s, rank, n < 2 ? n : 2, &r.k0);
    if (!K) return -1;
    r.K = K;
    const Kept *R = K->tok.p ? K->parent : K;
    r.root = root_order(s, k, R);
    Marks marks = {0};
    if (K->tok.p) { /* K's members marked, with their places */
        if (!(r.korder = member_order(s, k, K))) return -1;
        int64_t v = s->m->vocab;
        int32_t *mark = k->ranked + v;
        if (++k->marked == INT32_MAX) {
            memset(mark, 0, sizeof(int32_t) * 2 * v);
            k->marked = 1;
        }
        FOR_WIDTH(K->tok, for (int64_t i = 0; i < K->n; i++) {
            int64_t w = V(K->lo + i);
            mark[2 * w] = k->marked;
            mark[2 * w + 1] = (int32_t)i;
        })
        marks = (Marks){.mark = mark, .now = k->marked};
        r.mark = mark;
        r.marked = k->marked;
    }
    for (int j = r.k0 + 1; j <= n; j++) r.g[r.ng++] = s->m->lv[j].ctx[rank[j - 1]].gamma;
    r.ns = build_set(s, K, K->tok.p ? &marks : NULL, rank, r.k0, n);
    if (K->tok.p) /* (S's members too, for the root's list to pass over them) */
        for (int64_t i = 0; i < r.ns; i++) k->ranked[s->m->vocab + 2 * s->set[i]] = r.marked;
    r.heap = k->order; /* (kept until the cut is done) */
    for (int64_t i = 0; i < r.ns; i++) r.heap[i] = (int32_t)i;
    for (int64_t i = r.ns / 2 - 1; i >= 0; i--) sift(&r, i);
    next_a(&r);
    next_b(&r);
    next_c(&r);
    /* The cut, as top_k, top_p and min_p in chain.c cut the whole row: on p (top-p: the
     * row's own probabilities, which sum to 1), top-k's ties and min-p's floor a little
     * generously at first (two p a last bit apart may share a log), then on the logs. */
    Cands *c = &k->cur;
    c->n = 0;
    double x = lk->x[0], bound = 0.0, cum = 0.0, slack = 1.0 - 1e-9, reach = x * (1 - MARGIN);
    int64_t kk = (int64_t)x;
    int32_t tok;
    for (double p;;) {
        if (r.pc > r.pa && r.pc > r.pb) { /* (the root's list, most of a long cut) */
            p = r.pc;
            tok = r.tc;
            next_c(&r);
        } else if (!((p = next(&r, &tok)) > 0)) {
            break;
        }
        if (c->n == 0) bound = p * x * slack;
        if (lk->kind == L_TOP_K && c->n >= kk && p < c->w[c->n - 1] * slack) break;
        if (lk->kind == L_MIN_P && p < bound) break;
        if (lk->kind == L_TOP_P && !(cum < reach)) break;
        cum += p;
        c->id[c->n] = tok;
        c->w[c->n++] = p;
    }
    logs(c->w, c->w, c->n);
    if (lk->kind == L_TOP_K)
        for (int64_t n = kk; n < c->n; n++)
            if (c->w[n] < c->w[kk - 1] - MARGIN) c->n = n;
    if (lk->kind == L_MIN_P)
        while (!(c->w[c->n - 1] >= c->w[0] + log(x) - MARGIN)) c->n--;
    by_token(k, c);
    return 0;
}
