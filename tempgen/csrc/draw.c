/* One row's draw: q = softmax(log p / T) of the model row p, and the token at the row's
 * uniform by inverse CDF in token order (what tempgen.samplers computes for the numpy path).
 *
 * A row p differs from the row B of a shorter context of its (its base) only at the
 * successors its longer matched contexts list, the set S: for every other token w,
 * p(w) = G B(w), G the product of those contexts' gammas (p = gamma p' + u, level by level).
 * So q outside S is B^(1/T) scaled, and running sums of B^(1/T) in token order, built once
 * per base and temperature, give the mass of every gap between members of S: a step costs
 * O(|S| + log V) instead of O(V). Bases are the contexts of the shortest levels, which
 * nearly every step shares, and are kept for the whole run.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"

#ifdef TEMPGEN_MVEC
/* glibc's vector versions (libmvec): loops over a row call exp and log several values at
 * once, four with AVX2 (chosen when the program starts), else two. */
__attribute__((simd("notinbranch"))) double exp(double);
__attribute__((simd("notinbranch"))) double log(double);
#define VECTOR_LOOP __attribute__((target_clones("avx2", "default")))
#else
#define VECTOR_LOOP
#endif

int sampler_init(Sampler *s, const Model *m, int depth, const double *temps, int n_temps) {
    memset(s, 0, sizeof *s);
    size_t v = (size_t)m->vocab;
    s->m = m;
    s->depth = depth;
    s->temps = temps;
    s->n_temps = n_temps;
    s->stride = 1 + 2 * n_temps;
    for (int k = 1; k <= depth; k++)
        if (!(s->bases[k] = calloc(m->lv[k].n_ctx, sizeof(Base)))) return -1;
    s->stamp = calloc(2 * v, sizeof(int32_t)); /* stamp, pos */
    s->iota = malloc(sizeof(int32_t) * v);
    s->set = malloc(sizeof(int64_t) * 2 * v); /* set, buf */
    s->val = malloc(sizeof(double) * (7 * v + 1)); /* val, vbuf, z, w, run (2v + 1), row */
    if (!s->stamp || !s->iota || !s->set || !s->val) return -1;
    s->pos = s->stamp + v;
    for (size_t i = 0; i < v; i++) s->iota[i] = (int32_t)i;
    s->buf = s->set + v;
    s->vbuf = s->val + v;
    s->z = s->vbuf + v;
    s->w = s->z + v;
    s->run = s->w + v;
    s->row = s->run + 2 * v + 1;
    return 0;
}

void sampler_free(Sampler *s) {
    for (int k = 1; k <= s->depth; k++) {
        for (int64_t r = 0; s->bases[k] && r < s->m->lv[k].n_ctx; r++)
            free(s->bases[k][r].rec);
        free(s->bases[k]);
    }
    /* set and buf, val and vbuf may have swapped: free the lower of each pair */
    free(s->stamp);
    free(s->iota);
    free(s->set < s->buf ? s->set : s->buf);
    free(s->val < s->vbuf ? s->val : s->vbuf);
    memset(s, 0, sizeof *s);
}

/* row = parent * gamma + u: the recursion's step at level k for context r (in place if
 * row == parent). */
static void extend(const Sampler *s, int k, int64_t r, const double *parent, double *row) {
    const Level *lv = &s->m->lv[k];
    double g = lv->ctx[r].gamma;
    for (int i = 0; i < s->m->vocab; i++) row[i] = parent[i] * g;
    add_successors(lv, r, row, s->iota);
}

/* z = log x (log 0 = -inf: impossible). */
VECTOR_LOOP static void logs(const double *x, double *z, int64_t n) {
    for (int64_t i = 0; i < n; i++) z[i] = log(x[i]);
}

/* z: log p in, log q + const out, as softmax(log p / t) shifted so that log p = mx gives 0
 * (t = inf: 0 for every possible token); w = exp(z). In loops of their own (vectorised). */
VECTOR_LOOP static void temper(double *z, double *w, int64_t n, double t, double mx) {
    if (isinf(t)) {
        for (int64_t i = 0; i < n; i++) z[i] = z[i] > -INFINITY ? 0.0 : -INFINITY;
    } else {
        for (int64_t i = 0; i < n; i++) z[i] = (z[i] - mx) / t;
    }
    for (int64_t i = 0; i < n; i++) w[i] = exp(z[i]);
}

/* Copy a base's row B (strided in its records) into row. */
static void base_row(const Sampler *s, const Base *bs, double *row) {
    for (int i = 0; i < s->m->vocab; i++) row[i] = bs->rec[(size_t)i * s->stride];
}

/* The base of level k of the matched ranks: its row, built from its parent's, and its
 * running sums at every temperature. */
static Base *base_of(Sampler *s, const int64_t *rank, int k) {
    const Model *m = s->m;
    int v = m->vocab, stride = s->stride;
    Base *bs = &s->bases[k][rank[k - 1]];
    if (bs->rec) return bs;
    Base *parent = k > 1 ? base_of(s, rank, k - 1) : NULL;
    double *rec = malloc(sizeof(double) * (size_t)(v + 1) * stride);
    if (!rec || (k > 1 && !parent)) {
        free(rec);
        return NULL;
    }
    double *row = s->row, *z = s->z, *w = s->w;
    if (parent) {
        base_row(s, parent, row);
    } else {
        for (int i = 0; i < v; i++) row[i] = 1.0 / v;
    }
    extend(s, k, rank[k - 1], row, row);
    int64_t top = 0;
    for (int i = 1; i < v; i++)
        if (row[i] > row[top]) top = i;
    bs->top = top;
    bs->log_max = log(row[top]);
    for (int i = 0; i < v; i++) rec[(size_t)i * stride] = row[i];
    rec[(size_t)v * stride] = 0.0;
    for (int ti = 0; ti < s->n_temps; ti++) {
        logs(row, z, v);
        temper(z, w, v, s->temps[ti], bs->log_max);
        double *c = rec + 1 + 2 * ti, ca = 0.0, cz = 0.0;
        for (int i = 0; i <= v; i++, c += stride) {
            c[0] = ca;
            c[1] = cz;
            if (i == v) break;
            ca += w[i];
            cz += w[i] > 0.0 ? w[i] * z[i] : 0.0;
        }
    }
    bs->rec = rec;
    return bs;
}

/* Merge into S (in token order) the tokens of entries lo..hi-1 of level k that it lacks:
 * rare, as a context's successors are nearly always its shorter contexts' too. A new member
 * enters with B times the gammas of the levels below k, in turn. Returns the new |S|. */
static int64_t merge(Sampler *s, const Base *bs, const Level *lv, int64_t lo, int64_t hi,
                     const int64_t *rank, int k0, int k, int64_t ns) {
    int64_t i = 0, o = 0, e = lo;
    while (i < ns || e < hi) {
        int64_t x = i < ns ? s->set[i] : INT64_MAX;
        int64_t y = e < hi ? at(lv->token, e) : INT64_MAX;
        if (x <= y) {
            s->vbuf[o] = s->val[i];
        } else {
            s->vbuf[o] = bs->rec[y * s->stride];
            for (int q = k0 + 1; q < k; q++) s->vbuf[o] *= s->m->lv[q].ctx[rank[q - 1]].gamma;
        }
        s->buf[o++] = x < y ? x : y;
        if (x <= y) i++;
        if (y <= x) e++;
    }
    int64_t *set = s->set;
    double *val = s->val;
    s->set = s->buf;
    s->buf = set;
    s->val = s->vbuf;
    s->vbuf = val;
    for (i = 0; i < o; i++) {
        s->pos[s->set[i]] = (int32_t)i;
        s->stamp[s->set[i]] = s->now;
    }
    return o;
}

/* S: the union of the successors of the matched contexts longer than the base (levels
 * k0+1..n), in token order, and p of each member (val, in S's order): the recursion
 * p = gamma p + u on S alone, with the same operations in the same order. Returns |S|. */
static int64_t build_set(Sampler *s, const Base *bs, const int64_t *rank, int k0, int n) {
    const Model *m = s->m;
    const double *b = bs->rec;
    size_t stride = s->stride;
    int64_t ns = 0;
    if (++s->now == INT32_MAX) {
        memset(s->stamp, 0, sizeof(int32_t) * m->vocab);
        s->now = 1;
    }
    int32_t now = s->now;
    for (int k = k0 + 1; k <= n; k++) {
        const Level *lv = &m->lv[k];
        const Ctx *c = &lv->ctx[rank[k - 1]];
        int64_t lo = c->succ, hi = lo + c->n_succ;
        double g = c->gamma;
        if (k == k0 + 1) { /* the shortest context's successors: S so far, p = B g + u */
            FOR_WIDTH(lv->token, for (int64_t e = lo; e < hi; e++) {
                int64_t w = V(e);
                s->set[ns] = w;
                s->pos[w] = (int32_t)ns;
                s->stamp[w] = now;
                s->val[ns++] = b[w * stride] * g;
            })
        } else {
            int64_t j = lo;
            while (j < hi && s->stamp[at(lv->token, j)] == now) j++;
            if (j < hi) ns = merge(s, bs, lv, lo, hi, rank, k0, k, ns);
            double *restrict val = s->val;
            for (int64_t i = 0; i < ns; i++) val[i] *= g;
        }
        add_successors(lv, rank[k - 1], s->val, s->pos);
    }
    return ns;
}

/* p(w) of a token outside S: B(w) times each gamma above the base in turn (as the dense
 * recursion rounds it). */
static double outside(const Model *m, double b, const int64_t *rank, int k0, int n) {
    for (int k = k0 + 1; k <= n; k++) b *= m->lv[k].ctx[rank[k - 1]].gamma;
    return b;
}

/* The whole row, tempered, and its draw: for the cases the sums cannot take (a tie at T = 0
 * that the sums cannot break, a scale that would overflow at a tiny T). t = 0: the first
 * most likely token. */
static void dense_draw(Sampler *s, const Base *bs, const int64_t *rank, int k0, int n,
                       double t, double u, Drawn *d) {
    const Model *m = s->m;
    int v = m->vocab;
    double *row = s->row, *z = s->z, *e = s->w;
    base_row(s, bs, row);
    for (int k = k0 + 1; k <= n; k++) extend(s, k, rank[k - 1], row, row);
    memset(d, 0, sizeof *d);
    int best = 0;
    for (int i = 1; i < v; i++)
        if (row[i] > row[best]) best = i;
    if (t == 0.0) {
        d->token = best;
        d->logp = log(row[best]);
        return;
    }
    logs(row, z, v);
    temper(z, e, v, t, z[best]);
    double total = 0.0, zsum = 0.0;
    for (int i = 0; i < v; i++) {
        total += e[i];
        zsum += e[i] > 0.0 ? e[i] * z[i] : 0.0;
    }
    double target = u * total, c = 0.0;
    int64_t tok = -1, last = 0;
    for (int i = 0; i < v; i++) {
        if (e[i] == 0.0) continue;
        last = i;
        c += e[i];
        if (c > target) {
            tok = i;
            break;
        }
    }
    if (tok < 0) tok = last; /* u * total rounded up to the total */
    double log_total = log(total);
    d->token = tok;
    d->logp = log(row[tok]);
    d->logq = z[tok] - log_total;
    d->entropy = (log_total - zsum / total) / M_LN2 + 0.0;
}

/* First x in [lo, hi) with cum + f (ca[x + 1] - ca[lo]) > target (there is one); ca: the
 * running sums of A, one every `stride` values. */
static int64_t in_gap(const double *ca, size_t stride, int64_t lo, int64_t hi, double cum,
                      double f, double target) {
    int64_t a = lo, b = hi - 1;
    while (a < b) {
        int64_t mid = a + (b - a) / 2;
        if (cum + f * (ca[(mid + 1) * stride] - ca[lo * stride]) > target) b = mid;
        else a = mid + 1;
    }
    return a;
}

int draw_row(Sampler *s, const int64_t *rank, int n, int ti, double u, Drawn *d) {
    const Model *m = s->m;
    int k0 = n < s->depth ? n : s->depth;
    Base *bs = base_of(s, rank, k0);
    if (!bs) return -1;
    int64_t ns = build_set(s, bs, rank, k0, n);
    /* The row's maximum: S's, or G max B outside S. G B(w) <= p(w) everywhere (the recursion
     * only adds), so when B's top token is in S, no token outside S exceeds it. */
    int64_t best = -1;
    size_t stride = s->stride;
    double best_p = -1.0, top_p = outside(m, bs->rec[bs->top * stride], rank, k0, n);
    for (int64_t i = 0; i < ns; i++)
        if (s->val[i] > best_p) best_p = s->val[i], best = s->set[i];
    if (s->stamp[bs->top] != s->now) {
        if (top_p > best_p || (top_p == best_p && bs->top < best)) {
            best = bs->top;
            best_p = top_p;
        }
    } else if (ti < 0 && top_p == best_p) { /* a token outside S may tie with the best */
        dense_draw(s, bs, rank, k0, n, 0.0, u, d);
        return 0;
    }
    if (ti < 0) { /* T = 0 */
        d->token = best;
        d->logp = log(best_p);
        d->logq = d->entropy = 0.0;
        return 0;
    }
    double t = s->temps[ti], mx = log(best_p), g = 1.0;
    for (int k = k0 + 1; k <= n; k++) g *= m->lv[k].ctx[rank[k - 1]].gamma;
    double log_f = isinf(t) ? 0.0 : (log(g) + bs->log_max - mx) / t;
    if (log_f > 690.0) { /* the gaps' scale would overflow (a tiny T) */
        dense_draw(s, bs, rank, k0, n, t, u, d);
        return 0;
    }
    const double *ca = bs->rec + 1 + 2 * ti, *cz = ca + 1; /* A's and A log A's sums */
    double f = g > 0.0 ? exp(log_f) : 0.0, *z = s->z, *w = s->w, *run = s->run;
    logs(s->val, z, ns);
    temper(z, w, ns, t, mx);
    /* The running mass after each segment in token order: gap 0, S[0], gap 1, ..., gap ns
     * (a gap: the tokens between two members of S), and the sum of w log w. */
    double total = 0.0, zsum = 0.0;
    int64_t prev = 0;
    for (int64_t i = 0; i <= ns; i++) {
        int64_t x = i < ns ? s->set[i] : m->vocab;
        double da = ca[x * stride] - ca[prev * stride];
        if (f > 0.0 && da > 0.0) {
            total += f * da;
            zsum += f * (log_f * da + (cz[x * stride] - cz[prev * stride]));
        }
        run[2 * i] = total;
        if (i == ns) break;
        total += w[i];
        zsum += w[i] > 0.0 ? w[i] * z[i] : 0.0;
        run[2 * i + 1] = total;
        prev = x + 1;
    }
    /* the segment where the running mass passes u * total; if u * total rounded up to the
     * total, the last segment with mass */
    double target = u * total;
    int64_t lo = 0, hi = 2 * ns;
    if (!(run[hi] > target)) target = nextafter(total, 0.0);
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (run[mid] > target) hi = mid;
        else lo = mid + 1;
    }
    int64_t tok;
    if (lo % 2) {
        tok = s->set[lo / 2];
    } else {
        int64_t i = lo / 2;
        int64_t gap_lo = i ? s->set[i - 1] + 1 : 0, gap_hi = i < ns ? s->set[i] : m->vocab;
        tok = in_gap(ca, stride, gap_lo, gap_hi, lo ? run[lo - 1] : 0.0, f, target);
    }
    double p = lo % 2 ? s->val[lo / 2] : outside(m, bs->rec[tok * stride], rank, k0, n);
    double log_total = log(total);
    d->token = tok;
    d->logp = log(p);
    d->logq = (isinf(t) ? 0.0 : (d->logp - mx) / t) - log_total;
    d->entropy = (log_total - zsum / total) / M_LN2 + 0.0;
    return 0;
}
