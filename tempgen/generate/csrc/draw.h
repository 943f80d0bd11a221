/* Drawing one row's token: the model row of a context, tempered or through a chain, and the
 * Gumbel-max draw with the row's step key (noise.h). */
#ifndef TEMPGEN_DRAW_H
#define TEMPGEN_DRAW_H

#include "chain.h"
#include "kept.h"

typedef struct {
    int64_t token;
    double logp, logq, entropy; /* ln p, ln q, and q's entropy in bits */
    double adapt_p;             /* adaptive-p: p of the token as it received the row */
} Drawn;

/* The token drawn with step key `key` from the row of the context with matched ranks
 * rank[0..n-1], tempered with temperature temps[ti] (ti < 0: T = 0). Returns -1 when out of
 * memory. */
int draw_row(Cache *s, Work *k, const int64_t *rank, int n, int ti, uint64_t key, Drawn *d);

/* Whether the chain's row is drawn the short way too: a large vocabulary, and penalties or
 * DRY then a plain temperature (they change the row at few tokens). */
int sparse_fits(const Cache *s, const Chain *ch);
/* draw_row, with the chain's penalties and DRY first (ch and st, or NULL) at temperature
 * temps[ti]: returns 1 when the row must be drawn whole instead (chain_draw), -1 when out
 * of memory. */
int sparse_draw(Cache *s, Work *k, const Chain *ch, State *st, const int64_t *rank, int n,
                int ti, uint64_t key, Drawn *d);

/* The model row of the context with matched ranks rank[0..n-1], whole (vocab values), as
 * the interpolation recursion gives it. Returns -1 when out of memory. */
int model_row(Cache *s, const int64_t *rank, int n, double *row);

/* The token drawn with step key `key` from the row under a whole chain (chain.h), with the
 * row's state; *t: the temperature it was tempered at. Returns -1 when out of memory. */
int chain_draw(Cache *s, Work *k, const Chain *ch, State *st, const int64_t *rank, int n,
               uint64_t key, Drawn *d, double *t);

#endif
