/* The lists of a ranked cut (ranking.h), each sorted once and kept for the run. */
#include "order.h"
#include "ranking.h"
#include "rowset.h"

/* Room for a ranking of n, and its values p[0..n) (in k->tmp) sorted into it. */
static Ranking *ranked(Cache *s, Work *k, int64_t n) {
    Ranking *L = cache_keep(s, sizeof(Ranking) + sizeof(double) * (size_t)n +
                                   sizeof(int32_t) * (size_t)(2 * n));
    if (!L) return NULL;
    L->n = n;
    L->p = (double *)(L + 1);
    L->token = (int32_t *)(L->p + n);
    L->place = L->token + n;
    sort_by(k->tmp, n, -1, k->order, k->order2);
    for (int64_t i = 0; i < n; i++) L->p[i] = k->tmp[k->order[i]];
    return L;
}

const Ranking *root_ranking(Cache *s, Work *k, const Kept *R) {
    if (k->root) return k->root;
    int64_t v = s->m->vocab;
    for (int64_t w = 0; w < v; w++) k->tmp[w] = R->p[w];
    Ranking *L = ranked(s, k, v);
    if (!L) return NULL;
    for (int64_t i = 0; i < v; i++) {
        L->token[i] = k->order[i];
        L->place[k->order[i]] = (int32_t)i;
    }
    return k->root = L;
}

const Ranking *member_ranking(Cache *s, Work *k, Kept *K, const Ranking *root) {
    if (K->ranking) return K->ranking;
    for (int64_t i = 0; i < K->n; i++) k->tmp[i] = K->p[i];
    Ranking *L = ranked(s, k, K->n);
    if (!L) return NULL;
    for (int64_t i = 0; i < K->n; i++) L->token[i] = (int32_t)at(K->tok, K->lo + k->order[i]);
    /* the members' places in the root's list, ascending: by a bitmap of those places */
    uint64_t *bits = k->bits;
    for (int64_t i = 0; i < K->n; i++) {
        int32_t at_root = root->place[L->token[i]];
        bits[at_root >> 6] |= (uint64_t)1 << (at_root & 63);
    }
    int64_t o = 0;
    for (int64_t word = 0; o < K->n; word++) { /* (read, and left zero) */
        uint64_t b = bits[word];
        bits[word] = 0;
        for (; b; b &= b - 1) L->place[o++] = (int32_t)(word * 64 + __builtin_ctzll(b));
    }
    return K->ranking = L;
}

int top_off_set(Cache *s, Work *k, Kept *K, double *p, int64_t *token) {
    const Kept *R = K->tok.p ? K->parent : K;
    const Ranking *root = root_ranking(s, k, R), *mine = NULL;
    if (!root || (K->tok.p && !(mine = member_ranking(s, k, K, root)))) return -1;
    *p = -1.0;
    *token = -1;
    for (int64_t i = 0; mine && i < mine->n; i++)
        if (!in_set(s, mine->token[i])) {
            *p = mine->p[i];
            *token = mine->token[i];
            break;
        }
    for (int64_t i = 0; i < root->n; i++) { /* (non-members of K: gamma times the root's) */
        int32_t t = root->token[i];
        if (in_set(s, t)) continue;
        if (mine) {
            int64_t at_k = lower(K->tok, K->lo, K->n, t);
            if (at_k < K->n && at(K->tok, K->lo + at_k) == t) continue;
        }
        double v = mine ? root->p[i] * K->gamma : root->p[i]; /* (as value_of rounds it) */
        if (v > *p || (v == *p && t < *token)) {
            *p = v;
            *token = t;
        }
        break;
    }
    return 0;
}
