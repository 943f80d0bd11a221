/* The set S of a row (rowset.h): the successors of its matched contexts longer than K. */
#include <string.h>

#include "rowset.h"

/* Merge into S (in token order) the tokens src[lo..hi) (ascending) that it lacks: a
 * level's successors (rare, as a context's successors are nearly always its shorter
 * contexts' too), or tokens a chain's penalties touch. A new member enters with p_K times
 * the gammas of levels k0+1..upto, in turn. Returns the new |S|. */
static int64_t merge(Cache *s, const Kept *K, Ints src, int64_t lo, int64_t hi,
                     const int64_t *rank, int k0, int upto, int64_t ns) {
    int64_t i = 0, o = 0, e = lo;
    while (i < ns || e < hi) {
        int64_t x = i < ns ? s->set[i] : INT64_MAX;
        int64_t y = e < hi ? at(src, e) : INT64_MAX;
        if (x <= y) {
            s->vbuf[o] = s->val[i];
            s->kbuf[o] = s->kval[i];
            s->pbuf[o] = s->place[i];
        } else {
            s->kbuf[o] = value(K, y, &s->pbuf[o]);
            s->vbuf[o] = outside(s->m, s->kbuf[o], rank, k0, upto);
        }
        s->buf[o++] = (int32_t)(x < y ? x : y);
        if (x <= y) i++;
        if (y <= x) e++;
    }
    int32_t *set = s->set;
    int64_t *place = s->place;
    double *val = s->val;
    s->set = s->buf;
    s->buf = set;
    s->place = s->pbuf;
    s->pbuf = place;
    s->val = s->vbuf;
    s->vbuf = val;
    val = s->kval;
    s->kval = s->kbuf;
    s->kbuf = val;
    for (i = 0; i < o; i++) {
        s->pos[s->set[i]] = (int32_t)i;
        mark(s, s->set[i]);
    }
    return o;
}

/* p_K of the tokens set[0..n) (ascending) of a sparse K, and their places in K (value()):
 * K's members read in turn when S holds a fair share of them (memory read in order, which
 * the processor fetches ahead), else a gallop to each. */
static void sparse_values(const Kept *K, const int32_t *set, int64_t n, double *val,
                          int64_t *place) {
    int64_t from = 0, i = 0;
    if (n * 16 < K->n) {
        for (int64_t j = 0; j < n; j++) val[j] = value_after(K, set[j], &from, &place[j]);
        return;
    }
    FOR_WIDTH(K->tok, for (int64_t j = 0; j < n; j++) {
        int64_t w = set[j];
        while (i < K->n && V(K->lo + i) < w) i++;
        val[j] = value_of(K, w, i, &place[j]);
    })
}

int64_t build_set(Cache *s, const Kept *K, const int64_t *rank, int k0, int n) {
    const Model *m = s->m;
    int64_t ns = 0;
    for (int64_t i = 0; i < s->ns; i++) s->in_s[s->set[i] >> 6] = 0; /* (the last S) */
    int32_t *set = s->set, *pos = s->pos;
    fetch_successors(m, rank, k0 + 1, n);
    for (int k = k0 + 1; k <= n; k++) {
        const Level *lv = &m->lv[k];
        const Ctx *c = &lv->ctx[rank[k - 1]];
        int64_t lo = c->succ, hi = lo + c->n_succ;
        if (k == k0 + 1) { /* S so far: these successors, at p_K */
            const double *kp = K->p;
            double *restrict val = s->val;
            FOR_WIDTH(lv->token, for (int64_t e = lo; e < hi; e++, ns++) {
                int64_t w = V(e);
                set[ns] = (int32_t)w;
                pos[w] = (int32_t)ns;
                mark(s, w);
                if (!K->tok.p) val[ns] = kp[w]; /* (K dense: its row) */
            })
            if (K->tok.p) sparse_values(K, set, ns, val, s->place);
            memcpy(s->kval, val, sizeof(double) * ns);
        } else {
            int64_t j = lo;
            while (j < hi && in_set(s, at(lv->token, j))) j++;
            if (j < hi) { /* rare: S lacks one of them */
                ns = merge(s, K, lv->token, lo, hi, rank, k0, k - 1, ns);
                set = s->set;
            }
        }
        interpolate(lv, rank[k - 1], s->val, s->val, ns, s->pos);
    }
    return s->ns = ns;
}


int64_t add_tokens(Cache *s, const Kept *K, const int32_t *tokens, int64_t count,
                   const int64_t *rank, int k0, int n) {
    Ints src = {.p = (const char *)tokens, .size = sizeof *tokens};
    return s->ns = merge(s, K, src, 0, count, rank, k0, n, s->ns);
}
