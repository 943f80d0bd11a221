/* The sampler chain in C: links applied to a row's candidates (the tokens still allowed, in
 * token order, with their log-weights), as generate/samplers computes them for the numpy
 * path; and what a sample remembers between steps for the stateful links. Its data are in
 * links.h, the candidates' operations in cands.h.
 */
#ifndef TEMPGEN_CHAIN_H
#define TEMPGEN_CHAIN_H

#include <stdint.h>

#include "cands.h"
#include "links.h"

int work_init(Work *k, int64_t vocab);
void work_free(Work *k);

/* The chain from link `from` on the row's candidates in k->cur: they become those it may
 * draw, with their normalised log q; *t: the temperature the row was tempered at. */
void run_chain(const Chain *ch, int from, Work *k, State *st, double *t);
/* The links from `from` on (run_chain's body; XTC runs the rest of the chain on each of
 * its outcomes, handed this function: xtc.h). The links in files of their own: XTC
 * (xtc.c), the penalties, DRY and no-repeat-n-gram (state.h). */
void run_from(const Chain *ch, int from, Work *k, Cands *c, State *st, double *t);
/* The links that change a row at few tokens (logit bias, the penalties, DRY, no-repeat-
 * n-gram) on candidates c, none dropped: a token they remove weighs -inf. */
void touch(const Chain *ch, const Link *lk, Work *k, Cands *c, const State *st);

#endif
