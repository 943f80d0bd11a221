/* The stateful links (generate/samplers/penalties.py and chain.py): a sample's last tokens,
 * the repetition penalties and DRY on them, and Mirostat's mu.
 *
 * DRY asks, at every step, how far the text ending at each earlier place agrees with the
 * text's end; a repeat it penalises (2 tokens or more, as llama.cpp's default) ends at a
 * place of the newest pair of tokens. Its Python counterpart works that out anew from the
 * history; here it moves on with each token: at a place p of the newest pair, the text
 * agrees for 1 + what it did at p - 1, which was kept if p - 1 ended the pair before and
 * is 1 otherwise. The places of a pair are found through prev (the pair's place before)
 * and last (its newest place), by pair where the vocabulary is small, by token (then
 * checking the token before) where it is large. So a step costs the newest pair's places
 * in the window, not the window. The newest sequence breaker is kept the same way: a
 * breaker can only be completed by the newest token.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "state.h"
#include "tables.h"

#define FLOAT_MAX_LOG 88.7228391 /* llama.cpp caps DRY's exponent so its penalty stays a float */

static int64_t room(const Chain *ch) { return 2 * ch->window + 2; }

/* DRY's window: its link's look-back (the chain's window is the longest of its links'). */
static int64_t dry_window(const Chain *ch) {
    for (int i = 0; i < ch->n; i++)
        if (ch->link[i].kind == L_DRY) return ch->link[i].n[1];
    return 0;
}

/* Whether breaker b ends at place t of the history. */
static int ends_at(const Chain *ch, int b, const int64_t *hist, int64_t t) {
    int64_t lo = ch->brk_start[b], size = ch->brk_start[b + 1] - lo;
    if (t - (size - 1) < 0) return 0;
    for (int64_t o = 0; o < size; o++)
        if (hist[t - (size - 1) + o] != ch->brk[lo + o]) return 0;
    return 1;
}

/* The newest breaker's head, taking one ending at t into account. */
static void note_breakers(State *st, const Chain *ch, int64_t t) {
    for (int b = 0; b < ch->n_breakers; b++) {
        if (!ends_at(ch, b, st->hist, t)) continue;
        int64_t tail = ch->brk_start[b + 1] - ch->brk_start[b] - 1, head = t - tail;
        if (head > st->head) {
            st->head = head;
            st->longest = tail;
        } else if (head == st->head && tail > st->longest) {
            st->longest = tail;
        }
    }
}

#define PAIRS_MAX (1 << 16) /* pairs kept directly up to this many (a vocabulary of 255) */

static int64_t token_of(int64_t t, int64_t vocab) { return t >= 0 && t < vocab ? t : vocab; }

static int by_pair(int64_t vocab) { return (vocab + 1) * (vocab + 1) <= PAIRS_MAX; }

/* What `last` is kept by for place i >= 1: its pair of tokens, or its token. */
static int64_t key_of(const int64_t *h, int64_t i, int64_t vocab) {
    int64_t t = token_of(h[i], vocab);
    return by_pair(vocab) ? token_of(h[i - 1], vocab) * (vocab + 1) + t : t;
}

static void link_place(State *st, int64_t i, int64_t vocab) {
    if (i < 1) {
        st->prev[i] = -1;
        return;
    }
    int64_t key = key_of(st->hist, i, vocab);
    st->prev[i] = st->last[key];
    st->last[key] = (int32_t)i;
}

/* The places of the newest pair in DRY's window (but the newest), newest first, and how
 * far the text ending at each agrees with the end (match); `known`: whether match at the
 * place before each is the last step's (a fresh start works them all out). */
static void find_alive(State *st, const Chain *ch, int known) {
    int64_t n = st->len, size = dry_window(ch), start = n > size ? n - size : 0;
    const int64_t *h = st->hist;
    st->n_alive = 0;
    if (n < 2) return;
    for (int64_t p = st->prev[n - 1]; p >= start && p >= 1; p = st->prev[p]) {
        if (h[p - 1] != h[n - 2]) continue; /* (by token: the pair's first token differs) */
        if (known) st->match[p] = p >= 2 && n >= 3 && h[p - 2] == h[n - 3] ? st->match[p - 1] + 1 : 2;
        st->alive[st->n_alive++] = (int32_t)p;
    }
}

/* No-repeat-n-gram's chains: by a hash of the n - 1 tokens that end at a place (those that
 * the next token would make an n-gram of), into nr_keys(ch) chains. */
static int64_t nr_keys(const Chain *ch) {
    int64_t keys = 2;
    while (keys < room(ch)) keys *= 2;
    return keys;
}

/* Place i joins the chain of the (n - 1)-gram ending there (fewer tokens at the start). */
static void nr_link(State *st, const Chain *ch, int64_t i) {
    int64_t n = (int64_t)ch->link[ch->norep - 1].x[0];
    uint64_t hash = 0;
    for (int64_t j = i; j >= 0 && j > i - (n - 1); j--)
        hash = (hash ^ (uint64_t)st->hist[j]) * 0x9E3779B97F4A7C15ull;
    int64_t key = (int64_t)((hash >> 32) & (uint64_t)(nr_keys(ch) - 1));
    st->nr_prev[i] = st->nr_last[key];
    st->nr_last[key] = (int32_t)i;
}

int state_init(State *st, const Chain *ch, const int64_t *hist, int64_t len,
               const double *memory, int64_t vocab) {
    memset(st, 0, sizeof *st);
    st->mu = memory[0];
    st->adapt_sum = memory[1];
    st->adapt_weight = memory[2];
    st->head = -1;
    if (!ch->window) return 0;
    if (!(st->hist = malloc(sizeof(int64_t) * room(ch)))) return -1;
    if (len > ch->window) {
        hist += len - ch->window;
        len = ch->window;
    }
    memcpy(st->hist, hist, sizeof(int64_t) * len);
    st->len = len;
    if (ch->pen) {
        int64_t w = ch->link[ch->pen - 1].n[0];
        if (!(st->count = calloc(vocab + 1, sizeof(int32_t)))) return -1;
        for (int64_t i = len > w ? len - w : 0; i < len; i++) st->count[token_of(hist[i], vocab)]++;
    }
    if (ch->norep) {
        st->nr_prev = malloc(sizeof(int32_t) * room(ch));
        st->nr_last = malloc(sizeof(int32_t) * nr_keys(ch));
        if (!st->nr_prev || !st->nr_last) return -1;
        memset(st->nr_last, 0xff, sizeof(int32_t) * nr_keys(ch));
        for (int64_t i = 0; i < len; i++) nr_link(st, ch, i);
    }
    if (!ch->dry) return 0;
    int64_t keys = by_pair(vocab) ? (vocab + 1) * (vocab + 1) : vocab + 1;
    st->match = malloc(sizeof(int32_t) * 3 * room(ch));
    st->last = malloc(sizeof(int32_t) * keys); /* (vocab: tokens outside it) */
    if (!st->match || !st->last) return -1;
    st->prev = st->match + room(ch);
    st->alive = st->prev + room(ch);
    memset(st->last, 0xff, sizeof(int32_t) * keys);
    for (int64_t i = 0; i < len; i++) {
        link_place(st, i, vocab);
        note_breakers(st, ch, i);
    }
    if (!len) return 0;
    /* how far the text ending at each place agrees with the end: the Z-function of the
     * reversed history (match[len - 1 - k] at k), then the newest token's places */
    const int64_t *h = st->hist;
    int32_t *m = st->match;
#define REV(j) h[len - 1 - (j)]
#define Z(j) m[len - 1 - (j)]
    int64_t l = 0, r = 0;
    for (int64_t i = 1; i < len; i++) {
        int64_t z = 0;
        if (i < r) z = r - i < Z(i - l) ? r - i : Z(i - l);
        while (i + z < len && REV(z) == REV(i + z)) z++;
        Z(i) = (int32_t)z;
        if (i + z > r) l = i, r = i + z;
    }
#undef REV
#undef Z
    find_alive(st, ch, 0);
    return 0;
}

void state_free(State *st) {
    free(st->hist);
    free(st->match);
    free(st->last);
    free(st->count);
    free(st->nr_prev);
    free(st->nr_last);
    memset(st, 0, sizeof *st);
}

/* Keep the last window tokens only (every `window` steps). */
static void compact(State *st, const Chain *ch, int64_t vocab) {
    int64_t drop = st->len - ch->window, n = ch->window;
    memmove(st->hist, st->hist + drop, sizeof(int64_t) * n);
    st->len = n;
    st->head = st->head >= drop ? st->head - drop : -1;
    if (ch->norep) {
        for (int64_t i = 0; i < n; i++) {
            int32_t p = st->nr_prev[i + drop];
            st->nr_prev[i] = p >= drop ? (int32_t)(p - drop) : -1;
        }
        for (int64_t t = 0; t < nr_keys(ch); t++)
            st->nr_last[t] = st->nr_last[t] >= drop ? (int32_t)(st->nr_last[t] - drop) : -1;
    }
    if (!ch->dry) return;
    memmove(st->match, st->match + drop, sizeof(int32_t) * n);
    for (int64_t i = 0; i < n; i++) {
        int32_t p = st->prev[i + drop];
        st->prev[i] = p >= drop + 1 ? (int32_t)(p - drop) : -1; /* (place 0 has no pair) */
    }
    int64_t keys = by_pair(vocab) ? (vocab + 1) * (vocab + 1) : vocab + 1;
    for (int64_t t = 0; t < keys; t++)
        st->last[t] = st->last[t] >= drop + 1 ? (int32_t)(st->last[t] - drop) : -1;
}

void state_push(State *st, const Chain *ch, int64_t token, double logq, double adapt_p,
                int64_t vocab) {
    if (ch->miro && logq > -INFINITY) { /* (a chosen token of q = 0 teaches nothing) */
        const Link *lk = &ch->link[ch->miro - 1];
        st->mu -= lk->x[1] * (-logq / M_LN2 - lk->x[0]);
    }
    if (ch->adapt && !isnan(adapt_p)) {
        double decay = ch->link[ch->adapt - 1].x[1];
        st->adapt_sum = adapt_p + decay * st->adapt_sum;
        st->adapt_weight = 1.0 + decay * st->adapt_weight;
    }
    if (!ch->window) return;
    if (st->len + 1 > room(ch)) compact(st, ch, vocab);
    int64_t n = st->len;
    st->hist[n] = token;
    st->len = n + 1;
    if (ch->pen) { /* the newest in, and the one it pushes out of the window out */
        int64_t w = ch->link[ch->pen - 1].n[0];
        st->count[token_of(token, vocab)]++;
        if (n + 1 > w) st->count[token_of(st->hist[n - w], vocab)]--;
    }
    if (ch->norep) nr_link(st, ch, n);
    if (!ch->dry) return;
    link_place(st, n, vocab);
    find_alive(st, ch, 1);
    note_breakers(st, ch, n);
}

/* cond ? a : b, without a branch (which the compiler would take on doubles). */
static inline double either(int cond, double a, double b) {
    uint64_t x, y, mask = -(uint64_t)(cond != 0);
    memcpy(&x, &a, sizeof x);
    memcpy(&y, &b, sizeof y);
    x = (x & mask) | (y & ~mask);
    memcpy(&a, &x, sizeof a);
    return a;
}

/* The repetition penalties (llama.cpp's): each candidate used c > 0 times in the window
 * (st->count). A positive log-weight (which rounding alone gives) is divided, as llama.cpp
 * does, and so rarely that the branch is guessed. */
static void penalties(const Link *lk, Cands *c, const State *st) {
    double repeat = lk->x[0], frequency = lk->x[1], presence = lk->x[2];
    for (int64_t i = 0; i < c->n; i++) {
        int32_t count = st->count[c->id[i]];
        double w = c->w[i], scaled = w * repeat;
        if (__builtin_expect(w > 0, 0)) scaled = w / repeat;
        double penalised = scaled - count * frequency - presence;
        c->w[i] = either(count != 0, penalised, w);
    }
}

static int single_breaker(const Chain *ch, int64_t token) {
    for (int b = 0; b < ch->n_breakers; b++)
        if (ch->brk_start[b + 1] - ch->brk_start[b] == 1 && ch->brk[ch->brk_start[b]] == token)
            return 1;
    return 0;
}

/* Token h[i + 1] follows a repeat of n tokens: tally holds 1 + the longest. */
static void note_repeat(Work *k, const int64_t *h, int64_t i, int64_t n, int64_t *m) {
    int64_t tok = h[i + 1];
    if (tok < 0 || tok >= k->vocab) return;
    if (!k->tally[tok]) k->touched[(*m)++] = tok;
    if (n + 1 > k->tally[tok]) k->tally[tok] = (int32_t)(n + 1);
}

/* The tokens that would extend a repeat DRY penalises (n >= allowed tokens): into
 * k->touched, each with 1 + its longest repeat in k->tally (to be left zero). Returns how
 * many. */
static int64_t repeats(const Link *lk, Work *k, const State *st) {
    int64_t allowed = lk->n[0], len = st->len, size = len < lk->n[1] ? len : lk->n[1];
    if (size <= allowed) return 0;
    int64_t start = len - size, limit = size, m = 0;
    if (st->head >= start) limit = (len - 1 - st->head) - st->longest;
    if (limit < allowed) return 0;
    const int64_t *h = st->hist;
    if (allowed <= 1) /* then every place of the newest token counts (1), or every place (0) */
        for (int64_t i = start; i < len - 1; i++)
            if (!allowed || h[i] == h[len - 1])
                note_repeat(k, h, i, h[i] == h[len - 1] && limit >= 1, &m);
    for (int64_t j = 0; j < st->n_alive; j++) {
        int64_t i = st->alive[j], n = st->match[i];
        if (n > i - start + 1) n = i - start + 1;
        if (n > limit) n = limit;
        if (n >= allowed) note_repeat(k, h, i, n, &m);
    }
    return m;
}

/* DRY (llama.cpp's): a candidate that would extend a repeat of n >= allowed tokens. */
static void dry(const Chain *ch, const Link *lk, Work *k, Cands *c, const State *st) {
    int64_t allowed = lk->n[0], m = repeats(lk, k, st);
    if (!m) return;
    double multiplier = lk->x[0], base = lk->x[1];
    int64_t cap = base > 1.000001 ? (int64_t)(FLOAT_MAX_LOG / log(base)) : 0;
    for (int64_t i = 0; i < m; i++) {
        int64_t tok = k->touched[i];
        int32_t best = k->tally[tok];
        k->tally[tok] = 0;
        if (single_breaker(ch, tok)) continue;
        int64_t e = best - 1 - allowed;
        if (cap > 0 && e > cap) e = cap;
        /* the candidate, by tables.h's search (candidates are in token order) */
        int64_t a = lower((Ints){.p = (const char *)c->id, .size = sizeof *c->id}, 0, c->n, tok);
        if (a < c->n && c->id[a] == tok) c->w[a] -= multiplier * pow(base, (double)e);
    }
}

void penalise(const Chain *ch, const Link *lk, Work *k, Cands *c, const State *st) {
    if (lk->kind == L_PENALTIES) penalties(lk, c, st);
    else dry(ch, lk, k, c, st);
}

/* The tokens of the vocabulary that would complete an n-gram of the last w tokens (n =
 * lk->x[0], w = lk->n[0]), each once (by k->tally, left zero), into k->touched; returns
 * how many. The n-grams whose first n - 1 tokens could be the text's last end at the
 * earlier places of the chain of the newest place's (n - 1)-gram (nr_prev; a hash's
 * chain, so each is checked). */
static int64_t repeated_ends(const Link *lk, Work *k, const State *st) {
    int64_t n = (int64_t)lk->x[0], w = lk->n[0], len = st->len, m = 0;
    int64_t from = len > w ? len - w : 0;
    const int64_t *h = st->hist;
    if (n < 1 || len - from < n) return 0;
#define BAN(t_)                                                       \
    do {                                                              \
        int64_t t = (t_);                                             \
        if (t >= 0 && t < k->vocab && !k->tally[t]) {                 \
            k->tally[t] = 1;                                          \
            k->touched[m++] = t;                                      \
        }                                                             \
    } while (0)
    if (n == 1) {
        for (int64_t j = from; j < len; j++) BAN(h[j]);
    } else {
        for (int64_t p = st->nr_prev[len - 1]; p >= from + n - 2; p = st->nr_prev[p]) {
            int64_t o = 0; /* the n-gram h[p - n + 2 .. p + 1] */
            while (o < n - 1 && h[p - o] == h[len - 1 - o]) o++;
            if (o == n - 1) BAN(h[p + 1]);
        }
    }
#undef BAN
    for (int64_t j = 0; j < m; j++) k->tally[k->touched[j]] = 0;
    return m;
}

void ban_repeats(const Link *lk, Work *k, Cands *c, const State *st) {
    int64_t m = repeated_ends(lk, k, st);
    for (int64_t j = 0; j < m; j++) {
        int64_t t = k->touched[j], lo = 0, hi = c->n;
        while (lo < hi) {
            int64_t mid = (lo + hi) / 2;
            if (c->id[mid] < t) lo = mid + 1;
            else hi = mid;
        }
        if (lo < c->n && c->id[lo] == t) c->w[lo] = -INFINITY;
    }
}

int64_t penalised_tokens(const Chain *ch, Work *k, const State *st, int32_t *out) {
    uint64_t *bits = k->bits;
    int64_t marked = 0;
#define MARK(t)                                                                  \
    do {                                                                         \
        int64_t t_ = (t);                                                        \
        if (t_ >= 0 && t_ < k->vocab && !((bits[t_ >> 6] >> (t_ & 63)) & 1)) {   \
            bits[t_ >> 6] |= (uint64_t)1 << (t_ & 63);                          \
            marked++;                                                            \
        }                                                                        \
    } while (0)
    for (int i = 0; i < ch->n; i++) {
        const Link *lk = &ch->link[i];
        if (lk->kind == L_PENALTIES) { /* the window's tokens */
            int64_t w = lk->n[0];
            for (int64_t j = st->len > w ? st->len - w : 0; j < st->len; j++) MARK(st->hist[j]);
        } else if (lk->kind == L_DRY) {
            int64_t m = repeats(lk, k, st);
            for (int64_t j = 0; j < m; j++) {
                MARK(k->touched[j]);
                k->tally[k->touched[j]] = 0;
            }
        } else if (lk->kind == L_NO_REPEAT_NGRAM) {
            int64_t m = repeated_ends(lk, k, st);
            for (int64_t j = 0; j < m; j++) MARK(k->touched[j]);
        } else if (lk->kind == L_LOGIT_BIAS) {
            for (int64_t j = 0; j < ch->n_bias; j++) MARK(ch->bias_id[j]);
        }
    }
#undef MARK
    int64_t o = 0; /* (read in order, and left zero) */
    for (int64_t word = 0; o < marked; word++) {
        uint64_t b = bits[word];
        bits[word] = 0;
        for (; b; b &= b - 1) out[o++] = (int32_t)(word * 64 + __builtin_ctzll(b));
    }
    return o;
}
