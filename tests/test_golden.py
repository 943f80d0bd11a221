"""Output for fixed seeds does not change: every command of the golden set prints, byte for
byte, what it printed when the set was recorded (tests/golden/cases.py)."""

import pytest
from golden.cases import CASES, EXPORT, HERE, export_arpa, export_hash, output


@pytest.fixture(scope="module")
def arpa(tmp_path_factory):
    return export_arpa(tmp_path_factory.mktemp("golden"))


@pytest.mark.parametrize("name", CASES)
def test_output_is_the_recorded_one(name, arpa):
    assert output(name, arpa) == (HERE / f"{name}.out").read_bytes()


def test_the_arpa_export_is_the_recorded_one(arpa):
    assert export_hash(arpa) == (HERE / f"{EXPORT}.out").read_bytes()
