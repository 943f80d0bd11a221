/* A large vocabulary's row by its distinct values (distinct.c), for the chains whose links
 * weigh a row by its values alone: tail-free, typical-p, a temperature (dynamic or not) and
 * smoothing. */
#ifndef TEMPGEN_DISTINCT_H
#define TEMPGEN_DISTINCT_H

#include "draw.h"

/* The root's tokens in runs of equal p (the noise tree's leaves, in the root's order), and
 * room for a step's groups: the row's tokens of one value (distinct.c). */
typedef struct Runs {
    int64_t n;
    int32_t *start; /* run r: leaves [start[r], start[r + 1]) */
    int32_t *of;    /* each token's run */
    int32_t *left;  /* a step's: how many of run r's tokens neither S nor K lists */
    /* a step's groups, by value (most first): the value, the weight of each of its tokens,
     * its number of tokens, the largest id that stays (its first tokens by id stay), its run
     * (or -1) and its range of K's values */
    double *value, *w, *count;
    int32_t *upto, *run, *kv0, *kv1;
    int32_t *sgroup; /* a step's: the group of each member of S, in S's order */
    double *table;   /* a step's: by bands of p (BANDS at most), the largest weight of any
                        group up to the band's top (distinct.c, band_of) */
    int32_t *ids;    /* room: a group's tokens */
    struct Orders *orders; /* S's members by value, kept by context (distinct.c), or NULL */
} Runs;

/* A sparse kept context's members by value: its distinct p_K, most first, each with the
 * range of its members in K's ranking (ranking.h; ties there are by token); how many
 * members each run holds; and its members in leaf order with a max tree of p_K. */
typedef struct Members {
    int64_t n;
    double *p;
    int32_t *from;  /* value v: ranking ranks [from[v], from[v + 1]) */
    int32_t *vof;   /* each member's value, in K's member (token) order */
    int32_t *inrun; /* by run */
    Leaves byleaf;
} Members;

/* Whether the chain is drawn this way: a large vocabulary, and links among tail-free,
 * typical-p, temperature and smoothing (one of them more than a plain temperature). */
int distinct_fits(const Cache *s, const Chain *ch);
/* The token drawn with step key `key` under the chain, as chain_draw draws it from the
 * whole row; *t: the temperature. Returns 1 when the whole row must decide instead (the
 * noise tree's leaves are not in the root's order, two of the root's runs scale to one
 * value, or a cut falls between two candidates of one key), -1
 * when out of memory. */
int distinct_draw(Cache *s, Work *k, const Chain *ch, State *st, const int64_t *rank, int n,
                  uint64_t key, Drawn *d, double *t);

#endif
