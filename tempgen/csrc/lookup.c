/* Finding a batch's contexts in the model's suffix trie, and fetching what their rows read.
 *
 * The tables of the longest contexts are tens of MB: nearly every lookup there misses the
 * cache. A row's lookups depend on one another (each level's search starts from the rank
 * found at the level below), but different rows' lookups do not. So the work goes level by
 * level over the whole batch, in passes that first ask for the memory every row will read,
 * then read it.
 */
#include <stdlib.h>

#include "tables.h"

/* The position of `tok` among first[lo..hi-1] (one parent's children, ascending), or -1. */
static int64_t search(const Ints first, int64_t lo, int64_t hi, int64_t tok) {
    int64_t i = lo + lower(first, lo, hi - lo, tok);
    return i < hi && at(first, i) == tok ? i : -1;
}

/* Ranks of the matched suffixes of each context (batch, order-1), newest token last:
 * rank[b][0] = 0 (the empty context), rank[b][j] that of the suffix of length j; n[b] how
 * many (at least 1). pr: (batch,) scratch. */
void ranks(const Model *m, const int64_t *ctx, int64_t batch, int64_t (*rank)[MAX_ORDER],
           int *n, Probe *pr) {
    int width = m->order - 1;
    for (int64_t b = 0; b < batch; b++) {
        rank[b][0] = 0;
        n[b] = 1;
        pr[b].last = 0;
    }
    for (int j = 1; j <= width; j++) {
        const Level *parent = &m->lv[j], *lv = &m->lv[j + 1];
        for (int64_t b = 0; b < batch; b++) { /* the token, and the parent's record */
            pr[b].tok = -1;
            if (n[b] != j || pr[b].last) continue; /* stopped at a shorter suffix */
            int64_t tok = ctx[b * width + width - j];
            if (m->boundary >= 0 && tok == m->boundary) {
                tok = m->bos; /* per-line: a newline starts a fresh sequence */
                pr[b].last = 1;
            }
            if (tok < 0 || tok > m->bos) continue;
            pr[b].tok = tok;
            if (lv->direct) { /* one read instead of the children's search */
                pr[b].lo = rank[b][j - 1] * (m->bos + 1) + tok;
                __builtin_prefetch(&lv->direct[pr[b].lo]);
            } else {
                __builtin_prefetch(&parent->ctx[rank[b][j - 1]]);
            }
        }
        if (lv->direct) {
            for (int64_t b = 0; b < batch; b++) {
                if (pr[b].tok < 0) continue;
                int64_t r = lv->direct[pr[b].lo];
                if (r >= 0) rank[b][n[b]++] = r;
            }
            continue;
        }
        for (int64_t b = 0; b < batch; b++) { /* the parent's children, and the first of them */
            if (pr[b].tok < 0) continue;
            const Ctx *c = &parent->ctx[rank[b][j - 1]];
            pr[b].lo = c->child;
            pr[b].hi = (int64_t)c->child + c->n_child;
            fetch(lv->first, pr[b].lo);
        }
        for (int64_t b = 0; b < batch; b++) {
            if (pr[b].tok < 0) continue;
            int64_t r = search(lv->first, pr[b].lo, pr[b].hi, pr[b].tok);
            if (r >= 0) rank[b][n[b]++] = r;
        }
    }
}

/* Fetch what a step reads of the matched contexts longer than `depth` (the shorter ones are
 * kept, kept.h): their records, then (once those are in) their successors. */
void fetch_rows(const Model *m, int64_t batch, int64_t (*rank)[MAX_ORDER], const int *n,
                int depth) {
    for (int64_t b = 0; b < batch; b++)
        for (int k = depth + 1; k <= n[b]; k++)
            __builtin_prefetch(&m->lv[k].ctx[rank[b][k - 1]]);
    for (int64_t b = 0; b < batch; b++)
        for (int k = depth + 1; k <= n[b]; k++) {
            const Level *lv = &m->lv[k];
            int64_t lo = lv->ctx[rank[b][k - 1]].succ;
            fetch(lv->token, lo);
            if (lv->u) __builtin_prefetch(lv->u + lo);
            else fetch(lv->adj, lo);
        }
}

/* Whether every context of level k >= 2 lists only tokens its parent (its suffix one token
 * shorter) lists: true of a model counted from text, where an n-gram's suffix is counted
 * too, and then a row's set S (draw.c) is its first level's successors. One pass over the
 * level: each parent marks its successors, then its children's must all be marked.
 * Returns -1 when out of memory. */
int nested(const Model *m, int k) {
    const Level *pl = &m->lv[k - 1], *lv = &m->lv[k];
    int64_t size = (int64_t)m->vocab + 2, *mark = malloc(sizeof(int64_t) * size);
    if (!mark) return -1;
    for (int64_t w = 0; w < size; w++) mark[w] = -1;
    int ok = 1;
    for (int64_t r = 0; r < pl->n_ctx && ok; r++) {
        const Ctx *p = &pl->ctx[r];
        if (!p->n_child) continue;
        int64_t lo = p->succ, hi = lo + p->n_succ;
        FOR_WIDTH(pl->token, for (int64_t e = lo; e < hi; e++) {
            if (V(e) >= 0 && V(e) < size) mark[V(e)] = r;
        })
        for (int64_t c = p->child; c < (int64_t)p->child + p->n_child && ok; c++) {
            const Ctx *x = &lv->ctx[c];
            lo = x->succ;
            hi = lo + x->n_succ;
            FOR_WIDTH(lv->token, for (int64_t e = lo; e < hi; e++) {
                if (V(e) < 0 || V(e) >= size || mark[V(e)] != r) ok = 0;
            })
        }
    }
    free(mark);
    return ok;
}
