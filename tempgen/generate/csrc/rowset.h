/* A row as the draws see it (draw.c, ranked.c): its deepest kept context K (kept.h), and S,
 * the successors of the matched contexts longer than K, where p differs from G p_K (G the
 * product of those contexts' gammas). */
#ifndef TEMPGEN_ROWSET_H
#define TEMPGEN_ROWSET_H

#include "kept.h"

/* Whether token w is in S (build_set), and making it one. */
static inline int in_set(const Cache *s, int64_t w) { return (s->in_s[w >> 6] >> (w & 63)) & 1; }
static inline void mark(Cache *s, int64_t w) { s->in_s[w >> 6] |= (uint64_t)1 << (w & 63); }

/* p(w) of a token that the matched contexts of levels k0+1..n do not list, from p_K(w):
 * times each of their gammas in turn (as the recursion rounds it). */
static inline double outside(const Model *m, double p, const int64_t *rank, int k0, int n) {
    for (int k = k0 + 1; k <= n; k++) p *= m->lv[k].ctx[rank[k - 1]].gamma;
    return p;
}

/* S: the union of the successors of the matched contexts longer than K (levels k0+1..n), in
 * token order (s->set), and p of each member (s->val, in S's order): the recursion on S
 * alone; p_K of each (s->kval); and (K sparse) each member's place in K (s->place, as
 * value() gives it); a token w is in S when in_set(s, w). Returns |S|. */
int64_t build_set(Cache *s, const Kept *K, const int64_t *rank, int k0, int n);
/* S with tokens[0..count) (ascending) in it too, at their p (after build_set). Returns |S|. */
int64_t add_tokens(Cache *s, const Kept *K, const int32_t *tokens, int64_t count,
                   const int64_t *rank, int k0, int n);

#endif
