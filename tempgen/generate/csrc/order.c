/* Orderings of a row's values (chain.h): a stable sort and the k-th largest, without
 * branches on the values where it can (which no predictor guesses in rows of near-random
 * values).
 */
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

/* The k-th largest of x[0..n), by selection without branches on the values (which no
 * predictor guesses): each pass splits its values about a pivot, those above to the front
 * of the other buffer y and those below to its back, and goes on in the part holding the
 * k-th; x and y (room n each) are overwritten. */
double kth_largest(double *x, double *y, int64_t n, int64_t kth) {
    double *base[2] = {x, y}, *src = x;
    int64_t len = n, want = kth - 1;
    for (int cur = 0;; cur = 1 - cur) {
        double *dst = base[1 - cur];
        double a = src[0], b = src[len / 2], c = src[len - 1]; /* the median of three */
        double pivot = a < b ? (b < c ? b : a < c ? c : a) : (a < c ? a : b < c ? c : b);
        int64_t above = 0, below = 0;
        for (int64_t i = 0; i < len; i++) {
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
