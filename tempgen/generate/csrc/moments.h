/* A row's log-partition L(b) = ln sum_w p_w^b at the run's temperatures (b = 1/T) and its
 * first two derivatives in b, without the row (moments.c): what calibrate sums over a text
 * (analysis/calibration.py). */
#ifndef TEMPGEN_MOMENTS_H
#define TEMPGEN_MOMENTS_H

#include "kept.h"

/* For the row of the context with matched ranks rank[0..n-1]: L, L' and L'' at each of the
 * run's temperatures added to out[3 ti..3 ti + 3), and ln p of `target` added to *logp.
 * Returns -1 when out of memory. */
int row_moments(Cache *s, const int64_t *rank, int n, int64_t target, double *out,
                double *logp);
/* row_moments at the run's temperature ti alone, into out[0..3). */
int row_moments_at(Cache *s, const int64_t *rank, int n, int64_t target, int ti, double *out,
                   double *logp);
#define MAX_TEMPS_MOMENTS 1 /* (row_moments_at: one temperature) */

#endif
