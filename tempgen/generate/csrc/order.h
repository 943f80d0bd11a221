/* Orderings of a row's values (order.c). */
#ifndef TEMPGEN_ORDER_H
#define TEMPGEN_ORDER_H

#include <stdint.h>

/* order[0..n) sorted stably by key, descending (sign -1) or ascending (+1); tmp: room. */
void sort_by(const double *key, int64_t n, int sign, int32_t *order, int32_t *tmp);
/* The k-th largest of x[0..n) (x and y, room n each, are overwritten). */
double kth_largest(double *x, double *y, int64_t n, int64_t kth);
/* The smallest of key[0..n) whose weights w at or below it sum to `mass` or more (inf:
 * none), and the sum of those below it (top-p, typical-p and a word model's first top-p);
 * key2 and w2 are room (n each), and all four are overwritten. */
double weighted_cut(double *key, double *w, double *key2, double *w2, int64_t n, double mass,
                    double *below);

#endif
