/* A row's candidates (cands.h): their largest weight, their probabilities, and keeping some
 * of them without a branch on which. */
#include <math.h>
#include <string.h>

#include "cands.h"
#include "vmath.h"

double largest(const Cands *c) {
    double m = -INFINITY;
    for (int64_t i = 0; i < c->n; i++)
        if (c->w[i] > m) m = c->w[i];
    return m;
}

/* Probabilities of the candidates: z = w - max, p = exp(z) / their sum (samplers/
 * truncation.py, shifted); returns the sum. z may be p. */
double shifted(const Cands *c, double *z, double *p) {
    double mx = largest(c), total = 0.0;
    for (int64_t i = 0; i < c->n; i++) z[i] = c->w[i] - mx;
    exps(z, p, c->n);
    if (c->m)
        for (int64_t i = 0; i < c->n; i++) total += c->m[i] * p[i];
    else
        for (int64_t i = 0; i < c->n; i++) total += p[i];
    for (int64_t i = 0; i < c->n; i++) p[i] /= total;
    return total;
}

void probs(const Cands *c, double *p) {
    shifted(c, p, p);
}

/* (Each candidate is written where the kept ones end, and the end moves on if it stays:
 * no branch on which stay, which no predictor guesses.) */
void keep_marked(Cands *c, const int32_t *keep) {
    int64_t o = 0;
    if (c->m)
        for (int64_t i = 0; i < c->n; i++) {
            c->id[o] = c->id[i];
            c->w[o] = c->w[i];
            c->m[o] = c->m[i];
            o += keep[i] != 0;
        }
    else
        for (int64_t i = 0; i < c->n; i++) {
            c->id[o] = c->id[i];
            c->w[o] = c->w[i];
            o += keep[i] != 0;
        }
    c->n = o;
}

void keep_above(Cands *c, double floor) {
    int64_t o = 0;
    if (c->m)
        for (int64_t i = 0; i < c->n; i++) {
            c->id[o] = c->id[i];
            c->w[o] = c->w[i];
            c->m[o] = c->m[i];
            o += c->w[i] >= floor;
        }
    else
        for (int64_t i = 0; i < c->n; i++) {
            c->id[o] = c->id[i];
            c->w[o] = c->w[i];
            o += c->w[i] >= floor;
        }
    c->n = o;
}

double tokens(const Cands *c) {
    if (!c->m) return (double)c->n;
    double n = 0.0;
    for (int64_t i = 0; i < c->n; i++) n += c->m[i];
    return n;
}
