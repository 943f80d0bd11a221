"""The explorer in a real browser (Debian's Chromium, driven by Playwright): what the page
shows is what `tempgen sample` prints, hovering shows the distribution, a click branches,
and the address reproduces the view. Skipped where Chromium is not installed."""

import json
import math
import os
import shutil
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from tempgen.cli import cli
from tempgen.lm import store

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed "
                                "(apt-get install chromium; .ci/run installs it)")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-dev-shm-usage", "--disable-background-networking",
         "--disable-component-update"]


@pytest.fixture(scope="module")
def server():
    import uvicorn

    from tempgen.web.app import create_app
    from tempgen.web.server import bind, hosts, url

    models = {name: store.load(name) for name in ("shakespeare-char", "names-char")}
    sock = bind("127.0.0.1", 0)
    app = create_app(models, hosts("127.0.0.1", 0))
    instance = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=instance.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    yield url(sock, "127.0.0.1")
    instance.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, server):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.elsewhere = []
    page.on("request", lambda r: None if r.url.startswith(server) else
            page.elsewhere.append(r.url))
    yield page
    assert page.elsewhere == []  # the page asks nothing of any other server
    page.close()


def cli_sample(*args) -> str:
    out = CliRunner().invoke(cli, ["sample", *map(str, args)]).stdout
    return out[:-1]


def shown(page) -> str:
    return page.inner_text("#text")


def settle(page):
    """Wait until the sample shown is the one the controls ask for."""
    page.wait_for_selector("body[data-ready=yes][data-busy='0']", state="attached")


def test_greedy_and_a_temperature_are_what_tempgen_sample_prints(page, server):
    page.goto(f"{server}?prompt=ROMEO.&seed=5&n=150")
    settle(page)
    page.click("#greedy")
    settle(page)
    assert page.input_value("#t-box") == "0"
    assert shown(page) == cli_sample("-t", 0, "-p", "ROMEO.", "-n", 150, "--seed", 5)
    page.fill("#slider", "602")  # the log scale's 0.8
    settle(page)
    assert page.input_value("#t-box") == "0.8"
    assert shown(page) == cli_sample("-t", 0.8, "-p", "ROMEO.", "-n", 150, "--seed", 5)
    assert "t=0.8" in page.url and "seed=5" in page.url


def test_the_newest_slider_value_wins_and_arrow_keys_move_it(page, server):
    page.goto(f"{server}?seed=2&n=400")
    settle(page)
    for value in ("100", "300", "500", "900", "700"):  # faster than the replies come
        page.fill("#slider", value)
    settle(page)
    t = page.input_value("#t-box")
    assert shown(page) == cli_sample("-t", t, "-n", 400, "--seed", 2)
    page.focus("#slider")
    page.keyboard.press("ArrowRight")
    settle(page)
    moved = page.input_value("#t-box")
    assert float(moved) > float(t)
    assert shown(page) == cli_sample("-t", moved, "-n", 400, "--seed", 2)


def test_hover_shows_bars_a_click_branches_and_the_address_brings_it_back(page, server):
    page.goto(f"{server}?prompt=ROMEO.&seed=7&n=120&t=0.9")
    settle(page)
    before = shown(page)
    page.hover("#text span[data-pos='8']")
    page.wait_for_selector("#inspect .bars")
    assert page.locator("#inspect .bar-token").count() in (10, 11)  # (+ the drawn token)
    assert "rank" in page.inner_text("#inspect")
    page.click("#text span[data-pos='8']")  # keep this position
    assert page.locator("#text .tok.inspected").get_attribute("data-pos") == "8"
    other = page.locator("#inspect .bar-token:not(.drawn)").first
    token = other.inner_text()
    other.click()
    settle(page)
    after = shown(page)
    assert after != before and page.locator("#choices .choice").count() == 1
    assert "choices=8%3A" in page.url and "--force 8=" in page.inner_text("#command")
    assert after[len("ROMEO.") + 8] == token.replace("␣", " ").replace("⏎", "\n")
    page.reload()
    settle(page)
    assert shown(page) == after  # the address holds everything
    page.locator("#choices .choice").click()  # undo
    settle(page)
    assert shown(page) == before
    shot = page.screenshot(full_page=True)
    assert len(shot) > 50_000
    keep = os.environ.get("TEMPGEN_SCREENSHOT")  # make readme: the README's picture
    if keep:
        page.goto(f"{server}?prompt=ROMEO.&seed=7&n=300&t=0.9&pos=8")
        settle(page)
        page.hover("#text span[data-pos='8']")
        page.wait_for_selector("#inspect .bars")
        Path(keep).write_bytes(page.screenshot(full_page=True))


def test_the_sweep_and_calibration_panels(page, server):
    page.goto(f"{server}?seed=3&n=80&temps=0,0.8,inf")
    settle(page)
    columns = page.locator("#columns .column")
    assert columns.count() == 3
    assert columns.nth(1).locator(".text").inner_text() == cli_sample("-t", 0.8, "-n", 80,
                                                                      "--seed", 3)
    page.fill("#cal-text", "ROMEO. O Romeo, Romeo! wherefore art thou Romeo?\n" * 20)
    page.click("#cal-run")
    page.wait_for_selector("#cal-result .bars")
    assert "T* =" in page.inner_text("#cal-result")


def test_every_sampler_has_a_control_and_its_text_is_what_sample_prints(page, server):
    page.goto(f"{server}?prompt=ROMEO.&seed=1&n=150&t=0")
    settle(page)
    page.click("details summary")  # the samplers beyond the four at hand
    for name in ("top_n_sigma", "xtc_probability", "dynatemp_range", "mirostat",
                 "repeat_penalty", "dry_multiplier", "dry_base"):
        assert page.is_visible(f"#{name}")
    page.fill("#dry_multiplier", "0.8")
    page.dispatch_event("#dry_multiplier", "change")
    settle(page)
    assert shown(page) == cli_sample("-t", 0, "-p", "ROMEO.", "-n", 150, "--seed", 1,
                                     "--dry-multiplier", 0.8)
    assert "dry-multiplier 0.8" in page.inner_text("#command").replace("=", " ")
    page.reload()  # the address keeps it
    settle(page)
    assert page.input_value("#dry_multiplier") == "0.8"
    page.fill("#xtc_threshold", "7")  # out of range: the server names it
    page.dispatch_event("#xtc_threshold", "change")
    page.wait_for_selector("#error:not([hidden])")
    assert "xtc_threshold" in page.inner_text("#error")


def test_a_recorded_completion_opens_and_follows_the_slider(page, server, tmp_path):
    page.goto(f"{server}?seed=1&n=50")
    settle(page)
    page.set_input_files("#rec-file", "docs/logprobs/openai-chat.json")
    page.wait_for_selector("#rec-text .tok")
    settle(page)
    assert page.inner_text("#rec-text") == "Café ☕!"
    page.hover("#rec-text .tok[data-pos='2']")
    assert "position 2" in page.inner_text("#rec-position")
    assert "T = 1" in page.inner_text("#rec-position")
    page.click("#greedy")  # the slider's T reaches the recorded bars too
    settle(page)
    page.hover("#rec-text .tok[data-pos='2']")
    assert "at T = 0" in page.inner_text("#rec-position")
    bad = tmp_path / "bad.json"
    bad.write_text('{"logprobs": [{"token": 1, "logprob": -1}]}')
    page.set_input_files("#rec-file", str(bad))
    page.wait_for_selector("#error:not([hidden])")
    assert "data" in page.inner_text("#error") and "position 0" in page.inner_text("#error")


# ------------------------------------------------------------------ the first hour's page
SIZES = {"desktop": (1280, 800), "phone": (390, 844), "small phone": (360, 740)}

# The contrast of a text with what is behind it (WCAG), computed by the page itself: the
# element's colour against the first background that is not transparent, up its ancestors.
CONTRAST = """(el) => {
  const rgb = (c) => c.match(/[\\d.]+/g).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255;
    return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
    .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  let node = el, back = null;
  while (node && node.nodeType === 1) {
    const c = getComputedStyle(node).backgroundColor;
    if (c && !c.startsWith("rgba(0, 0, 0, 0)") && c !== "transparent") { back = c; break; }
    node = node.parentElement;
  }
  const [a, b] = [lum(rgb(getComputedStyle(el).color)), lum(rgb(back || "rgb(255,255,255)"))];
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


@pytest.fixture(params=list(SIZES))
def sized(browser, server, request):
    width, height = SIZES[request.param]
    page = browser.new_page(viewport={"width": width, "height": height})
    yield page
    page.close()


def test_no_sideways_scroll_legible_labels_and_the_next_tokens_bars(sized, server):
    page = sized
    page.goto(f"{server}?prompt=ROMEO.&seed=7&n=300&t=0.8&top_k=3")
    settle(page)
    # the bars of the next token are there from the start, without a hover
    assert "the next token" in page.inner_text("#inspect")
    page.set_input_files("#rec-file", "docs/logprobs/openai-chat.json")
    page.wait_for_selector("#rec-text .tok")
    page.hover("#rec-text .tok[data-pos='2']")
    page.wait_for_selector("#rec-position .bars")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], width
    labels = page.locator(".bars .pct, .bars .bar-token, .bars .head, #legend span")
    ratios = [labels.nth(i).evaluate(CONTRAST) for i in range(labels.count())]
    assert len(ratios) > 20 and min(ratios) >= 4.5, sorted(ratios)[:3]
    tokens = page.locator("#text .tok")
    text_ratios = [tokens.nth(i).evaluate(CONTRAST) for i in range(0, tokens.count(), 7)]
    assert min(text_ratios) >= 4.5  # every band's colour reads on the page
    box = page.locator("#t-label").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"]
    slider = page.locator("#slider").bounding_box()
    assert slider["width"] >= 0.6 * min(page.viewport_size["width"], 700)
    for button in ("#greedy", "#uniform"):  # each on one line
        assert page.locator(button).bounding_box()["height"] < 40


def test_a_tapped_tokens_row_comes_into_view_on_a_phone(browser, server):
    page = browser.new_page(viewport={"width": 390, "height": 844}, has_touch=True)
    page.goto(f"{server}?prompt=ROMEO.&seed=7&n=300&t=0.8")
    settle(page)
    assert "Hover a token." not in page.inner_text("body")
    page.tap("#text span[data-pos='5']")
    page.wait_for_selector("#inspect h2:has-text('position 5')")
    top = page.locator("#inspect").bounding_box()["y"]
    assert -2 <= top < 844  # (in view, not 1,200 px below)
    legend = page.locator("#legend").bounding_box()["y"] + page.evaluate("scrollY")
    assert legend < 844  # the colours' key is on the first screen
    page.close()


def test_truncated_tokens_are_shown_removed_as_dist_shows_them(page, server):
    page.goto(f"{server}?prompt=ROMEO.&seed=7&n=40&t=0.8&top_k=3")
    settle(page)
    page.hover("#text span[data-pos='3']")
    page.wait_for_selector("#inspect h2:has-text('position 3')")
    removed = page.locator("#inspect .pct.removed")
    assert removed.count() >= 7  # the tokens past the third: struck through, not 0.0%
    names = [n.replace("␣", " ").replace("⏎", "\n")
             for n in page.locator("#inspect .bar-token").all_inner_texts()]
    dist = CliRunner().invoke(cli, ["dist", "-p", "ROMEO." + shown(page)[6:9], "--top-k", "3",
                                    "--temperatures", "0.8", "--json"]).stdout
    table = json.loads(dist)
    want = [t["token"] for t in table["tokens"]][:10]
    assert names[:10] == want  # the model's likeliest, in dist's order
    kept = [not r for r in table["temperatures"][0]["removed"]][:10]
    shown_kept = [page.locator("#inspect .bar-token").nth(i).evaluate(
        "el => !el.nextElementSibling.classList.contains('removed')") for i in range(10)]
    assert shown_kept == kept


def test_the_t_box_and_the_slider_agree_and_the_sweep_follows(page, server):
    page.goto(f"{server}?seed=4&n=60&temps=0.5,1")
    settle(page)
    tick = page.locator("#ticks option").get_attribute("value")
    page.fill("#slider", tick)
    settle(page)
    assert page.input_value("#t-box") == "1"  # the tick is T = 1
    page.fill("#t-box", "1.3")
    page.dispatch_event("#t-box", "change")
    settle(page)
    assert shown(page) == cli_sample("-t", 1.3, "-n", 60, "--seed", 4)
    assert page.input_value("#slider") == str(round(1000 * math.log(1.3 / 0.05)
                                                   / math.log(100)))
    page.fill("#t-box", "-2")
    page.dispatch_event("#t-box", "change")
    page.wait_for_selector("#error:not([hidden])")
    page.fill("#length", "25")  # the sweep panel follows the length
    page.dispatch_event("#length", "change")
    settle(page)
    column = page.locator("#columns .column").nth(0).locator(".text").inner_text()
    assert column == cli_sample("-t", 0.5, "-n", 25, "--seed", 4)
    page.evaluate("document.querySelector('#columns .column').dataset.drawn = 'before'")
    page.dispatch_event("#length", "change")  # (as on blur: a change to what it holds already)
    settle(page)  # redraws nothing, so a click that blurs the box lands where it pressed
    assert page.locator("#columns .column").nth(0).get_attribute("data-drawn") == "before"
    page.locator("#columns .column").nth(1).locator(".tok").nth(4).click()  # a sweep token
    settle(page)
    assert page.input_value("#t-box") == "1"
    assert page.locator("#text .tok.inspected").get_attribute("data-pos") == "4"
    page.click("#copy")  # word of how it went (headless: no clipboard, so selected)
    page.wait_for_selector("#copy.copied")
    assert page.inner_text("#copy") in ("copied ✓", "selected: press Ctrl-C")


def test_a_recorded_positions_figures_show_their_bounds(page, server):
    page.goto(f"{server}?seed=1&n=20&t=2")
    settle(page)
    page.set_input_files("#rec-file", "docs/logprobs/openai-chat.json")
    page.wait_for_selector("#rec-text .tok")
    settle(page)
    page.hover("#rec-text .tok[data-pos='2']")
    text = page.inner_text("#rec-position")
    assert "–" in text and "unevenly" in text  # ranges where the unlisted rest decides


def test_the_sliders_marks_are_where_the_text_changes(page, server):
    page.goto(f"{server}?prompt=ROMEO.&seed=3&n=60&t=0.8")
    settle(page)
    page.wait_for_selector("#changes .change")
    body = {"model": "shakespeare-char", "prompt": "ROMEO.", "seed": 3, "length": 60,
            "temperature": 0.8}
    reply = page.request.post(f"{server}api/map", data=body).json()
    marks = [float(t) for t in page.locator("#changes .change").evaluate_all(
        "els => els.map((e) => e.dataset.t)")]
    assert marks == [t for t in reply["ticks"] if 0.05 <= t <= 5] and len(marks) > 10
    lo, hi = reply["from"], reply["to"]
    assert lo <= 0.8 < hi and f"{lo:.4g}" in page.inner_text("#t-span")
    # across a mark the text changes; between two marks it does not
    edges = [0.0, *reply["ticks"], 5.0]
    widest = max(range(len(edges) - 1), key=lambda i: math.log(max(edges[i + 1], 1e-9)
                                                                 / max(edges[i], 0.05)))
    a, b = max(edges[widest], 0.05), edges[widest + 1]
    inner = [a * (b / a) ** f for f in (0.25, 0.75)]
    texts = []
    for t in inner:
        page.fill("#t-box", repr(t))
        page.dispatch_event("#t-box", "change")
        settle(page)
        texts.append(shown(page))
    assert texts[0] == texts[1]
    page.click("#next-change")  # just past the interval's end: the next text
    settle(page)
    assert shown(page) != texts[1] and float(page.input_value("#t-box")) > b
    page.click("#prev-change")
    settle(page)
    assert shown(page) == texts[1]


def test_the_chain_link_by_link_is_dist_stages(page, server):
    # the bars' fold: the same tokens after each link, as `tempgen dist --stages` gives them
    page.goto(f"{server}?prompt=ROMEO.&seed=7&n=40&t=0.8&top_k=3&min_p=0.2")
    settle(page)
    page.click("#text span[data-pos='3']")
    page.wait_for_selector("#inspect h2:has-text('position 3')")
    page.click("#inspect details.stages summary")
    heads = page.locator("#inspect .stage-table th").all_inner_texts()
    assert heads == ["token", "model", "top_k=3", "min_p=0.2", "temperature=0.8"]
    stages = json.loads(CliRunner().invoke(cli, [
        "dist", "-p", "ROMEO." + shown(page)[6:9], "--stages", "--top-k", "3", "--min-p",
        "0.2", "--temperatures", "0.8", "--json"]).stdout)["stages"]
    rows = page.locator("#inspect .stage-table tr")
    for i in range(1, 5):  # the four likeliest tokens: their figures at every stage
        cells = rows.nth(i).locator("td")
        for j, stage in enumerate(stages[1:], start=2):
            text = cells.nth(j).inner_text()
            struck = "removed" in cells.nth(j).get_attribute("class")
            assert struck == stage["removed"][i - 1]
            if not struck:
                assert math.isclose(float(text.rstrip("%")), 100 * stage["q"][i - 1],
                                    abs_tol=0.051)
    page.click("#text span[data-pos='5']")  # (it stays open at the next position)
    page.wait_for_selector("#inspect h2:has-text('position 5')")
    assert page.locator("#inspect details.stages[open]").count() == 1
