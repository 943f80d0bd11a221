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
 * (xtc.c), the penalties and DRY (state.c). */
void run_from(const Chain *ch, int from, Work *k, Cands *c, State *st, double *t);
void penalise(const Chain *ch, const Link *lk, Work *k, Cands *c, const State *st);
/* No-repeat-n-gram (state.c): the candidates that would repeat an n-gram of the last
 * lk->n[0] tokens weigh -inf. */
void ban_repeats(const Link *lk, Work *k, Cands *c, const State *st);
/* The links that change a row at few tokens (logit bias, the penalties, DRY, no-repeat-
 * n-gram) on candidates c, none dropped: a token they remove weighs -inf. */
void touch(const Chain *ch, const Link *lk, Work *k, Cands *c, const State *st);
/* order.c: order[0..n) sorted stably by key, descending (sign -1) or ascending (+1); tmp:
 * room. And the k-th largest of x[0..n) (x and y, room n each, are overwritten). */
void sort_by(const double *key, int64_t n, int sign, int32_t *order, int32_t *tmp);
double kth_largest(double *x, double *y, int64_t n, int64_t kth);
/* The smallest of key[0..n) whose weights w at or below it sum to `mass` or more (inf:
 * none), and the sum of those below it (top-p, typical-p and a word model's first top-p); key2 and w2 are room (n each), and all four are
 * overwritten. */
double weighted_cut(double *key, double *w, double *key2, double *w2, int64_t n, double mass,
                    double *below);

/* The state of a row whose last tokens are hist[0..len) (room: 2 window + 1); 0, or -1
 * when out of memory. */
int state_init(State *st, const Chain *ch, const int64_t *hist, int64_t len,
               const double *memory, int64_t vocab);
void state_free(State *st);
/* The tokens the chain's penalties and DRY may change at this step, ascending, each once,
 * into out (room for the vocabulary); returns how many. */
int64_t penalised_tokens(const Chain *ch, Work *k, const State *st, int32_t *out);
/* The state after `token` was drawn with ln q = logq (and p = adapt_p as adaptive-p
 * received the row). */
void state_push(State *st, const Chain *ch, int64_t token, double logq, double adapt_p,
                int64_t vocab);

#endif
