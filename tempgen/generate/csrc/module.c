/* tempgen.generate._compiled: the decode loop for chains that are a temperature alone.
 *
 * It computes what the numpy path computes (generate/decode.py with generate/samplers.py),
 * row by row: the interpolated model row p of the row's context, q = softmax(log p / T), and
 * the draw by inverse CDF with the row's uniform. A run holds what the loop keeps (kept.c)
 * from one call to the next: a call decodes any rows, at any of its temperatures.
 *
 *   run = start(model, temperatures, dense, depth, room)
 *   decode(run, contexts, uniforms, row_stream, row_temp, tokens, logp, logq, entropy)
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

#include "draw.h"

typedef struct {
    Py_buffer views[6 * (MAX_ORDER + 1)];
    int n;
} Views;
static void release(Views *vs) {
    for (int i = 0; i < vs->n; i++) PyBuffer_Release(&vs->views[i]);
    vs->n = 0;
}

/* The struct-module code of a buffer's items, without its byte-order prefix. */
static const char *code(const Py_buffer *b) {
    const char *f = b->format ? b->format : "B";
    while (*f == '<' || *f == '=' || *f == '@') f++;
    return f;
}

/* A C-contiguous buffer of `obj` (writable if asked), or NULL with an exception set. */
static Py_buffer *view(Views *vs, PyObject *obj, int writable, const char *what) {
    Py_buffer *b = &vs->views[vs->n];
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, b, flags) < 0) {
        PyErr_Format(PyExc_TypeError, "%s: a contiguous array is needed", what);
        return NULL;
    }
    vs->n++;
    return b;
}

static int ints(Views *vs, PyObject *obj, Ints *out, int64_t *n, const char *what) {
    Py_buffer *b = view(vs, obj, 0, what);
    if (!b) return -1;
    if ((b->itemsize != 1 && b->itemsize != 2 && b->itemsize != 4 && b->itemsize != 8) ||
        strlen(code(b)) != 1 || !strchr("bBhHiIlLqQ", code(b)[0])) {
        PyErr_Format(PyExc_TypeError, "%s: integers of 1, 2, 4 or 8 bytes are needed", what);
        return -1;
    }
    out->p = b->buf;
    out->size = (int)b->itemsize;
    if (n) *n = b->len / b->itemsize;
    return 0;
}

/* The values of a buffer of `size`-byte items of struct codes `codes`, and their count. */
static void *typed(Views *vs, PyObject *obj, int writable, const char *codes, int size,
                   Py_ssize_t *n, const char *what) {
    Py_buffer *b = view(vs, obj, writable, what);
    if (!b) return NULL;
    if (b->itemsize != size || strlen(code(b)) != 1 || !strchr(codes, code(b)[0])) {
        PyErr_Format(PyExc_TypeError, "%s: %s values are needed", what,
                     size == 8 && codes[0] == 'd' ? "float64" : "int64");
        return NULL;
    }
    if (n) *n = b->len / size;
    return b->buf;
}
#define doubles(vs, obj, w, n, what) ((double *)typed(vs, obj, w, "d", 8, n, what))
#define int64s(vs, obj, w, n, what) ((int64_t *)typed(vs, obj, w, "qlQL", 8, n, what))

/* model: (order, vocab, bos, boundary, levels), one level tuple per order m = 1..N
 * (generate/compiled.py): (contexts: Ctx records as bytes, first | None, token, adj | None,
 * u | None, disc (4,)). */
static int parse_model(Views *vs, PyObject *spec, Model *m) {
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
        PyObject *ctx, *first, *token, *adj, *u, *disc;
        if (!PyArg_ParseTuple(PyTuple_GET_ITEM(levels, k - 1), "OOOOOO", &ctx, &first, &token,
                              &adj, &u, &disc))
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

/* A run: the model's tables (held by their views), the temperatures, and the cache of what
 * it keeps. Rows are not the run's: any call may bring any rows, and what the run keeps
 * serves them all. */
typedef struct {
    Views vs;
    Model m;
    Cache cache;
    double *temps; /* the temperatures > 0 */
} Run;

static void run_free(Run *run) {
    cache_free(&run->cache);
    release(&run->vs);
    free(run->temps);
    free(run);
}

static void capsule_free(PyObject *capsule) {
    run_free(PyCapsule_GetPointer(capsule, "tempgen.run"));
}

static PyObject *start(PyObject *self, PyObject *args) {
    PyObject *spec, *temps_o;
    int dense, depth;
    long long room;
    if (!PyArg_ParseTuple(args, "OOiiL", &spec, &temps_o, &dense, &depth, &room)) return NULL;
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
    if (cache_init(&run->cache, &run->m, dense, depth, room, run->temps, (int)n_temps) < 0) {
        PyErr_NoMemory();
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

static PyObject *decode(PyObject *self, PyObject *args) {
    PyObject *capsule, *ctx_o, *unif_o, *stream_o, *temp_o, *tok_o, *logp_o, *logq_o, *ent_o;
    if (!PyArg_ParseTuple(args, "OOOOOOOOO", &capsule, &ctx_o, &unif_o, &stream_o, &temp_o,
                          &tok_o, &logp_o, &logq_o, &ent_o))
        return NULL;
    Run *run = PyCapsule_GetPointer(capsule, "tempgen.run");
    if (!run) return NULL;
    Views vs = {.n = 0};
    Py_ssize_t n_ctx, n_unif, batch, n_temp, n_tok, n_logp, n_logq, n_ent;
    int64_t *ctx = int64s(&vs, ctx_o, 1, &n_ctx, "contexts");
    double *unif = ctx ? doubles(&vs, unif_o, 0, &n_unif, "uniforms") : NULL;
    int64_t *stream = unif ? int64s(&vs, stream_o, 0, &batch, "row_stream") : NULL;
    int64_t *row_temp = stream ? int64s(&vs, temp_o, 0, &n_temp, "row_temp") : NULL;
    int64_t *tok = row_temp ? int64s(&vs, tok_o, 1, &n_tok, "tokens") : NULL;
    double *logp = tok ? doubles(&vs, logp_o, 1, &n_logp, "logp") : NULL;
    double *logq = logp ? doubles(&vs, logq_o, 1, &n_logq, "logq") : NULL;
    double *ent = logq ? doubles(&vs, ent_o, 1, &n_ent, "entropy") : NULL;
    if (!ent) goto fail;
    Py_buffer *ub = &vs.views[1];
    int64_t width = run->m.order - 1;
    Py_ssize_t steps = ub->ndim == 2 ? ub->shape[1] : -1;
    int ok = steps >= 0 && n_ctx == batch * width && n_temp == batch &&
             n_tok == steps * batch && n_logp == n_tok && n_logq == n_tok && n_ent == n_tok;
    for (int64_t b = 0; ok && b < batch; b++)
        ok = stream[b] >= 0 && stream[b] < ub->shape[0] && row_temp[b] >= -1 &&
             row_temp[b] < run->cache.n_temps;
    if (!ok) {
        PyErr_SetString(PyExc_ValueError, "decode: contexts (rows, order-1), uniforms (streams, "
                                          "steps), row_stream and row_temp (rows,), and "
                                          "outputs (steps, rows) are needed");
        goto fail;
    }
    int failed = 0;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t s = 0; s < steps && !failed; s++) {
        for (int64_t b = 0; b < batch; b++) {
            int64_t *c = ctx + b * width, rank[MAX_ORDER];
            int n = ranks(&run->m, c, rank);
            Drawn d;
            if (draw_row(&run->cache, rank, n, (int)row_temp[b], unif[stream[b] * steps + s],
                         &d) < 0) {
                failed = 1;
                break;
            }
            Py_ssize_t o = s * batch + b;
            tok[o] = d.token;
            logp[o] = d.logp;
            logq[o] = d.logq;
            ent[o] = d.entropy;
            if (width) {
                memmove(c, c + 1, sizeof(int64_t) * (width - 1));
                c[width - 1] = d.token;
            }
        }
    }
    Py_END_ALLOW_THREADS
    release(&vs);
    if (failed) return PyErr_NoMemory();
    Py_RETURN_NONE;
fail:
    release(&vs);
    return NULL;
}

static PyMethodDef methods[] = {
    {"start", start, METH_VARARGS,
     "start(model, temperatures, dense, depth, room): a run for rows at these temperatures "
     "(all > 0); contexts of levels 1..dense are kept whole, ..depth by their successors "
     "while `room` values last."},
    {"decode", decode, METH_VARARGS,
     "decode(run, contexts, uniforms, row_stream, row_temp, tokens, logp, logq, entropy): "
     "fill the (steps, rows) outputs; contexts (rows, order-1) are advanced; row_temp: each "
     "row's temperature, by its index in the run's (-1: T = 0)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_compiled", NULL, -1, methods};

PyMODINIT_FUNC PyInit__compiled(void) { return PyModule_Create(&module); }
