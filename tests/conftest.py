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
