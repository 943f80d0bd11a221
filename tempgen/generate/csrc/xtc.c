/* XTC (exclude top choices) as the exact mixture of its two outcomes: the rest of the chain
 * on the row with the exclusion and without it (samplers/chain.py, _xtc), so that one draw
 * per sample and step from the mixture takes its chance too.
 */
#include <math.h>
#include <string.h>

#include "cands.h"
#include "vmath.h"
#include "xtc.h"

/* XTC's exclusion: with two top choices or more (p >= threshold), all but the least likely
 * (of equals, the last) leave. Returns whether any left. */
static int xtc_cut(Work *k, Cands *c, double threshold) {
    double *p = k->p;
    probs(c, p);
    threshold *= 1 - MARGIN;
    int64_t count = 0, least = -1;
    double low = INFINITY;
    for (int64_t i = 0; i < c->n; i++)
        if (p[i] >= threshold) {
            count++;
            if (p[i] < low) low = p[i];
        }
    if (count < 2) return 0;
    for (int64_t i = 0; i < c->n; i++) /* the least likely (within the margin), the last */
        if (p[i] >= threshold && p[i] <= low * (1 + MARGIN)) least = i;
    for (int64_t i = 0; i < c->n; i++) k->flag[i] = !(p[i] >= threshold) || i == least;
    keep_marked(c, k->flag);
    return 1;
}

/* XTC followed by a plain temperature t alone (0 < t < inf): the exclusion's outcome is the
 * tempered row renormalised on the tokens it keeps (k->flag), so the mixture needs one
 * tempering: ln q = ln qa + ln((1 - P) + P / s) on those tokens, + ln(1 - P) on the rest,
 * with s their share of qa (samplers/chain.py, _xtc). Returns 0, c untouched, when
 * s is too small to divide by. */
static int xtc_tempered(Work *k, Cands *c, double prob, double t) {
    double mx = largest(c), *z = k->a.w, *e = k->tmp, total = 0.0, kept = 0.0;
    temper(c->w, z, e, c->n, t, mx);
    for (int64_t i = 0; i < c->n; i++) {
        total += e[i];
        kept += k->flag[i] ? e[i] : 0.0;
    }
    double share = kept / total;
    if (!(share > XTC_SHARE_FLOOR)) return 0;
    double lt = log(total), in = log((1 - prob) + prob / share), out = log1p(-prob);
    int64_t o = 0; /* (those now impossible leave) */
    for (int64_t i = 0; i < c->n; i++)
        if (z[i] > -INFINITY) {
            c->id[o] = c->id[i];
            c->w[o++] = (z[i] - lt) + (k->flag[i] ? in : out);
        }
    c->n = o;
    return 1;
}

/* XTC: the mixture of the rest of the chain on the row with and without the exclusion
 * (each branch in place in its own list, c and k->b; the mixture through k->a). */
void xtc(const Chain *ch, int at, Work *k, Cands *c, State *st, double *t, Rest rest) {
    const Link *lk = &ch->link[at];
    double prob = lk->x[0], tb = *t; /* (the rest may not temper: then *t stays) */
    Cands *b = &k->b, *o = &k->a;
    b->n = c->n;
    memcpy(b->id, c->id, sizeof(int32_t) * c->n);
    memcpy(b->w, c->w, sizeof(double) * c->n);
    int changed = xtc_cut(k, b, lk->x[1]);
    /* the rest: nothing (tempered at 1, as the rest ends) or a plain temperature alone */
    const Link *next = &ch->link[at + 1];
    double rest_t = at + 1 == ch->n ? 1.0
                    : at + 2 == ch->n && next->kind == L_TEMPERATURE && !(next->x[1] > 0)
                        ? next->x[0] : NAN;
    if (changed && rest_t > 0 && !isinf(rest_t) && xtc_tempered(k, c, prob, rest_t)) {
        if (at + 1 < ch->n) *t = tb = rest_t;
        *t = (1 - prob) * *t + prob * tb;
        return;
    }
    rest(ch, at + 1, k, c, st, t);
    if (!changed) return;
    rest(ch, at + 1, k, b, st, &tb);
    /* ln((1 - P) qa + P qb) by token, as m + ln(e^(a - m) + e^(b - m)) with a, b the two
     * terms' logs and m the larger, several tokens at a time (samplers/chain.py, _xtc) */
    double la = log1p(-prob), lb = log(prob), *ea = o->w, *eb = k->tmp, *m = k->p;
    int64_t i = 0, j = 0, n = 0;
    while (i < c->n || j < b->n) {
        int32_t x = i < c->n ? c->id[i] : INT32_MAX, y = j < b->n ? b->id[j] : INT32_MAX;
        double wa = x <= y ? la + c->w[i] : -INFINITY, wb = y <= x ? lb + b->w[j] : -INFINITY;
        double top = wa > wb ? wa : wb;
        if (top == -INFINITY) top = 0.0; /* (neither: ln 0) */
        o->id[n] = x < y ? x : y;
        m[n] = top;
        ea[n] = wa - top;
        eb[n++] = wb - top;
        if (x <= y) i++;
        if (y <= x) j++;
    }
    exps(ea, ea, n);
    exps(eb, eb, n);
    for (i = 0; i < n; i++) ea[i] += eb[i];
    logs(ea, ea, n);
    c->n = n;
    memcpy(c->id, o->id, sizeof(int32_t) * n);
    for (i = 0; i < n; i++) c->w[i] = m[i] + ea[i];
    *t = (1 - prob) * *t + prob * tb;
}

