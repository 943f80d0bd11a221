/* Python buffers as C arrays (views.h). */
#include <string.h>

#include "views.h"

void release(Views *vs) {
    for (int i = 0; i < vs->n; i++) PyBuffer_Release(&vs->views[i]);
    vs->n = 0;
}

/* The struct-module code of a buffer's items, without its byte-order prefix. */
static const char *code(const Py_buffer *b) {
    const char *f = b->format ? b->format : "B";
    while (*f == '<' || *f == '=' || *f == '@') f++;
    return f;
}

Py_buffer *view(Views *vs, PyObject *obj, int writable, const char *what) {
    Py_buffer *b = &vs->views[vs->n];
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, b, flags) < 0) {
        PyErr_Format(PyExc_TypeError, "%s: a contiguous array is needed", what);
        return NULL;
    }
    vs->n++;
    return b;
}

int ints(Views *vs, PyObject *obj, Ints *out, int64_t *n, const char *what) {
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

void *typed(Views *vs, PyObject *obj, int writable, const char *codes, int size,
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
