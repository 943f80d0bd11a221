/* One row's draw: the row's ln q (a chain's, or the model row tempered), and the token of
 * the Gumbel-max draw with the row's step key (noise.h; generate/draw.py computes it for
 * the numpy path).
 *
 * A row only tempered is drawn without the whole row: its deepest kept context K (kept.h)
 * already holds most of it, as p differs from p_K only at the successors of the longer
 * matched contexts, the set S, and is G p_K elsewhere (G the product of those contexts'
 * gammas). The search reads S's members and K's largest weight over the nodes it visits;
 * the row's normaliser and entropy come from K's totals, corrected at S: a step costs
 * O(|S|) and the nodes visited, instead of O(V).
 */
#include <math.h>
#include <string.h>

#include "distinct.h"
#include "draw.h"
#include "moments.h"
#include "ranked.h"
#include "ranking.h"
#include "rowset.h"
#include "state.h"
#include "vmath.h"

/* A bound's slack over rounding (K's weights worked out apart from the row's) */
#define SLACK (1 + 1e-9)

int model_row(Cache *s, const int64_t *rank, int n, double *row) {
    int v = s->m->vocab, k;
    const Kept *D = kept_of(s, rank, n < s->whole ? n : s->whole, &k);
    if (!D) return -1;
    fetch_successors(s->m, rank, k + 1, n);
    memcpy(row, D->p, sizeof(double) * v);
    for (k++; k <= n; k++) interpolate(&s->m->lv[k], rank[k - 1], row, row, v, s->iota);
    return 0;
}

/* The draw among the candidates c (token order), whose weights are w (proportional to q):
 * the index in c of the token of the Gumbel-max draw with step key `key`. */
static int64_t draw_among(const Cache *s, Work *k, const Cands *c, const double *w,
                          uint64_t key) {
    int64_t v = s->m->vocab, at;
    double e;
    if (v <= 4 * c->n) { /* (most of a small vocabulary: every node's weight, in the room of
                            the leaves' arrays, which hold 4 (vocab + 1) > tree_ids) */
        node_weights(c->id, w, c->n, v, s->token_node, s->inner, k->leaves.w);
        at = gumbel_min(&(Scores){.exact = k->leaves.w}, key, v, &e);
    } else {
        leaves_of(&k->leaves, c->id, w, c->n, s->token_leaf, k->bits, k->by_leaf);
        at = gumbel_min(&(Scores){.list = &k->leaves}, key, v, &e);
    }
    int64_t tok = s->leaf_token[at];
    return lower((Ints){.p = (const char *)c->id, .size = sizeof *c->id}, 0, c->n, tok);
}

/* The whole row, tempered, and its draw, for what K cannot take: a row whose maximum it
 * does not know (K's top is in S, and no member of S reaches it). Returns -1 when out of
 * memory. */
static int dense_draw(Cache *s, Work *k, const int64_t *rank, int n, double t, uint64_t key,
                      Drawn *d) {
    int v = s->m->vocab;
    double *row = s->row, *z = s->z, *e = s->w;
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
    Cands *c = &k->cur;
    int64_t o = 0;
    for (int i = 0; i < v; i++) {
        total += e[i];
        zsum += e[i] > 0.0 ? e[i] * z[i] : 0.0;
        c->id[o] = i; /* (those possible; no branch on which) */
        c->w[o] = e[i];
        o += e[i] > 0.0;
    }
    c->n = o;
    int64_t tok = c->id[draw_among(s, k, c, c->w, key)];
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
        if (k->keys[slot] == (key | ROW_HELD)) {
            k->row_slot = slot;
            return k->rows + slot * v;
        }
    }
    if (model_row(s, rank, n, s->row) < 0) return NULL;
    int keep = k->slots && k->keys[slot] == key; /* met once before */
    double *lp = keep ? k->rows + slot * v : s->z;
    logs(s->row, lp, v);
    if (k->slots) k->keys[slot] = keep ? key | ROW_HELD : key;
    if (keep) { /* (a new row in the slot: its order is not yet known) */
        k->ordered[slot] = 0;
        k->row_slot = slot;
    }
    return lp;
}

/* How many links at the chain's head change a row at few tokens (chain.h, touch). */
static int touching(const Chain *ch) {
    int i = 0;
    while (i < ch->n && (ch->link[i].kind == L_LOGIT_BIAS || ch->link[i].kind == L_PENALTIES ||
                         ch->link[i].kind == L_DRY || ch->link[i].kind == L_NO_REPEAT_NGRAM))
        i++;
    return i;
}

/* Links that change a row at few tokens, then top-k (llama.cpp's order), on a large
 * vocabulary: the top-k of the changed row lies among the changed tokens and the k + (their
 * number) likeliest of the model's row, whose order the others keep. Those, in k->cur in
 * token order with their log p (also in k->lp). Returns 1 when the whole row is needed
 * instead, -1 when out of memory. */
static int touched_top_k(Cache *s, Work *k, const Chain *ch, int lead, State *st,
                         const int64_t *rank, int n) {
    int32_t *touched = k->flag; /* (free until the chain runs) */
    int64_t m = penalised_tokens(ch, k, st, touched), i = 0, j = 0, o = 0;
    Link wide = ch->link[lead];
    wide.x[0] += (double)m;
    if (wide.x[0] >= (double)s->m->vocab) return 1;
    int k0;
    if (ranked_cut(s, k, &wide, rank, n) < 0) return -1;
    Kept *K = kept_of(s, rank, n, &k0);
    if (!K) return -1;
    build_set(s, K, rank, k0, n);
    add_tokens(s, K, touched, m, rank, k0, n); /* (their p: s->val, by s->pos) */
    Cands *c = &k->cur, *a = &k->a;
    while (i < c->n || j < m) { /* the two lists merged, in token order */
        int64_t x = i < c->n ? c->id[i] : INT64_MAX, y = j < m ? touched[j] : INT64_MAX;
        if (x <= y) {
            a->id[o] = c->id[i];
            a->w[o++] = c->w[i++];
            j += x == y;
            continue;
        }
        double p = s->val[s->pos[y]];
        j++;
        if (!(p > 0.0)) continue; /* (impossible: not a candidate, as in the whole row) */
        a->id[o] = (int32_t)y;
        a->w[o] = k->lp[y] = log_of(p);
        o++;
    }
    memcpy(c->id, a->id, sizeof(int32_t) * o);
    memcpy(c->w, a->w, sizeof(double) * o);
    c->n = o;
    return 0;
}

/* Whether every token of the row has p >= floor_p (1; 0 when not known; -1 when out of
 * memory): of an interpolated model (p = gamma p' + u, u >= 0 at every level) each p is at
 * least the gammas' product times the least p of the empty context's row (the last of its
 * ranking). */
static int keeps_all(Cache *s, Work *k, const int64_t *rank, int n, double floor_p) {
    for (int lv = 1; lv <= n; lv++)
        if (s->m->lv[lv].u) return 0; /* (a back-off model may list p below gamma p') */
    int k0;
    const Kept *R = kept_of(s, rank, 1, &k0);
    const Ranking *root = R ? root_ranking(s, k, R) : NULL;
    if (!root) return -1;
    double least = outside(s->m, root->p[root->n - 1], rank, 1, n);
    return floor_p <= least * (1 - 1e-9);
}

/* A plain temperature then Mirostat 2, on a large vocabulary: the tokens of surprise at most
 * mu under the tempered row, q = p^b / e^L(b) with L the row's log-partition (moments.h),
 * are those of p >= e^((L - mu ln 2) / b); read from the top down, kept by Mirostat's own
 * rule on that q (chain.c, mirostat_cut) and renormalised, as the whole row gives them.
 * Into k->cur with their log q; 1: the whole row instead; 2: every token stays (the
 * tempered row, drawn as T alone); -1: out of memory. */
static int mirostat_top(Cache *s, Work *k, const Chain *ch, State *st, const int64_t *rank,
                        int n, double *t) {
    const Link *temp = &ch->link[0];
    double b = 1.0 / temp->x[0], mu = st->mu, out[3] = {0.0, 0.0, 0.0};
    int ti = temp_index(s, temp->x[0]);
    if (ti < 0 || isnan(mu)) return 1;
    if (row_moments_at(s, rank, n, ti, out) < 0) return -1;
    double floor = exp2(-(mu + MARGIN));
    Link wide = {.kind = L_EPSILON_CUTOFF,
                 .x = {exp((out[0] + log(floor)) / b) * (1 - 1e-6), 0.0, 0.0}};
    int keeps = keeps_all(s, k, rank, n, wide.x[0]);
    if (keeps) return keeps < 0 ? -1 : 2; /* (the tempered row itself: as T alone) */
    int r = ranked_cut(s, k, &wide, rank, n);
    if (r) return r;
    Cands *c = &k->cur;
    double mx = largest(c);
    for (int64_t i = 0; i < c->n; i++) {
        double q = exp(b * c->w[i] - out[0]);
        k->flag[i] = q > floor * (1 + 1e-9) || (q >= floor * (1 - 1e-9) && -log2(q) <= mu + MARGIN) ||
                     c->w[i] == mx;
    }
    keep_marked(c, k->flag);
    Chain tempered = {.n = 1, .link = {*temp}};
    run_from(&tempered, 0, k, c, st, t); /* (renormalised on the tokens kept) */
    return 0;
}

/* XTC then a plain temperature, on a large vocabulary: the mixture of its two outcomes is
 * the tempered row with its excluded tokens' weights times (1 - P) / ((1 - P) + P / s), s the
 * kept tokens' share of the tempered row (xtc.c, xtc_tempered): a row changed at the few top
 * tokens, drawn the short way as a logit bias of T ln that factor (sparse_draw). The top
 * tokens (p >= threshold) are read from the top down; s comes from the row's log-partition.
 * 1: the whole row instead; -1: out of memory. */
static int xtc_short(Cache *s, Work *k, const Chain *ch, State *st, const int64_t *rank,
                     int n, uint64_t key, Drawn *d, double *t) {
    double prob = ch->link[0].x[0], thr = ch->link[0].x[1] * (1 - MARGIN), T = ch->link[1].x[0];
    double b = 1.0 / T, out[3] = {0.0, 0.0, 0.0};
    int ti = temp_index(s, T);
    if (ti < 0) return 1;
    Link top = {.kind = L_EPSILON_CUTOFF, .x = {thr * (1 - 1e-6), 0.0, 0.0}};
    int r = ranked_cut(s, k, &top, rank, n);
    if (r) return r;
    Cands *c = &k->cur;
    int64_t count = 0, least = -1;
    double low = INFINITY;
    for (int64_t i = 0; i < c->n; i++) { /* (as xtc.c's xtc_cut chooses them) */
        double p = exp(c->w[i]);
        if (p >= thr) {
            count++;
            if (p < low) low = p;
        }
    }
    *t = T;
    if (count < 2) /* (nothing excluded: the row tempered) */
        return sparse_draw(s, k, NULL, NULL, rank, n, ti, key, d);
    for (int64_t i = 0; i < c->n; i++)
        if (exp(c->w[i]) >= thr && exp(c->w[i]) <= low * (1 + MARGIN)) least = i;
    if (row_moments_at(s, rank, n, ti, out) < 0) return -1;
    int64_t *ids = k->touched, m = 0; /* (free: no link of this chain uses them) */
    double gone = 0.0, *bias = k->sel;
    for (int64_t i = 0; i < c->n; i++)
        if (exp(c->w[i]) >= thr && i != least) {
            ids[m++] = c->id[i];
            gone += exp(b * c->w[i] - out[0]);
        }
    double share = 1.0 - gone;
    if (!(share > XTC_SHARE_FLOOR)) return 1;
    double factor = log1p(-prob) - log((1 - prob) + prob / share);
    for (int64_t j = 0; j < m; j++) bias[j] = T * factor;
    Chain biased = {.n = 2, .link = {{.kind = L_LOGIT_BIAS}, ch->link[1]}, .n_bias = m,
                    .bias_id = ids, .bias_w = bias};
    return sparse_draw(s, k, &biased, st, rank, n, ti, key, d);
}

static int xtc_fits(const Cache *s, const Chain *ch) {
    return s->dense == 1 && ch->n == 2 && ch->link[0].kind == L_XTC &&
           ch->link[0].x[0] > 0 && ch->link[0].x[1] <= 0.5 && ch->link[1].kind == L_TEMPERATURE &&
           ch->link[1].x[1] == 0 && ch->link[1].x[0] > 0 && isfinite(ch->link[1].x[0]);
}

static int mirostat_fits(const Cache *s, const Chain *ch) {
    return s->dense == 1 && ch->n == 2 && ch->link[0].kind == L_TEMPERATURE &&
           ch->link[0].x[1] == 0 && ch->link[0].x[0] > 0 && isfinite(ch->link[0].x[0]) &&
           ch->link[1].kind == L_MIROSTAT;
}

int chain_draw(Cache *s, Work *k, const Chain *ch, State *st, const int64_t *rank, int n,
               uint64_t key, Drawn *d, double *t) {
    const double *lp = k->lp;
    Cands *c = &k->cur;
    int from = 0, lead = touching(ch), whole = 1, done = 0;
    k->q_ready = 0;
    if (ranked_fits(s, ch)) { /* the first link's cut without the whole row */
        whole = ranked_cut(s, k, &ch->link[0], rank, n);
        if (whole < 0) return -1;
        if (!whole) /* (Top-H weighs the 100 it was cut to) */
            from = ch->link[0].kind == L_TOP_H ? 0 : 1;
    } else if (lead > 0 && lead < ch->n && s->dense == 1 && ch->link[lead].kind == L_TOP_K) {
        whole = touched_top_k(s, k, ch, lead, st, rank, n);
        if (whole < 0) return -1;
    } else if (xtc_fits(s, ch)) {
        whole = xtc_short(s, k, ch, st, rank, n, key, d, t);
        if (whole <= 0) return whole;
    } else if (distinct_fits(s, ch)) { /* (links that weigh a row by its values alone) */
        whole = distinct_draw(s, k, ch, st, rank, n, key, d, t);
        if (whole <= 0) return whole;
    } else if (mirostat_fits(s, ch)) {
        whole = mirostat_top(s, k, ch, st, rank, n, t);
        if (whole < 0) return -1;
        if (whole == 2) { /* (nothing cut: the row tempered, drawn without the row) */
            *t = ch->link[0].x[0];
            return sparse_draw(s, k, NULL, NULL, rank, n, temp_index(s, *t), key, d);
        }
        done = !whole; /* (its chain run, and *t set) */
    }
    if (whole) {
        k->row_slot = -1;
        if (!(lp = log_row(s, k, rank, n))) return -1;
        int64_t o = 0;
        for (int i = 0; i < s->m->vocab; i++) { /* (those possible; no branch on which) */
            c->id[o] = i;
            c->w[o] = lp[i];
            o += lp[i] > -INFINITY;
        }
        c->n = o;
    }
    /* (a kept row's order serves a first link that sorts it: tail-free, Top-H) */
    k->row_order = whole && k->row_slot >= 0 && from < ch->n &&
                   (ch->link[from].kind == L_TFS || ch->link[from].kind == L_TOP_H)
                       ? k->orders + k->row_slot * s->m->vocab : NULL;
    if (!done) run_chain(ch, from, k, st, t);
    k->row_order = NULL;
    /* the draw (generate/draw.py), and q's entropy (tempering.py): q is log q's exp, or as
     * the last tempering left it (Work.q_ready) */
    double zsum = 0.0, *q = k->p;
    if (!k->q_ready) exps(c->w, q, c->n);
    for (int64_t i = 0; i < c->n; i++) zsum += q[i] > 0.0 ? q[i] * c->w[i] : 0.0;
    int64_t i = draw_among(s, k, c, q, key);
    d->token = c->id[i];
    d->logp = lp[d->token];
    d->logq = c->w[i];
    d->entropy = -zsum / M_LN2 + 0.0;
    d->adapt_p = ch->adapt ? k->adapt_p[d->token] : NAN;
    return 0;
}

/* What the search asks of a row only tempered (noise.h, Scores): the weights
 * a = (p / max p)^(1/T) of the tokens off S, p = G p_K, a = f a_K, and bounds of them from
 * K's largest a over a node. */
typedef struct {
    const Cache *s;
    const Kept *K;
    const int64_t *rank;
    int k0, n, ti;
    double f, mx, t; /* f, the row's largest ln p, T */
} Back;

static double back_bound(void *ctx, uint64_t id, int64_t lo, int64_t hi) {
    const Back *b = ctx;
    return b->f * kept_amax(b->K, b->ti, b->s->tree_ids, id, lo, hi) * SLACK;
}

static double back_leaf(void *ctx, int64_t pos) {
    const Back *b = ctx;
    double p = outside(b->s->m, value(b->K, b->s->leaf_token[pos], NULL), b->rank, b->k0,
                       b->n);
    if (!(p > 0.0)) return 0.0;
    double lp = log_of(p), z, a;
    temper(&lp, &z, &a, 1, b->t, b->mx);
    return a;
}

int draw_row(Cache *s, Work *k, const int64_t *rank, int n, int ti, uint64_t key, Drawn *d) {
    return sparse_draw(s, k, NULL, NULL, rank, n, ti, key, d);
}

int sparse_fits(const Cache *s, const Chain *ch) {
    if (s->dense != 1 || ch->n < 2) return 0; /* (a large vocabulary: the root alone dense) */
    const Link *last = &ch->link[ch->n - 1];
    if (last->kind != L_TEMPERATURE || last->x[1] > 0 || !(last->x[0] > 0)) return 0;
    for (int i = 0; i < ch->n - 1; i++) {
        int kind = ch->link[i].kind;
        if (kind != L_PENALTIES && kind != L_DRY && kind != L_NO_REPEAT_NGRAM &&
            kind != L_LOGIT_BIAS)
            return 0;
    }
    return 1;
}

int sparse_draw(Cache *s, Work *k, const Chain *ch, State *st, const int64_t *rank, int n,
                int ti, uint64_t key, Drawn *d) {
    const Model *m = s->m;
    int k0;
    /* (with penalties K is the root or a context over it, whose ranked lists say which
     * token is likeliest off S: ranking.h) */
    Kept *K = kept_of(s, rank, ch && n > 2 ? 2 : n, &k0);
    if (!K) return -1;
    int64_t ns = build_set(s, K, rank, k0, n);
    if (ch) { /* the tokens the penalties touch join S, and S's log-weights are penalised */
        ns = add_tokens(s, K, k->order, penalised_tokens(ch, k, st, k->order), rank, k0, n);
    }
    const int32_t *set = s->set;
    double *lz = s->row, *z = s->z, *w = s->w, out_p = outside(m, K->pmax, rank, k0, n);
    logs(s->val, lz, ns);
    if (ch) {
        Cands c = {.n = ns, .id = (int32_t *)set, .w = lz}; /* (in token order already) */
        for (int i = 0; i < ch->n - 1; i++) touch(ch, &ch->link[i], k, &c, st);
    }
    /* The row's maximum, exactly: no token off S exceeds out_p = G max p_K, and K's top,
     * when off S, has it. If K's top is in S (or unknown), the largest off S is read from
     * K's ranked lists (with penalties), or else, unless a member of S exceeds out_p, the
     * whole row decides. */
    double best_lz = -INFINITY, off_p = out_p, lout = log_of(out_p);
    int64_t best = -1, off = K->top;
    for (int64_t i = 0; i < ns; i++)
        if (lz[i] > best_lz) best_lz = lz[i], best = set[i];
    if (K->top < 0 || in_set(s, K->top)) {
        double p;
        if (!ch) {
            off = -1;
        } else if (top_off_set(s, k, K, &p, &off) < 0) {
            return -1;
        } else if (off >= 0) {
            off_p = outside(m, p, rank, k0, n);
        }
    }
    double off_lz = off >= 0 ? log_of(off_p) : -INFINITY;
    if (!(best_lz > lout) && off < 0) {
        if (ch) return 1; /* (the caller draws from the whole row) */
        return dense_draw(s, k, rank, n, ti < 0 ? 0.0 : s->temps[ti], key, d);
    }
    double mx = best_lz > off_lz ? best_lz : off_lz;
    if (ti < 0) { /* T = 0: the first most likely token */
        d->token = best_lz > off_lz ? best : off_lz > best_lz || off < best ? off : best;
        d->logp = d->token == best ? log_of(s->val[s->pos[best]]) : log_of(off_p);
        d->logq = d->entropy = 0.0;
        return 0;
    }
    /* Off S, a = (p / max p)^(1/T) is f times K's own a, f = (out_p / max p)^(1/T): from
     * out_p itself, not from G and max p_K apart, so that f <= 1 exactly and the row's
     * maximum, when off S, weighs exactly 1 (a tiny T leaves no room for rounding). */
    double t = s->temps[ti], log_f, f;
    temper(&lout, &log_f, &f, 1, t, mx);
    if (isinf(f)) return 1; /* (penalties took the row's top far below K's: whole row) */
    temper(lz, z, w, ns, t, mx);
    /* The row's normaliser and sum of a ln a: S's members', and f times K's totals less
     * K's own at S's members. */
    double total = 0.0, zsum = 0.0, ka = K->tot[3 * ti], kaz = K->tot[3 * ti + 1];
    for (int64_t i = 0; i < ns; i++) {
        total += w[i];
        zsum += w[i] > 0.0 ? w[i] * z[i] : 0.0;
    }
    if (!K->tok.p) { /* (K's a at S's members, from its rows) */
        const double *arow = K->arow + (size_t)ti * m->vocab;
        for (int64_t i = 0; i < ns; i++) {
            double a = arow[set[i]];
            ka -= a;
            kaz -= a > 0.0 && !isinf(t) ? a * ((K->lnp[set[i]] - K->log_max) / t) : 0.0;
        }
    } else {
        double *kz = s->vbuf, *kw = s->kbuf;
        logs(s->kval, kz, ns);
        temper(kz, kz, kw, ns, t, K->log_max);
        for (int64_t i = 0; i < ns; i++) {
            ka -= kw[i];
            kaz -= kw[i] > 0.0 ? kw[i] * kz[i] : 0.0;
        }
    }
    if (f > 0.0 && ka > 0.0) {
        total += f * ka;
        zsum += f * (log_f * ka + kaz);
    }
    /* Penalties that take the row's top far below K's make f large, and K's totals less
     * its own at S a difference of large numbers: where that loses more than a thousandth
     * of the normaliser's last bits, the whole row decides. */
    if (ch && !(f * K->tot[3 * ti] < 1e3 * total)) return 1;
    /* the draw: S's members in leaf order, the rest through K */
    Back back = {.s = s, .K = K, .rank = rank, .k0 = k0, .n = n, .ti = ti, .f = f, .mx = mx,
                 .t = t};
    leaves_of(&k->leaves, set, w, ns, s->token_leaf, k->bits, k->by_leaf);
    double e;
    Scores row = {.list = &k->leaves, .bound = back_bound, .leaf = back_leaf, .ctx = &back};
    if (!K->tok.p) { /* (K's largest a over each node, read directly) */
        row.node_w = K->amax + (size_t)ti * s->tree_ids;
        row.scale = f * SLACK;
    }
    int64_t at = gumbel_min(&row, key, m->vocab, &e);
    int64_t tok = s->leaf_token[at];
    double log_total = log_of(total), y;
    if (in_set(s, tok)) {
        int64_t i = s->pos[tok];
        d->logp = ch ? log_of(s->val[i]) : lz[i]; /* (the model's, before any penalty) */
        y = z[i];
    } else {
        d->logp = log_of(outside(m, value(K, tok, NULL), rank, k0, n));
        y = isinf(t) ? 0.0 : (d->logp - mx) / t;
    }
    d->token = tok;
    d->logq = y - log_total;
    d->entropy = (log_total - zsum / total) / M_LN2 + 0.0;
    return 0;
}
