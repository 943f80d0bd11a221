/* Drawing one row's token: the model row of a context, tempered, and the inverse-CDF draw. */
#ifndef TEMPGEN_DRAW_H
#define TEMPGEN_DRAW_H

#include "kept.h"

typedef struct {
    int64_t token;
    double logp, logq, entropy; /* ln p, ln q, and q's entropy in bits */
} Drawn;

/* The token at uniform u of the row of the context with matched ranks rank[0..n-1], tempered
 * with temperature temps[ti] (ti < 0: T = 0). Returns -1 when out of memory. */
int draw_row(Cache *s, const int64_t *rank, int n, int ti, double u, Drawn *d);

#endif
