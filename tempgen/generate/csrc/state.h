/* What a sample remembers between steps (state.c), and the links that read it: the
 * repetition penalties, DRY and no-repeat-n-gram (Mirostat's mu and adaptive-p's memory
 * move on in state_push).
 */
#ifndef TEMPGEN_STATE_H
#define TEMPGEN_STATE_H

#include <stdint.h>

#include "links.h"

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
/* The penalties and DRY on candidates c (their log-weights lowered). */
void penalise(const Chain *ch, const Link *lk, Work *k, Cands *c, const State *st);
/* No-repeat-n-gram: the candidates that would repeat an n-gram of the last lk->n[0] tokens
 * weigh -inf. */
void ban_repeats(const Link *lk, Work *k, Cands *c, const State *st);

#endif
