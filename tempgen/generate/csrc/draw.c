/* One row's draw: q = softmax(log p / T) of the model row p, and the token at the row's
 * uniform by inverse CDF in token order (what generate/draw.py computes for the numpy path).
 *
 * The row's deepest kept context K (kept.h) already holds most of it: p differs from p_K
 * only at the successors of the longer matched contexts, the set S, and is G p_K elsewhere
 * (G the product of those contexts' gammas). So the tempered mass of every gap between
 * members of S is G^(1/T) times K's, from K's running sums: a step costs O(|S| log) work
 * instead of O(V).
 */
#include <math.h>
#include <string.h>

#include "draw.h"
#include "rowset.h"
#include "vmath.h"

/* The inverse CDF: the first of the n segments whose running mass run[i] passes u times
 * the total run[n - 1] (if u * total rounded up to the total, the first to reach it), and
 * that mass, *target. The Python counterpart: generate/draw.py, draw. */
static int64_t pick(const double *run, int64_t n, double u, double *target) {
    double total = run[n - 1];
    *target = u * total;
    if (!(total > *target)) *target = nextafter(total, 0.0);
    return first_above(run, n, 1, *target);
}

int model_row(Cache *s, const int64_t *rank, int n, double *row) {
    int v = s->m->vocab, k;
    const Kept *D = kept_of(s, rank, n < s->whole ? n : s->whole, &k);
    if (!D) return -1;
    fetch_successors(s->m, rank, k + 1, n);
    for (int i = 0; i < v; i++) row[i] = D->rec[(int64_t)i * D->stride];
    for (k++; k <= n; k++) interpolate(&s->m->lv[k], rank[k - 1], row, row, v, s->iota);
    return 0;
}

/* The whole row, tempered, and its draw, for what K's sums cannot take: a row whose maximum
 * they do not know (K's top is in S, and no member of S reaches it). Returns -1 when out of
 * memory. */
static int dense_draw(Cache *s, const int64_t *rank, int n, double t, double u, Drawn *d) {
    int v = s->m->vocab;
    double *row = s->row, *z = s->z, *e = s->w, *run = s->run;
    if (model_row(s, rank, n, row) < 0) return -1;
    memset(d, 0, sizeof *d);
    int best = 0;
    for (int i = 1; i < v; i++)
        if (row[i] > row[best]) best = i;
    d->token = best;
    d->logp = log_of(row[best]);
    if (t == 0.0) return 0;
    logs(row, z, v);
    temper(z, z, e, v, t, z[best]);
    double total = 0.0, zsum = 0.0;
    for (int i = 0; i < v; i++) {
        total += e[i];
        zsum += e[i] > 0.0 ? e[i] * z[i] : 0.0;
        run[i] = total;
    }
    double target;
    int64_t tok = pick(run, v, u, &target);
    double log_total = log_of(total);
    d->token = tok;
    d->logp = log_of(row[tok]);
    d->logq = z[tok] - log_total;
    d->entropy = (log_total - zsum / total) / M_LN2 + 0.0;
    return 0;
}

/* The log-probabilities of the row of the context with matched ranks rank[0..n-1]: kept
 * from when it was last met, or worked out. A row is kept from the second time its context
 * is met: text that comes round again (a loop at a low temperature) is served from the
 * kept rows, and varied text, whose contexts are mostly new, does not pay to store rows it
 * will not meet again. NULL when out of memory. */
static const double *log_row(Cache *s, Work *k, const int64_t *rank, int n) {
    int v = s->m->vocab;
    int64_t key = ((int64_t)n << 40) + rank[n - 1], slot = 0;
    if (k->slots) {
        slot = (int64_t)(((uint64_t)key * 0x9E3779B97F4A7C15u) >> (64 - __builtin_ctzll(k->slots)));
        if (k->keys[slot] == (key | ROW_HELD)) return k->rows + slot * v;
    }
    if (model_row(s, rank, n, s->row) < 0) return NULL;
    int keep = k->slots && k->keys[slot] == key; /* met once before */
    double *lp = keep ? k->rows + slot * v : s->z;
    logs(s->row, lp, v);
    if (k->slots) k->keys[slot] = keep ? key | ROW_HELD : key;
    return lp;
}

int chain_draw(Cache *s, Work *k, const Chain *ch, State *st, const int64_t *rank, int n,
               double u, Drawn *d, double *t) {
    double *run = s->run;
    const double *lp = k->lp;
    Cands *c = &k->cur;
    int from = 0;
    if (ranked_fits(s, ch)) { /* the first link's cut without the whole row */
        if (ranked_cut(s, k, &ch->link[0], rank, n) < 0) return -1;
        from = 1;
    } else {
        if (!(lp = log_row(s, k, rank, n))) return -1;
        int64_t o = 0;
        for (int i = 0; i < s->m->vocab; i++) { /* (those possible; no branch on which) */
            c->id[o] = i;
            c->w[o] = lp[i];
            o += lp[i] > -INFINITY;
        }
        c->n = o;
    }
    run_chain(ch, from, k, st, t);
    /* the draw (generate/draw.py), and q's entropy (tempering.py): q is log q's exp */
    double total = 0.0, zsum = 0.0, *q = k->p;
    exps(c->w, q, c->n);
    for (int64_t i = 0; i < c->n; i++) {
        total += q[i];
        zsum += q[i] > 0.0 ? q[i] * c->w[i] : 0.0;
        run[i] = total;
    }
    double target;
    int64_t i = pick(run, c->n, u, &target);
    d->token = c->id[i];
    d->logp = lp[d->token];
    d->logq = c->w[i];
    d->entropy = -zsum / M_LN2 + 0.0;
    return 0;
}

int draw_row(Cache *s, const int64_t *rank, int n, int ti, double u, Drawn *d) {
    const Model *m = s->m;
    int k0;
    const Kept *K = kept_of(s, rank, n, &k0);
    if (!K) return -1;
    int64_t ns = build_set(s, K, rank, k0, n);
    const int32_t *set = s->set;
    /* The row's maximum, exactly: no token outside S exceeds out_p = G max p_K, and K's top,
     * when outside S, has it. If K's top is in S (or unknown), the maximum outside S may lie
     * below out_p: unless a member of S exceeds out_p, the whole row decides. */
    double best_p = -1.0, out_p = outside(m, K->pmax, rank, k0, n);
    int64_t best = -1, best_i = -1;
    for (int64_t i = 0; i < ns; i++)
        if (s->val[i] > best_p) best_p = s->val[i], best_i = i;
    if (best_i >= 0) best = set[best_i];
    int top_out = K->top >= 0 && !in_set(s, K->top);
    if (!(best_p > out_p) && !top_out)
        return dense_draw(s, rank, n, ti < 0 ? 0.0 : s->temps[ti], u, d);
    double max_p = best_p > out_p ? best_p : out_p;
    if (ti < 0) { /* T = 0: the first most likely token */
        d->token = best_p > out_p ? best : out_p > best_p || K->top < best ? K->top : best;
        d->logp = log_of(max_p);
        d->logq = d->entropy = 0.0;
        return 0;
    }
    /* Outside S, a = (p / max p)^(1/T) is f times K's own a, f = (out_p / max p)^(1/T): from
     * out_p itself, not from G and max p_K apart, so that f <= 1 exactly and the row's
     * maximum, when outside S, weighs exactly 1 (a tiny T leaves no room for rounding). */
    double t = s->temps[ti], *lz = s->row, *z = s->z, *w = s->w, *run = s->run;
    s->val[ns] = out_p; /* (room for it: scratch rows hold vocab + 1) */
    logs(s->val, lz, ns + 1);
    double mx = best_p > out_p ? lz[best_i] : lz[ns];
    double log_f, f;
    temper(lz + ns, &log_f, &f, 1, t, mx);
    temper(lz, z, w, ns, t, mx);
    /* The running mass after each segment in token order: gap 0, S[0], gap 1, ..., gap ns
     * (a gap: the tokens between two members of S), and the sum of w log w. */
    double *gap = s->gap;
    gaps(K, ti, set, ns, m->vocab, K->tok.p ? s->place : NULL, gap);
    double total = 0.0, zsum = 0.0;
    for (int64_t i = 0;; i++) {
        double da = gap[2 * i];
        if (f > 0.0 && da > 0.0) {
            total += f * da;
            zsum += f * (log_f * da + gap[2 * i + 1]);
        }
        run[2 * i] = total;
        if (i == ns) break;
        total += w[i];
        zsum += w[i] > 0.0 ? w[i] * z[i] : 0.0;
        run[2 * i + 1] = total;
    }
    double target, logp;
    int64_t lo = pick(run, 2 * ns + 1, u, &target), tok;
    if (lo % 2) {
        tok = set[lo / 2];
        logp = lz[lo / 2];
    } else { /* in a gap: where within it, from K's sums */
        int64_t i = lo / 2;
        int64_t gap_lo = i ? set[i - 1] + 1 : 0, gap_hi = i < ns ? set[i] : m->vocab;
        double base, az;
        int64_t before = K->tok.p && i ? s->place[i - 1] / 2 + s->place[i - 1] % 2 : 0;
        prefix(K, ti, gap_lo, before, &base, &az);
        tok = find(K, ti, gap_lo, gap_hi, base + (target - (lo ? run[lo - 1] : 0.0)) / f);
        logp = log_of(outside(m, value(K, tok, NULL), rank, k0, n));
    }
    double log_total = log_of(total);
    d->token = tok;
    d->logp = logp;
    d->logq = (isinf(t) ? 0.0 : (d->logp - mx) / t) - log_total;
    d->entropy = (log_total - zsum / total) / M_LN2 + 0.0;
    return 0;
}
