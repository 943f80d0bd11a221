/* The sampler chain in C: links applied to a row's candidates (the tokens still allowed, in
 * token order, with their log-weights), as generate/samplers computes them for the numpy
 * path; and what a sample remembers between steps for the stateful links.
 */
#ifndef TEMPGEN_CHAIN_H
#define TEMPGEN_CHAIN_H

#include <stdint.h>

#include "noise.h"

/* The links' kinds, in the order of generate/samplers/registry.py (a link's kind is its
 * place there); LINK_NAMES names them, and the module reports them (kinds()) so a test can
 * tie the two. */
enum { L_PENALTIES, L_DRY, L_TOP_N_SIGMA, L_TOP_K, L_TYPICAL_P, L_TOP_P, L_MIN_P, L_TOP_A,
       L_EPSILON_CUTOFF, L_ETA_CUTOFF, L_XTC, L_TEMPERATURE, L_MIROSTAT, L_KINDS };
#define LINK_NAMES { "penalties", "dry", "top_n_sigma", "top_k", "typical_p", "top_p", \
                     "min_p", "top_a", "epsilon_cutoff", "eta_cutoff", "xtc", "temperature", \
                     "mirostat" }
#define MAX_LINKS 16
/* A cut's margin (samplers/truncation.py, MARGIN): values this close to its edge are on it. */
#define MARGIN 1e-10
/* XTC's kept share of the tempered row below which it is not divided by (samplers/chain.py,
 * SHARE_FLOOR) */
#define XTC_SHARE_FLOOR 1e-200

/* One link's settings (generate/compiled.py writes them):
 *   PENALTIES  x: repeat, frequency, presence     n: window
 *   DRY        x: multiplier, base                n: allowed length, window
 *   TOP_N_SIGMA, TOP_K, TYPICAL_P, TOP_P, MIN_P, TOP_A, EPSILON_CUTOFF, ETA_CUTOFF  x[0]
 *   XTC        x: probability, threshold
 *   TEMPERATURE x: T, range, exponent (range 0: a plain temperature)
 *   MIROSTAT   x: tau, eta */
typedef struct {
    int kind;
    double x[3];
    int64_t n[2];
} Link;

typedef struct {
    int n;
    Link link[MAX_LINKS];
    int64_t window;     /* tokens of the past the chain reads (0: stateless) */
    int n_breakers;     /* DRY's sequence breakers: breaker i is tokens brk[start[i]..start[i+1]) */
    const int64_t *brk_start, *brk;
    int dry;            /* whether it has DRY */
    int miro;           /* the Mirostat link's index + 1, or 0 */
    int pen;            /* the penalties' link index + 1, or 0 */
} Chain;

/* A row's candidates: n tokens in ascending order and their log-weights. */
typedef struct {
    int64_t n;
    int32_t *id;
    double *w;
} Cands;

/* What a sample remembers while a call decodes it: its last tokens (hist[0..len), room for
 * 2 window + 2), Mirostat's mu, for the penalties how often each token is among the last
 * repeat_last_n (count, by token; vocab: those outside the vocabulary), and for DRY: where
 * each token was before (prev[i], and last[token]: its newest place, or -1), the places of
 * the newest token (alive[0..n_alive), newest first) with how far the text ending there
 * agrees with the text's end (match[i]), and the newest sequence breaker's head with its
 * longest match. */
typedef struct {
    int64_t *hist;
    int32_t *match, *prev, *last, *alive, *count;
    int64_t len, n_alive, head, longest;
    double mu;
} State;

/* Scratch rows of one step (room for the vocabulary each), and the log-probability rows of
 * contexts met again (draw.c, log_row), by the deepest matched context (slot = hash of
 * level, rank). */
#define ROW_HELD ((int64_t)1 << 62) /* keys: the slot holds the row, not only the key */
typedef struct {
    int64_t vocab;
    int64_t slots;      /* a power of two, or 0: no rows kept (a large vocabulary) */
    int64_t *keys;      /* (slots,): level * 2^40 + rank (+ ROW_HELD), or -1 */
    double *rows;       /* (slots, vocab) */
    Cands cur, a, b;
    int32_t *order, *order2, *flag; /* flag: scratch; tally: zero between uses */
    int32_t *tally;
    double *p, *tmp, *sel; /* sel: room for a selection's four rows (order.c) */
    int64_t *touched;
    struct Ranking *root; /* ranked.h: the root row's tokens by p, or NULL until needed */
    double *lp;         /* a step's log p of its candidates, by token (ranked.c) */
    uint64_t *bits;     /* (vocab bits): zero between uses (ranked.c, noise.c) */
    Leaves leaves;      /* a row's candidates in leaf order (room for the vocabulary) */
    double *by_leaf;    /* (vocab) */
} Work;

int work_init(Work *k, int64_t vocab);
void work_free(Work *k);

/* The chain from link `from` on the row's candidates in k->cur: they become those it may
 * draw, with their normalised log q; *t: the temperature the row was tempered at. */
void run_chain(const Chain *ch, int from, Work *k, State *st, double *t);
/* Keep the candidates whose log-weight is at least `floor` (in order), or those with
 * keep[i] set. */
void keep_above(Cands *c, double floor);
void keep_marked(Cands *c, const int32_t *keep);
/* The candidates' largest log-weight; their probabilities p (exp of w - that, normalised). */
double largest(const Cands *c);
void probs(const Cands *c, double *p);
/* The links from `from` on (run_chain's body; XTC runs the rest of the chain on each of
 * its outcomes). The links in files of their own: XTC (xtc.c), the penalties and DRY
 * (state.c). */
void run_from(const Chain *ch, int from, Work *k, Cands *c, State *st, double *t);
void xtc(const Chain *ch, int at, Work *k, Cands *c, State *st, double *t);
void penalise(const Chain *ch, const Link *lk, Work *k, Cands *c, const State *st);
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
int state_init(State *st, const Chain *ch, const int64_t *hist, int64_t len, double mu,
               int64_t vocab);
void state_free(State *st);
/* The tokens the chain's penalties and DRY may change at this step, ascending, each once,
 * into out (room for the vocabulary); returns how many. */
int64_t penalised_tokens(const Chain *ch, Work *k, const State *st, int32_t *out);
/* The state after `token` was drawn with ln q = logq. */
void state_push(State *st, const Chain *ch, int64_t token, double logq, int64_t vocab);

#endif
