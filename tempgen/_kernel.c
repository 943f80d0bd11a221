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

/* A loop over integers of any stored width, written once: BODY sees `V(i)`, the i-th value
 * of `a` in its own type (so the width is chosen once per loop, not per value). */
#define FOR_WIDTH(a, BODY)                                                   \
    switch ((a).size) {                                                      \
    case 1: { const uint8_t *p_ = (const uint8_t *)(a).p; BODY; break; }    \
    case 2: { const uint16_t *p_ = (const uint16_t *)(a).p; BODY; break; }  \
    case 4: { const int32_t *p_ = (const int32_t *)(a).p; BODY; break; }    \
    default: { const int64_t *p_ = (const int64_t *)(a).p; BODY; break; }   \
    }
#define V(i) ((int64_t)p_[i])

/* Rank of the context (parent, oldest token), or -1: a search among the parent's children. */
static int64_t find(const Level *lv, int64_t parent, int64_t key) {
    int64_t lo = at(lv->children, parent), end = at(lv->children, parent + 1), hi = end;
    int found = 0;
    FOR_WIDTH(lv->keys, {
        while (lo < hi) {
            int64_t mid = lo + (hi - lo) / 2;
            if (V(mid) < key) lo = mid + 1;
            else hi = mid;
        }
        found = lo < end && V(lo) == key;
    })
    return found ? lo : -1;
}

/* row[token[e]] += u(e) for the entries lo..hi-1 of context r of a level. */
static void add_successors(const Level *lv, int64_t r, int64_t lo, int64_t hi, double *row) {
    if (lv->u) {
        FOR_WIDTH(lv->token, for (int64_t e = lo; e < hi; e++) row[V(e)] += lv->u[e])
        return;
    }
    double inv = lv->inv_denom[r];
    const double *disc = lv->disc;
    const Ints tok = lv->token;
    FOR_WIDTH(lv->adj, {
        const typeof(p_) adj = p_;
        FOR_WIDTH(tok, for (int64_t e = lo; e < hi; e++) {
            int64_t a = adj[e];
            row[V(e)] += ((double)a - disc[a < 3 ? a : 3]) * inv;
        })
    })
}

/* Ranks of the matched suffixes of each context (newest token last): rank[b][0] = 0 (the
 * empty context), rank[b][j] that of the suffix of length j; n[b] how many (at least 1).
 * Level by level over the rows, so the table lookups of different rows overlap in memory. */
static void ranks(const Model *m, const int64_t *ctx, Py_ssize_t batch, int width,
                  int64_t (*rank)[MAX_ORDER], int *n) {
    for (Py_ssize_t b = 0; b < batch; b++) {
        rank[b][0] = 0;
        n[b] = 1;
    }
    for (int j = 1; j <= width; j++) {
        for (Py_ssize_t b = 0; b < batch; b++) {
            if (n[b] != j) continue; /* stopped at a shorter suffix */
            int64_t tok = ctx[b * width + width - j];
            int last = 0;
            if (m->boundary >= 0 && tok == m->boundary) {
                tok = m->bos; /* per-line: a newline starts a fresh sequence */
                last = 1;
            }
            if (tok < 0 || tok > m->bos) continue;
            int64_t r = find(&m->lv[j + 1], rank[b][j - 1], rank[b][j - 1] * m->base + tok);
            if (r < 0) continue;
            rank[b][n[b]++] = r;
            if (last) n[b] = -n[b]; /* matched, but nothing longer may be */
        }
    }
    for (Py_ssize_t b = 0; b < batch; b++)
        if (n[b] < 0) n[b] = -n[b];
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
        add_successors(lv, r, at(lv->offsets, r), at(lv->offsets, r + 1), row);
    }
}

typedef struct {
    int64_t token;
    double logp, logq, entropy;
} Drawn;

/* z: log p in, log q + const out, as softmax(log p / t) shifted so that log p = mx gives 0
 * (t = inf: 0 for every possible token); w = exp(z). In loops of their own (vectorised). */
static void temper(double *z, double *w, int64_t n, double t, double mx) {
    if (isinf(t)) {
        for (int64_t i = 0; i < n; i++) z[i] = z[i] > -INFINITY ? 0.0 : -INFINITY;
    } else {
        for (int64_t i = 0; i < n; i++) z[i] = (z[i] - mx) / t;
    }
    for (int64_t i = 0; i < n; i++) w[i] = exp(z[i]);
}

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
    temper(z, e, v, t, mx);
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

/* ------------------------------------------------------------------ large vocabularies
 *
 * A row differs from the unigram row R1 only at the successors of its matched contexts
 * (the set S): every other token w has p(w) = G R1(w), G the product of the contexts' gammas.
 * So q outside S is R1^(1/T) scaled, and running sums of R1^(1/T) in token order (one table
 * per temperature, built once per call) give the mass of every gap between members of S:
 * a step costs O(|S| + log V) instead of O(V).
 */

typedef struct {
    int vocab;
    const double *r1;      /* R1 (vocab,) */
    const int64_t *order;  /* tokens by R1, most likely first (ties: the lower id first) */
    double log_r1max;
    int32_t *stamp;        /* stamp[w] == now: w is in S */
    int32_t now;
    int64_t *set, *buf;    /* S in token order, and room to merge into */
    double *val;           /* p(w) of the members of S, by token */
} Sparse;

typedef struct {
    double t;
    double *cum_a;  /* (vocab + 1,) running sums of A = (R1 / max R1)^(1/T) */
    double *cum_az; /* (vocab + 1,) running sums of A log A */
} Tail;

static void tail_sums(const Sparse *sp, const double *log_r1, Tail *tl) {
    tl->cum_a[0] = tl->cum_az[0] = 0.0;
    for (int i = 0; i < sp->vocab; i++) {
        double a, z;
        if (isinf(tl->t)) {
            a = sp->r1[i] > 0.0 ? 1.0 : 0.0;
            z = 0.0;
        } else {
            z = (log_r1[i] - sp->log_r1max) / tl->t;
            a = exp(z);
        }
        tl->cum_a[i + 1] = tl->cum_a[i] + a;
        tl->cum_az[i + 1] = tl->cum_az[i] + (a > 0.0 ? a * z : 0.0);
    }
}

/* S: the union of the successors of the matched contexts of length >= 1, in token order,
 * with their model values (the recursion of model_row, on S alone). Returns |S|. */
static int64_t build_set(const Model *m, Sparse *sp, const int64_t *rank, int n) {
    int64_t ns = 0;
    if (++sp->now == INT32_MAX) {
        memset(sp->stamp, 0, sizeof(int32_t) * sp->vocab);
        sp->now = 1;
    }
    int32_t now = sp->now;
    for (int k = 2; k <= n; k++) {
        const Level *lv = &m->lv[k];
        int64_t r = rank[k - 1], lo = at(lv->offsets, r), hi = at(lv->offsets, r + 1);
        double g = lv->gamma[r];
        if (k == 2) { /* the shortest context's successors: S so far, p = R1 g + u */
            int64_t *set = sp->set;
            FOR_WIDTH(lv->token, for (int64_t e = lo; e < hi; e++) {
                int64_t w = V(e);
                set[ns++] = w;
                sp->stamp[w] = now;
                sp->val[w] = sp->r1[w] * g;
            })
            add_successors(lv, r, lo, hi, sp->val);
            continue;
        }
        int64_t j = lo;
        while (j < hi && sp->stamp[at(lv->token, j)] == now) j++;
        if (j < hi) { /* rare: tokens no shorter context lists; merge them in, in order */
            int64_t i = 0, o = 0, e = lo;
            while (i < ns || e < hi) {
                int64_t x = i < ns ? sp->set[i] : INT64_MAX;
                int64_t y = e < hi ? at(lv->token, e) : INT64_MAX;
                sp->buf[o++] = x < y ? x : y;
                if (x <= y) i++;
                if (y <= x) e++;
            }
            int64_t *tmp = sp->set;
            sp->set = sp->buf;
            sp->buf = tmp;
            ns = o;
            for (i = 0; i < ns; i++) {
                int64_t w = sp->set[i];
                if (sp->stamp[w] == now) continue;
                sp->stamp[w] = now;
                sp->val[w] = sp->r1[w]; /* R1 times the gammas so far, in turn */
                for (int q = 2; q < k; q++) sp->val[w] *= m->lv[q].gamma[rank[q - 1]];
            }
        }
        for (int64_t i = 0; i < ns; i++) sp->val[sp->set[i]] *= g;
        add_successors(lv, r, lo, hi, sp->val);
    }
    return ns;
}

/* p(w) of a token outside S: R1(w) times each gamma in turn (as model_row rounds it). */
static double outside(const Model *m, const Sparse *sp, const int64_t *rank, int n, int64_t w) {
    double p = sp->r1[w];
    for (int k = 2; k <= n; k++) p *= m->lv[k].gamma[rank[k - 1]];
    return p;
}

/* First x in [lo, hi) with cum + f (cum_a[x + 1] - cum_a[lo]) > target (there is one). */
static int64_t in_gap(const double *cum_a, int64_t lo, int64_t hi, double cum, double f,
                      double target) {
    int64_t a = lo, b = hi - 1;
    while (a < b) {
        int64_t mid = a + (b - a) / 2;
        if (cum + f * (cum_a[mid + 1] - cum_a[lo]) > target) b = mid;
        else a = mid + 1;
    }
    return a;
}

/* As temper_draw, for a row given by its matched ranks. Returns 0 when the row's scale
 * would overflow (a tiny T with a back-off model): then the caller takes the dense path. */
static int sparse_draw(const Model *m, Sparse *sp, const int64_t *rank, int n, const Tail *tl,
                       double u, double *z, double *w, double *run, Drawn *d) {
    int64_t ns = build_set(m, sp, rank, n);
    int64_t top = -1; /* the most likely token outside S */
    for (int64_t i = 0; i < sp->vocab && top < 0; i++)
        if (sp->stamp[sp->order[i]] != sp->now) top = sp->order[i];
    double top_p = top >= 0 ? outside(m, sp, rank, n, top) : 0.0;
    int64_t best = top;
    for (int64_t i = 0; i < ns; i++) {
        int64_t w = sp->set[i];
        if (best < 0 || sp->val[w] > (best == top ? top_p : sp->val[best]) ||
            (sp->val[w] == (best == top ? top_p : sp->val[best]) && w < best))
            best = w;
    }
    double best_p = best == top ? top_p : sp->val[best];
    if (tl == NULL) { /* T = 0 */
        d->token = best;
        d->logp = log(best_p);
        d->logq = d->entropy = 0.0;
        return 1;
    }
    double t = tl->t, mx = log(best_p);
    double g = 1.0;
    for (int k = 2; k <= n; k++) g *= m->lv[k].gamma[rank[k - 1]];
    double log_f = isinf(t) ? 0.0 : (log(g) + sp->log_r1max - mx) / t;
    if (log_f > 690.0) return 0;
    double f = (top >= 0 && g > 0.0) ? exp(log_f) : 0.0;
    for (int64_t i = 0; i < ns; i++) z[i] = log(sp->val[sp->set[i]]);
    temper(z, w, ns, t, mx);
    /* The running mass after each segment in token order: gap 0, S[0], gap 1, ..., gap ns
     * (a gap: the tokens between two members of S), and the sum of w log w. */
    double total = 0.0, zsum = 0.0;
    int64_t prev = 0;
    for (int64_t i = 0; i <= ns; i++) {
        int64_t s = i < ns ? sp->set[i] : sp->vocab;
        double da = tl->cum_a[s] - tl->cum_a[prev];
        if (f > 0.0 && da > 0.0) {
            total += f * da;
            zsum += f * (log_f * da + (tl->cum_az[s] - tl->cum_az[prev]));
        }
        run[2 * i] = total;
        if (i == ns) break;
        total += w[i];
        zsum += w[i] > 0.0 ? w[i] * z[i] : 0.0;
        run[2 * i + 1] = total;
        prev = s + 1;
    }
    /* the segment where the running mass passes u * total; if u * total rounded up to the
     * total, the last segment with mass */
    double target = u * total;
    int64_t lo = 0, hi = 2 * ns;
    if (!(run[hi] > target)) target = nextafter(total, 0.0);
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (run[mid] > target) hi = mid;
        else lo = mid + 1;
    }
    int64_t tok;
    if (lo % 2) {
        tok = sp->set[lo / 2];
    } else {
        int64_t i = lo / 2;
        int64_t gap_lo = i ? sp->set[i - 1] + 1 : 0, gap_hi = i < ns ? sp->set[i] : sp->vocab;
        tok = in_gap(tl->cum_a, gap_lo, gap_hi, lo ? run[lo - 1] : 0.0, f, target);
    }
    double p = sp->stamp[tok] == sp->now ? sp->val[tok] : outside(m, sp, rank, n, tok);
    double log_total = log(total);
    d->token = tok;
    d->logp = log(p);
    d->logq = (isinf(t) ? 0.0 : (d->logp - mx) / t) - log_total;
    d->entropy = (log_total - zsum / total) / M_LN2 + 0.0;
    return 1;
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

/* The sparse path's tables for one call: S buffers, and running sums per temperature. */
typedef struct {
    Sparse sp;
    Tail *tails;      /* one per distinct temperature > 0 */
    int *row_tail;    /* per row: its tail, or -1 for T = 0 */
    double *log_r1;
} SparseCall;

static void sparse_free(SparseCall *sc, Py_ssize_t n_tails) {
    for (Py_ssize_t i = 0; sc->tails && i < n_tails; i++) free(sc->tails[i].cum_a);
    free(sc->tails);
    free(sc->row_tail);
    free(sc->log_r1);
    free(sc->sp.stamp);
    free(sc->sp.set);
    free(sc->sp.buf);
    free(sc->sp.val);
}

/* Returns the number of tails, or -1 when out of memory. */
static Py_ssize_t sparse_setup(SparseCall *sc, int vocab, const double *r1, const int64_t *order,
                               const double *temps, Py_ssize_t batch) {
    memset(sc, 0, sizeof *sc);
    Sparse *sp = &sc->sp;
    sp->vocab = vocab;
    sp->r1 = r1;
    sp->order = order;
    sp->stamp = calloc(vocab, sizeof(int32_t));
    sp->set = malloc(sizeof(int64_t) * vocab);
    sp->buf = malloc(sizeof(int64_t) * vocab);
    sp->val = malloc(sizeof(double) * vocab);
    sc->log_r1 = malloc(sizeof(double) * vocab);
    sc->tails = calloc(batch ? batch : 1, sizeof(Tail));
    sc->row_tail = malloc(sizeof(int) * (batch ? batch : 1));
    if (!sp->stamp || !sp->set || !sp->buf || !sp->val || !sc->log_r1 || !sc->tails ||
        !sc->row_tail)
        return -1;
    for (int i = 0; i < vocab; i++) sc->log_r1[i] = log(r1[i]);
    sp->log_r1max = sc->log_r1[order[0]];
    Py_ssize_t n = 0;
    for (Py_ssize_t b = 0; b < batch; b++) {
        sc->row_tail[b] = -1;
        if (temps[b] == 0.0) continue;
        Py_ssize_t j = 0;
        while (j < n && sc->tails[j].t != temps[b]) j++;
        if (j == n) {
            Tail *tl = &sc->tails[n++];
            tl->t = temps[b];
            tl->cum_a = malloc(sizeof(double) * 2 * ((size_t)vocab + 1));
            if (!tl->cum_a) return -1;
            tl->cum_az = tl->cum_a + vocab + 1;
            tail_sums(sp, sc->log_r1, tl);
        }
        sc->row_tail[b] = (int)j;
    }
    return n;
}

/* decode(model, contexts, temperatures, uniforms, row_stream, tokens, logp, logq, entropy,
 *        r1, order): r1 and order (R1 and its tokens by probability) take the sparse path,
 *        None the dense one. */
static PyObject *decode(PyObject *self, PyObject *args) {
    PyObject *spec, *ctx_o, *temps_o, *unif_o, *stream_o, *tok_o, *logp_o, *logq_o, *ent_o;
    PyObject *r1_o, *order_o;
    if (!PyArg_ParseTuple(args, "OOOOOOOOOOO", &spec, &ctx_o, &temps_o, &unif_o, &stream_o,
                          &tok_o, &logp_o, &logq_o, &ent_o, &r1_o, &order_o))
        return NULL;
    Views vs = {.n = 0};
    Model m;
    SparseCall sc;
    Py_ssize_t n_tails = 0;
    int sparse = r1_o != Py_None;
    double *scratch = NULL;
    int64_t (*rank)[MAX_ORDER] = NULL;
    int *nrank = NULL;
    memset(&sc, 0, sizeof sc);
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
    const double *r1 = NULL;
    const int64_t *order = NULL;
    if (sparse && (!(r1 = doubles(&vs, r1_o, 0, "r1")) || !(order = int64s(&vs, order_o, 0, "order"))))
        goto fail;
    scratch = malloc(sizeof(double) * (4 * (size_t)m.vocab + 1));
    rank = malloc(sizeof *rank * (batch ? batch : 1));
    nrank = malloc(sizeof(int) * (batch ? batch : 1));
    if (!scratch || !rank || !nrank || (sparse && (n_tails = sparse_setup(&sc, m.vocab, r1, order, temps, batch)) < 0)) {
        PyErr_NoMemory();
        goto fail;
    }
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t s = 0; s < steps; s++) {
        ranks(&m, ctx, batch, width, rank, nrank);
        for (Py_ssize_t b = 0; b < batch; b++) {
            int64_t *c = ctx + b * width;
            int n = nrank[b];
            double u = unif[stream[b] * steps + s];
            Drawn d;
            if (!sparse || !sparse_draw(&m, &sc.sp, rank[b], n,
                                        sc.row_tail[b] < 0 ? NULL : &sc.tails[sc.row_tail[b]],
                                        u, scratch, scratch + m.vocab,
                                        scratch + 2 * m.vocab, &d)) {
                model_row(&m, rank[b], n, scratch);
                d = temper_draw(scratch, m.vocab, temps[b], u, scratch + m.vocab,
                                scratch + 2 * m.vocab);
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
    free(scratch);
    free(rank);
    free(nrank);
    sparse_free(&sc, n_tails);
    release(&vs);
    Py_RETURN_NONE;
fail:
    free(scratch);
    free(rank);
    free(nrank);
    sparse_free(&sc, n_tails);
    release(&vs);
    return NULL;
}

static PyMethodDef methods[] = {
    {"decode", decode, METH_VARARGS,
     "decode(model, contexts, temperatures, uniforms, row_stream, tokens, logp, logq, "
     "entropy, r1, order): fill (steps, batch) outputs; contexts (batch, order-1) are "
     "advanced. r1 and order (or None) choose the sparse path."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_kernel", NULL, -1, methods};

PyMODINIT_FUNC PyInit__kernel(void) { return PyModule_Create(&module); }
