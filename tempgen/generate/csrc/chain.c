/* The chain's links on a row's candidates (chain.h), each as its Python counterpart in
 * generate/samplers computes it: the same formulas in the same order, so that the numpy
 * path and this one draw the same tokens. Tokens a link removes leave the candidates; the
 * rest stay in token order.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "order.h"
#include "state.h"
#include "vmath.h"
#include "xtc.h"

#define ROW_FLOATS ((int64_t)1 << 19) /* rows kept: 4 MB at most */
#define MIN_SLOTS 256                 /* fewer would hardly ever be met again */

int work_init(Work *k, int64_t vocab) {
    memset(k, 0, sizeof *k);
    size_t n = (size_t)vocab + 1;
    k->vocab = vocab;
    if (ROW_FLOATS / vocab >= MIN_SLOTS) {
        k->slots = MIN_SLOTS; /* a power of two: a slot is the hash's top bits */
        while (k->slots * 2 <= ROW_FLOATS / vocab) k->slots *= 2;
        k->keys = malloc(sizeof(int64_t) * k->slots);
        k->rows = malloc(sizeof(double) * k->slots * vocab);
        k->orders = malloc(sizeof(int32_t) * k->slots * vocab);
        k->ordered = calloc((size_t)k->slots, 1);
        if (!k->keys || !k->rows || !k->orders || !k->ordered) return -1;
        memset(k->keys, 0xff, sizeof(int64_t) * k->slots);
    }
    int32_t *ints = malloc(sizeof(int32_t) * 7 * n);
    double *dbl = malloc(sizeof(double) * 10 * n);
    k->touched = malloc(sizeof(int64_t) * n);
    k->lp = malloc(sizeof(double) * n);
    k->adapt_p = malloc(sizeof(double) * n);
    k->bits = calloc((n + 63) / 64, sizeof(uint64_t));
    k->leaves.pos = malloc(sizeof(int32_t) * n);
    k->leaves.w = malloc(sizeof(double) * 4 * n); /* w, tree (2n), by_leaf */
    k->cur.id = ints; /* (work_free frees what there is) */
    k->cur.w = dbl;
    if (!ints || !dbl || !k->touched || !k->lp || !k->adapt_p || !k->bits || !k->leaves.pos ||
        !k->leaves.w)
        return -1;
    k->leaves.tree = k->leaves.w + n;
    k->by_leaf = k->leaves.tree + 2 * n;
    Cands *lists[3] = {&k->cur, &k->a, &k->b};
    for (int i = 0; i < 3; i++) {
        lists[i]->id = ints + i * n;
        lists[i]->w = dbl + i * n;
    }
    k->order = ints + 3 * n;
    k->order2 = ints + 4 * n;
    k->flag = ints + 5 * n;
    k->tally = ints + 6 * n;
    memset(k->tally, 0, sizeof(int32_t) * n);
    k->p = dbl + 3 * n;
    k->tmp = dbl + 4 * n;
    k->sel = dbl + 5 * n;
    k->mult = dbl + 9 * n;
    return 0;
}

void work_free(Work *k) {
    free(k->leaves.pos);
    free(k->leaves.w);
    free(k->bits);
    free(k->lp);
    free(k->adapt_p);
    free(k->keys);
    free(k->rows);
    free(k->orders);
    free(k->ordered);
    free(k->cur.id);
    free(k->cur.w);
    free(k->touched);
    memset(k, 0, sizeof *k);
}

/* Top-p and typical-p's cut: the smallest prefix of the candidates ordered by key
 * (ascending, ties in token order) whose mass p before each member is below `mass`, without
 * sorting them. A selection finds the key at which the mass reaches the cut (order.c,
 * weighted_cut); the candidates before it stay, and of those at it, in token order, each
 * while the mass before it is below the cut. A candidate of m tokens weighs m p, and at the
 * cut keeps as many of its tokens as the mass allows (its first by id, as the whole row's
 * ties go); two such at the cut would interleave by id: k->bail. */
static void keep_prefix(Work *k, Cands *c, const double *key, const double *p, double mass) {
    double reach = mass * (1 - MARGIN), cum = 0.0, *room = k->sel, *m = c->m;
    int64_t n = c->n, o = 0, ties = 0;
    memcpy(room, key, sizeof(double) * n);
    if (m)
        for (int64_t i = 0; i < n; i++) room[n + i] = m[i] * p[i];
    else
        memcpy(room + n, p, sizeof(double) * n);
    double v = weighted_cut(room, room + n, room + 2 * n, room + 3 * n, n, reach, &cum);
    if (m) {
        for (int64_t i = 0; i < n; i++) {
            int tie = key[i] == v, take = (key[i] < v) | (tie & (cum < reach));
            double j = m[i];
            if (tie) /* (its tokens in turn, as the whole row takes them) */
                for (j = 0.0, ties++; j < m[i] && cum < reach; j++) cum += p[i];
            c->id[o] = c->id[i];
            c->w[o] = c->w[i];
            m[o] = j;
            o += take;
        }
        k->bail |= ties > 1;
    } else {
        for (int64_t i = 0; i < n; i++) {
            int tie = key[i] == v, take = (key[i] < v) | (tie & (cum < reach));
            cum += tie & take ? p[i] : 0.0; /* (ties are few: the branch is guessed) */
            c->id[o] = c->id[i];
            c->w[o] = c->w[i];
            o += take;
        }
    }
    c->n = o;
}

static void top_k(Work *k, Cands *c, int64_t kk) {
    if (kk <= 0 || kk >= k->vocab || c->n <= kk) return;
    memcpy(k->tmp, c->w, sizeof(double) * c->n);
    keep_above(c, kth_largest(k->tmp, k->p, c->n, kk) - MARGIN);
}

static void top_p(Work *k, Cands *c, double mass) {
    if (mass >= 1.0) return;
    probs(c, k->p);
    for (int64_t i = 0; i < c->n; i++) k->tmp[i] = -c->w[i]; /* (the most likely first) */
    keep_prefix(k, c, k->tmp, k->p, mass);
}

static void typical_p(Work *k, Cands *c, double mass) {
    if (mass >= 1.0) return;
    /* q as probs() makes it, and ln q = (w - max) - ln(sum): no log per token */
    double *q = k->p, *dist = k->tmp, entropy = 0.0, lt = log(shifted(c, dist, q));
    for (int64_t i = 0; i < c->n; i++) { /* (dist holds ln q meanwhile) */
        dist[i] = q[i] > 0 ? dist[i] - lt : 0.0;
        entropy += q[i] * dist[i] * (c->m ? c->m[i] : 1.0);
    }
    entropy = -entropy;
    for (int64_t i = 0; i < c->n; i++) dist[i] = q[i] > 0 ? fabs(-dist[i] - entropy) : INFINITY;
    keep_prefix(k, c, dist, q, mass);
}

/* Top-a (samplers/truncation.py, top_a): tokens at least a p_max^2 as likely stay; with
 * S the sum of e^(w - max), that is w >= max + ln a - ln S. */
static void top_a(Work *k, Cands *c, double a) {
    if (a <= 0 || c->n == 0) return;
    double mx = largest(c), total = shifted(c, k->tmp, k->p);
    keep_above(c, mx + log(a) - log(total) - MARGIN);
}

/* epsilon- and eta-cutoff (samplers/truncation.py): tokens of p below eps, or below
 * eta = min(eps, sqrt(eps) e^-H), go; the most likely always stays. With S the sum of
 * e^(w - max): ln p = w - max - ln S. */
static void cutoff(Work *k, Cands *c, double eps, int eta) {
    if (eps <= 0 || c->n == 0) return;
    double mx = largest(c), *z = k->tmp, *p = k->p, total = shifted(c, z, p), lt = log(total);
    double bound = eps;
    if (eta) {
        double h = 0.0;
        for (int64_t i = 0; i < c->n; i++) h -= p[i] > 0 ? p[i] * (z[i] - lt) : 0.0;
        bound = fmin(eps, sqrt(eps) * exp(-h));
    }
    keep_above(c, mx + fmin(log(bound) + lt, 0.0) - MARGIN);
}

/* p-less (samplers/truncation.py, p_less): tokens at least as likely as L = sum p^2 stay;
 * with z = w - max and S the sum of e^z, ln L = ln(sum e^2z) - 2 ln S, and a token stays
 * when z >= ln(sum e^2z) - ln S. */
static void p_less(Work *k, Cands *c) {
    if (c->n == 0) return;
    double mx = largest(c), *z = k->tmp, *sq = k->p, squares = 0.0;
    double total = shifted(c, z, sq); /* (z: w - max; sq: their probabilities, then e^2z) */
    for (int64_t i = 0; i < c->n; i++) z[i] *= 2.0;
    exps(z, sq, c->n);
    for (int64_t i = 0; i < c->n; i++) squares += sq[i];
    keep_above(c, mx + log(squares) - log(total) - MARGIN);
}

/* Logit bias (samplers/bias.py): each bias added to its token's log-weight, in order; the
 * candidates (ascending) found by binary search. A token it removes weighs -inf. */
static void add_biases(const Chain *ch, Cands *c) {
    int64_t n = c->n;
    for (int64_t b = 0; b < ch->n_bias; b++) {
        int64_t lo = 0, hi = n, t = ch->bias_id[b];
        while (lo < hi) {
            int64_t mid = (lo + hi) / 2;
            if (c->id[mid] < t) lo = mid + 1;
            else hi = mid;
        }
        if (lo < n && c->id[lo] == t) c->w[lo] += ch->bias_w[b];
    }
}

void touch(const Chain *ch, const Link *lk, Work *k, Cands *c, const State *st) {
    if (lk->kind == L_LOGIT_BIAS) add_biases(ch, c);
    else if (lk->kind == L_NO_REPEAT_NGRAM) ban_repeats(lk, k, c, st);
    else penalise(ch, lk, k, c, st);
}

/* A link that may remove tokens by their weight (logit bias, no-repeat-n-gram): the
 * candidates at -inf after it leave, but a row it would empty keeps its likeliest token of
 * before (the first of ties). */
static void touch_and_drop(const Chain *ch, const Link *lk, Work *k, Cands *c,
                           const State *st) {
    int64_t n = c->n, best = 0;
    if (n == 0) return;
    for (int64_t i = 1; i < n; i++)
        if (c->w[i] > c->w[best]) best = i;
    double before = c->w[best];
    touch(ch, lk, k, c, st);
    int any = 0;
    for (int64_t i = 0; i < n; i++) {
        k->flag[i] = c->w[i] > -INFINITY;
        any |= k->flag[i];
    }
    if (!any) {
        c->w[best] = before;
        k->flag[best] = 1;
    }
    keep_marked(c, k->flag);
}

/* The candidates' order by weight, most first (ties: the first first), into *order: when
 * they are a whole kept row as it came (the chain's first link), its order kept with it
 * (sorted the first time), else sorted here. */
static void row_sorted(Work *k, const Cands *c, int32_t **order) {
    int32_t *kept = k->row_order;
    k->row_order = NULL;
    if (kept && c->n == k->vocab) {
        *order = kept;
        if (!k->ordered[k->row_slot]) sort_by(c->w, c->n, -1, kept, k->order2);
        k->ordered[k->row_slot] = 1;
        return;
    }
    sort_by(c->w, c->n, -1, *order, k->order2);
}

/* Tail-free sampling (samplers/truncation.py, tfs): with p sorted down (ties: the lower
 * id first), d the |second differences| normalised to sum 1 (uniform when they sum to at
 * most 1e-6), the tokens before the first place i >= 1 where the running sum passes z stay. */
static void tfs_runs(Work *k, Cands *c, double z);
static void tfs(Work *k, Cands *c, double z) {
    int64_t n = c->n, last = n;
    if (c->m) {
        tfs_runs(k, c, z);
        return;
    }
    if (z >= 1.0 || n <= 2) return;
    int32_t *order = k->order;
    double *p = k->p, *d = k->tmp, total = 0.0, cum = 0.0;
    probs(c, p);
    row_sorted(k, c, &order);
    for (int64_t i = 0; i < n - 2; i++) {
        d[i] = fabs(p[order[i]] - 2 * p[order[i + 1]] + p[order[i + 2]]);
        total += d[i];
    }
    for (int64_t i = 0; i < n - 2; i++) {
        cum += total > 1e-6 ? d[i] / total : 1.0 / (double)(n - 2);
        if (i >= 1 && cum > z + MARGIN) {
            last = i;
            break;
        }
    }
    for (int64_t i = 0; i < n; i++) k->flag[order[i]] = i < last;
    keep_marked(c, k->flag);
}

/* A place in the row by p: its candidate (in order) and how far into its m tokens. */
typedef struct {
    int64_t e;
    double o;
} Place;

static inline void next_place(const double *m, const int32_t *order, Place *x) {
    if (++x->o >= m[order[x->e]]) x->e++, x->o = 0.0;
}

/* tfs on candidates of m tokens each, one value each (the row by its values): the
 * second differences are 0 within a candidate, so the sums visit the places where one
 * candidate gives way to the next, and add the same terms in the same order as the row's
 * tokens would (a 0 added changes no sum). A candidate that the cut passes through keeps
 * its first tokens. */
static void tfs_runs(Work *k, Cands *c, double z) {
    double n = tokens(c), total = 0.0, cum = 0.0, last = n, *p = k->p, *m = c->m;
    if (z >= 1.0 || n <= 2) return;
    int32_t *order = k->order;
    probs(c, p);
    int64_t e = 1;
    while (e < c->n && c->w[e] <= c->w[e - 1]) e++;
    if (e < c->n) sort_by(c->w, c->n, -1, order, k->order2);
    else /* (in order already: distinct.c) */
        for (e = 0; e < c->n; e++) order[e] = (int32_t)e;
    for (int pass = 0; pass < 2 && (pass == 0 || total > 1e-6); pass++) {
        Place a = {0, 0.0}, b = a, f = a; /* (places i, i + 1 and i + 2) */
        next_place(m, order, &b);
        next_place(m, order, &f);
        next_place(m, order, &f);
        for (double i = 0.0; i < n - 2;) {
            double me = m[order[a.e]];
            if (a.o + 2 < me) { /* (places inside one candidate: d = 0) */
                if (pass == 1 && cum > z + MARGIN && i + (me - 2 - a.o) > 1.0) {
                    last = i >= 1.0 ? i : 1.0;
                    break;
                }
                i += me - 2 - a.o;
                a.o = me - 2;
                b = (Place){a.e, me - 1};
                f = (Place){a.e + 1, 0.0};
                continue;
            }
            double d = fabs(p[order[a.e]] - 2 * p[order[b.e]] + p[order[f.e]]);
            if (pass == 0) {
                total += d;
            } else {
                cum += d / total;
                if (i >= 1.0 && cum > z + MARGIN) {
                    last = i;
                    break;
                }
            }
            i++;
            next_place(m, order, &a);
            next_place(m, order, &b);
            next_place(m, order, &f);
        }
    }
    if (!(total > 1e-6)) /* (uniform: each place adds 1 / (n - 2)) */
        for (double i = 0.0; i < n - 2; i++) {
            cum += 1.0 / (n - 2);
            if (i >= 1.0 && cum > z + MARGIN) {
                last = i;
                break;
            }
        }
    double at = 0.0; /* the first `last` tokens by p stay (tokens of one value from several
                      * candidates would interleave by id: a cut among them, k->bail) */
    for (int64_t e = 0; e < c->n; e++) {
        double me = m[order[e]];
        int tie_before = e > 0 && c->w[order[e]] == c->w[order[e - 1]];
        int tie_after = e + 1 < c->n && c->w[order[e + 1]] == c->w[order[e]];
        k->bail |= ((tie_before | tie_after) & (at < last) & (last < at + me)) |
                   (tie_before & (at == last));
        m[order[e]] = at + me <= last ? me : at < last ? last - at : 0.0;
        k->flag[order[e]] = m[order[e]] > 0.0;
        at += me;
    }
    keep_marked(c, k->flag);
}

/* Top-H (samplers/truncation.py, top_h): of the TOP_H_TOKENS likeliest (ties: the lower id
 * first), renormalised, the likeliest stay while their running entropy is within h times
 * the entropy of all of them; the rest of the row goes. */
static void top_h(Work *k, Cands *c, double h) {
    int64_t n = c->n, m = n < TOP_H_TOKENS ? n : TOP_H_TOKENS;
    if (h <= 0 || n == 0) return;
    if (n <= TOP_H_TOKENS) { /* all of them weigh: no sort, the likeliest taken in turn */
        double *z = k->tmp, *p = k->p, lt = log(shifted(c, z, p)), *terms = k->sel;
        double all = 0.0, cum = 0.0;
        for (int64_t i = 0; i < n; i++) {
            terms[i] = p[i] > 0 ? -p[i] * (z[i] - lt) : 0.0;
            all += terms[i];
            k->flag[i] = 0;
        }
        for (int64_t taken = 0; taken < n; taken++) { /* (the terms are >= 0: once past
                                                       * the bound, every later one is) */
            int64_t best = -1;
            for (int64_t i = 0; i < n; i++) /* the likeliest not yet taken (the first of ties) */
                if (!k->flag[i] && (best < 0 || c->w[i] > c->w[best])) best = i;
            cum += terms[best];
            if (taken > 0 && !(cum <= h * all + MARGIN)) break;
            k->flag[best] = 1;
        }
        keep_marked(c, k->flag);
        return;
    }
    int32_t *order = k->order;
    row_sorted(k, c, &order);
    Cands top = {.n = m, .id = NULL, .w = k->sel}; /* (shifted reads the weights alone) */
    for (int64_t i = 0; i < m; i++) top.w[i] = c->w[order[i]];
    double *z = k->tmp, *p = k->p, lt = log(shifted(&top, z, p)), *terms = k->sel + m;
    double all = 0.0, cum = 0.0;
    for (int64_t i = 0; i < m; i++) {
        terms[i] = p[i] > 0 ? -p[i] * (z[i] - lt) : 0.0;
        all += terms[i];
    }
    for (int64_t i = 0; i < n; i++) k->flag[i] = 0;
    for (int64_t i = 0; i < m; i++) {
        cum += terms[i];
        k->flag[order[i]] = i == 0 || cum <= h * all + MARGIN;
    }
    keep_marked(c, k->flag);
}

/* Quadratic sampling (samplers/temperature.py, smoothing): w becomes
 * m - k f d^2 + s f d^3, d = w - m, m the largest, k = (3 - curve) / 2, s = (curve - 1) / 2. */
static void smoothing(Cands *c, double f, double curve) {
    if (f <= 0 || c->n == 0) return;
    double m = largest(c), kk = (3.0 - curve) / 2.0, s = (curve - 1.0) / 2.0;
    for (int64_t i = 0; i < c->n; i++) {
        double d = c->w[i] - m, x = -(kk * f * (d * d)) + (s * f * (d * d * d)) + m;
        c->w[i] = isnan(x) ? -INFINITY : x; /* (a square or cube overflowed: -inf away) */
    }
}

/* Adaptive-p (samplers/adaptive.py): w becomes PEAK - SHARPNESS d^2 / (1 + d),
 * d = |p - t| / WIDTH, t the adapted target; p kept by token for the state's update. */
#define ADAPT_WIDTH 0.3
#define ADAPT_PEAK 5.0
#define ADAPT_SHARPNESS 10.0
static void adaptive_p(Work *k, Cands *c, const State *st, double target) {
    double *p = k->p, t = target;
    if (st->adapt_weight != 0.0) t = 2.0 * target - st->adapt_sum / st->adapt_weight;
    t = t < 0.0 ? 0.0 : t > 1.0 ? 1.0 : t;
    probs(c, p);
    for (int64_t i = 0; i < c->n; i++) {
        double d = fabs(p[i] - t) * (1.0 / ADAPT_WIDTH);
        k->adapt_p[c->id[i]] = p[i];
        c->w[i] = ADAPT_PEAK - ADAPT_SHARPNESS * (d * d) / (1.0 + d);
    }
}

static void top_n_sigma(Cands *c, double n) {
    if (n <= 0 || c->n == 0) return;
    double sum = 0.0, var = 0.0;
    for (int64_t i = 0; i < c->n; i++) sum += c->w[i];
    double mean = sum / (double)c->n;
    for (int64_t i = 0; i < c->n; i++) var += (c->w[i] - mean) * (c->w[i] - mean);
    keep_above(c, largest(c) - n * sqrt(var / (double)c->n) - MARGIN);
}

/* Tempering at t in place: w becomes log q (samplers' temperature: tempering.py). */
static void temper_at(Work *k, Cands *c, double t) {
    if (c->n == 0) return;
    double mx = largest(c);
    if (t == 0.0) { /* the first most likely token alone */
        int64_t best = 0;
        while (c->w[best] != mx) best++;
        c->id[0] = c->id[best];
        c->w[0] = 0.0;
        c->n = 1;
        if (c->m) c->m[0] = 1.0;
        return;
    }
    if (isinf(t)) {
        double lz = log(tokens(c));
        for (int64_t i = 0; i < c->n; i++) c->w[i] = 0.0 - lz;
        return;
    }
    double total = 0.0, *e = k->tmp;
    temper(c->w, c->w, e, c->n, t, mx);
    if (c->m)
        for (int64_t i = 0; i < c->n; i++) total += c->m[i] * e[i];
    else
        for (int64_t i = 0; i < c->n; i++) total += e[i];
    double lt = log(total), inv = 1.0 / total;
    int64_t o = 0; /* (those now impossible leave; and q itself for the draw, e / total: no
                      exp of the log again) */
    if (c->m) {
        for (int64_t i = 0; i < c->n; i++)
            if (c->w[i] > -INFINITY) {
                c->id[o] = c->id[i];
                c->m[o] = c->m[i];
                k->p[o] = e[i] * inv;
                c->w[o++] = c->w[i] - lt;
            }
    } else {
        for (int64_t i = 0; i < c->n; i++)
            if (c->w[i] > -INFINITY) {
                c->id[o] = c->id[i];
                k->p[o] = e[i] * inv;
                c->w[o++] = c->w[i] - lt;
            }
    }
    k->q_ready = 1;
    c->n = o;
}

/* Dynamic temperature (samplers/temperature.py): from the candidates' entropy, with
 * ln p = (w - max) - ln(sum) as probs() makes p (no log per token). */
static double dynamic(Work *k, const Cands *c, double t, double span, double exponent) {
    if (isinf(t)) return t;
    double n = tokens(c);
    if (n <= 1) return t;
    double lo = t - span > 0.0 ? t - span : 0.0, hi = t + span, entropy = 0.0, *z = k->tmp;
    double lt = log(shifted(c, z, k->p)), *p = k->p;
    for (int64_t i = 0; i < c->n; i++)
        if (p[i] > 0) entropy += c->m ? c->m[i] * (p[i] * (z[i] - lt)) : p[i] * (z[i] - lt);
    entropy = -entropy;
    return lo + (hi - lo) * pow(entropy / log(n), exponent);
}

static void mirostat_cut(Work *k, Cands *c, double mu) {
    double mx = largest(c), floor = exp2(-(mu + MARGIN));
    probs(c, k->p);
    for (int64_t i = 0; i < c->n; i++) { /* -log2 p <= mu: p >= 2^-mu, the log2 near it */
        double p = k->p[i];
        int keep = p > floor * (1 + 1e-9) || (p >= floor * (1 - 1e-9) && -log2(p) <= mu + MARGIN);
        k->flag[i] = keep || c->w[i] == mx;
    }
    keep_marked(c, k->flag);
}

void run_from(const Chain *ch, int from, Work *k, Cands *c, State *st, double *t) {
    for (int i = from; i < ch->n; i++) {
        const Link *lk = &ch->link[i];
        k->q_ready = 0;
        switch (lk->kind) {
        case L_LOGIT_BIAS:
        case L_NO_REPEAT_NGRAM: touch_and_drop(ch, lk, k, c, st); break;
        case L_PENALTIES:
        case L_DRY: penalise(ch, lk, k, c, st); break;
        case L_TOP_N_SIGMA: top_n_sigma(c, lk->x[0]); break;
        case L_TOP_K: top_k(k, c, (int64_t)lk->x[0]); break;
        case L_TFS: tfs(k, c, lk->x[0]); break;
        case L_TYPICAL_P: typical_p(k, c, lk->x[0]); break;
        case L_TOP_P: top_p(k, c, lk->x[0]); break;
        case L_MIN_P: keep_above(c, largest(c) + log(lk->x[0]) - MARGIN); break;
        case L_TOP_A: top_a(k, c, lk->x[0]); break;
        case L_EPSILON_CUTOFF: cutoff(k, c, lk->x[0], 0); break;
        case L_ETA_CUTOFF: cutoff(k, c, lk->x[0], 1); break;
        case L_P_LESS: if (lk->x[0] > 0) p_less(k, c); break;
        case L_TOP_H: top_h(k, c, lk->x[0]); break;
        case L_XTC: /* (the rest runs within, and its mixture is no one tempering's q) */
            xtc(ch, i, k, c, st, t, run_from);
            k->q_ready = 0;
            return;
        case L_TEMPERATURE:
            *t = lk->x[1] > 0 ? dynamic(k, c, lk->x[0], lk->x[1], lk->x[2]) : lk->x[0];
            temper_at(k, c, *t);
            break;
        case L_SMOOTHING: smoothing(c, lk->x[0], lk->x[1]); break;
        case L_MIROSTAT: mirostat_cut(k, c, st->mu); break;
        case L_ADAPTIVE_P: adaptive_p(k, c, st, lk->x[0]); break;
        }
        k->row_order = NULL; /* (the row's kept order: for the first link alone) */
    }
    if (ch->n == 0 || ch->link[ch->n - 1].kind != L_TEMPERATURE) {
        k->q_ready = 0;
        temper_at(k, c, 1.0);
    }
}

void run_chain(const Chain *ch, int from, Work *k, State *st, double *t) {
    *t = 1.0;
    run_from(ch, from, k, &k->cur, st, t);
}
