/* Finding a context in the model's suffix trie: each suffix one token longer is a child of
 * the shorter one's, found by a search among that parent's children. */
#include "tables.h"

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
        int64_t r = search(m->lv[j + 1].first, at(kids, rank[j - 1]), at(kids, rank[j - 1] + 1),
                           tok);
        if (r < 0) break;
        rank[n++] = r;
        if (last) break;
    }
    return n;
}
