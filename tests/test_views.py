"""The views at the widths people use, in colour and without, and their exports."""

import io
import os
import re
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner
from helpers import SAMPLES
from rich.console import Console

from tempgen.analysis.distribution import curve_after, next_token_table
from tempgen.analysis.sweep import sweep
from tempgen.cli import cli
from tempgen.generate.samplers.chain import build_chain
from tempgen.lm import store
from tempgen.views.palette import BANDS, Palette
from tempgen.views.sweep import export, sweep_view
from tempgen.views.tables import curve_view, dist_view, models_table

TEMPS = (0.2, 0.5, 0.8, 1.0, 1.5)


def render(renderable, width: int, colour: bool = False) -> str:
    console = Console(file=io.StringIO(), width=width, force_terminal=colour,
                      color_system="truecolor" if colour else None, highlight=False)
    console.print(renderable)
    return console.file.getvalue()


@pytest.fixture(scope="module")
def shakespeare():
    model = store.load("shakespeare-char")
    result = sweep(model, "", [build_chain({"temperature": t}) for t in TEMPS], 200,
                   range(1), 7)
    return model, result.view_columns(model)


@pytest.fixture(scope="module")
def names():
    model = store.load("names-char")
    result = sweep(model, "", [build_chain({"temperature": t}) for t in (0.3, 1, 3)], 30,
                   range(3), 5, ["\n"])
    return model, result


@pytest.mark.parametrize("width", [80, 120, 200])
def test_the_default_sweep_stands_side_by_side_from_80_columns(shakespeare, width):
    out = render(sweep_view("", shakespeare[1], width), width).splitlines()
    header = next(line for line in out if "T = 0.2" in line)
    assert all(f"T = {t:g}" in header for t in TEMPS)  # every temperature on one line
    assert max(map(len, out)) <= width


def test_a_narrow_sweep_stacks_text_then_figures(shakespeare):
    out = render(sweep_view("", shakespeare[1], 40), 40).splitlines()
    rules = [i for i, line in enumerate(out) if line.startswith("T = ")]
    assert len(rules) == len(TEMPS) and max(map(len, out)) <= 40
    first = out[rules[0]:rules[1]]
    figures = [i for i, line in enumerate(first) if line.startswith("H ")]
    assert figures and all(not line.startswith("H ") for line in first[:figures[0]])


def test_samples_line_up_in_bands(names):
    model, result = names
    out = render(sweep_view("", result.view_columns(model), 80), 80).splitlines()
    for i in range(3):
        band = next(line for line in out if line.startswith(f"#{i + 1}"))
        for column in result.columns:  # sample i of every temperature, on its band's line
            assert column.samples[i].text[:10] in band  # (a long one wraps below)
    rules = [line for line in out if set(line.strip()) == {"─"}]
    assert len(rules) >= 3  # under the header, and between the bands


@pytest.mark.parametrize("width", [40, 60, 80])
def test_dist_and_curve_keep_their_numbers_when_narrow(width):
    model = store.load("shakespeare-char")
    chains = [build_chain({"temperature": t}) for t in (0.5, 1, 2)]
    data = next_token_table(model, "ROMEO. O", chains, 5)
    out = render(dist_view(data, width), width)
    assert "…" not in out and max(map(len, out.splitlines())) <= width
    for col in data["temperatures"]:
        assert f"{col['q'][0]:.1%}".strip() in out or f"{col['q'][0]:.0%}" in out
    curve = curve_after(model, "ROMEO. O")
    out = render(curve_view(curve, width), width)
    assert "…" not in out and max(map(len, out.splitlines())) <= width
    assert f"{curve['top_p'][0]:.1%}" in out and "(model)" in out
    title = next(line for line in out.splitlines() if line.strip())
    assert title.strip() == "the temperature curve of the next token" + (
        " after 'ROMEO. O'" if width >= 60 else "")


def test_models_shows_whole_names_when_narrow():
    rows = store.bundled_info()
    out = render(models_table(rows, 40), 40)
    assert all(r["name"] in out for r in rows) and max(map(len, out.splitlines())) <= 40


@pytest.mark.parametrize("width", [30, 50, 80])
def test_the_legend_wraps_between_items(width):
    lines = render(Palette().legend(width), width).splitlines()
    labels = [b.label for b in BANDS]
    assert all(any(f"■ {label}" in line for line in lines) for label in labels)
    assert max(map(len, lines)) <= width


def test_without_colour_no_legend_of_squares_but_rare_tokens_stay_underlined(shakespeare):
    assert "■" not in render(Palette(colour=False).legend(80), 80)
    coloured = Console(file=io.StringIO(), width=80, force_terminal=True, no_color=True)
    coloured.print(sweep_view("", shakespeare[1], 80, Palette(colour=False)))
    out = coloured.file.getvalue()
    assert "\x1b[4m" in out and "38;2" not in out  # underline, no colour


def test_no_color_is_off_only_when_set_to_something():
    args = ["sample", "-n", "30", "--seed", "1", "--color", "auto"]
    for value, colour in (("", True), ("1", False)):
        env = {**os.environ, "NO_COLOR": value, "COLUMNS": "80", "COLORTERM": "truecolor"}
        out = subprocess.run(["script", "-qec", " ".join([sys.executable, "-m", "tempgen",
                                                          *args]), "/dev/null"],
                             capture_output=True, text=True, env=env).stdout
        assert ("\x1b[38;2" in out) == colour


EXTERNAL = re.compile(r"""(?:https?:|//)[^"'\s)]+|url\((?!#)""")


def test_exports_load_nothing_and_are_side_by_side(shakespeare):
    svg, html = export("", shakespeare[1])
    svg_links = [u for u in EXTERNAL.findall(svg) if u != "http://www.w3.org/2000/svg"]
    assert not svg_links and not EXTERNAL.findall(html)
    assert "<title>tempgen sweep</title>" in html
    for picture in (svg, html):
        text = re.sub(r"&#160;|&nbsp;", " ", picture)
        assert all(f"T = {t:g}" in text for t in TEMPS)
    assert all(b.light in html for b in BANDS[:3])  # the light ground's colours
    assert all(b.dark in svg for b in BANDS[:3])  # the dark ground's
    header = next(line for line in html.splitlines() if "T = 0.2" in line)
    assert "T = 1.5" in header  # one line: side by side


def test_the_html_export_renders_offline_in_a_browser(shakespeare, tmp_path):
    browser = shutil.which("chromium")
    if browser is None:
        pytest.skip("Chromium is not installed (.ci/run installs it)")
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    page_file = tmp_path / "sweep.html"
    page_file.write_text(export("", shakespeare[1])[1])
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=browser, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-dev-shm-usage", "--disable-background-networking",
            "--disable-component-update"])
        page = chromium.new_page()
        asked = []
        page.on("request", lambda r: asked.append(r.url))
        page.goto(page_file.as_uri())
        shot = page.screenshot()
        text = page.inner_text("body")
        chromium.close()
    assert [u for u in asked if not u.startswith("file:")] == []
    assert all(f"T = {t:g}" in text for t in TEMPS) and len(shot) > 10_000


def test_a_terminal_of_80_columns_shows_the_sweep_side_by_side():
    command = f"{sys.executable} -m tempgen sweep -n 100 --seed 7"
    out = subprocess.run(["script", "-qec", f"stty cols 80; {command}", "/dev/null"],
                         capture_output=True, text=True, env={**os.environ, "COLUMNS": "80"},
                         timeout=120).stdout
    plain = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", out)
    assert any(all(f"T = {t:g}" in line for t in TEMPS) for line in plain.splitlines())


# ---------------------------------------------------------------- pipes and files
def test_a_per_line_model_prints_one_sample_a_line():
    out = CliRunner().invoke(cli, ["sample", "-m", "names-char", "--num-samples", "5",
                                   "--seed", "3"]).stdout
    lines = out.split("\n")
    assert len(lines) == 6 and lines[-1] == "" and all(line.isalpha() for line in lines[:5])


def test_null_ends_each_sample():
    out = CliRunner().invoke(cli, ["sample", "-n", "80", "--num-samples", "3", "--seed", "3",
                                   "-0"]).stdout
    parts = out.split("\0")
    assert len(parts) == 4 and parts[-1] == "" and any("\n" in p for p in parts[:3])
    alone = CliRunner().invoke(cli, ["sample", "-n", "80", "--seed", "3"]).stdout
    assert parts[0] == alone.rstrip("\n")


@pytest.mark.parametrize("command", [["sample", "-n", "100", "--num-samples", "2"],
                                     ["sweep", "-n", "50"], ["sweep", "-n", "50",
                                                             "--format", "jsonl"]])
def test_output_to_a_file_is_what_stdout_would_get(command, tmp_path):
    target = tmp_path / "out.txt"
    to_file = CliRunner().invoke(cli, [*command, "--seed", "4", "-o", str(target)])
    to_stdout = CliRunner().invoke(cli, [*command, "--seed", "4"])
    assert to_file.exit_code == 0 and to_file.stdout == ""
    assert target.read_text() == to_stdout.stdout
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]  # no temporary file left


def test_verbose_sweep_names_every_chain():
    result = CliRunner().invoke(cli, ["sweep", "-n", "5", "--seed", "1", "-v", "--top-k", "9",
                                      "--temperatures", "0.5,2"])
    assert "chain: top_k=9 -> temperature=0.5" in result.stderr
    assert "chain: top_k=9 -> temperature=2" in result.stderr


def test_model_names_complete(tmp_path):
    (tmp_path / "mine.npz").write_bytes((SAMPLES / "names-char.npz").read_bytes())
    env = {**os.environ, "_TEMPGEN_COMPLETE": "bash_complete", "COMP_WORDS": "tempgen sample -m sh",
           "COMP_CWORD": "3"}
    out = subprocess.run([sys.executable, "-m", "tempgen"], capture_output=True, text=True,
                         env=env).stdout
    assert "shakespeare-char" in out and "shakespeare-word" in out
    env["COMP_WORDS"] = f"tempgen sample -m {tmp_path}/mi"
    out = subprocess.run([sys.executable, "-m", "tempgen"], capture_output=True, text=True,
                         env=env).stdout
    assert "file" in out  # files are offered (the shell lists them)


def test_make_runs_screen_at_80x24_names_every_columns_temperature():
    # what an 80 x 24 terminal still shows when `make run`'s sweep has printed: the last
    # 24 lines name each column's T (the heading has scrolled away)
    env = {**os.environ, "COLUMNS": "80", "LINES": "24", "COLORTERM": "truecolor"}
    env.pop("NO_COLOR", None)
    out = subprocess.run(["script", "-qec", f"{sys.executable} -m tempgen sweep -n 300 --seed 7",
                          "/dev/null"], capture_output=True, text=True, env=env).stdout
    screen = re.sub(r"\x1b\[[0-9;]*m", "", out).replace("\r", "").splitlines()[-24:]
    assert len(out.splitlines()) > 24  # (the sweep is taller than the screen)
    assert "\x1b[38;2" in out  # (coloured: the terminal's view)
    labels = [f"T = {t}" for t in ("0.2", "0.5", "0.8", "1", "1.5")]
    assert all(any(label in line for line in screen) for label in labels), screen
