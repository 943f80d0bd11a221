/* The run's model and chains (spec.h), read and checked. */
#include <string.h>

#include "spec.h"

int parse_model(Views *vs, PyObject *spec, Model *m) {
    PyObject *levels;
    if (!PyArg_ParseTuple(spec, "iiLLO", &m->order, &m->vocab, &m->bos, &m->boundary, &levels))
        return -1;
    if (m->order < 1 || m->order > MAX_ORDER || !PyTuple_Check(levels) ||
        PyTuple_GET_SIZE(levels) != m->order) {
        PyErr_SetString(PyExc_ValueError, "model: one level per order is needed");
        return -1;
    }
    for (int k = 1; k <= m->order; k++) {
        Level *lv = &m->lv[k];
        PyObject *ctx, *kids, *first, *token, *adj, *u, *disc;
        if (!PyArg_ParseTuple(PyTuple_GET_ITEM(levels, k - 1), "OOOOOOO", &ctx, &kids, &first,
                              &token, &adj, &u, &disc))
            return -1;
        memset(lv, 0, sizeof *lv);
        Py_buffer *b = view(vs, ctx, 0, "contexts");
        if (!b) return -1;
        if (b->itemsize != 1 || b->len % sizeof(Ctx)) {
            PyErr_SetString(PyExc_TypeError, "contexts: records of 32 bytes are needed");
            return -1;
        }
        lv->ctx = b->buf;
        lv->n_ctx = b->len / sizeof(Ctx);
        if (first != Py_None && ints(vs, first, &lv->first, NULL, "first") < 0) return -1;
        if (kids != Py_None) {
            int64_t nk;
            if (ints(vs, kids, &lv->kids, &nk, "children") < 0) return -1;
            if (nk != lv->n_ctx + 1) {
                PyErr_SetString(PyExc_ValueError, "children: one start per context and an end");
                return -1;
            }
        }
        if (ints(vs, token, &lv->token, NULL, "token") < 0) return -1;
        if (adj != Py_None && ints(vs, adj, &lv->adj, NULL, "adj") < 0) return -1;
        if (u != Py_None && !(lv->u = doubles(vs, u, 0, NULL, "u"))) return -1;
        Py_ssize_t nd;
        const double *d = doubles(vs, disc, 0, &nd, "disc");
        if (!d) return -1;
        if (nd != 4) {
            PyErr_SetString(PyExc_ValueError, "disc: 4 values are needed");
            return -1;
        }
        memcpy(lv->disc, d, sizeof lv->disc);
        for (int a = 0; a < 256; a++) lv->kept[a] = (double)a - lv->disc[a < 3 ? a : 3];
        if (!lv->u && !lv->adj.p) {
            PyErr_SetString(PyExc_ValueError, "model: a level needs u or adj");
            return -1;
        }
    }
    return 0;
}

int parse_chains(PyObject *chains, Chain **out, int *n_out, int64_t **breakers) {
    if (!PyTuple_Check(chains)) {
        PyErr_SetString(PyExc_TypeError, "chains: a tuple is needed");
        return -1;
    }
    int n = (int)PyTuple_GET_SIZE(chains);
    int64_t total = 0;
    *out = calloc(n ? n : 1, sizeof(Chain));
    if (!*out) return -1;
    *n_out = n;
    for (int i = 0; i < n; i++) { /* the breakers' room first */
        PyObject *spec = PyTuple_GET_ITEM(chains, i);
        if (!PyTuple_Check(spec) || PyTuple_GET_SIZE(spec) != 6) {
            PyErr_SetString(PyExc_TypeError, "chain: (links, window, starts, tokens, bias "
                                             "tokens, biases) needed");
            return -1;
        }
        total += PyObject_Length(PyTuple_GET_ITEM(spec, 2)) +
                 PyObject_Length(PyTuple_GET_ITEM(spec, 3)) +
                 2 * PyObject_Length(PyTuple_GET_ITEM(spec, 4));
    }
    if (!(*breakers = malloc(sizeof(int64_t) * (total + 1)))) return -1;
    int64_t used = 0;
    for (int i = 0; i < n; i++) {
        Chain *ch = &(*out)[i];
        PyObject *links, *starts, *tokens, *bias_ids, *bias_ws;
        long long window;
        if (!PyArg_ParseTuple(PyTuple_GET_ITEM(chains, i), "OLOOOO", &links, &window, &starts,
                              &tokens, &bias_ids, &bias_ws))
            return -1;
        if (!PyTuple_Check(links) || PyTuple_GET_SIZE(links) > MAX_LINKS || window < 0) {
            PyErr_SetString(PyExc_ValueError, "chain: a tuple of at most 16 links needed");
            return -1;
        }
        ch->n = (int)PyTuple_GET_SIZE(links);
        ch->window = window;
        for (int j = 0; j < ch->n; j++) {
            Link *lk = &ch->link[j];
            long long n0, n1;
            if (!PyArg_ParseTuple(PyTuple_GET_ITEM(links, j), "idddLL", &lk->kind, &lk->x[0],
                                  &lk->x[1], &lk->x[2], &n0, &n1))
                return -1;
            if (lk->kind < 0 || lk->kind >= L_KINDS || n0 < 0 || n1 < 0) {
                PyErr_SetString(PyExc_ValueError, "chain: a link of an unknown kind");
                return -1;
            }
            lk->n[0] = n0;
            lk->n[1] = n1;
            if (lk->kind == L_DRY) ch->dry = 1;
            if (lk->kind == L_MIROSTAT) ch->miro = j + 1;
            if (lk->kind == L_PENALTIES) ch->pen = j + 1;
            if (lk->kind == L_ADAPTIVE_P) ch->adapt = j + 1;
            if (lk->kind == L_NO_REPEAT_NGRAM) ch->norep = j + 1;
        }
        Views tmp = {.n = 0};
        Py_ssize_t ns, nt;
        int64_t *st = int64s(&tmp, starts, 0, &ns, "breaker starts");
        int64_t *tk = st ? int64s(&tmp, tokens, 0, &nt, "breakers") : NULL;
        if (!tk) {
            release(&tmp);
            return -1;
        }
        int ok = ns >= 1 && st[0] == 0 && st[ns - 1] == nt;
        for (Py_ssize_t j = 1; ok && j < ns; j++) ok = st[j] > st[j - 1];
        if (!ok) {
            release(&tmp);
            PyErr_SetString(PyExc_ValueError, "chain: breaker starts do not fit the tokens");
            return -1;
        }
        memcpy(*breakers + used, st, sizeof(int64_t) * ns);
        memcpy(*breakers + used + ns, tk, sizeof(int64_t) * nt);
        ch->n_breakers = (int)ns - 1;
        ch->brk_start = *breakers + used;
        ch->brk = *breakers + used + ns;
        used += ns + nt;
        /* the logit biases: their tokens, then their values' bits, in the same block */
        Py_ssize_t nb, nw;
        int64_t *bi = int64s(&tmp, bias_ids, 0, &nb, "bias tokens");
        double *bw = bi ? doubles(&tmp, bias_ws, 0, &nw, "biases") : NULL;
        if (!bw || nb != nw) {
            release(&tmp);
            if (bw) PyErr_SetString(PyExc_ValueError, "chain: a bias for each bias token");
            return -1;
        }
        memcpy(*breakers + used, bi, sizeof(int64_t) * nb);
        memcpy(*breakers + used + nb, bw, sizeof(double) * nb);
        ch->n_bias = nb;
        ch->bias_id = *breakers + used;
        ch->bias_w = (const double *)(*breakers + used + nb);
        used += 2 * nb;
        release(&tmp);
    }
    return 0;
}
