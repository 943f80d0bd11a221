/* A row's candidates (links.h, Cands): which stay, and what they weigh. */
#ifndef TEMPGEN_CANDS_H
#define TEMPGEN_CANDS_H

#include "links.h"

/* Keep the candidates whose log-weight is at least `floor` (in order), or those with
 * keep[i] set. */
void keep_above(Cands *c, double floor);
void keep_marked(Cands *c, const int32_t *keep);
/* How many tokens the candidates stand for (c->n, or the sum of c->m). */
double tokens(const Cands *c);
/* The candidates' largest log-weight; their probabilities p (exp of w - that, normalised). */
double largest(const Cands *c);
void probs(const Cands *c, double *p);
/* z = w - their largest, p = exp(z) / its sum, each weighed by its number (m)
 * (samplers/truncation.py, shifted); returns the sum. z may be p. */
double shifted(const Cands *c, double *z, double *p);

#endif
