/* Finding a context in the model's suffix trie: each suffix one token longer is a child of
 * the shorter one's, found by a search among that parent's children. A level's children
 * are one run of the next level's contexts, so where their own children start is asked of
 * memory while the search goes on: a level waits for one read from memory, not two. */
#include "lookup.h"

/* The position of `tok` among first[lo..hi-1] (one parent's children, ascending), or -1. */
static int64_t search(const Ints first, int64_t lo, int64_t hi, int64_t tok) {
    int64_t i = lo + lower(first, lo, hi - lo, tok);
    return i < hi && at(first, i) == tok ? i : -1;
}

int ranks(const Model *m, const int64_t *ctx, int64_t *rank) {
    int width = m->order - 1, n = 1;
    rank[0] = 0;
    for (int j = 1; j <= width; j++) {
        int64_t tok = ctx[width - j];
        int last = m->boundary >= 0 && tok == m->boundary;
        if (last) tok = m->bos; /* per-line: a newline starts a fresh sequence */
        if (tok < 0 || tok > m->bos) break;
        Ints kids = m->lv[j].kids;
        int64_t lo = at(kids, rank[j - 1]), hi = at(kids, rank[j - 1] + 1);
        if (j < width) { /* where these children's own children start, and their tokens */
            Ints next = m->lv[j + 1].kids, first = m->lv[j + 2].first;
            __builtin_prefetch(next.p + lo * next.size);
            __builtin_prefetch(next.p + (hi + 1) * next.size - 1);
            int64_t a = at(next, lo), b = at(next, hi); /* (not waited on by the search) */
            __builtin_prefetch(first.p + a * first.size);
            if (b > a) __builtin_prefetch(first.p + b * first.size - 1);
        }
        int64_t r = search(m->lv[j + 1].first, lo, hi, tok);
        if (r < 0) break;
        rank[n++] = r;
        if (last) break;
    }
    return n;
}

int key_ranks(const Model *m, int64_t key, int64_t *rank) {
    int n = 1;
    while (n < m->order && key >= m->lv[n].n_ctx) key -= m->lv[n++].n_ctx;
    rank[n - 1] = key;
    for (int j = n - 1; j >= 1; j--) /* the parent: the context whose run of children holds it */
        rank[j - 1] = lower(m->lv[j].kids, 0, m->lv[j].n_ctx + 1, rank[j] + 1) - 1;
    return n;
}

int64_t rows(const Model *m) {
    int64_t total = 0;
    for (int j = 1; j <= m->order; j++) total += m->lv[j].n_ctx;
    return total;
}
