/* A large vocabulary's row by its distinct values (distinct.h).
 *
 * Off S (rowset.h) a row is G p_K, and K here is the root or a context of level 2 over it,
 * whose non-members have gamma_K times the root's p. The root's p takes few values (one per
 * count: 277 on the bundled word model), and its tokens of one value are one run of the
 * noise tree's leaves (the root's order, ties by id); K's members take a few hundred (kept
 * once per K, Members). So a row is its groups of one value: K's values and the root's
 * runs, each less the tokens S lists, with S's members of its value, and S's members of
 * the values no other group has (S's order by value is kept by context). The chain runs on
 * the groups, each weighed by its number of tokens (links.h, Cands.m), as chain.c runs it
 * on the whole row; a cut that keeps some of a group's tokens keeps their first by id, as
 * the whole row's ties go (no two groups share a value, so no cut falls between two).
 * The draw searches the noise tree (noise.h) with S's members listed, any other token
 * weighing its group's weight, and a node bounded by the largest weight of any group up to
 * its largest p (K's members' by their max tree, the root's by its order). A step costs S,
 * K's values and the runs (hundreds), not the vocabulary or K's members.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "distinct.h"
#include "order.h"
#include "ranking.h"
#include "rowset.h"
#include "vmath.h"

#define BANDS 2048 /* a node's bound reads the largest weight up to its p from bands of p */
/* The room of runs_of: doubles, then ints, for a vocabulary of v in n runs. */
#define RUN_DOUBLES(v, n) (3 * ((size_t)(v) + (size_t)(n)) + BANDS)
#define RUN_INTS(v, n) (2 * (size_t)(n) + 1 + 4 * ((size_t)(v) + (size_t)(n)) + 3 * (size_t)(v))

/* The root's runs (k->runs, made on first use from its ranking), or NULL when out of
 * memory; n = 0 when the noise tree's leaves are not in the root's order. */
static Runs *runs_of(Cache *s, Work *k, const Ranking *root) {
    if (k->runs) return k->runs;
    int64_t v = root->n, n = 0, o = 0;
    int same = v == s->m->vocab;
    for (int64_t i = 0; same && i < v; i++) same = root->token[i] == s->leaf_token[i];
    for (int64_t i = 0; i < v; i++) n += i == 0 || root->p[i] != root->p[i - 1];
    Runs *r = cache_keep(s, sizeof(Runs) + sizeof(double) * RUN_DOUBLES(v, n) +
                                sizeof(int32_t) * RUN_INTS(v, n));
    if (!r) return NULL;
    r->n = same ? n : 0;
    r->value = (double *)(r + 1);
    r->w = r->value + v + n;
    r->count = r->w + v + n;
    r->table = r->count + v + n;
    r->start = (int32_t *)(r->table + BANDS);
    r->left = r->start + n + 1;
    r->upto = r->left + n;
    r->run = r->upto + v + n;
    r->kv0 = r->run + v + n;
    r->kv1 = r->kv0 + v + n;
    r->sgroup = r->kv1 + v + n;
    r->ids = r->sgroup + v;
    r->of = r->ids + v;
    for (int64_t i = 0; i < v; i++) {
        if (i == 0 || root->p[i] != root->p[i - 1]) r->start[o++] = (int32_t)i;
        r->of[root->token[i]] = (int32_t)(o - 1);
    }
    r->start[n] = (int32_t)v;
    r->orders = NULL;
    return k->runs = r;
}

/* The run holding leaf pos. */
static int64_t run_at(const Runs *r, int64_t pos) {
    int64_t lo = 0, hi = r->n;
    while (hi - lo > 1) {
        int64_t mid = lo + (hi - lo) / 2;
        if (r->start[mid] <= pos) lo = mid;
        else hi = mid;
    }
    return lo;
}

/* K's members by value (K->values, made on first use), or NULL when out of memory. */
static const Members *members_of(Cache *s, Work *k, Kept *K, const Ranking *mine,
                                 const Runs *runs) {
    if (K->values) return K->values;
    int64_t m = mine->n, n = 0, o = 0;
    for (int64_t i = 0; i < m; i++) n += i == 0 || mine->p[i] != mine->p[i - 1];
    Members *v = cache_keep(s, sizeof(Members) + sizeof(double) * (size_t)(n + 3 * m) +
                                   sizeof(int32_t) * (size_t)(n + 1 + runs->n + 2 * m));
    if (!v) return NULL;
    v->n = n;
    v->p = (double *)(v + 1);
    v->byleaf = (Leaves){.w = v->p + n, .tree = v->p + n + m};
    v->from = (int32_t *)(v->p + n + 3 * m);
    v->inrun = v->from + n + 1;
    v->byleaf.pos = v->inrun + runs->n;
    v->vof = v->byleaf.pos + m;
    memset(v->inrun, 0, sizeof(int32_t) * runs->n);
    int32_t *member = k->flag; /* (scratch: each member token's place in K's token order) */
    for (int64_t j = 0; j < m; j++) member[at(K->tok, K->lo + j)] = (int32_t)j;
    for (int64_t i = 0; i < m; i++) {
        if (i == 0 || mine->p[i] != mine->p[i - 1]) {
            v->p[o] = mine->p[i];
            v->from[o++] = (int32_t)i;
        }
        v->inrun[runs->of[mine->token[i]]]++;
        v->vof[member[mine->token[i]]] = (int32_t)(o - 1);
    }
    v->from[n] = (int32_t)m;
    leaves_of(&v->byleaf, mine->token, mine->p, m, s->token_leaf, k->bits, k->by_leaf);
    return K->values = v;
}

/* A step's row: K, its lists, and the gammas that take p_K to p off S. */
typedef struct {
    Cache *s;
    const Kept *K;
    const Ranking *root, *mine;
    const Members *mv;
    Runs *runs;
    int64_t ctx;                /* the context's key: K's level, the row's, its rank */
    double g[MAX_ORDER], gamma; /* gamma: K's (1 for the root) */
    int ng;
    int64_t groups, all; /* K's values' and the runs' groups (by value), and S's after */
    uint64_t band_lo;    /* the bands of p: a value's band is (its bits - band_lo) >> band_shift */
    int band_shift;
    int64_t bands;
    int64_t at[64], below[64]; /* how many of K's members lie below a leaf: leaf at[i & 63]'s
                                * (a node's children share its ends and their middle) */
} Row;

/* How many of K's members (in leaf order) lie below leaf x, remembered. */
static int64_t members_below(Row *r, int64_t x) {
    int slot = (int)(x & 63);
    if (r->at[slot] == x) return r->below[slot];
    const int32_t *pos = r->mv->byleaf.pos;
    int64_t lo = 0, hi = r->mv->byleaf.n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (pos[mid] < x) lo = mid + 1;
        else hi = mid;
    }
    r->at[slot] = x;
    return r->below[slot] = lo;
}

/* The largest p_K of K's members at leaves [lo, hi) (0: none), from their max tree. */
static double members_max(Row *r, int64_t lo, int64_t hi) {
    const Leaves *l = &r->mv->byleaf;
    int64_t a = members_below(r, lo) + l->n, b = members_below(r, hi) + l->n;
    double m = 0.0;
    for (; a < b; a >>= 1, b >>= 1) {
        if (a & 1) m = l->tree[a] > m ? l->tree[a] : m, a++;
        if (b & 1) b--, m = l->tree[b] > m ? l->tree[b] : m;
    }
    return m;
}

/* outside() of rowset.h, from the gammas read once. */
static inline double scaled(const Row *r, double p) {
    for (int i = 0; i < r->ng; i++) p *= r->g[i];
    return p;
}

/* The first group of value <= p (groups, by value, most first). */
static int64_t group_at(const Row *r, double p) {
    int64_t lo = 0, hi = r->groups;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (r->runs->value[mid] > p) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* The group of a token off S, by its value. */
static int64_t group_of(const Row *r, int64_t token) {
    return group_at(r, scaled(r, value(r->K, token, NULL)));
}

/* The bits of a p > 0, which order as p does. */
static inline uint64_t bits_of(double p) {
    uint64_t b;
    memcpy(&b, &p, sizeof b);
    return b;
}

/* The band of p, or -1 below the least group's. */
static inline int64_t band_of(const Row *r, double p) {
    uint64_t b = bits_of(p);
    if (b < r->band_lo) return -1;
    int64_t i = (int64_t)((b - r->band_lo) >> r->band_shift);
    return i < r->bands ? i : r->bands - 1;
}

/* The bands of p over the groups' values, each with the largest weight of any group in it
 * or a lower one (so at least that of any group up to a p in it): runs->table. */
static void make_bands(Row *r) {
    Runs *runs = r->runs;
    r->bands = 0;
    if (r->groups == 0) return;
    uint64_t lo = bits_of(runs->value[r->groups - 1]), hi = bits_of(runs->value[0]);
    r->band_lo = lo;
    r->band_shift = 0;
    while (((hi - lo) >> r->band_shift) >= BANDS) r->band_shift++;
    r->bands = (int64_t)((hi - lo) >> r->band_shift) + 1;
    memset(runs->table, 0, sizeof(double) * r->bands);
    for (int64_t g = 0; g < r->groups; g++) {
        double *t = &runs->table[band_of(r, runs->value[g])];
        *t = runs->w[g] > *t ? runs->w[g] : *t;
    }
    for (int64_t i = 1; i < r->bands; i++)
        runs->table[i] = runs->table[i] > runs->table[i - 1] ? runs->table[i] : runs->table[i - 1];
}

/* The most a token off S weighs over leaves [lo, hi): that of any group up to the largest
 * p there (K's members' by their max tree, the root's others' at leaf lo), read from the
 * bands of p (a little more, as a band's weight is its top's). */
static double bound(void *ctx, uint64_t id, int64_t lo, int64_t hi) {
    Row *r = ctx;
    (void)id;
    double p = scaled(r, r->root->p[lo] * r->gamma);
    if (r->mv) {
        double pm = members_max(r, lo, hi);
        pm = pm > 0.0 ? scaled(r, pm) : 0.0;
        p = pm > p ? pm : p;
    }
    int64_t b = band_of(r, p);
    return b >= 0 ? r->runs->table[b] : 0.0;
}

/* A token the list does not hold: off S, its group's weight, if it stays; S's members the
 * list leaves out are cut. */
static double leaf(void *ctx, int64_t pos) {
    const Row *r = ctx;
    int64_t token = r->s->leaf_token[pos];
    if (in_set(r->s, token)) return 0.0;
    int64_t g = group_of(r, token);
    return g < r->groups && token <= r->runs->upto[g] ? r->runs->w[g] : 0.0;
}

int distinct_fits(const Cache *s, const Chain *ch) {
    if (s->dense != 1) return 0;
    int more = 0;
    for (int i = 0; i < ch->n; i++) {
        int kind = ch->link[i].kind;
        if (kind == L_TEMPERATURE) {
            more |= ch->link[i].x[1] > 0; /* (dynamic) */
            continue;
        }
        if (kind != L_TFS && kind != L_TYPICAL_P && kind != L_SMOOTHING) return 0;
        more = 1;
    }
    return more;
}

/* S's members by value, kept by context: a context's S and their values are the same
 * whenever it is met, and text comes round to the same contexts (a common phrase, a loop
 * at a low temperature). A table of ORDER_SLOTS by the context's hash, the orders in one
 * arena of ORDER_INTS, all let go when it is full. */
#define ORDER_SLOTS 4096
#define ORDER_INTS ((int64_t)1 << 20)
typedef struct Orders {
    int64_t key[ORDER_SLOTS], used;
    int32_t off[ORDER_SLOTS], len[ORDER_SLOTS];
    int32_t arena[];
} Orders;

/* order[0..n): S's n values by value, most first (ties: the first first), as sort_by. */
static void s_order(Row *r, Work *k, const double *value, int64_t n, int32_t *order) {
    Orders *o = r->runs->orders;
    if (!o && (o = cache_keep(r->s, sizeof(Orders) + sizeof(int32_t) * ORDER_INTS))) {
        for (int i = 0; i < ORDER_SLOTS; i++) o->key[i] = -1;
        o->used = 0;
        r->runs->orders = o;
    }
    size_t slot = (size_t)(((uint64_t)r->ctx * 0x9E3779B97F4A7C15u) >> 52);
    if (o && o->key[slot] == r->ctx && o->len[slot] == n) {
        memcpy(order, o->arena + o->off[slot], sizeof(int32_t) * n);
        return;
    }
    sort_by(value, n, -1, order, k->order2);
    if (!o || n > ORDER_INTS / 16) return;
    if (o->used + n > ORDER_INTS) { /* (full: every order let go) */
        for (int i = 0; i < ORDER_SLOTS; i++) o->key[i] = -1;
        o->used = 0;
    }
    o->key[slot] = r->ctx;
    o->off[slot] = (int32_t)o->used;
    o->len[slot] = (int32_t)n;
    memcpy(o->arena + o->used, order, sizeof(int32_t) * n);
    o->used += n;
}

/* The row's groups into c, one candidate each, by value (most first), its number of tokens
 * in c->m and in runs->count: K's values and the runs' (r->groups of them, the first ids),
 * each with S's members of its value, then groups of S's members alone, one a value: no
 * two candidates share a value, so a cut through a value keeps its first tokens by id
 * whichever lists hold them (kept_upto). Returns 1 when two runs share a value. */
static int values(Row *r, Work *k, int64_t ns) {
    Cache *s = r->s;
    Runs *runs = r->runs;
    const Members *mv = r->mv;
    int32_t *left = runs->left, *mcount = k->flag;
    for (int64_t i = 0; i < runs->n; i++)
        left[i] = runs->start[i + 1] - runs->start[i] - (mv ? mv->inrun[i] : 0);
    for (int64_t v = 0; mv && v < mv->n; v++) mcount[v] = mv->from[v + 1] - mv->from[v];
    for (int64_t i = 0; i < ns; i++) { /* S's members leave K's values or their runs */
        if (mv && (s->place[i] & 1)) mcount[mv->vof[s->place[i] >> 1]]--;
        else left[runs->of[s->set[i]]]--;
    }
    int64_t b = 0, j = 0, g = 0, nv = mv ? mv->n : 0;
    for (;;) { /* (the larger of the next of K's values and the runs') */
        while (b < nv && mcount[b] == 0) b++;
        while (j < runs->n && left[j] == 0) j++;
        double vb = b < nv ? scaled(r, mv->p[b]) : -1.0;
        double vr = j < runs->n ? scaled(r, r->root->p[runs->start[j]] * r->gamma) : -1.0;
        double v = vb > vr ? vb : vr, count = 0.0;
        if (!(v > 0.0)) break; /* (the rest are impossible: no candidates) */
        runs->kv0[g] = (int32_t)b;
        for (; b < nv && (vb == v || scaled(r, mv->p[b]) == v); b++, vb = -1.0)
            count += mcount[b];
        runs->kv1[g] = (int32_t)b;
        runs->run[g] = -1;
        if (vr == v) {
            count += left[j];
            runs->run[g] = (int32_t)j++;
            while (j < runs->n && left[j] == 0) j++;
            if (j < runs->n && scaled(r, r->root->p[runs->start[j]] * r->gamma) == v) return 1;
        }
        runs->value[g] = v;
        runs->count[g++] = count;
    }
    r->groups = g;
    /* S's possible members by value, merged in among the groups */
    double *sv = k->sel;
    int32_t *si = k->b.id, *order = k->order;
    int64_t n1 = 0, x = 0, y = 0, o = 0;
    for (int64_t i = 0; i < ns; i++) {
        runs->sgroup[i] = -1;
        if (s->val[i] > 0.0) si[n1] = (int32_t)i, sv[n1++] = s->val[i];
    }
    s_order(r, k, sv, n1, order);
    Cands *c = &k->cur;
    while (x < r->groups || y < n1) {
        double v = y < n1 ? sv[order[y]] : -1.0;
        int64_t at = x < r->groups && runs->value[x] >= v ? x++ : g++;
        if (at >= r->groups) { /* (S's members of a value no other group has) */
            runs->kv0[at] = runs->kv1[at] = 0;
            runs->run[at] = -1;
            runs->value[at] = v;
            runs->count[at] = 0.0;
        }
        for (v = runs->value[at]; y < n1 && sv[order[y]] == v; y++) {
            runs->sgroup[si[order[y]]] = (int32_t)at;
            runs->count[at] += 1.0;
        }
        c->id[o] = (int32_t)at;
        c->w[o] = v;
        k->mult[o++] = runs->count[at];
    }
    c->n = r->all = g;
    logs(c->w, c->w, g);
    c->m = k->mult;
    return 0;
}

static int by_id(const void *x, const void *y) {
    return *(const int32_t *)x - *(const int32_t *)y;
}

/* The largest id among the first `kept` tokens by id of group g: K's members of its values
 * and S's of its value (gathered and sorted), and its run's others (by leaf: by id). */
static int32_t kept_upto(const Row *r, int64_t g, double kept) {
    const Cache *s = r->s;
    const Runs *runs = r->runs;
    const Members *mv = r->mv;
    int32_t *ids = runs->ids, upto = -1;
    int64_t n = 0, x = 0, j = runs->run[g];
    for (int64_t v = runs->kv0[g]; v < runs->kv1[g]; v++)
        for (int64_t i = mv->from[v]; i < mv->from[v + 1]; i++)
            if (!in_set(s, r->mine->token[i])) ids[n++] = r->mine->token[i];
    for (int64_t i = 0; i < s->ns; i++)
        if (runs->sgroup[i] == g) ids[n++] = s->set[i];
    qsort(ids, (size_t)n, sizeof *ids, by_id);
    int64_t pos = j >= 0 ? runs->start[j] : 0, end = j >= 0 ? runs->start[j + 1] : 0, m = 0;
    const int32_t *mpos = mv ? mv->byleaf.pos : NULL;
    int64_t nm = mv ? mv->byleaf.n : 0;
    while (m < nm && mpos[m] < pos) m++;
    for (double taken = 0.0; taken < kept; taken++) {
        for (; pos < end; pos++) { /* (K's members and S's are listed: passed over) */
            while (m < nm && mpos[m] < pos) m++;
            if (!(m < nm && mpos[m] == pos) && !in_set(s, s->leaf_token[pos])) break;
        }
        int32_t tx = x < n ? ids[x] : INT32_MAX, tr = pos < end ? s->leaf_token[pos] : INT32_MAX;
        upto = tx < tr ? tx : tr;
        if (tx < tr) x++;
        else pos++;
    }
    return upto;
}

int distinct_draw(Cache *s, Work *k, const Chain *ch, State *st, const int64_t *rank, int n,
                  uint64_t key, Drawn *d, double *t) {
    int k0;
    Kept *K = kept_of(s, rank, n < 2 ? n : 2, &k0);
    if (!K) return -1;
    Row r = {.s = s, .K = K, .gamma = K->tok.p ? K->gamma : 1.0,
             .ctx = ((int64_t)k0 << 56) + ((int64_t)n << 48) + rank[n - 1]};
    memset(r.at, 0xff, sizeof r.at);
    r.root = root_ranking(s, k, K->tok.p ? K->parent : K);
    if (!r.root || (K->tok.p && !(r.mine = member_ranking(s, k, K, r.root)))) return -1;
    if (!(r.runs = runs_of(s, k, r.root))) return -1;
    if (r.runs->n == 0) return 1;
    if (r.mine && !(r.mv = members_of(s, k, K, r.mine, r.runs))) return -1;
    for (int j = k0 + 1; j <= n; j++) r.g[r.ng++] = s->m->lv[j].ctx[rank[j - 1]].gamma;
    int64_t ns = build_set(s, K, rank, k0, n);
    Runs *runs = r.runs;
    Cands *c = &k->cur;
    if (values(&r, k, ns)) return 1;
    k->bail = k->q_ready = 0;
    run_chain(ch, 0, k, st, t);
    double *mm = c->m;
    c->m = NULL;
    if (k->bail) return 1;
    /* each group's weight, and how far its tokens by id stay */
    double zsum = 0.0, *q = k->p, *lw = k->tmp;
    if (!k->q_ready) exps(c->w, q, c->n);
    for (int64_t g = 0; g < r.all; g++) runs->upto[g] = -1;
    for (int64_t i = 0; i < c->n; i++) {
        int64_t g = c->id[i];
        zsum += q[i] > 0.0 ? mm[i] * (q[i] * c->w[i]) : 0.0;
        runs->upto[g] = mm[i] < runs->count[g] ? kept_upto(&r, g, mm[i]) : INT32_MAX;
    }
    for (int64_t g = 0; g < r.all; g++) runs->w[g] = 0.0;
    for (int64_t i = 0; i < c->n; i++) runs->w[c->id[i]] = q[i];
    make_bands(&r);
    int32_t *listed = k->order; /* (S's members that stay, with their weights) */
    int64_t nl = 0;
    for (int64_t i = 0; i < ns; i++) {
        int32_t g = runs->sgroup[i];
        if (g >= 0 && s->set[i] <= runs->upto[g] && runs->w[g] > 0.0) {
            listed[nl] = s->set[i];
            lw[nl++] = runs->w[g];
        }
    }
    leaves_of(&k->leaves, listed, lw, nl, s->token_leaf, k->bits, k->by_leaf);
    double e;
    Scores sc = {.list = &k->leaves, .bound = bound, .leaf = leaf, .ctx = &r};
    int64_t at = gumbel_min(&sc, key, s->m->vocab, &e), tok = s->leaf_token[at];
    int64_t g = in_set(s, tok) ? runs->sgroup[s->pos[tok]] : group_of(&r, tok);
    for (int64_t i = 0; i < c->n; i++)
        if (c->id[i] == g) d->logq = c->w[i];
    d->token = tok;
    d->logp = log_of(in_set(s, tok) ? s->val[s->pos[tok]] : scaled(&r, value(K, tok, NULL)));
    d->entropy = -zsum / M_LN2 + 0.0;
    d->adapt_p = NAN;
    return 0;
}
