import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from hypothesis import settings  # noqa: E402

# Properties are about values, not time: a slow example on a busy machine is not a failure.
settings.register_profile("tempgen", deadline=None)
settings.load_profile("tempgen")
