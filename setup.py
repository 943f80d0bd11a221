"""The build steps pyproject.toml cannot state: the optional compiled loop, and the bundled
models shipped inside the package."""

import platform
import shutil
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_py import build_py


class build_py_with_models(build_py):
    """Copies sample_models/*.npz into the built package as tempgen/sample_models/, where
    an installed tempgen finds them (an editable install reads the checkout's folder)."""

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib, "tempgen", "sample_models")
        target.mkdir(parents=True, exist_ok=True)
        for model in sorted(Path("sample_models").glob("*.npz")):
            shutil.copyfile(model, target / model.name)


# glibc on x86-64 has vector exp and log (libmvec): rows are tempered several values at a time.
mvec = platform.system() == "Linux" and platform.machine() == "x86_64" and \
    platform.libc_ver()[0] == "glibc"
setup(cmdclass={"build_py": build_py_with_models}, ext_modules=[Extension(
    "tempgen.generate._compiled",
    [f"tempgen/generate/csrc/{name}.c"
     for name in ("module", "views", "spec", "lookup", "vmath", "noise", "kept", "rowset",
                  "draw", "moments", "ranking", "ranked", "cands", "chain", "xtc", "order",
                  "state", "distinct")],
    depends=[f"tempgen/generate/csrc/{name}.h"
             for name in ("tables", "views", "spec", "vmath", "noise", "kept", "rowset", "draw",
                          "moments", "ranked", "ranking", "links", "cands", "chain", "xtc",
                          "order", "state", "lookup", "distinct")],
    # no fused multiply-adds: rows round as numpy's separate operations do
    extra_compile_args=["-O3", "-fno-math-errno", "-ffp-contract=off", "-fvisibility=hidden"],
    define_macros=[("TEMPGEN_MVEC", "1")] if mvec else [],
    libraries=["mvec", "m"] if mvec else ["m"],
    optional=True,  # without a C compiler tempgen installs and runs on numpy alone
)])
