/* Orderings of a row's values (chain.h): a stable sort and the k-th largest, without
 * branches on the values where it can (which no predictor guesses in rows of near-random
 * values).
 */
#include <math.h>
#include <string.h>

#include "chain.h"

#define RUN 8 /* sort_by: runs this long are sorted by insertion, then merged */

/* Whether key x goes before key y in the order sign asks for (ties: neither). */
static inline int ahead(double x, double y, int sign) { return sign < 0 ? x > y : x < y; }

/* order[0..n) sorted stably by key: descending (sign -1) or ascending (+1); numpy's stable
 * argsort, which orders ties by position. Runs of RUN by insertion, then merged. */
void sort_by(const double *key, int64_t n, int sign, int32_t *order, int32_t *tmp) {
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

/* One pass of a selection: src's values about the median of three of them, those above
 * to the front of dst and those below to its back (without branches on the values, which
 * no predictor guesses); their numbers, and (with_mass) the mass above the pivot, summed
 * four ways at once (one running sum would wait on each add). */
typedef struct {
    double pivot, mass_above;
    int64_t above, below;
} Split;

/* a if take, else 0 (by a mask: no branch) */
static inline double masked(double a, int take) {
    uint64_t bits;
    memcpy(&bits, &a, sizeof bits);
    bits &= -(uint64_t)(take != 0);
    memcpy(&a, &bits, sizeof a);
    return a;
}

static inline Split split(const double *src, double *dst, int64_t len, int with_mass) {
    double a = src[0], b = src[len / 2], c = src[len - 1], m0 = 0, m1 = 0, m2 = 0, m3 = 0;
    Split s = {.pivot = a < b ? (b < c ? b : a < c ? c : a) : (a < c ? a : b < c ? c : b)};
    double pivot = s.pivot;
    int64_t i = 0;
    for (; i < len; i++) {
        double v = src[i];
        dst[s.above] = v;
        dst[len - 1 - s.below] = v;
        s.above += v > pivot;
        s.below += v < pivot;
        if (with_mass && (i & 3) == 3) { /* (the last four, in four sums) */
            m0 += masked(src[i - 3], src[i - 3] > pivot);
            m1 += masked(src[i - 2], src[i - 2] > pivot);
            m2 += masked(src[i - 1], src[i - 1] > pivot);
            m3 += masked(v, v > pivot);
        }
    }
    for (int64_t j = i & ~(int64_t)3; with_mass && j < len; j++)
        m0 += masked(src[j], src[j] > pivot);
    s.mass_above = (m0 + m1) + (m2 + m3);
    return s;
}

/* The k-th largest of x[0..n): each pass goes on in the part holding it; x and y (room n
 * each) are overwritten. */
double kth_largest(double *x, double *y, int64_t n, int64_t kth) {
    double *base[2] = {x, y}, *src = x;
    int64_t len = n, want = kth - 1;
    for (int cur = 0;; cur = 1 - cur) {
        double *dst = base[1 - cur];
        Split s = split(src, dst, len, 0);
        if (want < s.above) {
            src = dst;
            len = s.above;
        } else if (want >= len - s.below) {
            want -= len - s.below;
            src = dst + len - s.below;
            len = s.below;
        } else {
            return s.pivot;
        }
    }
}

/* The largest of x[0..n) whose values at or above it sum to `mass` or more (0: none), as
 * kth_largest finds the k-th: a pass goes on above its pivot while that holds the mass. */
double mass_cut(double *x, double *y, int64_t n, double mass, double *above_it) {
    double *base[2] = {x, y}, *src = x, above = 0.0;
    int64_t len = n;
    for (int cur = 0; len > 0; cur = 1 - cur) {
        double *dst = base[1 - cur];
        Split s = split(src, dst, len, 1);
        double at = (double)(len - s.above - s.below) * s.pivot;
        if (above + s.mass_above >= mass) {
            src = dst;
            len = s.above;
        } else if (above + s.mass_above + at >= mass) {
            *above_it = above + s.mass_above;
            return s.pivot;
        } else {
            above += s.mass_above + at;
            src = dst + len - s.below;
            len = s.below;
        }
    }
    *above_it = above;
    return 0.0;
}

double weighted_cut(double *key, double *w, double *key2, double *w2, int64_t n, double mass,
                    double *below_it) {
    double *keys[2] = {key, key2}, *ws[2] = {w, w2}, below = 0.0;
    int64_t len = n, from = 0; /* the part still open: keys[cur][from..from + len) */
    for (int cur = 0; len > 0; cur = 1 - cur) {
        const double *k = keys[cur] + from, *x = ws[cur] + from;
        double *dk = keys[1 - cur] + from, *dx = ws[1 - cur] + from;
        double a = k[0], b = k[len / 2], c = k[len - 1], under = 0.0, at = 0.0;
        double pivot = a < b ? (b < c ? b : a < c ? c : a) : (a < c ? a : b < c ? c : b);
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
