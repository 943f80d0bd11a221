/* The compiled loop's log and exp (vmath.c). */
#ifndef TEMPGEN_VMATH_H
#define TEMPGEN_VMATH_H

#include <stdint.h>

/* z = log x, and log x: every log of the compiled loop, from one function. */
void logs(const double *x, double *z, int64_t n);
double log_of(double x);
/* w = exp z, several at a time. */
void exps(const double *z, double *w, int64_t n);
/* z = (lz - mx) / t (t = inf: 0 where possible) and w = exp(z); z may be lz. */
void temper(const double *lz, double *z, double *w, int64_t n, double t, double mx);

#endif
