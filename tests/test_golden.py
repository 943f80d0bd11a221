"""Output for fixed seeds does not change: every command of the golden set prints what it
printed when the set was recorded (tests/golden/cases.py): tokens, texts and integers byte for
byte, figures to within a stated tolerance (numpy's exp and log differ by CPU in the last
bits). So do numpy alone (no compiled loop) and numpy with its SIMD kernels limited."""

import os
import subprocess
import sys

import pytest
from golden.cases import (
    ACROSS_PATHS,
    CASES,
    EXPORT,
    HERE,
    export_arpa,
    output,
    recorded_export,
    same,
    same_arpa,
    same_output,
)

from tempgen.generate import compiled

# Every AVX-512 kernel numpy has (names of numpy 1.26 and 2.x; a name it lacks is ignored)
NO_AVX512 = "X86_V4 AVX512F AVX512CD AVX512_KNL AVX512_KNM AVX512_SKX AVX512_CLX AVX512_CNL " \
            "AVX512_ICL AVX512_SPR"


@pytest.fixture(scope="module")
def arpa(tmp_path_factory):
    return export_arpa(tmp_path_factory.mktemp("golden"))


@pytest.mark.parametrize("name", CASES)
def test_output_is_the_recorded_one(name, arpa):
    assert same_output(output(name, arpa), (HERE / f"{name}.out").read_bytes())


def test_the_arpa_export_is_the_recorded_one(arpa):
    with open(arpa, "rb") as f:
        assert same_arpa(f.read(), recorded_export())


@pytest.mark.parametrize("name", CASES)
def test_numpy_alone_prints_the_same(name, arpa, monkeypatch):
    monkeypatch.setattr(compiled, "AVAILABLE", False)
    want = (HERE / f"{name}.out").read_bytes()
    assert same_output(output(name, arpa), want, rel=ACROSS_PATHS)


def test_numpy_without_avx512_prints_the_same(tmp_path):
    # (in a process of its own: numpy reads the variable once, as it is imported)
    env = {**os.environ, "NPY_DISABLE_CPU_FEATURES": NO_AVX512}
    subprocess.run([sys.executable, str(HERE / "cases.py"), "--into", str(tmp_path)],
                   env=env, check=True, capture_output=True)
    differ = [name for name in CASES if not same_output(
        (tmp_path / f"{name}.out").read_bytes(), (HERE / f"{name}.out").read_bytes())]
    assert differ == []
    import gzip
    assert same_arpa(gzip.decompress((tmp_path / EXPORT).read_bytes()), recorded_export())


@pytest.mark.parametrize("got, want, equal", [
    (0.1 + 0.2, 0.3, True), (0.30000001, 0.3, False), (1, 1.0, True), ("1", 1.0, False),
    ([1.0, "a"], [1.0, "a"], True), ([1.0], [1.0, 2.0], False), ({"a": 1}, {"b": 1}, False),
    (float("inf"), float("inf"), True), (1e308, float("inf"), False), (None, 0.0, False),
    (1e-300, 0.0, True), (True, 1, False)])
def test_figures_are_compared_within_the_tolerance(got, want, equal):
    assert same(got, want) is equal
