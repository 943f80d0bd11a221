/* Drawing one row's token: the model row of a context, tempered, and the inverse-CDF draw. */
#ifndef TEMPGEN_DRAW_H
#define TEMPGEN_DRAW_H

#include "tables.h"

/* A base context's row B and its running sums, built when first needed, in one block laid
 * out by token so that what a draw reads of a token is close together: the record of token
 * w (w = 0..vocab) is B(w), then per temperature the sums over the tokens before w of
 * A = (B / max B)^(1/T) and of A log A. */
typedef struct {
    double *rec;     /* (vocab + 1) records of 1 + 2 n_temps values, or NULL until built */
    double log_max;  /* log max B */
    int64_t top;     /* the first token with max B */
} Base;

typedef struct {
    const Model *m;
    int depth;            /* contexts of levels 1..depth are bases */
    int n_temps, stride;  /* stride: values per record, 1 + 2 n_temps */
    const double *temps;  /* the distinct temperatures > 0 of the rows */
    Base *bases[MAX_ORDER + 1];
    /* scratch: the set S in token order, p of its members in the same order, and where
     * each member is (pos[w], valid when stamp[w] == now); buf, vbuf: room to merge into */
    int32_t *stamp, *pos, now;
    int32_t *iota;        /* 0, 1, ..., vocab - 1: where each token is in a whole row */
    int64_t *set, *buf;
    double *val, *vbuf, *z, *w, *run, *row;
} Sampler;

typedef struct {
    int64_t token;
    double logp, logq, entropy; /* ln p, ln q, and q's entropy in bits */
} Drawn;

int sampler_init(Sampler *s, const Model *m, int depth, const double *temps, int n_temps);
void sampler_free(Sampler *s);
/* The token at uniform u of the row of the context with matched ranks rank[0..n-1], tempered
 * with temperature temps[ti] (ti < 0: T = 0). Returns -1 when out of memory. */
int draw_row(Sampler *s, const int64_t *rank, int n, int ti, double u, Drawn *d);

#endif
