/* The draw's noise and its search (noise.c): the Gumbel-max draw argmax_i (ln w_i + g_i) of a
 * row with weights w_i proportional to q_i, where g is the standard Gumbel of each token made
 * top down on a fixed tree over the vocabulary (generate/noise.py says how, and makes the
 * same g in numpy). g = -ln E with E a standard exponential, so the draw is the least
 * E_i / w_i: the search compares those, and takes no log for a node until it must know its E.
 *
 * It visits the tree from the root, most promising first: a node's bound is its least E (the
 * tree knows it before its leaves are made) over the most any of its tokens' w can be. So a
 * row costs the few dozen nodes whose bound beats the answer, not the vocabulary.
 */
#ifndef TEMPGEN_NOISE_H
#define TEMPGEN_NOISE_H

#include <stdint.h>

/* splitmix64's output for state x (noise.py, mix) */
static inline uint64_t mix(uint64_t x) {
    x += 0x9E3779B97F4A7C15u;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9u;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBu;
    return x ^ (x >> 31);
}

/* a uniform in (0, 1) from a hash: its top 52 bits, plus a half (noise.py, uniform) */
static inline double uniform(uint64_t h) { return ((double)(h >> 12) + 0.5) * 0x1p-52; }

/* ln x of a positive normal double, the same bits as noise.py's ln (its own series, not
 * the C library's: the noise must be the same on any machine and in both paths) */
double nlog(double x);

/* Candidates in leaf order: leaf positions pos[0..n) ascending, their weights w, and a max
 * tree over w (tree[n + i] = w[i], tree[i] the larger of tree[2i] and tree[2i + 1]). */
typedef struct {
    int64_t n;
    int32_t *pos;
    double *w, *tree;
} Leaves;

/* What the search asks of a row: its explicit candidates (`list`), and, when `leaf` is set,
 * every other token of the vocabulary too: an upper bound of their w over the leaves
 * [lo, hi) of node `id`, scale times node_w[id] when node_w is set, else bound(ctx, ...);
 * and a leaf's own w, leaf(ctx, pos). An explicit candidate's w is its list's. */
typedef struct {
    const Leaves *list;
    const double *node_w;
    double scale;
    double (*bound)(void *ctx, uint64_t id, int64_t lo, int64_t hi);
    double (*leaf)(void *ctx, int64_t pos);
    void *ctx;
    const double *exact; /* or every node's largest w by id, exactly (node_weights): then
                            nothing else is asked */
} Scores;

/* A node of the tree met by the search: its least E over its bound of w (key: less is
 * better), E, its id and leaves [lo, hi), its candidates list[clo..chi), and whether its E
 * is not yet drawn (lazy: e is its parent's, which its own exceeds by an exponential over
 * its size). */
typedef struct {
    double key, e, w;
    uint64_t id;
    int32_t lo, hi, clo, chi;
    int lazy;
} Node;

/* The list's max tree, from its w (n = l->n). */
void leaves_tree(Leaves *l);
/* The largest w of the candidates at leaves [lo, hi), or 0 when none is. */
double leaves_max(const Leaves *l, int64_t lo, int64_t hi);
/* Leaves from candidates given in any order (token ids and w, n of them): their leaves
 * marked in `bits` (room for vocab bits, zero, and left so) and read in order; by_leaf:
 * room for vocab values. l's arrays: room for n (tree: 2n). */
void leaves_of(Leaves *l, const int32_t *id, const double *w, int64_t n,
               const int32_t *token_leaf, uint64_t *bits, double *by_leaf);

/* The noise tree's nodes for a vocabulary whose leaf i holds token leaf_token[i]: each
 * token's leaf node id (token_node) and the inner nodes' ids, largest first (inner: vocab
 * - 1 of them, each after its children), so that a row's node maxima take one pass. */
void tree_layout(const int32_t *leaf_token, int64_t vocab, int32_t *token_node, int32_t *inner);
/* Every node's largest w (nw by id: room for the tree's ids) of the candidates id[0..n) with
 * weights w, 0 where none is: for candidates that are most of a small vocabulary. */
void node_weights(const int32_t *id, const double *w, int64_t n, int64_t vocab,
                  const int32_t *token_node, const int32_t *inner, double *nw);

/* The leaf position of the row's draw with step key `key` over `vocab` leaves (the least
 * E / w), and that E in *e; -1 when no candidate has w > 0. */
int64_t gumbel_min(const Scores *sc, uint64_t key, int64_t vocab, double *e);

#endif
