/* A row's log-partition L(b) = ln sum_w p_w^b at the run's temperatures (b = 1/T) and its
 * first two derivatives in b, without the row (moments.c): what calibrate sums over a text
 * (analysis/calibration.py). */
#ifndef TEMPGEN_MOMENTS_H
#define TEMPGEN_MOMENTS_H

#include "kept.h"

/* For the row of the context with matched ranks rank[0..n-1]: L, L' and L'' at each of the
 * run's temperatures, `weight` times (a row that many positions of a text share), added to
 * out[3 ti..3 ti + 3). Returns -1 when out of memory. */
int row_moments(Cache *s, const int64_t *rank, int n, double weight, double *out);
/* row_moments at the run's temperature ti alone, once, into out[0..3). */
int row_moments_at(Cache *s, const int64_t *rank, int n, int ti, double *out);

#endif
