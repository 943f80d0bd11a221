/* The run's model and chains, from what generate/compiled.py hands over (spec.c). */
#ifndef TEMPGEN_SPEC_H
#define TEMPGEN_SPEC_H

#include "chain.h"
#include "views.h"

/* model: (order, vocab, bos, boundary, levels), one level tuple per order m = 1..N:
 * (contexts: Ctx records as bytes, first | None, token, adj | None, u | None, disc (4,)).
 * Its arrays stay in vs. -1 with an exception. */
int parse_model(Views *vs, PyObject *spec, Model *m);
/* chains: per chain (links, window, breaker starts, breaker tokens); a link is (kind, x0,
 * x1, x2, n0, n1) (chain.h). *out (n_out of them) and *breakers (what they point into) are
 * the caller's to free. -1 with an exception, or without one when out of memory. */
int parse_chains(PyObject *chains, Chain **out, int *n_out, int64_t **breakers);

#endif
