import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from hypothesis import settings  # noqa: E402

# Properties are about values, not time: a slow example on a busy machine is not a failure.
# The examples are the same on every run (derandomize), so a verdict depends on the code alone;
# `pytest --hypothesis-profile=explore` draws new ones, to look for failures.
settings.register_profile("tempgen", deadline=None, derandomize=True)
settings.register_profile("explore", deadline=None)
settings.load_profile("tempgen")


import pytest  # noqa: E402

# What the user's shell may set that changes what tempgen or rich prints: every test starts
# without them (a test that needs one sets it itself), and with a UTF-8 locale.
TERMINAL = ("NO_COLOR", "FORCE_COLOR", "CLICOLOR", "CLICOLOR_FORCE", "COLORTERM", "TERM",
            "COLUMNS", "LINES", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "LC_ALL", "LC_CTYPE",
            "PYTHONIOENCODING", "PYTHONUTF8", "LMPLZ", "NPY_DISABLE_CPU_FEATURES", "COLORFGBG")


@pytest.fixture(autouse=True)
def plain_environment(monkeypatch):
    for name in TERMINAL:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
