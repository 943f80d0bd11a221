"""The C decode loop's build settings that depend on the platform (the rest is pyproject.toml)."""

import platform

from setuptools import Extension, setup

# glibc on x86-64 has vector exp and log (libmvec): rows are tempered two values at a time.
mvec = platform.system() == "Linux" and platform.machine() == "x86_64" and \
    platform.libc_ver()[0] == "glibc"
setup(ext_modules=[Extension(
    "tempgen._kernel",
    [f"tempgen/csrc/{name}.c" for name in ("module", "lookup", "vmath", "kept", "frame", "draw")],
    depends=[f"tempgen/csrc/{name}.h" for name in ("tables", "vmath", "kept", "frame", "draw")],
    # no fused multiply-adds: rows round as numpy's separate operations do
    extra_compile_args=["-O3", "-fno-math-errno", "-ffp-contract=off"],
    define_macros=[("TEMPGEN_MVEC", "1")] if mvec else [],
    libraries=["mvec", "m"] if mvec else ["m"],
)])
