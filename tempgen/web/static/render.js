// Rendering what the server returns: tokens coloured by probability, bars, the curve, the
// sweep's columns, a calibration. Nothing here computes a probability.

let palette = [];

// The server's bands (views/palette.py, on a light ground) as CSS classes p0 .. p4.
export function usePalette(scale) {
  palette = scale;
  scale.forEach((step, i) => document.documentElement.style.setProperty(`--p${i}`, step.colour));
}

function level(q) {
  const i = palette.findIndex((step) => q >= step.floor);
  return i < 0 ? palette.length - 1 : i;
}

const el = (tag, cls, text) => {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
};

const pct = (q) => `${(100 * q).toFixed(q < 0.001 && q > 0 ? 2 : 1)}%`;
const shown = (token) => token.replace(/ /g, "␣").replace(/\n/g, "⏎").replace(/\t/g, "→");

// A token as a span: its class says its probability band.
export function token(text, q) {
  const span = el("span", `tok p${level(q)}`, text);
  span.title = pct(q);
  return span;
}

export function tokens(box, prompt, items, chosen, inspected = -1) {
  box.replaceChildren(el("span", "prompt", prompt));
  items.forEach((item, i) => {
    const span = token(item.text, item.q);
    span.dataset.pos = i;
    if (chosen.has(i)) span.classList.add("chosen");
    if (i === inspected) span.classList.add("inspected");
    box.append(span);
  });
}

// Mark the token whose row the bars show (the one clicked, or none).
export function mark(box, pos) {
  for (const node of box.querySelectorAll(".tok.inspected")) node.classList.remove("inspected");
  box.querySelector(`.tok[data-pos='${pos}']`)?.classList.add("inspected");
}

export function stats(box, s) {
  const f = (v, d = 2) => (v === null || v === undefined ? "–" : Number(v).toFixed(d));
  box.textContent = `H ${f(s.entropy_bits)} bits · log₂ p ${f(s.model_logprob / Math.LN2)} bits` +
    ` · perplexity ${f(s.perplexity)} · distinct-2 ${f(s.distinct_2)}` +
    ` · novel ${s.novelty === null ? "–" : Math.round(100 * s.novelty) + "%"}` +
    (s.effective_temperature === undefined ? "" : ` · mean T ${f(s.effective_temperature)}`) +
    ` · ${s.tokens} tokens`;
}

// The distribution of one position (or of the next token, past the text's end), as
// `tempgen dist` shows it: the model's likeliest tokens, each with its bar under the chain
// at T (struck through where the chain removes it) and its bar under the model itself.
export function position(box, data, t, onChoose) {
  box.replaceChildren();
  const head = data.token === null ? "the next token" : `position ${data.position}: ${shown(data.token)}`;
  box.append(el("h2", "", head));
  box.append(el("p", "", (data.rank === null ? "" : `rank ${data.rank} at T = ${t} · `) +
    `H ${data.entropy_bits.toFixed(2)} bits at T = ${t} (the model: ` +
    `${data.entropy_bits_model.toFixed(2)}) · tap a token to continue from it`));
  const table = el("div", "bars");
  table.append(el("span", "head", "token"), el("span", "head span2", `T = ${t}`),
    el("span", "head span2", "model (T = 1)"));
  for (const bar of data.bars) {
    const name = el("button", `bar-token${bar.token === data.token ? " drawn" : ""}`, shown(bar.token));
    name.type = "button";
    name.title = `continue from ${JSON.stringify(bar.token)}`;
    name.addEventListener("click", () => onChoose(data.position, bar.id));
    table.append(name, ...(bar.removed ? removedCell() : barCell(bar.q)), ...barCell(bar.p, true));
  }
  table.append(el("span", "other", "other"), ...barCell(data.other.q), ...barCell(data.other.p, true));
  box.append(table);
  if (data.stages?.length) box.append(stages(data, t));
  box.append(curve(data.curve, t));
}

// The chain link by link, as `tempgen dist --stages` shows it: the same tokens' q after each
// link (struck through, with what it had before, where that link removed it), folded away
// until asked for.
function stages(data, t) {
  const fold = el("details", "stages");
  fold.open = stagesOpen;
  fold.addEventListener("toggle", () => { stagesOpen = fold.open; });
  fold.append(el("summary", "", `the chain link by link, at T = ${t}`));
  const table = el("table", "stage-table");
  const head = el("tr");
  head.append(el("th", "", "token"), el("th", "", "model"));
  for (const stage of data.stages) head.append(el("th", "", stage.label));
  table.append(head);
  data.bars.forEach((bar, i) => {
    const row = el("tr");
    row.append(el("td", "", shown(bar.token)), el("td", "num", pct(bar.p)));
    let before = bar.p;
    for (const stage of data.stages) {
      row.append(stage.removed[i] ? el("td", "num removed", pct(before)) : el("td", "num", pct(stage.q[i])));
      if (!stage.removed[i]) before = stage.q[i];
    }
    table.append(row);
  });
  fold.append(table);
  return fold;
}

let stagesOpen = false; // (kept open from one position to the next once opened)

function removedCell() {
  return [el("span", "bar-cell removed"), el("span", "pct removed", "removed")];
}

// A recorded completion's position: a pair of bars per listed token (at T, and at 1) and
// one for all the others.
// A recorded completion's position: a pair of bars per listed token (at T, and at 1) and
// one for all the others. The API did not list the rest: each figure is shown as its
// bounds over every way the rest can be spread (one value where they meet), the bars as
// the rest spread evenly.
export function recorded(box, item, i, t) {
  box.replaceChildren();
  box.append(el("h2", "", `position ${i}: ${shown(item.token)}`));
  const bits = ([lo, hi]) => (lo.toFixed(2) === hi.toFixed(2) ? lo.toFixed(2) : `${lo.toFixed(2)}–${hi.toFixed(2)}`);
  box.append(el("p", "", `H ${bits(item.entropy_bits_range)} bits at T = ${t}` +
    ` (at T = 1: ${bits(item.entropy_bits_at_1_range)}); ranges: the unlisted rest spread as` +
    " unevenly or as evenly as it can be"));
  const table = el("div", "bars");
  table.append(el("span", "head", "token"), el("span", "head span2", `T = ${t}`),
    el("span", "head span2", "T = 1"));
  for (const bar of item.bars) {
    table.append(el("span", `bar-token${bar.chosen ? " drawn" : ""}`, shown(bar.token)),
      ...barCell(bar.q, false, bar.q_range), ...barCell(bar.q_at_1, true, bar.q_at_1_range));
  }
  table.append(el("span", "other", `others (${item.other.unlisted.toLocaleString("en")} unlisted)`),
    ...barCell(item.other.q, false, item.other.q_range),
    ...barCell(item.other.q_at_1, true, item.other.q_at_1_range));
  box.append(table);
}

// A bar and its label beside it (never on the fill: dark text on white, legible whatever
// the fill); with a range, the label gives both ends.
function barCell(q, plain = false, range = null) {
  const cell = el("span", "bar-cell");
  const fill = el("span", plain ? "fill plain" : `fill f${level(q)}`);
  fill.style.width = `${(100 * q).toFixed(1)}%`;
  cell.append(fill);
  const text = range && pct(range[0]) !== pct(range[1]) ? `${pct(range[0])}–\u200b${pct(range[1])}` : pct(q);
  return [cell, el("span", "pct", text)];
}

// Entropy (normalised by its largest value) and the top token's probability against T, on
// a log axis; the slider's T marked.
export function curve(data, t) {
  const ns = "http://www.w3.org/2000/svg";
  const [w, h, pad] = [320, 150, 28];
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${w} ${h}`);
  svg.setAttribute("class", "curve");
  const lo = Math.log(data.temperatures[0]);
  const hi = Math.log(data.temperatures[data.temperatures.length - 1]);
  const x = (temp) => pad + ((Math.log(temp) - lo) / (hi - lo)) * (w - 2 * pad);
  const y = (v) => h - pad - v * (h - 2 * pad);
  const hmax = Math.max(...data.entropy_bits, 1e-9);
  const line = (values, cls) => {
    const path = document.createElementNS(ns, "polyline");
    path.setAttribute("points", values.map((v, i) => `${x(data.temperatures[i])},${y(v)}`).join(" "));
    path.setAttribute("class", cls);
    svg.append(path);
  };
  line(data.entropy_bits.map((v) => v / hmax), "entropy");
  line(data.top_p, "top");
  if (t !== "inf" && t > 0) {
    const mark = document.createElementNS(ns, "line");
    const mx = x(Math.min(Math.max(t, data.temperatures[0]), data.temperatures.at(-1)));
    for (const [k, v] of [["x1", mx], ["x2", mx], ["y1", pad / 2], ["y2", h - pad]]) mark.setAttribute(k, v);
    mark.setAttribute("class", "mark");
    svg.append(mark);
  }
  for (const [label, cls, yy] of [["entropy / max", "entropy", 12], ["top token", "top", 24]]) {
    const text = document.createElementNS(ns, "text");
    text.setAttribute("x", w - pad);
    text.setAttribute("y", yy);
    text.setAttribute("class", `label ${cls}`);
    text.textContent = label;
    svg.append(text);
  }
  const axis = document.createElementNS(ns, "text");
  axis.setAttribute("x", pad);
  axis.setAttribute("y", h - 6);
  axis.setAttribute("class", "label");
  axis.textContent = `T from ${data.temperatures[0]} to ${data.temperatures.at(-1)} (log scale)`;
  svg.append(axis);
  return svg;
}

// The sweep's columns; a token's data says its column's T and its position (a tap on it
// moves the slider there and shows its row).
export function sweep(box, prompt, columns) {
  box.replaceChildren();
  for (const column of columns) {
    const card = el("div", "column");
    card.append(el("h3", "", `T = ${column.temperature === "inf" ? "∞" : column.temperature}`));
    const text = el("div", "text");
    text.append(el("span", "prompt", prompt));
    column.tokens.forEach(([piece, q], i) => {
      const span = token(piece, q);
      Object.assign(span.dataset, { pos: i, t: column.temperature });
      text.append(span);
    });
    card.append(text);
    const s = column.stats;
    const f = (v) => (v === null ? "–" : Number(v).toFixed(2));
    card.append(el("p", "stats", `H ${f(s.entropy_bits)} · log₂ p ${f(s.model_logprob / Math.LN2)}` +
      ` · ppl ${f(s.perplexity)} · d2 ${f(s.distinct_2)}` +
      ` · new ${s.novelty === null ? "–" : Math.round(100 * s.novelty) + "%"}` +
      (s.effective_temperature === undefined ? "" : ` · T̄ ${f(s.effective_temperature)}`)));
    box.append(card);
  }
}

export function calibration(box, data) {
  box.replaceChildren();
  box.append(el("p", "", `T* = ${data.t_star.toFixed(3)}: ${data.bits_at_t_star.toFixed(4)} bits/token` +
    ` (at T = 1: ${data.bits_at_1.toFixed(4)}; ${data.tokens.toLocaleString()} tokens)`));
  const lo = Math.min(...data.curve.map((p) => p.bits));
  const hi = Math.max(...data.curve.map((p) => p.bits));
  const table = el("div", "bars");
  for (const point of data.curve) {
    table.append(el("span", "", `T = ${point.temperature}`));
    const cell = el("span", "bar-cell");
    const fill = el("span", "fill plain");
    fill.style.width = `${hi > lo ? (100 * (point.bits - lo)) / (hi - lo) : 0}%`;
    cell.append(fill);
    table.append(cell, el("span", "pct", point.bits.toFixed(4)));
  }
  box.append(table);
}

export function legend(box) {
  box.replaceChildren(el("span", "", "token probability (lighter = likelier): "));
  palette.forEach((step, i) => box.append(el("span", `tok p${i}`, `■ ${step.label}  `)));
}
