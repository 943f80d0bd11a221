/* A row's first truncation (top-k, top-p, min-p, top-a or epsilon-cutoff) without the
 * whole row, for a large vocabulary: the tokens at or above the value where the link cuts.
 *
 * A row is G p_K off the set S (rowset.h), and K is the root (every token, by p) or a
 * context of level 2 over it, whose non-members have gamma_K times the root's p. So the
 * row from the top down is three lists: S (a step's; small), K's members by p_K and the
 * root's tokens by p (ranking.h: each sorted once), the last two without the tokens S (and
 * K) hold. The tokens with p >= t are a prefix of each, read in one pass; a cut reads them
 * in bands, from the top down, until the tokens read hold the value where the link cuts
 * (the bands before the last did not), finds that value in the last band by selection
 * (order.c), and keeps those at or above it. Scaling by G keeps the lists' order, and the
 * values are the recursion's own, so the kept tokens are those the whole row gives, as
 * chain.c cuts it (in order of p, ties by token).
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "draw.h"
#include "moments.h"
#include "order.h"
#include "ranked.h"
#include "ranking.h"
#include "rowset.h"
#include "vmath.h"

/* The root's tokens the first band reads; each next reads down half as far again (steps
 * twice as deep would read more tokens past the cut in the last band). */
#define FIRST_BAND 64

typedef struct {
    const Cache *s;
    double g[MAX_ORDER];  /* the gammas of levels k0+1..n, whose product p_K takes off S */
    int ng;
    const Ranking *K, *root; /* K's members (NULL when K is the root), the root's tokens */
    double gamma;         /* the root's p times gamma_K (sparse K), then the gammas */
    /* how far the bands have read: every token with p >= t, K's and the root's lists to
     * jb and ic, K's places in the root's list to jk; their mass, and where in c the last
     * band began, with the mass before it */
    double t, mass, mass_before;
    int64_t last;
    int64_t jb, ic, jk;
    int64_t ns;           /* |S| */
} Row;

/* outside() of rowset.h, from the gammas read once. */
static inline double scaled(const Row *r, double p) {
    for (int i = 0; i < r->ng; i++) p *= r->g[i];
    return p;
}

static inline double b_value(const Row *r, int64_t j) {
    return scaled(r, r->K->p[j]);
}

static inline double c_value(const Row *r, int64_t i) {
    return scaled(r, r->root->p[i] * r->gamma);
}

/* How many of a list's n values (by value(r, i), not increasing) are >= v. */
static int64_t at_least(const Row *r, double (*value)(const Row *, int64_t), int64_t n,
                        double v) {
    int64_t a = 0, b = n;
    while (a < b) {
        int64_t mid = a + (b - a) / 2;
        if (value(r, mid) >= v) a = mid + 1;
        else b = mid;
    }
    return a;
}

/* token and p into c when `keep` (written either way: no branch to mispredict) */
static inline void add(Cands *c, int keep, int32_t token, double p) {
    c->id[c->n] = token;
    c->w[c->n] = p;
    c->n += keep;
}

/* The sum of x[0..n), four ways at once (one running sum would wait on each add). */
static double sum(const double *x, int64_t n) {
    double m[4] = {0.0, 0.0, 0.0, 0.0};
    int64_t i = 0;
    for (; i + 4 <= n; i += 4)
        for (int j = 0; j < 4; j++) m[j] += x[i + j];
    for (; i < n; i++) m[0] += x[i];
    return (m[0] + m[1]) + (m[2] + m[3]);
}

/* Into c, the row's tokens with t <= p < r->t (S's, then K's, then the root's). */
static void band(Row *r, double t, Cands *c) {
    const Cache *s = r->s;
    int64_t from = c->n;
    for (int64_t i = 0; i < r->ns; i++)
        add(c, (s->val[i] >= t) & (s->val[i] < r->t), s->set[i], s->val[i]);
    if (r->K) {
        int64_t m = at_least(r, b_value, r->K->n, t);
        for (; r->jb < m; r->jb++)
            add(c, !in_set(s, r->K->token[r->jb]), r->K->token[r->jb], b_value(r, r->jb));
    }
    const int32_t *places = r->K ? r->K->place : NULL;
    int64_t m = at_least(r, c_value, r->root->n, t), nk = r->K ? r->K->n : 0;
    for (int64_t i = r->ic, j = r->jk; i < m; r->ic = i, r->jk = j) { /* between K's */
        int64_t end = j < nk && places[j] < m ? places[j] : m;
        for (; i < end; i++)
            add(c, !in_set(s, r->root->token[i]), r->root->token[i], c_value(r, i));
        if (end < m) i++, j++;
    }
    r->ic = m;
    r->t = t;
    r->last = from;
    r->mass_before = r->mass;
    r->mass += sum(c->w + from, c->n - from);
}

/* Bands into c until the link's goal: the tokens read hold `mass` (top-p) or number
 * `count` (top-k, min-p), so that the value it cuts at is among them. */
static void read_until(Row *r, double mass, int64_t count, Cands *c) {
    c->n = 0;
    for (int64_t upto = FIRST_BAND; r->t > DBL_TRUE_MIN; upto += upto / 2) {
        double t = upto < r->root->n ? c_value(r, upto - 1) : 0.0;
        band(r, t > DBL_TRUE_MIN ? t : DBL_TRUE_MIN, c);
        if (r->mass >= mass && c->n >= count) return;
    }
}

/* The row's lists and S. */
static int row_lists(Row *r, Cache *s, Work *k, Kept *K, const int64_t *rank, int k0, int n) {
    const Kept *R = K->tok.p ? K->parent : K;
    r->s = s;
    r->t = INFINITY;
    r->gamma = K->tok.p ? K->gamma : 1.0;
    if (!(r->root = root_ranking(s, k, R))) return -1;
    if (K->tok.p && !(r->K = member_ranking(s, k, K, r->root))) return -1;
    for (int j = k0 + 1; j <= n; j++) r->g[r->ng++] = s->m->lv[j].ctx[rank[j - 1]].gamma;
    r->ns = build_set(s, K, rank, k0, n);
    return 0;
}

/* Eta-cutoff's and p-less's bound on p, from the row's log-partition at b = 1 (its entropy,
 * L - L') or at b = 2 (ln sum p^2), without the row (moments.h); -1 when out of memory. */
static double bound_of(Cache *s, const Link *lk, const int64_t *rank, int n) {
    int ti = temp_index(s, lk->kind == L_ETA_CUTOFF ? 1.0 : 0.5);
    double out[3] = {0.0, 0.0, 0.0};
    if (row_moments_at(s, rank, n, ti, out) < 0) return -1.0;
    if (lk->kind == L_P_LESS) return exp(out[0]);
    double eps = lk->x[0], h = out[0] - out[1];
    return fmin(eps, sqrt(eps) * exp(-h));
}

/* The spread of the row's log-probabilities over the vocabulary (top-n-sigma's sigma), from
 * K's sums: S's members' own, G p_K at the other tokens; NaN when some p is 0. */
static double log_spread(Cache *s, const int64_t *rank, int n, int *failed) {
    int k0;
    const Kept *K = kept_of(s, rank, n, &k0);
    *failed = !K;
    if (!K) return NAN;
    int64_t ns = build_set(s, K, rank, k0, n), v = s->m->vocab;
    double lg = log_of(outside(s->m, 1.0, rank, k0, n)), s1 = 0.0, s2 = 0.0, k1 = 0.0,
           k2 = 0.0, *lz = s->z;
    logs(s->val, lz, ns);
    for (int64_t i = 0; i < ns; i++) s1 += lz[i], s2 += lz[i] * lz[i];
    logs(s->kval, lz, ns);
    for (int64_t i = 0; i < ns; i++) k1 += lz[i], k2 += lz[i] * lz[i];
    double rest = (double)(v - ns), r1 = K->sl - k1, r2 = K->sll - k2;
    if (rest > 0) {
        s1 += rest * lg + r1;
        s2 += rest * lg * lg + 2.0 * lg * r1 + r2;
    }
    double mean = s1 / (double)v, var = s2 / (double)v - mean * mean;
    return sqrt(var > 0.0 ? var : 0.0);
}

int ranked_fits(const Cache *s, const Chain *ch) {
    if (s->dense != 1 || ch->n < 1) return 0;
    const Link *lk = &ch->link[0];
    return lk->kind == L_TOP_P || lk->kind == L_MIN_P || lk->kind == L_TOP_A ||
           lk->kind == L_EPSILON_CUTOFF || (lk->kind == L_TOP_K && lk->x[0] < s->m->vocab) ||
           (lk->kind == L_TOP_H && TOP_H_TOKENS < s->m->vocab) ||
           (lk->kind == L_ETA_CUTOFF && lk->x[0] > 0 && temp_index(s, 1.0) >= 0) ||
           (lk->kind == L_P_LESS && lk->x[0] > 0 && temp_index(s, 0.5) >= 0) ||
           (lk->kind == L_TOP_N_SIGMA && lk->x[0] > 0);
}

/* Of the tokens in c (their p in c->w), into c in token order: those with p >= floor, but
 * of those at p = v only as many as keep the mass before each (from `above`, the mass of
 * those above v) below `reach`; by a bitmap of the vocabulary read in order. */
static void keep_by_token(Work *k, Cands *c, double floor, double v, double above,
                          double reach) {
    uint64_t *bits = k->bits;
    double *lp = k->lp, cum = above;
    int64_t left = 0, o = 0;
    for (int64_t i = 0; i < c->n; i++) {
        int32_t t = c->id[i];
        int in = c->w[i] >= floor;
        lp[t] = c->w[i];
        bits[t >> 6] |= (uint64_t)in << (t & 63);
        left += in;
    }
    for (int64_t word = 0; left > 0; word++) { /* (read, and left zero) */
        uint64_t b = bits[word];
        bits[word] = 0;
        for (; b; b &= b - 1, left--) {
            int32_t t = (int32_t)(word * 64 + __builtin_ctzll(b));
            double p = lp[t];
            int take = 1;
            if (p == v) { /* (few: no running sum to wait on for the others) */
                take = cum < reach;
                cum += take ? p : 0.0;
            }
            c->id[o] = t;
            c->w[o] = p;
            o += take;
        }
    }
    c->n = o;
}

int ranked_cut(Cache *s, Work *k, const Link *lk, const int64_t *rank, int n) {
    Link as_eps;
    double sigma_floor = NAN; /* top-n-sigma: its floor on ln p below the row's largest */
    if (lk->kind == L_TOP_N_SIGMA) {
        int failed;
        double sd = log_spread(s, rank, n, &failed);
        if (failed) return -1;
        if (isnan(sd)) return 1; /* (a p of 0: the whole row decides) */
        sigma_floor = lk->x[0] * sd;
        as_eps = (Link){.kind = L_MIN_P, .x = {exp(-sigma_floor), 0.0, 0.0}};
        lk = &as_eps;
    } else if (lk->kind == L_ETA_CUTOFF || lk->kind == L_P_LESS) { /* an epsilon-cutoff, its bound
                                                             * from the row's moments */
        double bound = bound_of(s, lk, rank, n);
        if (bound < 0) return -1;
        as_eps = (Link){.kind = L_EPSILON_CUTOFF, .x = {bound, 0.0, 0.0}};
        lk = &as_eps;
    }
    int k0;
    Kept *K = kept_of(s, rank, n < 2 ? n : 2, &k0);
    Row r = {.ng = 0};
    if (!K || row_lists(&r, s, k, K, rank, k0, n) < 0) return -1;
    /* The cut, as top_k, top_p, min_p, top_a and cutoff in chain.c cut the whole row: on p (top-p: the
     * row's own probabilities, which sum to 1), top-k's ties and min-p's floor a little
     * generously at first (two p a last bit apart may share a log), then on the logs. */
    Cands *c = &k->cur;
    double x = lk->x[0], reach = x * (1 - MARGIN), slack = 1.0 - 1e-9, v = 0.0, floor_p;
    if (lk->kind == L_TOP_P) {
        read_until(&r, reach, 0, c); /* (the bands before the last hold less than reach) */
        int64_t m = c->n - r.last; /* (by key -p: the most likely first) */
        double *key = k->sel, *w = key + m, above;
        for (int64_t i = 0; i < m; i++) key[i] = -(w[i] = c->w[r.last + i]);
        v = -weighted_cut(key, w, w + m, w + 2 * m, m, reach - r.mass_before, &above);
        v = isinf(v) ? 0.0 : v; /* (none: every token) */
        keep_by_token(k, c, v, v, r.mass_before + above, reach);
        logs(c->w, c->w, c->n);
    } else {
        if (lk->kind == L_TOP_K || lk->kind == L_TOP_H) { /* the k-th largest p (Top-H:
            * its TOP_H_TOKENS, which the link then weighs: chain_draw runs it after) */
            int64_t kk = lk->kind == L_TOP_K ? (int64_t)x : TOP_H_TOKENS;
            read_until(&r, 0.0, kk, c);
            memcpy(k->tmp, c->w + r.last, sizeof(double) * (c->n - r.last));
            if (c->n >= kk) /* (else every token is kept) */
                v = kth_largest(k->tmp, k->p, c->n - r.last, kk - r.last);
            floor_p = v * slack;
        } else { /* min-p, top-a, epsilon-cutoff: from the row's largest p (the row's own
                  * probabilities sum to 1: top-a's a p_max^2 and epsilon's floor are p's) */
            read_until(&r, 0.0, 1, c);
            for (int64_t i = 0; i < c->n; i++) v = c->w[i] > v ? c->w[i] : v;
            floor_p = (lk->kind == L_MIN_P ? v * x : lk->kind == L_TOP_A ? v * v * x
                       : fmin(x, v)) * slack;
        }
        if (floor_p < r.t && floor_p > 0) band(&r, floor_p, c);
        keep_by_token(k, c, floor_p, -1.0, 0.0, 0.0);
        logs(c->w, c->w, c->n);
        if (v > 0)
            keep_above(c, (lk->kind == L_TOP_K || lk->kind == L_TOP_H ? log_of(v)
                           : lk->kind == L_MIN_P ? log_of(v) + log(x)
                           : lk->kind == L_TOP_A ? 2 * log_of(v) + log(x)
                           : fmin(log(x), log_of(v))) - MARGIN);
    }
    for (int64_t i = 0; i < c->n; i++) k->lp[c->id[i]] = c->w[i]; /* (chain_draw reads) */
    return 0;
}
