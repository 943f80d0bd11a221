/* The chain's data: the links' kinds and settings, a chain, a row's candidates, what a
 * sample remembers, and the scratch of a step. Types and constants only: chain.c runs the
 * chain on them, cands.c keeps and weighs candidates, xtc.c mixes XTC's outcomes, state.c
 * moves a sample's memory on.
 */
#ifndef TEMPGEN_LINKS_H
#define TEMPGEN_LINKS_H

#include <stdint.h>

#include "noise.h"

/* The links' kinds, in the order of generate/samplers/registry.py (a link's kind is its
 * place there); LINK_NAMES names them, and the module reports them (kinds()) so a test can
 * tie the two. */
enum { L_LOGIT_BIAS, L_PENALTIES, L_DRY, L_NO_REPEAT_NGRAM, L_TOP_N_SIGMA, L_TOP_K, L_TFS, L_TYPICAL_P, L_TOP_P, L_MIN_P,
       L_TOP_A, L_EPSILON_CUTOFF, L_ETA_CUTOFF, L_P_LESS, L_TOP_H, L_XTC, L_TEMPERATURE,
       L_SMOOTHING, L_MIROSTAT, L_ADAPTIVE_P, L_KINDS };
#define LINK_NAMES { "logit_bias", "penalties", "dry", "no_repeat_ngram", "top_n_sigma", "top_k", "tfs", "typical_p", "top_p", \
                     "min_p", "top_a", "epsilon_cutoff", "eta_cutoff", "p_less", "top_h", \
                     "xtc", "temperature", "smoothing", "mirostat", "adaptive_p" }
#define MAX_LINKS 24
/* Top-H weighs the row's this many likeliest tokens (samplers/truncation.py, TOP_H_TOKENS) */
#define TOP_H_TOKENS 100
/* A cut's margin (samplers/truncation.py, MARGIN): values this close to its edge are on it. */
#define MARGIN 1e-10
/* XTC's kept share of the tempered row below which it is not divided by (samplers/chain.py,
 * SHARE_FLOOR) */
#define XTC_SHARE_FLOOR 1e-200

/* One link's settings (generate/compiled.py writes them):
 *   LOGIT_BIAS the chain's bias_id and bias_w
 *   PENALTIES  x: repeat, frequency, presence     n: window
 *   DRY        x: multiplier, base                n: allowed length, window
 *   NO_REPEAT_NGRAM x[0]: n                      n[0]: window
 *   TOP_N_SIGMA, TOP_K, TFS, TYPICAL_P, TOP_P, MIN_P, TOP_A, EPSILON_CUTOFF,
 *   ETA_CUTOFF, P_LESS, TOP_H   x[0]
 *   XTC        x: probability, threshold
 *   TEMPERATURE x: T, range, exponent (range 0: a plain temperature)
 *   SMOOTHING  x: factor, curve
 *   MIROSTAT   x: tau, eta
 *   ADAPTIVE_P x: target, decay */
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
    int64_t n_bias;     /* logit bias: bias_w[i] added to token bias_id[i], in order */
    const int64_t *bias_id;
    const double *bias_w;
    int dry;            /* whether it has DRY */
    int miro;           /* the Mirostat link's index + 1, or 0 */
    int pen;            /* the penalties' link index + 1, or 0 */
    int adapt;          /* adaptive-p's link index + 1, or 0 */
    int norep;          /* no-repeat-n-gram's link index + 1, or 0 */
} Chain;

/* A row's candidates: n tokens in ascending order and their log-weights. With m set, each
 * candidate stands for m[i] tokens of one value (distinct.h: a large vocabulary's row by its
 * values; id < 0 names a run of the root's tokens), and the links that take them weigh
 * each by its number. */
typedef struct {
    int64_t n;
    int32_t *id;
    double *w;
    double *m; /* NULL: one token each */
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
    int32_t *nr_prev, *nr_last; /* no-repeat-n-gram: the place before each place with its
                                   (n - 1)-gram's hash (-1: none), and each hash's newest
                                   place (state.c, nr_link) */
    int64_t len, n_alive, head, longest;
    double mu;
    double adapt_sum, adapt_weight; /* adaptive-p's memory (samplers/adaptive.py) */
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
    int32_t *orders;    /* (slots, vocab): each kept row's tokens by p (tail-free's and Top-H's
                           sort), once sorted; ordered[slot] says so */
    uint8_t *ordered;
    int64_t row_slot;   /* the step's row's slot when the slots keep it, else -1; and while
                           the chain's first link may read its kept order, that order */
    int32_t *row_order;
    Cands cur, a, b;
    int32_t *order, *order2, *flag; /* flag: scratch; tally: zero between uses */
    int32_t *tally;
    double *p, *tmp, *sel; /* sel: room for a selection's four rows (order.c) */
    double *mult;       /* room for Cands.m (distinct.c) */
    int q_ready;        /* k->p holds q of the candidates (their e^w, a token's), as the
                           last link, a temperature, made it (chain.c, temper_at) */
    int bail;           /* set by a link that cannot weigh candidates of several tokens as
                           the whole row would (a tie between two of them at its cut) */
    struct Runs *runs;  /* distinct.h: the root's runs of equal p, or NULL until needed */
    int64_t *touched;
    struct Ranking *root; /* ranking.h: the root row's tokens by p, or NULL until needed */
    double *lp;         /* a step's log p of its candidates, by token (ranked.c) */
    double *adapt_p;    /* adaptive-p: the row's probabilities as it came, by token */
    uint64_t *bits;     /* (vocab bits): zero between uses (ranked.c, noise.c) */
    Leaves leaves;      /* a row's candidates in leaf order (room for the vocabulary) */
    double *by_leaf;    /* (vocab) */
} Work;

#endif
