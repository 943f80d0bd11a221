/* Kept contexts (kept.h): building them, and the queries a draw makes of them.
 *
 * For a sparse context K with parent P, a token w that K does not list has
 * p_K(w) = gamma p_P(w), so its tempered weight is a_K(w) = phi a_P(w) with
 * phi = (gamma max p_P / max p_K)^(1/T) <= 1. The mass of the tokens before x is then
 *   phi (mass_P(before x) - sum of a_P over K's members before x) + sum of a_K over them,
 * one binary search among K's members and the same question to P: a dense context answers
 * from its running sums directly.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kept.h"
#include "vmath.h"

/* What build_sparse gives for a context that is not kept (its rows use its parent's). */
static Kept unkept;

int cache_init(Cache *s, const Model *m, int dense, int depth, int64_t room,
               const double *temps, int n_temps) {
    memset(s, 0, sizeof *s);
    size_t v = (size_t)m->vocab;
    s->m = m;
    s->dense = dense;
    s->depth = depth;
    s->room = room;
    s->temps = temps;
    s->n_temps = n_temps;
    s->dstride = 1 + 2 * n_temps;
    s->sstride = 1 + 4 * n_temps;
    double bytes = 0.0; /* Cache.whole: the rows of levels 1..whole fit WHOLE_BYTES */
    s->whole = 1;
    for (int k = 1; k <= dense; k++) {
        bytes += (double)m->lv[k].n_ctx * (double)(v + 1) * s->dstride * sizeof(double);
        if (bytes > WHOLE_BYTES) break;
        s->whole = k;
    }
    for (int k = 1; k <= depth; k++)
        if (!(s->kept[k] = calloc(m->lv[k].n_ctx, sizeof(Kept *)))) return -1;
    s->pos = calloc(3 * v, sizeof(int32_t)); /* pos, set, buf */
    s->in_s = calloc((v + 63) / 64, sizeof(uint64_t));
    s->iota = malloc(sizeof(int32_t) * v);
    s->ints = malloc(sizeof(int64_t) * 2 * v); /* place, pbuf */
    /* val, vbuf, z, w, run (2v + 1), row (2v + 1), gap (2v + 2) */
    s->doubles = malloc(sizeof(double) * (10 * v + 8));
    if (!s->pos || !s->in_s || !s->iota || !s->ints || !s->doubles) return -1;
    s->val = s->doubles;
    s->set = s->pos + v;
    s->buf = s->set + v;
    for (size_t i = 0; i < v; i++) s->iota[i] = (int32_t)i;
    s->place = s->ints;
    s->pbuf = s->place + v;
    s->vbuf = s->val + v + 1; /* each one value more than the vocabulary (draw_row) */
    s->z = s->vbuf + v + 1;
    s->w = s->z + v + 1;
    s->run = s->w + v + 1;
    s->row = s->run + 2 * v + 1;
    s->gap = s->row + 2 * v + 1;
    return 0;
}

/* Kept contexts are many small records, kept for the whole run: they are cut from large
 * blocks, and freed with them. */
struct Block {
    Block *next;
    size_t used, size;
};
#define BLOCK_BYTES ((size_t)1 << 20)

/* Room for `bytes` (64-byte aligned) for the run's whole life, or NULL when out of memory. */
void *cache_keep(Cache *s, size_t bytes) {
    bytes = (bytes + 63) / 64 * 64;
    Block *c = s->blocks;
    if (!c || c->used + bytes > c->size) {
        size_t size = (64 + bytes + BLOCK_BYTES - 1) / BLOCK_BYTES * BLOCK_BYTES;
        if (!(c = aligned_alloc(64, size))) return NULL;
        *c = (Block){.next = s->blocks, .used = 64, .size = size};
        s->blocks = c;
    }
    void *p = (char *)c + c->used;
    c->used += bytes;
    return p;
}

void cache_free(Cache *s) {
    for (int k = 1; k <= s->depth; k++) free(s->kept[k]);
    while (s->blocks) {
        Block *next = s->blocks->next;
        free(s->blocks);
        s->blocks = next;
    }
    free(s->pos);
    free(s->in_s);
    free(s->iota);
    free(s->ints);
    free(s->doubles);
    memset(s, 0, sizeof *s);
}

double value_of(const Kept *K, int64_t w, int64_t i, int64_t *place) {
    int member = i < K->n && at(K->tok, K->lo + i) == w;
    if (place) *place = 2 * i + member;
    if (member) return K->rec[i * K->stride];
    return value(K->parent, w, NULL) * K->gamma; /* in turn, as the recursion rounds it */
}

double value_sparse(const Kept *K, int64_t w, int64_t *place) {
    return value_of(K, w, lower(K->tok, K->lo, K->n, w), place);
}

double value_after(const Kept *K, int64_t w, int64_t *from, int64_t *place) {
    if (!K->tok.p) return value(K, w, place);
    *from = lower_from(K->tok, K->lo, K->n, *from, w);
    return value_of(K, w, *from, place);
}

/* K's sums before its member i at temperature ti: [a, a log a (, parent's a, a log a)]. */
static const double *sums_at(const Kept *K, int64_t i, int ti) {
    return K->rec + i * K->stride + 1 + (K->tok.p ? 4 : 2) * ti;
}

/* K's mass before x from its sums r before its member i (the first member >= x): the
 * members' own, and phi times the parent's at the other tokens. */
static void mass_before(const Kept *K, int ti, int64_t x, const double *r, double *mass,
                        double *az) {
    double phi = K->phi[2 * ti], log_phi = K->phi[2 * ti + 1];
    *mass = r[0];
    *az = r[1];
    if (phi == 0.0) return; /* gamma = 0, or scaled below the smallest double */
    double pm, paz;
    prefix(K->parent, ti, x, -1, &pm, &paz);
    double out = pm - r[2], out_az = paz - r[3]; /* the parent's, at K's non-members */
    if (out < 0.0) out = 0.0;                     /* (rounding) */
    *mass += phi * out;
    *az += phi * (log_phi * out + out_az);
}

void prefix_sparse(const Kept *K, int ti, int64_t x, int64_t i, double *mass, double *az) {
    if (i < 0) i = lower(K->tok, K->lo, K->n, x);
    mass_before(K, ti, x, sums_at(K, i, ti), mass, az);
}

void gaps(const Kept *K, int ti, const int32_t *set, int64_t ns, int64_t vocab,
          const int64_t *place, double *gap) {
    double m_prev = 0.0, az_prev = 0.0, m_x, az_x;
    for (int64_t i = 0;; i++) {
        int64_t x = i < ns ? set[i] : vocab, at = !place ? -1 : i < ns ? place[i] : 2 * K->n;
        prefix(K, ti, x, at < 0 ? -1 : at / 2, &m_x, &az_x); /* (at / 2: K's members < x) */
        gap[2 * i] = m_x - m_prev;
        gap[2 * i + 1] = az_x - az_prev;
        if (i == ns) break;
        prefix(K, ti, x + 1, at < 0 ? -1 : at / 2 + at % 2, &m_prev, &az_prev);
    }
}

int64_t find(const Kept *K, int ti, int64_t lo, int64_t hi, double mass) {
    if (!K->tok.p) /* on the running sums */
        return lo + first_above(sums_at(K, lo + 1, ti), hi - lo, K->stride, mass);
    /* The first member j in [lo, hi) with K's mass through j above `mass`... */
    int64_t ia = lower(K->tok, K->lo, K->n, lo), ib = lower(K->tok, K->lo, K->n, hi);
    int64_t a = ia, b = ib;
    while (a < b) {
        int64_t mid = a + (b - a) / 2, x = at(K->tok, K->lo + mid) + 1;
        double m, az;
        mass_before(K, ti, x, sums_at(K, mid + 1, ti), &m, &az);
        if (m > mass) b = mid;
        else a = mid + 1;
    }
    /* ...then the answer is j itself or before it, among non-members: the parent's mass
     * there, scaled by phi, plus the constant members' part */
    int64_t gap_lo = a > ia ? at(K->tok, K->lo + a - 1) + 1 : lo;
    int64_t gap_hi = a < ib ? at(K->tok, K->lo + a) : hi;
    if (a < ib) {
        double m, az;
        mass_before(K, ti, gap_hi, sums_at(K, a, ti), &m, &az);
        if (!(m > mass) || gap_lo == gap_hi) return gap_hi; /* the member j */
    }
    if (gap_lo >= gap_hi) return hi - 1;
    const double *r = sums_at(K, a, ti);
    double phi = K->phi[2 * ti];
    if (phi == 0.0) return gap_hi < hi ? gap_hi : hi - 1;
    return find(K->parent, ti, gap_lo, gap_hi, (mass - r[0]) / phi + r[2]);
}

/* The running sums of a row's tempered weights at every temperature, from its values p
 * (n,) and their maximum, into records at rec + 1 + off, `width` apart per temperature. */
static void sums(const Cache *s, const double *p, int64_t n, double log_max, double *rec,
                 int stride, int off, int width) {
    double *z = s->z, *w = s->w;
    for (int ti = 0; ti < s->n_temps; ti++) {
        logs(p, z, n);
        temper(z, z, w, n, s->temps[ti], log_max);
        double *c = rec + 1 + off + width * ti, a = 0.0, az = 0.0;
        for (int64_t i = 0; i <= n; i++, c += stride) {
            c[0] = a;
            c[1] = az;
            if (i == n) break;
            a += w[i];
            az += w[i] > 0.0 ? w[i] * z[i] : 0.0;
        }
    }
}

/* A dense context of level k: its whole row, from its parent's (level 1: from uniform). */
static Kept *build_dense(Cache *s, const int64_t *rank, int k, const Kept *P) {
    int v = s->m->vocab, stride = s->dstride;
    Kept *K = cache_keep(s, sizeof *K);
    double *rec = K ? cache_keep(s, sizeof(double) * (size_t)(v + 1) * stride) : NULL;
    if (!rec) return NULL;
    memset(K, 0, sizeof *K);
    double *row = s->row;
    for (int i = 0; i < v; i++) row[i] = P ? P->rec[(int64_t)i * P->stride] : 1.0 / v;
    interpolate(&s->m->lv[k], rank[k - 1], row, row, v, s->iota);
    int64_t top = 0;
    for (int i = 1; i < v; i++)
        if (row[i] > row[top]) top = i;
    for (int i = 0; i < v; i++) rec[(int64_t)i * stride] = row[i];
    rec[(int64_t)v * stride] = 0.0;
    K->n = v;
    K->stride = stride;
    K->gamma = s->m->lv[k].ctx[rank[k - 1]].gamma;
    K->pmax = row[top];
    K->log_max = log_of(row[top]);
    K->top = top;
    K->rec = rec;
    sums(s, row, v, K->log_max, rec, stride, 0, 2);
    return K;
}

/* A sparse context of level k over its parent P: its successors' values and sums. */
static Kept *build_sparse(Cache *s, const int64_t *rank, int k, const Kept *P) {
    const Level *lv = &s->m->lv[k];
    const Ctx *c = &lv->ctx[rank[k - 1]];
    int64_t n = c->n_succ, lo = c->succ;
    int stride = s->sstride;
    /* values: p = p_P gamma + u, and the best member (ascending: the first of ties) */
    double *pp = s->vbuf, *p = s->row, best_p = -1.0;
    int64_t best = -1;
    for (int64_t i = 0; i < n; i++) {
        pp[i] = value(P, at(lv->token, lo + i), NULL);
        s->pos[at(lv->token, lo + i)] = (int32_t)i; /* (free now: a step's S is built later) */
    }
    interpolate(lv, rank[k - 1], pp, p, n, s->pos);
    for (int64_t i = 0; i < n; i++)
        if (p[i] > best_p) best_p = p[i], best = at(lv->token, lo + i);
    int64_t top;
    /* The maximum, exactly: no non-member exceeds out = gamma max p_P, and P's top, when not
     * a member, has out. If it is a member (or unknown), the non-members' maximum may lie
     * below out (a back-off model can list a token below its back-off estimate): unless a
     * member reaches out, the maximum is not known, and K is not kept. */
    double out = P->pmax * c->gamma;
    int64_t pt = P->top, i = pt >= 0 ? lower(lv->token, lo, n, pt) : 0;
    int pt_out = pt >= 0 && !(i < n && at(lv->token, lo + i) == pt);
    if (best_p > out) top = best;
    else if (pt_out) top = out > best_p || pt < best ? pt : best;
    else if (best_p == out) top = -1; /* a non-member may tie with the best member */
    else return &unkept;
    Kept *K = cache_keep(s, sizeof *K);
    double *rec = K ? cache_keep(s, sizeof(double) * (size_t)(n + 1) * stride) : NULL;
    double *phi = rec ? cache_keep(s, sizeof(double) * (2 * (size_t)s->n_temps + 1)) : NULL;
    if (!phi) return NULL;
    *K = (Kept){.parent = P, .tok = lv->token, .lo = lo, .n = n, .stride = stride,
                .gamma = c->gamma, .top = top, .rec = rec, .phi = phi};
    for (int64_t j = 0; j < n; j++) rec[j * stride] = p[j];
    rec[n * stride] = 0.0;
    K->pmax = best_p > out ? best_p : out;
    K->log_max = log_of(K->pmax);
    /* per temperature: the members' sums, the parent's at the same tokens, and phi */
    sums(s, p, n, K->log_max, rec, stride, 0, 4);
    sums(s, pp, n, P->log_max, rec, stride, 2, 4);
    double log_out = log_of(out);
    for (int ti = 0; ti < s->n_temps; ti++) /* from `out` itself: phi <= 1 exactly */
        temper(&log_out, &phi[2 * ti + 1], &phi[2 * ti], 1, s->temps[ti], K->log_max);
    return K;
}

Kept *kept_of(Cache *s, const int64_t *rank, int k, int *level) {
    if (k > s->depth) k = s->depth;
    Kept **slot = &s->kept[k][rank[k - 1]];
    *level = k;
    if (*slot && *slot != &unkept) return *slot;
    Kept *P = NULL;
    if (k > 1) {
        P = kept_of(s, rank, k - 1, level);
        if (!P || *level < k - 1 || *slot == &unkept) return P; /* out of memory or room */
    }
    if (k > s->dense) {
        int64_t need = (s->m->lv[k].ctx[rank[k - 1]].n_succ + 1) * s->sstride;
        if (need > s->room) {
            *level = k - 1;
            return P;
        }
        s->room -= need;
    }
    *slot = k <= s->dense ? build_dense(s, rank, k, P) : build_sparse(s, rank, k, P);
    *level = *slot == &unkept ? k - 1 : k;
    return *slot == &unkept ? P : *slot;
}
