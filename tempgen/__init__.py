"""tempgen: see and use temperature sampling with n-gram language models."""

import os

# tempgen does no linear algebra, but numpy's OpenBLAS starts worker threads that busy-wait on
# the cores the decode loop shares out (unless the user chose a thread count).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

__version__ = "0.2.0"
