/* Python buffers as C arrays (views.c): each view is held until released, so the arrays
 * stay valid while a run or a call reads them. */
#ifndef TEMPGEN_VIEWS_H
#define TEMPGEN_VIEWS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "tables.h"

typedef struct {
    Py_buffer views[6 * (MAX_ORDER + 1)];
    int n;
} Views;
void release(Views *vs);
/* A C-contiguous buffer of `obj` (writable if asked), or NULL with an exception set. */
Py_buffer *view(Views *vs, PyObject *obj, int writable, const char *what);
/* Integers of 1, 2, 4 or 8 bytes; *n (if not NULL): their count. -1 with an exception. */
int ints(Views *vs, PyObject *obj, Ints *out, int64_t *n, const char *what);
/* The values of a buffer of `size`-byte items of struct codes `codes`, and their count. */
void *typed(Views *vs, PyObject *obj, int writable, const char *codes, int size,
            Py_ssize_t *n, const char *what);
#define doubles(vs, obj, w, n, what) ((double *)typed(vs, obj, w, "d", 8, n, what))
#define int64s(vs, obj, w, n, what) ((int64_t *)typed(vs, obj, w, "qlQL", 8, n, what))

#endif
