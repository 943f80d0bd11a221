/* tempgen.generate._compiled: the decode loop.
 *
 * It computes what the numpy path computes (generate/decode.py with generate/samplers),
 * row by row: the interpolated model row p of the row's context, the row's chain, and the
 * Gumbel-max draw with the row's step key (noise.c). A chain that is a temperature alone
 * takes the short way (draw.c, draw_row: q = softmax(log p / T) from what the run keeps,
 * kept.c);
 * any other chain runs link by link on the row's candidates (chain.c), and on a large
 * vocabulary a first top-k, top-p or min-p cut takes the row from the top down, without
 * the whole row (ranked.c). spec.c reads the model and chains. A run holds what the loop
 * keeps from one call to the next: a call decodes any rows, at any of its temperatures
 * and chains, and the stateful chains' rows bring their state and take it back.
 *
 *   run = start(model, temperatures, chains, dense, depth, room, leaf_token)
 *   decode(run, contexts, keys, row_stream, row_temp, row_chain, hist, hist_len, mu,
 *          tokens, logp, logq, entropy, temps, mus)
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

#include "draw.h"
#include "lookup.h"
#include "moments.h"
#include "noise.h"
#include "spec.h"
#include "state.h"

/* A run: the model's tables (held by their views), the temperatures, and the cache of what
 * it keeps. Rows are not the run's: any call may bring any rows, and what the run keeps
 * serves them all. */
typedef struct {
    Views vs;
    Model m;
    Cache cache;
    double *temps; /* the temperatures > 0 */
    int32_t *leaf_token; /* the token at each leaf of the noise tree */
    Chain *chains; /* the other chains */
    int n_chains;
    int64_t *breakers; /* the chains' DRY breakers (starts and tokens), in one block */
    Work work;
} Run;

static void run_free(Run *run) {
    cache_free(&run->cache);
    release(&run->vs);
    work_free(&run->work);
    free(run->temps);
    free(run->leaf_token);
    free(run->chains);
    free(run->breakers);
    free(run);
}

static void capsule_free(PyObject *capsule) {
    run_free(PyCapsule_GetPointer(capsule, "tempgen.run"));
}

/* The noise tree's leaves (a permutation of the vocabulary), copied. -1 with an exception. */
static int leaf_order(Run *run, const int32_t *leaves, Py_ssize_t n) {
    uint64_t *seen = calloc((size_t)n / 64 + 1, sizeof(uint64_t));
    run->leaf_token = malloc(sizeof(int32_t) * (size_t)(n ? n : 1));
    int ok = n == run->m.vocab;
    for (Py_ssize_t i = 0; ok && seen && run->leaf_token && i < n; i++) {
        int32_t t = leaves[i];
        ok = t >= 0 && t < n && !((seen[t >> 6] >> (t & 63)) & 1);
        if (ok) seen[t >> 6] |= (uint64_t)1 << (t & 63);
        run->leaf_token[i] = t;
    }
    int have = seen && run->leaf_token;
    free(seen);
    if (!have) PyErr_NoMemory();
    else if (!ok) PyErr_SetString(PyExc_ValueError,
                                  "leaf_token: a permutation of the vocabulary is needed");
    return have && ok ? 0 : -1;
}

static PyObject *start(PyObject *self, PyObject *args) {
    PyObject *spec, *temps_o, *chains_o, *leaves_o;
    int dense, depth;
    long long room;
    if (!PyArg_ParseTuple(args, "OOOiiLO", &spec, &temps_o, &chains_o, &dense, &depth, &room,
                          &leaves_o))
        return NULL;
    Run *run = calloc(1, sizeof(Run));
    if (!run) return PyErr_NoMemory();
    Views tv = {.n = 0};
    Py_ssize_t n_temps;
    const double *t = doubles(&tv, temps_o, 0, &n_temps, "temperatures");
    if (!t || parse_model(&run->vs, spec, &run->m) < 0) goto fail;
    if (dense < 1 || depth < dense || depth > run->m.order) {
        PyErr_SetString(PyExc_ValueError, "levels: 1 <= dense <= depth <= order is needed");
        goto fail;
    }
    if (!(run->temps = malloc(sizeof(double) * (n_temps ? n_temps : 1)))) {
        PyErr_NoMemory();
        goto fail;
    }
    for (Py_ssize_t i = 0; i < n_temps; i++) {
        if (!(t[i] > 0.0)) {
            PyErr_SetString(PyExc_ValueError, "temperatures: > 0 (or inf) are needed");
            goto fail;
        }
        run->temps[i] = t[i];
    }
    Py_ssize_t n_leaves;
    const int32_t *leaves = typed(&tv, leaves_o, 0, "il", 4, &n_leaves, "leaf_token");
    if (!leaves) goto fail;
    if (leaf_order(run, leaves, n_leaves) < 0) goto fail;
    if (cache_init(&run->cache, &run->m, dense, depth, room, run->temps, (int)n_temps,
                   run->leaf_token) < 0 ||
        work_init(&run->work, run->m.vocab) < 0) {
        PyErr_NoMemory();
        goto fail;
    }
    if (parse_chains(chains_o, &run->chains, &run->n_chains, &run->breakers) < 0) {
        if (!PyErr_Occurred()) PyErr_NoMemory();
        goto fail;
    }
    release(&tv);
    PyObject *capsule = PyCapsule_New(run, "tempgen.run", capsule_free);
    if (!capsule) run_free(run);
    return capsule;
fail:
    release(&tv);
    run_free(run);
    return NULL;
}

/* The arrays of a decode call. */
typedef struct {
    int64_t *ctx, *stream, *row_temp, *row_chain, *hist, *hist_len, *tok;
    uint64_t *keys;
    double *mu, *logp, *logq, *ent, *temps, *mus;
    Py_ssize_t batch, steps, width;
} Call;

static int call_arrays(Views *vs, Run *run, PyObject *const *o, Call *c) {
    Py_ssize_t n[15];
    c->ctx = int64s(vs, o[0], 1, &n[0], "contexts");
    c->keys = c->ctx ? typed(vs, o[1], 0, "QL", 8, &n[1], "keys") : NULL;
    c->stream = c->keys ? int64s(vs, o[2], 0, &c->batch, "row_stream") : NULL;
    c->row_temp = c->stream ? int64s(vs, o[3], 0, &n[3], "row_temp") : NULL;
    c->row_chain = c->row_temp ? int64s(vs, o[4], 0, &n[4], "row_chain") : NULL;
    c->hist = c->row_chain ? int64s(vs, o[5], 1, &n[5], "hist") : NULL;
    c->hist_len = c->hist ? int64s(vs, o[6], 1, &n[6], "hist_len") : NULL;
    c->mu = c->hist_len ? doubles(vs, o[7], 1, &n[7], "mu") : NULL;
    c->tok = c->mu ? int64s(vs, o[8], 1, &n[8], "tokens") : NULL;
    c->logp = c->tok ? doubles(vs, o[9], 1, &n[9], "logp") : NULL;
    c->logq = c->logp ? doubles(vs, o[10], 1, &n[10], "logq") : NULL;
    c->ent = c->logq ? doubles(vs, o[11], 1, &n[11], "entropy") : NULL;
    c->temps = c->ent ? doubles(vs, o[12], 1, &n[12], "temps") : NULL;
    c->mus = c->temps ? doubles(vs, o[13], 1, &n[13], "mus") : NULL;
    if (!c->mus) return -1;
    Py_buffer *ub = &vs->views[1], *hb = &vs->views[5];
    c->width = run->m.order - 1;
    c->steps = ub->ndim == 2 ? ub->shape[1] : -1;
    Py_ssize_t b = c->batch, out = c->steps * b, hw = hb->ndim == 2 ? hb->shape[1] : -1;
    int ok = c->steps >= 0 && hw >= 0 && n[0] == b * c->width && n[3] == b && n[4] == b &&
             n[5] == b * hw && n[6] == b && n[7] == 3 * b && n[8] == out && n[9] == out &&
             n[10] == out && n[11] == out && n[12] == out && n[13] == out;
    for (Py_ssize_t r = 0; ok && r < b; r++) {
        ok = c->stream[r] >= 0 && c->stream[r] < ub->shape[0] && c->row_temp[r] >= -1 &&
             c->row_temp[r] < run->cache.n_temps && c->row_chain[r] >= -1 &&
             c->row_chain[r] < run->n_chains && c->hist_len[r] >= 0 && c->hist_len[r] <= hw;
        if (ok && c->row_chain[r] >= 0) ok = run->chains[c->row_chain[r]].window <= hw;
    }
    if (!ok) {
        PyErr_SetString(PyExc_ValueError, "decode: contexts (rows, order-1), keys (streams, "
                                          "steps), row_stream, row_temp, row_chain, hist_len "
                                          "(rows,), memory (rows, 3), hist (rows, window), "
                                          "and outputs "
                                          "(steps, rows) are needed");
        return -1;
    }
    return 0;
}

/* One step of row r: its draw, written at o. Returns -1 when out of memory. */
static int step(Run *run, Call *c, State *states, Py_ssize_t s, Py_ssize_t r) {
    int64_t *ctx = c->ctx + r * c->width, rank[MAX_ORDER];
    int n = ranks(&run->m, ctx, rank);
    uint64_t key = c->keys[c->stream[r] * c->steps + s];
    double t, mu = NAN;
    Drawn d = {.adapt_p = NAN};
    int64_t ci = c->row_chain[r];
    if (ci < 0) {
        if (draw_row(&run->cache, &run->work, rank, n, (int)c->row_temp[r], key, &d) < 0)
            return -1;
        t = c->row_temp[r] < 0 ? 0.0 : run->temps[c->row_temp[r]];
    } else {
        const Chain *ch = &run->chains[ci];
        int whole = 1;
        mu = ch->miro ? states[r].mu : NAN;
        if (c->row_temp[r] >= 0 && sparse_fits(&run->cache, ch)) { /* (penalties, then T) */
            whole = sparse_draw(&run->cache, &run->work, ch, &states[r], rank, n,
                                (int)c->row_temp[r], key, &d);
            if (whole < 0) return -1;
            t = run->temps[c->row_temp[r]];
        }
        if (whole && chain_draw(&run->cache, &run->work, ch, &states[r], rank, n, key, &d,
                                &t) < 0)
            return -1;
        state_push(&states[r], ch, d.token, d.logq, d.adapt_p, run->m.vocab);
    }
    Py_ssize_t o = s * c->batch + r;
    c->tok[o] = d.token;
    c->logp[o] = d.logp;
    c->logq[o] = d.logq;
    c->ent[o] = d.entropy;
    c->temps[o] = t;
    c->mus[o] = mu;
    if (c->width) {
        memmove(ctx, ctx + 1, sizeof(int64_t) * (c->width - 1));
        ctx[c->width - 1] = d.token;
    }
    return 0;
}

static PyObject *decode(PyObject *self, PyObject *args) {
    PyObject *o[15];
    if (!PyArg_UnpackTuple(args, "decode", 15, 15, &o[0], &o[1], &o[2], &o[3], &o[4], &o[5],
                           &o[6], &o[7], &o[8], &o[9], &o[10], &o[11], &o[12], &o[13], &o[14]))
        return NULL;
    Run *run = PyCapsule_GetPointer(o[0], "tempgen.run");
    if (!run) return NULL;
    if (run->cache.sums_only) {
        PyErr_SetString(PyExc_ValueError, "decode: the run was given to rows_moments");
        return NULL;
    }
    Views vs = {.n = 0};
    Call c;
    if (call_arrays(&vs, run, o + 1, &c) < 0) {
        release(&vs);
        return NULL;
    }
    Py_ssize_t hw = vs.views[5].ndim == 2 ? vs.views[5].shape[1] : 0;
    State *states = calloc(c.batch ? c.batch : 1, sizeof(State));
    int failed = !states;
    for (Py_ssize_t r = 0; !failed && r < c.batch; r++)
        if (c.row_chain[r] >= 0)
            failed = state_init(&states[r], &run->chains[c.row_chain[r]], c.hist + r * hw,
                                c.hist_len[r], c.mu + 3 * r, run->m.vocab) < 0;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t s = 0; s < c.steps && !failed; s++)
        for (Py_ssize_t r = 0; r < c.batch && !failed; r++) failed = step(run, &c, states, s, r) < 0;
    Py_END_ALLOW_THREADS
    for (Py_ssize_t r = 0; states && r < c.batch; r++) { /* the states back */
        State *st = &states[r];
        if (c.row_chain[r] >= 0 && !failed) {
            int64_t keep = st->len < hw ? st->len : hw;
            memcpy(c.hist + r * hw, st->hist + st->len - keep, sizeof(int64_t) * keep);
            c.hist_len[r] = keep;
            c.mu[3 * r] = st->mu;
            c.mu[3 * r + 1] = st->adapt_sum;
            c.mu[3 * r + 2] = st->adapt_weight;
        }
        state_free(st);
    }
    free(states);
    release(&vs);
    if (failed) return PyErr_NoMemory();
    Py_RETURN_NONE;
}

/* rows_moments(run, keys, weights, out): over the rows named by keys (int64, ascending:
 * lm/ngram.py's row_keys, lookup.h), each weights[i] times, the sums of each row's
 * log-partition and its first two derivatives in 1/T at each of the run's temperatures,
 * added to out (3 a temperature). */
static PyObject *rows_moments_py(PyObject *self, PyObject *args) {
    PyObject *run_o, *keys_o, *w_o, *out_o;
    if (!PyArg_ParseTuple(args, "OOOO", &run_o, &keys_o, &w_o, &out_o)) return NULL;
    Run *run = PyCapsule_GetPointer(run_o, "tempgen.run");
    if (!run) return NULL;
    Views vs = {.n = 0};
    Py_ssize_t nk, nw, no;
    int64_t *keys = int64s(&vs, keys_o, 0, &nk, "keys");
    double *w = keys ? doubles(&vs, w_o, 0, &nw, "weights") : NULL;
    double *out = w ? doubles(&vs, out_o, 1, &no, "out") : NULL;
    if (!out) {
        release(&vs);
        return NULL;
    }
    int64_t bound = rows(&run->m);
    int failed = nw != nk || no != 3 * run->cache.n_temps;
    for (Py_ssize_t i = 0; i < nk && !failed; i++) failed = keys[i] < 0 || keys[i] >= bound;
    if (failed) {
        release(&vs);
        PyErr_SetString(PyExc_ValueError, "rows_moments: keys of the model's rows, a weight "
                                          "each and out (3 a temperature) are needed");
        return NULL;
    }
    run->cache.sums_only = 1; /* (the run draws nothing from now on: decode refuses it) */
    Py_BEGIN_ALLOW_THREADS
    int64_t rank[MAX_ORDER];
    for (Py_ssize_t i = 0; i < nk && !failed; i++) {
        int n = key_ranks(&run->m, keys[i], rank);
        /* (keys ascending: the rows of one parent come together, so the room the contexts
         * kept so far take is given to the next ones when it runs out) */
        int64_t need = kept_need(&run->cache, rank, n);
        if (need > run->cache.room && need <= run->cache.room_all &&
            cache_renew(&run->cache) < 0)
            failed = 1;
        else
            failed = row_moments(&run->cache, rank, n, w[i], out) < 0;
    }
    Py_END_ALLOW_THREADS
    release(&vs);
    if (failed) return PyErr_NoMemory();
    Py_RETURN_NONE;
}

static PyObject *kinds_py(PyObject *self, PyObject *noargs) {
    static const char *names[L_KINDS] = LINK_NAMES;
    PyObject *out = PyTuple_New(L_KINDS);
    if (!out) return NULL;
    for (int k = 0; k < L_KINDS; k++) {
        PyObject *name = PyUnicode_FromString(names[k]);
        if (!name) { Py_DECREF(out); return NULL; }
        PyTuple_SET_ITEM(out, k, name);
    }
    return out;
}

/* gumbel_min(key, w, nodes=False): the search alone, on a row of weights by leaf (w: float64,
 * 0 where no candidate): (the leaf drawn, its E), as the decode loop's draws find it; the
 * candidates listed (those of w > 0) or, with `nodes`, every node's weight given (noise.h,
 * node_weights). */
static PyObject *gumbel_min_py(PyObject *self, PyObject *args) {
    unsigned long long key;
    PyObject *w_o;
    int nodes = 0;
    if (!PyArg_ParseTuple(args, "KO|p", &key, &w_o, &nodes)) return NULL;
    Views vs = {.n = 0};
    Py_ssize_t n;
    const double *w = doubles(&vs, w_o, 0, &n, "w");
    if (!w) return NULL;
    size_t room = n > 0 ? (size_t)n : 1;
    int32_t *ints = malloc(sizeof(int32_t) * 3 * room); /* leaf positions (the tokens: leaf
                                                           i holds token i), node layout */
    Leaves l = {.pos = ints, .w = malloc(sizeof(double) * 4 * room)};
    int64_t at = -1;
    double e = INFINITY;
    int ok = n > 0 && n < INT32_MAX && ints && l.w;
    if (ok && nodes) {
        for (Py_ssize_t i = 0; i < n; i++) ints[i] = (int32_t)i;
        tree_layout(ints, n, ints + n, ints + 2 * n);
        node_weights(ints, w, n, n, ints + n, ints + 2 * n, l.w); /* (4n > the tree's ids) */
        at = gumbel_min(&(Scores){.exact = l.w}, key, n, &e);
    } else if (ok) {
        for (Py_ssize_t i = 0; i < n; i++)
            if (w[i] > 0.0) {
                l.pos[l.n] = (int32_t)i;
                l.w[l.n++] = w[i];
            }
        l.tree = l.w + l.n;
        leaves_tree(&l);
        at = gumbel_min(&(Scores){.list = &l}, key, n, &e);
    }
    free(ints);
    free(l.w);
    release(&vs);
    if (!ok) {
        if (n > 0 && n < INT32_MAX) return PyErr_NoMemory();
        PyErr_SetString(PyExc_ValueError, "w: 1 to 2^31 - 1 leaves are needed");
        return NULL;
    }
    return Py_BuildValue("Ld", (long long)at, e);
}

static PyMethodDef methods[] = {
    {"kinds", kinds_py, METH_NOARGS,
     "kinds(): the links' names, in the order of their kinds (csrc/chain.h)."},
    {"rows_moments", rows_moments_py, METH_VARARGS,
     "rows_moments(run, keys, weights, out): over the rows named by keys (ascending: their "
     "numbers over all the model's contexts), each weights[i] times, the sums of each row's "
     "log-partition ln sum p^(1/T) and its first two derivatives in 1/T at the run's "
     "temperatures, added to out (3 a temperature). The run draws nothing after."},
    {"gumbel_min", gumbel_min_py, METH_VARARGS,
     "gumbel_min(key, w, nodes=False): the draw's search alone on a row of weights by leaf "
     "of the noise tree (0: not a candidate), its candidates listed or (nodes) every node's "
     "weight given: (the leaf drawn, its least exponential E; its g is -ln E)."},
    {"start", start, METH_VARARGS,
     "start(model, temperatures, chains, dense, depth, room, leaf_token): a run for rows at "
     "these temperatures (all > 0) or chains; contexts of levels 1..dense are kept whole, "
     "..depth by their successors while `room` bytes last; leaf_token: the token at each "
     "leaf of the noise tree (int32, a permutation of the vocabulary)."},
    {"decode", decode, METH_VARARGS,
     "decode(run, contexts, keys, row_stream, row_temp, row_chain, hist, hist_len, mu, "
     "tokens, logp, logq, entropy, temps, mus): fill the (steps, rows) outputs; contexts "
     "(rows, order-1) are advanced; row_chain: each row's chain by its index in the run's, "
     "or -1 for a temperature alone, row_temp: its index in the run's (-1: T = 0; a chain "
     "of penalties then a temperature may have one too); hist, "
     "hist_len, mu: the stateful rows' states, moved on."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_compiled", NULL, -1, methods};

PyMODINIT_FUNC PyInit__compiled(void) { return PyModule_Create(&module); }
