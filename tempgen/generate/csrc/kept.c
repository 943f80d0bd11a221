/* Kept contexts (kept.h): building them, and the queries a draw makes of them.
 *
 * For a sparse context K with parent P, a token w that K does not list has
 * p_K(w) = gamma p_P(w), so its tempered weight is a_K(w) = phi a_P(w) with
 * phi = (gamma max p_P / max p_K)^(1/T) <= 1: K's totals are its members' own and phi times
 * P's at the other tokens; and its largest p over a node, its members' (in leaf order, with
 * a max tree) or gamma times P's (in logs).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kept.h"
#include "vmath.h"

/* What build_sparse gives for a context that is not kept (its rows use its parent's). */
static Kept unkept;

int cache_init(Cache *s, const Model *m, int dense, int depth, int64_t room,
               const double *temps, int n_temps, const int32_t *leaf_token) {
    memset(s, 0, sizeof *s);
    size_t v = (size_t)m->vocab;
    s->m = m;
    s->dense = dense;
    s->depth = depth;
    s->room = s->room_all = room;
    s->temps = temps;
    s->n_temps = n_temps;
    s->leaf_token = leaf_token;
    s->tree_ids = 2;
    while (s->tree_ids < 2 * (int64_t)v) s->tree_ids *= 2; /* 2^(levels of the tree) */
    double bytes = 0.0; /* Cache.whole: the rows of levels 1..whole fit WHOLE_BYTES */
    s->whole = 1;
    for (int k = 1; k <= dense; k++) {
        bytes += (double)m->lv[k].n_ctx * (double)v * sizeof(double);
        if (bytes > WHOLE_BYTES) break;
        s->whole = k;
    }
    for (int k = 1; k <= depth; k++)
        if (!(s->kept[k] = calloc(m->lv[k].n_ctx, sizeof(Kept *)))) return -1;
    s->pos = calloc(6 * v, sizeof(int32_t)); /* pos, set, buf, token_leaf, token_node, inner */
    s->in_s = calloc((v + 63) / 64, sizeof(uint64_t));
    s->bits = calloc((v + 63) / 64, sizeof(uint64_t));
    s->iota = malloc(sizeof(int32_t) * v);
    s->ints = malloc(sizeof(int64_t) * 2 * v); /* place, pbuf */
    /* val, vbuf, kval, kbuf, z, w (each v + 1), row (2v + 1) */
    s->doubles = malloc(sizeof(double) * (8 * v + 8));
    if (!s->pos || !s->in_s || !s->bits || !s->iota || !s->ints || !s->doubles) return -1;
    s->set = s->pos + v;
    s->buf = s->set + v;
    s->token_leaf = s->buf + v;
    s->token_node = s->token_leaf + v;
    s->inner = s->token_node + v;
    for (size_t i = 0; i < v; i++) {
        s->iota[i] = (int32_t)i;
        s->token_leaf[leaf_token[i]] = (int32_t)i;
    }
    tree_layout(leaf_token, (int64_t)v, s->token_node, s->inner);
    s->place = s->ints;
    s->pbuf = s->place + v;
    s->val = s->doubles;
    s->vbuf = s->val + v + 1; /* each one value more than the vocabulary (draw_row) */
    s->kval = s->vbuf + v + 1;
    s->kbuf = s->kval + v + 1;
    s->z = s->kbuf + v + 1;
    s->w = s->z + v + 1;
    s->row = s->w + v + 1;
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
    free(s->bits);
    free(s->iota);
    free(s->ints);
    free(s->doubles);
    memset(s, 0, sizeof *s);
}

int cache_renew(Cache *s) {
    Cache was = *s;
    cache_free(s);
    int ok = cache_init(s, was.m, was.dense, was.depth, was.room_all, was.temps, was.n_temps,
                        was.leaf_token);
    s->sums_only = was.sums_only;
    return ok;
}

double value_of(const Kept *K, int64_t w, int64_t i, int64_t *place) {
    int member = i < K->n && at(K->tok, K->lo + i) == w;
    if (place) *place = 2 * i + member;
    if (member) return K->p[i];
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

double kept_amax(const Kept *K, int ti, int64_t tree_ids, uint64_t id, int64_t lo, int64_t hi) {
    if (!K->tok.p) return K->amax[ti * tree_ids + id];
    double m = leaves_max(&K->la[ti], lo, hi);
    double b = K->phi[ti] * kept_amax(K->parent, ti, tree_ids, id, lo, hi);
    return m > b ? m : b;
}

/* The sums over p[0..n) (with their maximum's log) of a = (p / max)^(1/T), of a ln a and of
 * a (ln a)^2, at temperature t, into sum[0..3); a itself into a (if not NULL). */
static void totals(const Cache *s, const double *p, int64_t n, double log_max, double t,
                   double *sum, double *a) {
    double *z = s->z, *w = a ? a : s->w, sa = 0.0, az = 0.0, azz = 0.0;
    logs(p, z, n);
    temper(z, z, w, n, t, log_max);
    for (int64_t i = 0; i < n; i++) {
        double wz = w[i] > 0.0 ? w[i] * z[i] : 0.0;
        sa += w[i];
        az += wz;
        azz += w[i] > 0.0 ? wz * z[i] : 0.0;
    }
    sum[0] = sa;
    sum[1] = az;
    sum[2] = azz;
}

/* The largest a of each node of the noise tree from node `id` (leaves [lo, hi)) down, of a
 * whole row of a by token. */
static double node_maxima(const Cache *s, const double *a, double *out, uint64_t id,
                          int64_t lo, int64_t hi) {
    double m;
    if (hi - lo == 1) {
        m = a[s->leaf_token[lo]];
    } else {
        int64_t mid = lo + (hi - lo) / 2;
        double x = node_maxima(s, a, out, 2 * id, lo, mid);
        double y = node_maxima(s, a, out, 2 * id + 1, mid, hi);
        m = x > y ? x : y;
    }
    out[id] = m;
    return m;
}

/* A dense context of level k: its whole row, from its parent's (level 1: from uniform). */
static Kept *build_dense(Cache *s, const int64_t *rank, int k, const Kept *P) {
    int v = s->m->vocab, nt = s->n_temps;
    size_t per_t = (size_t)v + (size_t)s->tree_ids;
    Kept *K = cache_keep(s, sizeof *K);
    double *p = K ? cache_keep(s, sizeof(double) * (2 * (size_t)v + nt * (per_t + 3))) : NULL;
    if (!p) return NULL;
    memset(K, 0, sizeof *K);
    for (int i = 0; i < v; i++) p[i] = P ? P->p[i] : 1.0 / v;
    interpolate(&s->m->lv[k], rank[k - 1], p, p, v, s->iota);
    int64_t top = 0;
    for (int i = 1; i < v; i++)
        if (p[i] > p[top]) top = i;
    K->n = v;
    K->gamma = s->m->lv[k].ctx[rank[k - 1]].gamma;
    K->pmax = p[top];
    K->log_max = log_of(p[top]);
    K->top = top;
    K->p = p;
    K->lnp = p + v;
    K->tot = K->lnp + v;
    K->arow = K->tot + 3 * nt;
    K->amax = K->arow + (size_t)nt * v;
    logs(p, K->lnp, v);
    for (int i = 0; i < v; i++) {
        K->sl += K->lnp[i];
        K->sll += K->lnp[i] * K->lnp[i];
    }
    if (!isfinite(K->sl)) K->sl = K->sll = NAN;
    for (int ti = 0; ti < nt; ti++) {
        totals(s, p, v, K->log_max, s->temps[ti], K->tot + 3 * ti, K->arow + (size_t)ti * v);
        if (!s->sums_only)
            node_maxima(s, K->arow + (size_t)ti * v, K->amax + (size_t)ti * s->tree_ids, 1, 0,
                        v);
    }
    return K;
}

/* Bytes a sparse context of n members takes (build_sparse). */
static int64_t sparse_bytes(const Cache *s, int64_t n) {
    int64_t nt = s->n_temps;
    return sizeof(Kept) + (int64_t)sizeof(double) * (n + 5 * nt + 3 * n * nt) +
           (int64_t)sizeof(int32_t) * n + (int64_t)sizeof(Leaves) * nt + 6 * 64;
}

/* A sparse context of level k over its parent P: its successors' values, its totals and
 * its members in leaf order. */
static Kept *build_sparse(Cache *s, const int64_t *rank, int k, const Kept *P) {
    const Level *lv = &s->m->lv[k];
    const Ctx *c = &lv->ctx[rank[k - 1]];
    int64_t n = c->n_succ, lo = c->succ;
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
    int nt = s->n_temps;
    size_t m = (size_t)(n ? n : 1);
    Kept *K = cache_keep(s, sizeof *K);
    double *kp = K ? cache_keep(s, sizeof(double) * (m + 5 * nt + 3 * m * nt)) : NULL;
    Leaves *la = kp ? cache_keep(s, sizeof(Leaves) * (size_t)(nt ? nt : 1)) : NULL;
    int32_t *lp = la ? cache_keep(s, sizeof(int32_t) * m) : NULL;
    if (!lp) return NULL;
    *K = (Kept){.parent = P, .tok = lv->token, .lo = lo, .n = n, .gamma = c->gamma,
                .top = top, .p = kp, .tot = kp + m, .phi = kp + m + 3 * nt, .la = la};
    memcpy(kp, p, sizeof(double) * (size_t)n);
    K->pmax = best_p > out ? best_p : out;
    K->log_max = log_of(K->pmax);
    /* the sums of ln p_K and its square: the members' own, and at the other tokens the
     * parent's, each ln gamma more */
    double a1 = 0.0, a2 = 0.0, b1 = 0.0, b2 = 0.0, lg = log_of(c->gamma), *lz = s->z;
    logs(p, lz, n);
    for (int64_t j = 0; j < n; j++) a1 += lz[j], a2 += lz[j] * lz[j];
    logs(pp, lz, n);
    for (int64_t j = 0; j < n; j++) b1 += lz[j], b2 += lz[j] * lz[j];
    double rest = (double)(s->m->vocab - n), r1 = P->sl - b1, r2 = P->sll - b2;
    K->sl = a1 + (rest > 0 ? rest * lg + r1 : 0.0);
    K->sll = a2 + (rest > 0 ? rest * lg * lg + 2.0 * lg * r1 + r2 : 0.0);
    if (!isfinite(K->sl) || !isfinite(K->sll)) K->sl = K->sll = NAN;
    /* per temperature: the members' a in leaf order; their sums, and phi times the parent's
     * at the other tokens */
    for (int64_t j = 0; j < n; j++) s->buf[j] = (int32_t)at(lv->token, lo + j);
    double log_out = log_of(out), *a = s->kval; /* (free while contexts are built) */
    for (int ti = 0; ti < nt; ti++) {
        double t = s->temps[ti], parents[3], *tot = K->tot + 3 * ti;
        totals(s, pp, n, P->log_max, t, parents, NULL);
        totals(s, p, n, K->log_max, t, tot, a);
        temper(&log_out, &K->phi[nt + ti], &K->phi[ti], 1, t, K->log_max); /* phi <= 1 exactly */
        /* the parent's rest: a = phi a_P, ln a = ln phi + ln a_P */
        double phi = K->phi[ti], lf = K->phi[nt + ti], *pt = P->tot + 3 * ti;
        double r = pt[0] - parents[0], rz = pt[1] - parents[1], rzz = pt[2] - parents[2];
        if (r < 0.0) r = 0.0; /* (rounding) */
        if (phi > 0.0) {
            tot[0] += phi * r;
            tot[1] += phi * (lf * r + rz);
            tot[2] += phi * (lf * lf * r + 2.0 * lf * rz + rzz);
        }
        double *w = kp + m + 5 * nt + 3 * m * ti; /* (after p, tot and phi) */
        la[ti] = (Leaves){.pos = lp, .w = w, .tree = w + m};
        if (!s->sums_only) leaves_of(&la[ti], s->buf, a, n, s->token_leaf, s->bits, s->kbuf);
    }
    return K;
}

int64_t kept_need(const Cache *s, const int64_t *rank, int k) {
    int64_t need = 0;
    for (int j = k < s->depth ? k : s->depth; j > s->dense && !s->kept[j][rank[j - 1]]; j--)
        need += sparse_bytes(s, s->m->lv[j].ctx[rank[j - 1]].n_succ);
    return need;
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
        int64_t need = sparse_bytes(s, s->m->lv[k].ctx[rank[k - 1]].n_succ);
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
