/* A row's log-partition and its derivatives (moments.h).
 *
 * With a = (p / r)^b for a reference r at least every p of the row, and z = ln a:
 * L = b ln r + ln sum a, L' = E_q[ln p] = ln r + E[z] / b, L'' = Var_q[ln p] = Var[z] / b^2.
 * The row is G p_K off the set S (rowset.h), so its sums are S's members' own and f times
 * K's totals (kept.h) less K's own at S's members, f = (G max p_K / r)^b: O(|S|) a row.
 */
#include <math.h>

#include "moments.h"
#include "rowset.h"
#include "vmath.h"

static int moments_over(Cache *s, const int64_t *rank, int n, int t0, int t1, double weight,
                        double *out);

int row_moments(Cache *s, const int64_t *rank, int n, double weight, double *out) {
    return moments_over(s, rank, n, 0, s->n_temps, weight, out);
}

int row_moments_at(Cache *s, const int64_t *rank, int n, int ti, double *out) {
    return moments_over(s, rank, n, ti, ti + 1, 1.0, out);
}

/* row_moments over the run's temperatures t0..t1 - 1 (into out from 0), `weight` times. */
static int moments_over(Cache *s, const int64_t *rank, int n, int t0, int t1, double weight,
                        double *out) {
    const Model *m = s->m;
    int k0;
    const Kept *K = kept_of(s, rank, n, &k0);
    if (!K) return -1;
    int64_t ns = build_set(s, K, rank, k0, n);
    double best = 0.0, out_p = outside(m, K->pmax, rank, k0, n);
    for (int64_t i = 0; i < ns; i++) best = s->val[i] > best ? s->val[i] : best;
    double two[2] = {best > out_p ? best : out_p, out_p};
    logs(two, two, 2);
    double ref = two[0], lout = two[1];
    double *lz = s->row, *kl = s->vbuf, *z = s->z, *w = s->w, *kz = s->kbuf;
    logs(s->val, lz, ns); /* ln p at S's members */
    if (!K->tok.p) /* ln p_K there: a dense K's own logs */
        for (int64_t i = 0; i < ns; i++) kl[i] = K->lnp[s->set[i]];
    else
        logs(s->kval, kl, ns);
    for (int ti = t0; ti < t1; ti++) {
        double t = s->temps[ti], za = 0.0, z1 = 0.0, z2 = 0.0;
        temper(lz, z, w, ns, t, ref); /* (z, a of S's members) */
        for (int64_t i = 0; i < ns; i++) {
            za += w[i];
            z1 += w[i] > 0.0 ? w[i] * z[i] : 0.0;
            z2 += w[i] > 0.0 ? w[i] * z[i] * z[i] : 0.0;
        }
        const double *tot = K->tot + 3 * ti;
        double r = tot[0], rz = tot[1], rzz = tot[2], lf = (lout - ref) / t, f = exp(lf);
        const double *ka = s->w; /* (K's own a at S's members: a dense K keeps them) */
        if (!K->tok.p) {
            ka = K->arow + (size_t)ti * m->vocab;
            for (int64_t i = 0; i < ns; i++) kz[i] = (kl[i] - K->log_max) / t;
        } else {
            temper(kl, kz, s->w, ns, t, K->log_max);
        }
        for (int64_t i = 0; i < ns; i++) {
            double a = K->tok.p ? ka[i] : ka[s->set[i]], az = a > 0.0 ? a * kz[i] : 0.0;
            r -= a;
            rz -= az;
            rzz -= a > 0.0 ? az * kz[i] : 0.0;
        }
        if (f > 0.0 && r > 0.0) {
            za += f * r;
            z1 += f * (lf * r + rz);
            z2 += f * (lf * lf * r + 2.0 * lf * rz + rzz);
        }
        double mean = z1 / za, var = z2 / za - mean * mean;
        double *o = out + 3 * (ti - t0);
        o[0] += weight * (ref / t + log(za));
        o[1] += weight * (ref + mean * t);
        o[2] += weight * (var > 0.0 ? var : 0.0) * t * t;
    }
    return 0;
}
