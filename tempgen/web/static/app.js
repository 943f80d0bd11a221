// The explorer: controls -> state (in the address) -> API calls -> rendering.
import { call, getConfig } from "./api.js";
import * as render from "./render.js";
import { read, sampleBody, toSlider, toT, write } from "./state.js";

const $ = (id) => document.getElementById(id);
let busy = 0; // calls under way (the page's tests wait for none: data-busy="0")
async function track(promise) {
  document.body.dataset.busy = ++busy;
  try {
    return await promise;
  } finally {
    // (a task later: a call its caller starts next counts first, so the page never reads
    // as idle between a call and the one it leads to)
    setTimeout(() => { document.body.dataset.busy = --busy; });
  }
}
let state = read();
let sample = null; // the latest sample shown
let hovered = -1; // the position the bars show (the text's length: the next token)

function showError(error) {
  $("error").hidden = !error;
  $("error").textContent = error ? String(error.message || error) : "";
}

function tLabel(t) {
  return t === "inf" ? "∞" : String(t);
}

// The controls show the state.
function fill() {
  $("model").value = state.model;
  $("prompt").value = state.prompt;
  for (const key of ["seed", "order"]) $(key).value = state[key];
  for (const input of document.querySelectorAll("[data-setting]")) {
    input.value = state.samplers[input.id] ?? input.dataset.default;
  }
  // (the folded settings show when one of them is set)
  if (Object.keys(state.samplers).some((name) => !AT_HAND.has(name))) {
    $("more-samplers").closest("details").open = true;
  }
  $("length").value = state.n;
  $("temps").value = state.temps;
  $("slider").value = state.t === "inf" ? 1000 : state.t === 0 ? 0 : toSlider(state.t);
  if (document.activeElement !== $("t-box")) $("t-box").value = tLabel(state.t);
}

// The position whose row the bars show: the one clicked, else the one hovered, else the
// next token after the text.
function shownPosition() {
  const end = sample ? sample.tokens.length : 0;
  if (state.pos >= 0 && state.pos <= end) return state.pos;
  return hovered >= 0 && hovered <= end ? hovered : end;
}

async function refresh() {
  write(state);
  fill();
  try {
    const data = await track(call("sample", sampleBody(state)));
    if (!data) return; // a newer state took over
    sample = data;
    showError(null);
    const chosen = new Set(state.choices.map((c) => c[0]));
    render.tokens($("text"), data.prompt, data.tokens, chosen, state.pos);
    render.stats($("stats"), data.stats);
    $("command").textContent = data.command;
    choicesList();
    inspect(shownPosition()); // (the bars follow T)
    changes();
  } catch (error) {
    showError(error);
  }
}

// Where the text changes as T runs: the interval of T this text holds on, and a mark under
// the slider at each temperature where the text changes (from the server's map).
let span = null;
async function changes() {
  try {
    const data = await track(call("map", sampleBody(state)));
    if (!data) return;
    span = data.available ? data : null;
    $("prev-change").disabled = $("next-change").disabled = !span;
    const marks = $("changes");
    marks.replaceChildren();
    if (!span) {
      $("t-span").textContent = `no exact changes here: ${data.reason}`;
      return;
    }
    const f = (t) => (t === "inf" ? "∞" : Number(t.toPrecision(4)));
    $("t-span").textContent = span.from === span.to ? "this text at T = 0 exactly"
      : `this text for T in [${f(span.from)}, ${f(span.to)})`;
    const width = marks.getBoundingClientRect().width;
    const thumb = 16; // (the slider's thumb: the track runs from its half to width - its half)
    for (const t of span.ticks) {
      if (t < 0.05 || t > 5) continue;
      const mark = document.createElement("span");
      mark.className = "change";
      mark.dataset.t = t;
      const frac = Math.log(t / 0.05) / Math.log(100); // (the slider's log scale)
      mark.style.left = `${thumb / 2 + frac * (width - thumb)}px`;
      marks.append(mark);
    }
  } catch (error) {
    showError(error);
  }
}

// The text below or above this one: T just past the interval's end.
function stepChange(direction) {
  if (!span) return;
  if (direction < 0 && span.from > 0) setT(span.from * (1 - 1e-9));
  if (direction > 0 && span.to !== "inf") setT(span.to * (1 + 1e-9));
}

function choicesList() {
  const box = $("choices");
  box.replaceChildren();
  if (!state.choices.length) return;
  box.append(document.createTextNode("chosen: "));
  state.choices.forEach(([pos, id], i) => {
    const text = sample?.tokens[pos]?.text ?? `#${id}`;
    const undo = document.createElement("button");
    undo.type = "button";
    undo.className = "choice";
    undo.textContent = `step ${pos}: ${JSON.stringify(text)} ✕`;
    undo.title = "undo this choice";
    undo.addEventListener("click", () => {
      state.choices.splice(i, 1);
      refresh();
    });
    box.append(undo);
  });
}

async function inspect(pos, tapped = false) {
  hovered = pos;
  try {
    const data = await track(call("position", { ...sampleBody(state), position: pos, top: 10 }));
    if (!data || hovered !== pos) return;
    render.position($("inspect"), data, tLabel(state.t), choose);
    if (tapped) reveal();
  } catch (error) {
    showError(error);
  }
}

// On a narrow screen the bars are under the text: bring them into view.
function reveal() {
  const box = $("inspect").getBoundingClientRect();
  if (box.top > innerHeight - 80) $("inspect").scrollIntoView({ block: "start" });
}

// Branch: token `id` at step `pos`; the choices after it no longer apply.
function choose(pos, id) {
  state.choices = [...state.choices.filter(([p]) => p < pos), [pos, id]];
  state.pos = pos;
  refresh();
}

async function runSweep() {
  const temps = state.temps.split(",").map((t) => t.trim()).filter(Boolean)
    .map((t) => (t === "inf" || t === "∞" ? "inf" : Number(t)));
  try {
    const data = await track(call("sweep", { ...sampleBody(state), temperatures: temps }));
    if (!data) return;
    render.sweep($("columns"), data.prompt, data.columns);
  } catch (error) {
    showError(error);
  }
}

async function runCalibration() {
  try {
    $("cal-result").textContent = "calibrating…";
    const data = await track(call("calibrate", { model: state.model, text: $("cal-text").value }));
    if (data) render.calibration($("cal-result"), data);
  } catch (error) {
    $("cal-result").textContent = "";
    showError(error);
  }
}

// A recorded LLM completion (a file the page was given), drawn at the slider's T.
let recordedFile = null;
let recorded = null;
async function runRecorded() {
  if (recordedFile === null) return;
  try {
    const data = await track(call("recorded", { data: recordedFile, temperature: state.t }));
    if (!data) return;
    recorded = data;
    render.tokens($("rec-text"), "", data.tokens, new Set());
    showError(null);
  } catch (error) {
    showError(error);
  }
}

function setT(t) {
  state.t = t;
  refresh();
  runRecorded();
}

// What the T box holds, as a temperature: a number >= 0, or inf (else null).
function typedT(raw) {
  const text = raw.trim().toLowerCase();
  if (text === "inf" || text === "∞" || text === "infinity") return "inf";
  const t = Number(text);
  return text !== "" && Number.isFinite(t) && t >= 0 ? t : null;
}

// Copy as command, with word of how it went.
async function copyCommand() {
  const button = $("copy");
  try {
    await navigator.clipboard.writeText($("command").textContent);
    button.textContent = "copied ✓";
  } catch {
    getSelection().selectAllChildren($("command")); // (no clipboard: selected, to copy by hand)
    button.textContent = "selected: press Ctrl-C";
  }
  button.classList.add("copied");
  setTimeout(() => {
    button.textContent = "copy as command";
    button.classList.remove("copied");
  }, 2000);
}

function wire() {
  $("slider").addEventListener("input", () => setT(toT(Number($("slider").value))));
  $("slider").addEventListener("keydown", (event) => { // arrows: 5% a step, pages: 50%
    const factor = { ArrowRight: 1.05, ArrowUp: 1.05, ArrowLeft: 1 / 1.05, ArrowDown: 1 / 1.05,
      PageUp: 1.5, PageDown: 1 / 1.5 }[event.key];
    if (!factor) return;
    event.preventDefault();
    if (event.shiftKey && (event.key === "ArrowLeft" || event.key === "ArrowRight")) {
      stepChange(event.key === "ArrowRight" ? 1 : -1); // Shift+arrows: to the next change
      return;
    }
    const t = state.t === "inf" ? 5 : state.t === 0 ? 0.05 : state.t * factor;
    setT(Number(Math.min(5, Math.max(0.05, t)).toPrecision(3)));
  });
  $("greedy").addEventListener("click", () => setT(0));
  $("prev-change").addEventListener("click", () => stepChange(-1));
  $("next-change").addEventListener("click", () => stepChange(1));
  $("uniform").addEventListener("click", () => setT("inf"));
  $("t-box").addEventListener("change", () => {
    const t = typedT($("t-box").value);
    if (t === null) {
      showError(`T = ${$("t-box").value}: type a number from 0 (greedy) up, or inf (uniform)`);
      return;
    }
    setT(t);
  });
  // (a change the state already holds, as when the box loses focus, redraws nothing: a
  // click that blurred it still lands on the token it pressed)
  const edit = (id, key, parse = (v) => v) => $(id).addEventListener("change", () => {
    if (parse($(id).value) === state[key]) return;
    state[key] = parse($(id).value);
    state.choices = [];
    refresh();
    runSweep();
  });
  edit("model", "model");
  edit("prompt", "prompt");
  edit("seed", "seed", Number);
  edit("length", "n", Number);
  for (const input of document.querySelectorAll("[data-setting]")) {
    input.addEventListener("change", () => {
      const value = input.value.trim();
      const neutral = value === "" || Number(value) === Number(input.dataset.default);
      if ((neutral ? undefined : Number(value)) === state.samplers[input.id]) return;
      if (neutral) {
        delete state.samplers[input.id];
      } else {
        state.samplers[input.id] = Number(value);
      }
      state.choices = [];
      refresh();
      runSweep();
    });
  }
  edit("order", "order");
  $("new-seed").addEventListener("click", () => {
    state.seed = Math.floor(Math.random() * 2 ** 31);
    state.choices = [];
    refresh();
    runSweep();
  });
  $("temps").addEventListener("change", () => {
    if ($("temps").value === state.temps) return;
    state.temps = $("temps").value;
    write(state);
    runSweep();
  });
  $("text").addEventListener("mouseover", (event) => {
    const pos = event.target.dataset?.pos;
    if (pos !== undefined && state.pos < 0) inspect(Number(pos));
  });
  $("text").addEventListener("click", (event) => {
    const pos = event.target.dataset?.pos;
    if (pos === undefined) return;
    state.pos = state.pos === Number(pos) ? -1 : Number(pos); // click again: follow hover
    write(state);
    render.mark($("text"), state.pos);
    inspect(Number(pos), true);
  });
  // A token of the sweep: its column's T on the slider, and its row in the bars.
  $("columns").addEventListener("click", (event) => {
    const { pos, t } = event.target.dataset ?? {};
    if (pos === undefined) return;
    state.pos = Number(pos);
    setT(t === "inf" ? "inf" : Number(t));
    reveal();
  });
  $("copy").addEventListener("click", copyCommand);
  $("cal-run").addEventListener("click", runCalibration);
  $("cal-file").addEventListener("change", async () => {
    const file = $("cal-file").files[0];
    if (file) $("cal-text").value = await file.text();
  });
  $("rec-file").addEventListener("change", async () => {
    const file = $("rec-file").files[0];
    if (!file) return;
    recordedFile = await file.text();
    runRecorded();
  });
  $("rec-text").addEventListener("mouseover", (event) => {
    const i = event.target.dataset.pos;
    if (i === undefined || !recorded) return;
    render.recorded($("rec-position"), recorded.tokens[i], Number(i), recorded.temperature);
  });
}

// A number box per sampler setting (the first few at hand, the rest folded away), each
// checked by the server, which names a bad one.
let AT_HAND = new Set(); // the settings shown first (the registry's at_hand links)
function settingInputs(settings) {
  const more = $("more-samplers");
  for (const s of settings) {
    const input = document.createElement("input");
    Object.assign(input, { id: s.name, type: "number", title: s.help });
    input.dataset.setting = "";
    input.dataset.default = s.default;
    input.step = s.kind === "int" ? "1" : "any";
    if (typeof s.low === "number") input.min = s.low;
    if (typeof s.high === "number") input.max = s.high;
    const label = document.createElement("label");
    label.append(`${s.name.replaceAll("_", "-")} `, input);
    (AT_HAND.has(s.name) ? $("at-hand") : more).append(label);
  }
}

async function start() {
  try {
    const config = await getConfig();
    render.usePalette(config.palette);
    render.legend($("legend"));
    const tick = document.createElement("option"); // T = 1, the model itself
    Object.assign(tick, { value: toSlider(1), label: "1" });
    $("ticks").append(tick);
    for (const m of config.models) {
      const option = document.createElement("option");
      option.value = m.name;
      option.textContent = `${m.name} (${m.level}, order ${m.order})`;
      $("model").append(option);
    }
    if (!config.models.some((m) => m.name === state.model)) state.model = config.models[0].name;
    AT_HAND = new Set(config.at_hand);
    settingInputs(config.settings);
    $("order").placeholder = config.samplers.join(",");
  } catch (error) {
    showError(error);
    return;
  }
  wire();
  await refresh();
  runSweep();
  document.body.dataset.ready = "yes";
}

start();
