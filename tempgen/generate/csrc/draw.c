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
#include "vmath.h"

/* p(w) of a token that the matched contexts of levels k0+1..n do not list, from p_K(w):
 * times each of their gammas in turn (as the recursion rounds it). */
static double outside(const Model *m, double p, const int64_t *rank, int k0, int n) {
    for (int k = k0 + 1; k <= n; k++) p *= m->lv[k].ctx[rank[k - 1]].gamma;
    return p;
}

/* The inverse CDF: the first of the n segments whose running mass run[i] passes u times
 * the total run[n - 1] (if u * total rounded up to the total, the first to reach it), and
 * that mass, *target. The Python counterpart: generate/draw.py, draw. */
static int64_t pick(const double *run, int64_t n, double u, double *target) {
    double total = run[n - 1];
    *target = u * total;
    if (!(total > *target)) *target = nextafter(total, 0.0);
    return first_above(run, n, 1, *target);
}

/* Merge into S (in token order) the tokens of entries lo..hi-1 of level k that it lacks:
 * rare, as a context's successors are nearly always its shorter contexts' too. A new member
 * enters with p_K times the gammas of the levels between, in turn. Returns the new |S|. */
static int64_t merge(Cache *s, const Kept *K, const Level *lv, int64_t lo, int64_t hi,
                     const int64_t *rank, int k0, int k, int64_t ns) {
    int64_t i = 0, o = 0, e = lo;
    while (i < ns || e < hi) {
        int64_t x = i < ns ? s->set[i] : INT64_MAX;
        int64_t y = e < hi ? at(lv->token, e) : INT64_MAX;
        if (x <= y) {
            s->vbuf[o] = s->val[i];
            s->pbuf[o] = s->place[i];
        } else {
            s->vbuf[o] = outside(s->m, value(K, y, &s->pbuf[o]), rank, k0, k - 1);
        }
        s->buf[o++] = (int32_t)(x < y ? x : y);
        if (x <= y) i++;
        if (y <= x) e++;
    }
    int32_t *set = s->set;
    int64_t *place = s->place;
    double *val = s->val;
    s->set = s->buf;
    s->buf = set;
    s->place = s->pbuf;
    s->pbuf = place;
    s->val = s->vbuf;
    s->vbuf = val;
    for (i = 0; i < o; i++) {
        s->pos[s->set[i]] = (int32_t)i;
        s->stamp[s->set[i]] = s->now;
    }
    return o;
}

/* S: the union of the successors of the matched contexts longer than K (levels k0+1..n), in
 * token order, and p of each member (val, in S's order): the recursion on S alone; and
 * (K sparse) each member's place in K. Returns |S|. */
static int64_t build_set(Cache *s, const Kept *K, const int64_t *rank, int k0, int n) {
    const Model *m = s->m;
    int64_t ns = 0;
    if (++s->now == INT32_MAX) {
        memset(s->stamp, 0, sizeof(int32_t) * m->vocab);
        s->now = 1;
    }
    int32_t now = s->now, *set = s->set, *pos = s->pos, *stamp = s->stamp;
    for (int k = k0 + 1; k <= n; k++) {
        const Level *lv = &m->lv[k];
        const Ctx *c = &lv->ctx[rank[k - 1]];
        int64_t lo = c->succ, hi = lo + c->n_succ;
        if (k == k0 + 1) { /* S so far: these successors, at p_K */
            const double *rec = K->rec;
            int64_t stride = K->stride;
            double *restrict val = s->val;
            FOR_WIDTH(lv->token, for (int64_t e = lo; e < hi; e++, ns++) {
                int64_t w = V(e);
                set[ns] = (int32_t)w;
                pos[w] = (int32_t)ns;
                stamp[w] = now;
                /* (K dense, the common case: its record read directly) */
                val[ns] = K->tok.p ? value(K, w, &s->place[ns]) : rec[w * stride];
            })
        } else {
            int64_t j = lo;
            while (j < hi && stamp[at(lv->token, j)] == now) j++;
            if (j < hi) { /* rare: S lacks one of them */
                ns = merge(s, K, lv, lo, hi, rank, k0, k, ns);
                set = s->set;
            }
        }
        interpolate(lv, rank[k - 1], s->val, s->val, ns, s->pos);
    }
    return ns;
}

/* The whole row, tempered, and its draw, for what K's sums cannot take: a row whose maximum
 * they do not know (K's top is in S, and no member of S reaches it). Returns -1 when out of
 * memory. */
static int dense_draw(Cache *s, const int64_t *rank, int n, double t, double u, Drawn *d) {
    int v = s->m->vocab, k;
    const Kept *D = kept_of(s, rank, n < s->dense ? n : s->dense, &k);
    if (!D) return -1;
    double *row = s->row, *z = s->z, *e = s->w, *run = s->run;
    for (int i = 0; i < v; i++) row[i] = D->rec[(int64_t)i * D->stride];
    for (k++; k <= n; k++) interpolate(&s->m->lv[k], rank[k - 1], row, row, v, s->iota);
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
    int top_out = K->top >= 0 && s->stamp[K->top] != s->now;
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
