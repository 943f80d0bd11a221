/* Frames (frame.h): built from K's record and C's successors, in the operations and order
 * of draw.c's build_set (and with kept.c's gaps), so a row drawn from a frame is the row
 * drawn without. */
#include "frame.h"

const Frame *frame_of(Sampler *s, const Kept *K, const int64_t *rank, int k) {
    Frame **slot = &s->frames[rank[k - 1]];
    if (*slot) return *slot;
    const Level *lv = &s->m->lv[k];
    const Ctx *c = &lv->ctx[rank[k - 1]];
    int64_t ns = c->n_succ, lo = c->succ, hi = lo + ns, nt = s->n_temps;
    int64_t values = ns + 2 * (ns + 1) * nt; /* p, gap */
    int64_t need = values + (ns + 1) / 2 + (int64_t)(sizeof(Frame) / sizeof(double));
    if (need > s->frame_room) return NULL;
    Frame *F = keep(s, sizeof(Frame) + sizeof(double) * values + sizeof(int32_t) * ns);
    if (!F) return NULL;
    s->frame_room -= need;
    F->K = K;
    F->ns = ns;
    F->p = (double *)(F + 1);
    F->gap = F->p + ns;
    F->tok = (int32_t *)(F->gap + 2 * (ns + 1) * nt);
    const double *rec = K->rec;
    int64_t stride = K->stride, i = 0;
    int32_t *pos = s->pos;
    double g = c->gamma;
    FOR_WIDTH(lv->token, for (int64_t e = lo; e < hi; e++, i++) {
        int64_t w = V(e);
        F->tok[i] = (int32_t)w;
        pos[w] = (int32_t)i;
        F->p[i] = rec[w * stride] * g;
    })
    add_successors(lv, rank[k - 1], F->p, pos);
    /* (pos holds places of earlier rows too: a place in S names a member only if it is) */
    int32_t at_top = K->top >= 0 ? pos[K->top] : 0;
    F->top_out = K->top >= 0 && !(at_top < ns && F->tok[at_top] == K->top);
    for (int ti = 0; ti < nt; ti++)
        gaps(K, ti, F->tok, ns, s->m->vocab, NULL, F->gap + 2 * (ns + 1) * ti);
    *slot = F;
    return F;
}

void fetch_kept(const Sampler *s, int64_t batch, int64_t (*rank)[MAX_ORDER], const int *n) {
    int k = s->dense + 1;
    for (int64_t b = 0; b < batch; b++) { /* the heads, then (once those are in) the rest */
        int d = n[b] < s->depth ? n[b] : s->depth;
        const Kept *K = s->kept[d][rank[b][d - 1]];
        if (K) __builtin_prefetch(K);
        if (s->frames && n[b] >= k && s->frames[rank[b][k - 1]])
            __builtin_prefetch(s->frames[rank[b][k - 1]]);
    }
    for (int64_t b = 0; b < batch && s->frames; b++) {
        const Frame *F = n[b] >= k ? s->frames[rank[b][k - 1]] : NULL;
        if (!F) continue;
        const char *end = (const char *)(F->tok + F->ns);
        for (const char *a = (const char *)F + 64; a < end; a += 64) __builtin_prefetch(a);
    }
}
