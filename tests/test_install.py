"""Installed like any package: a wheel built without a C compiler carries the bundled models,
installs into a fresh environment, and samples the same text from any folder."""

import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

from click.testing import CliRunner

from tempgen.cli import cli

ROOT = Path(__file__).resolve().parent.parent
BUILD_LEFTOVERS = (".venv", ".git", "build", "*.egg-info", "__pycache__", "*.so", ".hypothesis",
                   ".pytest_cache", ".ruff_cache")


def test_a_wheel_without_the_compiled_loop_installs_and_samples(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(*BUILD_LEFTOVERS))
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", wheels, src],
                   check=True, env={**os.environ, "CC": "/bin/false"})
    [wheel] = wheels.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {f"tempgen/sample_models/{m}.npz" for m in ("shakespeare-char", "shakespeare-word",
                                                       "names-char")} <= set(names)
    assert not [n for n in names if n.endswith(".so")]  # no compiler: no compiled loop

    env = tmp_path / "env"
    venv.create(env, with_pip=True)
    subprocess.run([env / "bin" / "pip", "install", "-q", wheel], check=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    def tempgen(*args):
        return subprocess.run([env / "bin" / "tempgen", *args], cwd=elsewhere,
                              capture_output=True, text=True, check=True)

    assert "names-char" in tempgen("models", "--json").stdout
    args = ["sample", "-n", "400", "--seed", "1", "-t", "0.8"]
    run = tempgen(*args, "-v")
    assert run.stdout == CliRunner().invoke(cli, args).stdout  # the compiled build's text
    assert run.stderr.count("compiled loop is not built") == 1
