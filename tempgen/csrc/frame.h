/* Frames: what the rows of one context share above a dense kept context.
 *
 * A row whose deepest kept context K is dense draws from the set S of the tokens its longer
 * matched contexts list (draw.c). When every level above the first of them, C, is nested
 * (lookup.c: nested), S is C's successors, whatever the longer contexts are. So what depends
 * on K and C alone is kept with C: S, p at S through C's level, and K's tempered mass in
 * each gap between members of S. A row of C then starts from there, and reads nothing of K
 * unless its draw falls in a gap.
 */
#ifndef TEMPGEN_FRAME_H
#define TEMPGEN_FRAME_H

#include "kept.h"

struct Frame {
    const Kept *K;  /* C's parent, dense */
    int64_t ns;     /* |S| */
    int top_out;    /* K's top is not in S */
    int32_t *tok;   /* S, ascending */
    double *p;      /* p at S through C's level, as the recursion rounds it */
    double *gap;    /* per temperature, per gap i = 0..ns (the tokens after S[i - 1], before
                       S[i]): K's sum of a and of a log a over it (kept.h) */
};

/* The frame of the row's matched context of level k = s->dense + 1 over K (its parent),
 * built when first needed; NULL when there is no room (or memory) for it. */
const Frame *frame_of(Sampler *s, const Kept *K, const int64_t *rank, int k);
/* Ask for what a step's rows will read first of what the run keeps (built already): their
 * deepest kept contexts' heads, and their frames. */
void fetch_kept(const Sampler *s, int64_t batch, int64_t (*rank)[MAX_ORDER], const int *n);

#endif
