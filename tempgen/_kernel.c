/* The decode loop for chains that are a temperature alone, compiled.
 *
 * It computes what the numpy path computes (tempgen.decode with tempgen.samplers): for each
 * row, the interpolated model row p of its context (the recursion row = gamma * row + u of
 * NGramModel.probs, in the same order), q = softmax(log p / T), and the draw by inverse CDF
 * with the row's uniform. Rows are independent, so the work of a step is shared among
 * threads. Arrays arrive through the buffer protocol; integer tables in whatever width the
 * model file stores them.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ORDER 10

#ifdef TEMPGEN_MVEC
/* glibc's vector versions (libmvec): loops over a row call exp and log two values at once. */
__attribute__((simd("notinbranch"))) double exp(double);
__attribute__((simd("notinbranch"))) double log(double);
#endif

typedef struct {
    const char *p;
    int size; /* bytes per value: 1 and 2 are unsigned, 4 and 8 signed */
} Ints;

static inline int64_t at(Ints a, int64_t i) {
    switch (a.size) {
    case 1: return ((const uint8_t *)a.p)[i];
    case 2: return ((const uint16_t *)a.p)[i];
    case 4: return ((const int32_t *)a.p)[i];
    default: return ((const int64_t *)a.p)[i];
    }
}

typedef struct {
    Ints keys;          /* contexts of length m-1 (m >= 2): parent rank * base + oldest token */
    Ints children;      /* keys of parent r: children[r] .. children[r+1]-1 */
    Ints offsets;       /* successors of context r: entries offsets[r] .. offsets[r+1]-1 */
    Ints token;         /* successor token of each entry */
    Ints adj;           /* adjusted counts (counts model), or p == NULL */
    const double *u;    /* discounted masses (back-off model), or NULL */
    const double *gamma, *inv_denom;
    double disc[4];     /* discount by adjusted count 0, 1, 2, 3+ */
} Level;

typedef struct {
    int order, vocab;
    int64_t bos, boundary, base; /* boundary < 0: not a per-line model */
    Level lv[MAX_ORDER + 1];     /* 1..order */
} Model;

/* Rank of the context (parent, oldest token), or -1: a search among the parent's children. */
static int64_t find(const Level *lv, int64_t parent, int64_t key) {
    int64_t lo = at(lv->children, parent), end = at(lv->children, parent + 1), hi = end;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (at(lv->keys, mid) < key) lo = mid + 1;
        else hi = mid;
    }
    return (lo < end && at(lv->keys, lo) == key) ? lo : -1;
}

/* Ranks of the matched suffixes of one context (newest token last): rank[0] = 0 (the empty
 * context), rank[j] of the suffix of length j. Returns how many (at least 1). */
static int ranks(const Model *m, const int64_t *ctx, int width, int64_t *rank) {
    int n = 1;
    rank[0] = 0;
    for (int j = 1; j <= width; j++) {
        int64_t tok = ctx[width - j];
        int last = 0;
        if (m->boundary >= 0 && tok == m->boundary) {
            tok = m->bos; /* per-line: a newline starts a fresh sequence */
            last = 1;
        }
        if (tok < 0 || tok > m->bos) break;
        int64_t r = find(&m->lv[j + 1], rank[j - 1], rank[j - 1] * m->base + tok);
        if (r < 0) break;
        rank[n++] = r;
        if (last) break;
    }
    return n;
}

/* The model row p (vocab,) of a context given its matched ranks. */
static void model_row(const Model *m, const int64_t *rank, int n, double *row) {
    int v = m->vocab;
    for (int i = 0; i < v; i++) row[i] = 1.0 / v;
    for (int k = 1; k <= n; k++) {
        const Level *lv = &m->lv[k];
        int64_t r = rank[k - 1];
        double g = lv->gamma[r];
        for (int i = 0; i < v; i++) row[i] *= g;
        int64_t lo = at(lv->offsets, r), hi = at(lv->offsets, r + 1);
        if (lv->u) {
            for (int64_t e = lo; e < hi; e++) row[at(lv->token, e)] += lv->u[e];
        } else {
            double inv = lv->inv_denom[r];
            for (int64_t e = lo; e < hi; e++) {
                int64_t a = at(lv->adj, e);
                row[at(lv->token, e)] += ((double)a - lv->disc[a < 3 ? a : 3]) * inv;
            }
        }
    }
}

typedef struct {
    int64_t token;
    double logp, logq, entropy;
} Drawn;

/* q = softmax(log p / t) of one row and the token at uniform u by inverse CDF (token order).
 * t = 0: the first most likely token; t = inf: uniform over the possible tokens.
 * z, e: scratch rows. */
static Drawn temper_draw(const double *row, int v, double t, double u, double *z, double *e) {
    Drawn d = {0, 0.0, 0.0, 0.0};
    if (t == 0.0) {
        int best = 0;
        for (int i = 1; i < v; i++)
            if (row[i] > row[best]) best = i;
        d.token = best;
        d.logp = log(row[best]);
        return d;
    }
    for (int i = 0; i < v; i++) z[i] = log(row[i]); /* log 0 = -inf: impossible */
    double mx = z[0];
    for (int i = 1; i < v; i++) mx = z[i] > mx ? z[i] : mx;
    if (isinf(t)) {
        for (int i = 0; i < v; i++) z[i] = z[i] > -INFINITY ? 0.0 : -INFINITY;
    } else {
        for (int i = 0; i < v; i++) z[i] = (z[i] - mx) / t;
    }
    for (int i = 0; i < v; i++) e[i] = exp(z[i]);
    double total = 0.0, zsum = 0.0;
    for (int i = 0; i < v; i++) {
        total += e[i];
        zsum += e[i] > 0.0 ? e[i] * z[i] : 0.0;
    }
    double target = u * total, c = 0.0;
    int64_t tok = -1, last = 0;
    for (int i = 0; i < v; i++) {
        if (e[i] == 0.0) continue;
        last = i;
        c += e[i];
        if (c > target) {
            tok = i;
            break;
        }
    }
    if (tok < 0) tok = last; /* u * total rounded up to the total */
    double log_total = log(total);
    d.token = tok;
    d.logp = log(row[tok]);
    d.logq = z[tok] - log_total;
    d.entropy = (log_total - zsum / total) / M_LN2 + 0.0;
    return d;
}

/* ------------------------------------------------------------------ Python glue */

typedef struct {
    Py_buffer views[8 * (MAX_ORDER + 1) + 16];
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

static void *doubles(Views *vs, PyObject *obj, int writable, const char *what) {
    Py_buffer *b = view(vs, obj, writable, what);
    if (!b) return NULL;
    if (b->itemsize != 8 || strcmp(code(b), "d") != 0) {
        PyErr_Format(PyExc_TypeError, "%s: float64 values are needed", what);
        return NULL;
    }
    return b->buf;
}

static void *int64s(Views *vs, PyObject *obj, int writable, const char *what) {
    Py_buffer *b = view(vs, obj, writable, what);
    if (!b) return NULL;
    if (b->itemsize != 8 || (strcmp(code(b), "q") && strcmp(code(b), "l"))) {
        PyErr_Format(PyExc_TypeError, "%s: int64 values are needed", what);
        return NULL;
    }
    return b->buf;
}

/* levels: one tuple per order m = 1..N:
 * (keys | None, children | None, offsets, token, adj | None, u | None, gamma, inv_denom | None, disc (4,)) */
static int parse_model(Views *vs, PyObject *spec, Model *m) {
    PyObject *levels;
    if (!PyArg_ParseTuple(spec, "iiLLLO", &m->order, &m->vocab, &m->bos, &m->boundary,
                          &m->base, &levels))
        return -1;
    if (m->order < 1 || m->order > MAX_ORDER || !PyTuple_Check(levels) ||
        PyTuple_GET_SIZE(levels) != m->order) {
        PyErr_SetString(PyExc_ValueError, "model: one level per order is needed");
        return -1;
    }
    for (int k = 1; k <= m->order; k++) {
        Level *lv = &m->lv[k];
        PyObject *keys, *children, *offsets, *token, *adj, *u, *gamma, *inv, *disc;
        if (!PyArg_ParseTuple(PyTuple_GET_ITEM(levels, k - 1), "OOOOOOOOO", &keys, &children,
                              &offsets, &token, &adj, &u, &gamma, &inv, &disc))
            return -1;
        memset(lv, 0, sizeof *lv);
        if (keys != Py_None && ints(vs, keys, &lv->keys, NULL, "keys") < 0) return -1;
        if (children != Py_None && ints(vs, children, &lv->children, NULL, "children") < 0)
            return -1;
        if (ints(vs, offsets, &lv->offsets, NULL, "offsets") < 0) return -1;
        if (ints(vs, token, &lv->token, NULL, "token") < 0) return -1;
        if (adj != Py_None && ints(vs, adj, &lv->adj, NULL, "adj") < 0) return -1;
        if (u != Py_None && !(lv->u = doubles(vs, u, 0, "u"))) return -1;
        if (!(lv->gamma = doubles(vs, gamma, 0, "gamma"))) return -1;
        if (inv != Py_None && !(lv->inv_denom = doubles(vs, inv, 0, "inv_denom"))) return -1;
        const double *d = doubles(vs, disc, 0, "disc");
        if (!d) return -1;
        memcpy(lv->disc, d, sizeof lv->disc);
        if (!lv->u && !(lv->adj.p && lv->inv_denom)) {
            PyErr_SetString(PyExc_ValueError, "model: a level needs u or adj and inv_denom");
            return -1;
        }
    }
    return 0;
}

static PyObject *decode(PyObject *self, PyObject *args) {
    PyObject *spec, *ctx_o, *temps_o, *unif_o, *stream_o, *tok_o, *logp_o, *logq_o, *ent_o;
    if (!PyArg_ParseTuple(args, "OOOOOOOOO", &spec, &ctx_o, &temps_o, &unif_o, &stream_o,
                          &tok_o, &logp_o, &logq_o, &ent_o))
        return NULL;
    Views vs = {.n = 0};
    Model m;
    if (parse_model(&vs, spec, &m) < 0) goto fail;
    int64_t *ctx = int64s(&vs, ctx_o, 1, "contexts");
    if (!ctx) goto fail;
    Py_ssize_t batch = vs.views[vs.n - 1].shape ? vs.views[vs.n - 1].shape[0] : 0;
    int width = m.order - 1;
    double *temps = doubles(&vs, temps_o, 0, "temperatures");
    double *unif = temps ? doubles(&vs, unif_o, 0, "uniforms") : NULL;
    if (!unif) goto fail;
    Py_buffer *ub = &vs.views[vs.n - 1];
    if (ub->ndim != 2) {
        PyErr_SetString(PyExc_ValueError, "uniforms: (streams, steps) are needed");
        goto fail;
    }
    Py_ssize_t steps = ub->shape[1];
    int64_t *stream = int64s(&vs, stream_o, 0, "row_stream");
    int64_t *tok = stream ? int64s(&vs, tok_o, 1, "tokens") : NULL;
    double *logp = tok ? doubles(&vs, logp_o, 1, "logp") : NULL;
    double *logq = logp ? doubles(&vs, logq_o, 1, "logq") : NULL;
    double *ent = logq ? doubles(&vs, ent_o, 1, "entropy") : NULL;
    if (!ent) goto fail;
    double *scratch = malloc(sizeof(double) * 3 * (size_t)m.vocab);
    if (!scratch) {
        PyErr_NoMemory();
        goto fail;
    }
    Py_BEGIN_ALLOW_THREADS
    int64_t rank[MAX_ORDER];
    for (Py_ssize_t s = 0; s < steps; s++) {
        for (Py_ssize_t b = 0; b < batch; b++) {
            int64_t *c = ctx + b * width;
            int n = ranks(&m, c, width, rank);
            model_row(&m, rank, n, scratch);
            double u = unif[stream[b] * steps + s];
            Drawn d = temper_draw(scratch, m.vocab, temps[b], u, scratch + m.vocab,
                                  scratch + 2 * m.vocab);
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
    free(scratch);
    release(&vs);
    Py_RETURN_NONE;
fail:
    release(&vs);
    return NULL;
}

static PyMethodDef methods[] = {
    {"decode", decode, METH_VARARGS,
     "decode(model, contexts, temperatures, uniforms, row_stream, tokens, logp, logq, "
     "entropy): fill (steps, batch) outputs; contexts (batch, order-1) are advanced."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_kernel", NULL, -1, methods};

PyMODINIT_FUNC PyInit__kernel(void) { return PyModule_Create(&module); }
