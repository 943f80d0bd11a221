/* XTC (xtc.c): the exact mixture of its two outcomes. */
#ifndef TEMPGEN_XTC_H
#define TEMPGEN_XTC_H

#include "links.h"

/* How the rest of the chain runs from a link on (chain.c hands its run_from). */
typedef void (*Rest)(const Chain *ch, int from, Work *k, Cands *c, State *st, double *t);

/* Link `at` of the chain (XTC) and the rest after it on c: c becomes the mixture of the
 * rest on c with and without XTC's exclusion; *t the mixture's temperature. */
void xtc(const Chain *ch, int at, Work *k, Cands *c, State *st, double *t, Rest rest);

#endif
