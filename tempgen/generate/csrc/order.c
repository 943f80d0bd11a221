/* Orderings of a row's values (order.h): a stable sort, the k-th largest, and the key at
 * which a mass is reached, without branches on the values where it can (which no predictor
 * guesses in rows of near-random values).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "order.h"

#define RUN 8 /* sort_by: runs this long are sorted by insertion, then merged */

/* Whether key x goes before key y in the order sign asks for (ties: neither). */
static inline int ahead(double x, double y, int sign) { return sign < 0 ? x > y : x < y; }

#define PAIRS 256 /* sort_by: rows this short are sorted as (key, position) pairs */

typedef struct {
    double key;
    int32_t at;
} Pair;

/* sort_by on a short row (n <= PAIRS): each key beside its position, so no step reads a
 * key through the order (three times faster on a row of 82). */
static void sort_pairs(const double *key, int64_t n, int sign, int32_t *order) {
    Pair one[PAIRS], two[PAIRS], *a = one, *b = two;
    for (int64_t i = 0; i < n; i++) a[i] = (Pair){sign < 0 ? key[i] : -key[i], (int32_t)i};
    for (int64_t lo = 0; lo < n; lo += RUN) {
        int64_t hi = lo + RUN < n ? lo + RUN : n;
        for (int64_t i = lo + 1; i < hi; i++) {
            Pair x = a[i];
            int64_t j = i;
            for (; j > lo && x.key > a[j - 1].key; j--) a[j] = a[j - 1];
            a[j] = x;
        }
    }
    for (int64_t width = RUN; width < n; width *= 2) {
        for (int64_t lo = 0; lo < n; lo += 2 * width) {
            int64_t mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
            int64_t x = lo, y = mid, o = lo;
            while (x < mid && y < hi) b[o++] = a[y].key > a[x].key ? a[y++] : a[x++];
            while (x < mid) b[o++] = a[x++];
            while (y < hi) b[o++] = a[y++];
        }
        Pair *t = a;
        a = b;
        b = t;
    }
    for (int64_t i = 0; i < n; i++) order[i] = a[i].at;
}

/* LSD radix passes over the keys' bytes from `shift` up (each stable, so ties keep their
 * order; a pass skipped where every key has the same byte). Returns the keys' array. */
static uint64_t *radix(uint64_t *a, uint64_t *b, int32_t *order, int32_t *tmp, int64_t n,
                       int shift) {
    for (; shift < 64; shift += 8) {
        int64_t count[257] = {0};
        for (int64_t i = 0; i < n; i++) count[((a[i] >> shift) & 255) + 1]++;
        if (count[((a[0] >> shift) & 255) + 1] == n) continue;
        for (int d = 0; d < 256; d++) count[d + 1] += count[d];
        for (int64_t i = 0; i < n; i++) {
            int64_t at = count[(a[i] >> shift) & 255]++;
            b[at] = a[i];
            tmp[at] = order[i];
        }
        uint64_t *t = a;
        a = b;
        b = t;
        memcpy(order, tmp, sizeof(int32_t) * n);
    }
    return a;
}

/* The keys' bits, made to sort as the keys do (descending: sign -1), into a; order the
 * identity. */
static void radix_keys(const double *key, int64_t n, int sign, uint64_t *a, int32_t *order) {
    for (int64_t i = 0; i < n; i++) {
        double x = key[i] == 0.0 ? 0.0 : key[i]; /* (-0 ties with 0, as compared) */
        uint64_t u;
        memcpy(&u, &x, sizeof u);
        u = u >> 63 ? ~u : u | (uint64_t)1 << 63;
        a[i] = sign < 0 ? ~u : u;
        order[i] = (int32_t)i;
    }
}

/* sort_by on a long row, without a branch on the keys: by the top half of their bits, then
 * by insertion on the whole keys, which moves only keys alike in their top half (next to
 * each other already; where they are many, by the low half's bytes too). a and b: room for
 * n keys each. */
static void sort_radix(const double *key, int64_t n, int sign, int32_t *order, int32_t *tmp,
                       uint64_t *a, uint64_t *b) {
    radix_keys(key, n, sign, a, order);
    uint64_t *s = radix(a, b, order, tmp, n, 32);
    int64_t moves = 0;
    for (int64_t i = 1; i < n; i++) { /* (stable: strict comparisons) */
        uint64_t x = s[i];
        int32_t at = order[i];
        int64_t j = i;
        for (; j > 0 && s[j - 1] > x; j--) {
            s[j] = s[j - 1];
            order[j] = order[j - 1];
        }
        s[j] = x;
        order[j] = at;
        if ((moves += i - j) > 8 * n) { /* (many alike: every byte instead) */
            radix_keys(key, n, sign, a, order);
            radix(a, b, order, tmp, n, 0);
            return;
        }
    }
}

/* order[0..n) sorted stably by key: descending (sign -1) or ascending (+1); numpy's stable
 * argsort, which orders ties by position. Runs of RUN by insertion, then merged. */
void sort_by(const double *key, int64_t n, int sign, int32_t *order, int32_t *tmp) {
    if (n <= PAIRS) {
        sort_pairs(key, n, sign, order);
        return;
    }
    uint64_t *room = malloc(sizeof(uint64_t) * 2 * (size_t)n);
    if (room) {
        sort_radix(key, n, sign, order, tmp, room, room + n);
        free(room);
        return;
    }
    for (int64_t lo = 0; lo < n; lo += RUN) {
        int64_t hi = lo + RUN < n ? lo + RUN : n;
        for (int64_t i = lo; i < hi; i++) {
            double x = key[i];
            int64_t j = i;
            for (; j > lo && ahead(x, key[order[j - 1]], sign); j--) order[j] = order[j - 1];
            order[j] = (int32_t)i;
        }
    }
    for (int64_t width = RUN; width < n; width *= 2) {
        for (int64_t lo = 0; lo < n; lo += 2 * width) {
            int64_t mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
            int64_t a = lo, b = mid, o = lo;
            while (a < mid && b < hi) { /* (without branches on the keys) */
                int32_t x = order[a], y = order[b];
                int take = ahead(key[y], key[x], sign);
                tmp[o++] = x ^ ((x ^ y) & -take);
                b += take;
                a += !take;
            }
            while (a < mid) tmp[o++] = order[a++];
            while (b < hi) tmp[o++] = order[b++];
        }
        memcpy(order, tmp, sizeof(int32_t) * n);
    }
}

/* a if take, else 0 (by a mask: no branch) */
static inline double masked(double a, int take) {
    uint64_t bits;
    memcpy(&bits, &a, sizeof bits);
    bits &= -(uint64_t)(take != 0);
    memcpy(&a, &bits, sizeof a);
    return a;
}

/* A selection's pivot: the median of the first, middle and last of x[0..len). */
static inline double median3(const double *x, int64_t len) {
    double a = x[0], b = x[len / 2], c = x[len - 1];
    return a < b ? (b < c ? b : a < c ? c : a) : (a < c ? a : b < c ? c : b);
}

/* The k-th largest of x[0..n): each pass goes on in the part holding it; x and y (room n
 * each) are overwritten. */
double kth_largest(double *x, double *y, int64_t n, int64_t kth) {
    double *base[2] = {x, y}, *src = x;
    int64_t len = n, want = kth - 1;
    for (int cur = 0;; cur = 1 - cur) {
        double *dst = base[1 - cur], pivot = median3(src, len);
        int64_t above = 0, below = 0;
        for (int64_t i = 0; i < len; i++) { /* above the pivot to the front, below to the back */
            double v = src[i];
            dst[above] = v;
            dst[len - 1 - below] = v;
            above += v > pivot;
            below += v < pivot;
        }
        if (want < above) {
            src = dst;
            len = above;
        } else if (want >= len - below) {
            want -= len - below;
            src = dst + len - below;
            len = below;
        } else {
            return pivot;
        }
    }
}

double weighted_cut(double *key, double *w, double *key2, double *w2, int64_t n, double mass,
                    double *below_it) {
    double *keys[2] = {key, key2}, *ws[2] = {w, w2}, below = 0.0;
    int64_t len = n, from = 0; /* the part still open: keys[cur][from..from + len) */
    for (int cur = 0; len > 0; cur = 1 - cur) {
        const double *k = keys[cur] + from, *x = ws[cur] + from;
        double *dk = keys[1 - cur] + from, *dx = ws[1 - cur] + from;
        double pivot = median3(k, len), under = 0.0, at = 0.0;
        int64_t lo = 0, hi = 0;
        for (int64_t i = 0; i < len; i++) { /* below the pivot to the front, above to the back */
            double v = k[i], m = x[i];
            dk[lo] = v;
            dx[lo] = m;
            dk[len - 1 - hi] = v;
            dx[len - 1 - hi] = m;
            lo += v < pivot;
            hi += v > pivot;
            under += masked(m, v < pivot);
            at += masked(m, v == pivot);
        }
        if (below + under >= mass) {
            len = lo;
        } else if (below + under + at >= mass) {
            *below_it = below + under;
            return pivot;
        } else {
            below += under + at;
            from += len - hi;
            len = hi;
        }
    }
    *below_it = below;
    return INFINITY;
}
