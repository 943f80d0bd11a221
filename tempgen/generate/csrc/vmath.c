/* The compiled loop's log and exp: glibc's vector versions (libmvec) on x86-64 with glibc, else the
 * C library's.
 *
 * exp: loops over a row take four values at once with AVX2 (chosen when the program
 * starts), else two. log: every log comes from one function, as a tiny T turns a last-bit
 * difference between two logs of the same value into e^(10^284): four values at a time with
 * AVX2, else two with SSE2 (which every x86-64 has), chosen once.
 */
#include <math.h>
#include <string.h>

#include "vmath.h"

#ifdef TEMPGEN_MVEC
#include <immintrin.h>
__attribute__((simd("notinbranch"))) double exp(double);
__m128d _ZGVbN2v_log(__m128d);
__m256d _ZGVdN4v_log(__m256d);
#define VECTOR_LOOP __attribute__((target_clones("avx2", "default")))

__attribute__((target("avx2"))) static void logs4(const double *x, double *z, int64_t n) {
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) _mm256_storeu_pd(z + i, _ZGVdN4v_log(_mm256_loadu_pd(x + i)));
    if (i == n) return;
    double in[4] = {1.0, 1.0, 1.0, 1.0}, out[4];
    memcpy(in, x + i, sizeof(double) * (n - i));
    _mm256_storeu_pd(out, _ZGVdN4v_log(_mm256_loadu_pd(in)));
    memcpy(z + i, out, sizeof(double) * (n - i));
}

static void logs2(const double *x, double *z, int64_t n) {
    int64_t i = 0;
    for (; i + 2 <= n; i += 2) _mm_storeu_pd(z + i, _ZGVbN2v_log(_mm_loadu_pd(x + i)));
    if (i < n) z[i] = _mm_cvtsd_f64(_ZGVbN2v_log(_mm_set_pd(1.0, x[i])));
}

static int avx2;

__attribute__((constructor)) static void choose_log(void) {
    __builtin_cpu_init();
    avx2 = __builtin_cpu_supports("avx2") != 0;
}

void logs(const double *x, double *z, int64_t n) {
    if (avx2) logs4(x, z, n);
    else logs2(x, z, n);
}
#else
#define VECTOR_LOOP

void logs(const double *x, double *z, int64_t n) {
    for (int64_t i = 0; i < n; i++) z[i] = log(x[i]);
}
#endif

double log_of(double x) {
    double z;
    logs(&x, &z, 1);
    return z;
}

VECTOR_LOOP void exps(const double *z, double *w, int64_t n) {
    for (int64_t i = 0; i < n; i++) w[i] = exp(z[i]);
}

VECTOR_LOOP void temper(const double *lz, double *z, double *w, int64_t n, double t,
                        double mx) {
    if (isinf(t)) {
        for (int64_t i = 0; i < n; i++) z[i] = lz[i] > -INFINITY ? 0.0 : -INFINITY;
    } else {
        for (int64_t i = 0; i < n; i++) z[i] = (lz[i] - mx) / t;
    }
    for (int64_t i = 0; i < n; i++) w[i] = exp(z[i]);
}

