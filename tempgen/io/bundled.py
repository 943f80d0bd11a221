"""Where the bundled models are: inside the installed package (a wheel carries them as
tempgen/sample_models), or the checkout's sample_models/ folder (an editable install)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def bundled_dir() -> Path | None:
    """The folder of the bundled models, or None when there is none."""
    packaged = Path(str(resources.files("tempgen") / "sample_models"))
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / "sample_models"
    return checkout if checkout.is_dir() else None


def bundled_models() -> dict[str, Path]:
    """Bundled model names -> files."""
    folder = bundled_dir()
    return {p.stem: p for p in sorted(folder.glob("*.npz"))} if folder else {}
