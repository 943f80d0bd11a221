"""Output for fixed seeds does not change: every command of the golden set prints, byte for
byte, what it printed when the set was recorded (tests/golden/cases.py). Without the
compiled loop, numpy prints the same text, and the same figures to within rounding."""

import json

import pytest
from golden.cases import CASES, EXPORT, HERE, export_arpa, export_hash, output

from tempgen.generate import compiled


@pytest.fixture(scope="module")
def arpa(tmp_path_factory):
    return export_arpa(tmp_path_factory.mktemp("golden"))


@pytest.mark.parametrize("name", CASES)
def test_output_is_the_recorded_one(name, arpa):
    assert output(name, arpa) == (HERE / f"{name}.out").read_bytes()


def test_the_arpa_export_is_the_recorded_one(arpa):
    assert export_hash(arpa) == (HERE / f"{EXPORT}.out").read_bytes()


def _same(got, want):
    """Equal, floats to within rounding (1e-9 relative)."""
    if isinstance(want, float):
        return got == pytest.approx(want, rel=1e-9, abs=1e-12)
    if isinstance(want, dict):
        return got.keys() == want.keys() and all(_same(got[k], want[k]) for k in want)
    if isinstance(want, list):
        return len(got) == len(want) and all(map(_same, got, want))
    return got == want


@pytest.mark.parametrize("name", [n for n in CASES if n.startswith(("sample", "sweep"))])
def test_numpy_alone_prints_the_same(name, arpa, monkeypatch):
    monkeypatch.setattr(compiled, "AVAILABLE", False)
    got, want = output(name, arpa), (HERE / f"{name}.out").read_bytes()
    if not want.startswith(b"{"):
        assert got == want
        return
    lines = [(json.loads(g), json.loads(w))
             for g, w in zip(got.splitlines(), want.splitlines(), strict=True)]
    assert all(_same(g, w) for g, w in lines)
