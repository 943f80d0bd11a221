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

export function tokens(box, prompt, items, chosen) {
  box.replaceChildren(el("span", "prompt", prompt));
  items.forEach((item, i) => {
    const span = token(item.text, item.q);
    span.dataset.pos = i;
    if (chosen.has(i)) span.classList.add("chosen");
    box.append(span);
  });
}

export function stats(box, s) {
  const f = (v, d = 2) => (v === null || v === undefined ? "–" : Number(v).toFixed(d));
  box.textContent = `H ${f(s.entropy_bits)} bits · log₂ p ${f(s.model_logprob / Math.LN2)} bits` +
    ` · perplexity ${f(s.perplexity)} · distinct-2 ${f(s.distinct_2)}` +
    ` · novel ${s.novelty === null ? "–" : Math.round(100 * s.novelty) + "%"}` +
    (s.effective_temperature === undefined ? "" : ` · mean T ${f(s.effective_temperature)}`) +
    ` · ${s.tokens} tokens`;
}

// The distribution of one position: a pair of bars per token (at T, and at 1), clickable.
export function position(box, data, t, onChoose) {
  box.replaceChildren();
  box.append(el("h2", "", `position ${data.position}: ${shown(data.token)}`));
  box.append(el("p", "", `rank ${data.rank} at T = ${t} · H ${data.entropy_bits.toFixed(2)} bits` +
    ` (at T = 1: ${data.entropy_bits_at_1.toFixed(2)})`));
  const table = el("div", "bars");
  table.append(el("span", "head", "token"), el("span", "head", `T = ${t}`), el("span", "head", "T = 1"));
  for (const bar of data.bars) {
    const name = el("button", `bar-token${bar.token === data.token ? " drawn" : ""}`, shown(bar.token));
    name.type = "button";
    name.title = `continue from ${JSON.stringify(bar.token)}`;
    name.addEventListener("click", () => onChoose(data.position, bar.id));
    table.append(name, barCell(bar.q), barCell(bar.q_at_1, true));
  }
  table.append(el("span", "other", "other"), barCell(data.other.q), barCell(data.other.q_at_1, true));
  box.append(table);
  box.append(curve(data.curve, t));
}

// A recorded completion's position: a pair of bars per listed token (at T, and at 1) and
// one for all the others.
export function recorded(box, item, i, t) {
  box.replaceChildren();
  box.append(el("h2", "", `position ${i}: ${shown(item.token)}`));
  box.append(el("p", "", `H ${item.entropy_bits.toFixed(2)} bits at T = ${t}` +
    ` (at T = 1: ${item.entropy_bits_at_1.toFixed(2)}), the unlisted rest spread evenly`));
  const table = el("div", "bars");
  table.append(el("span", "head", "token"), el("span", "head", `T = ${t}`), el("span", "head", "T = 1"));
  for (const bar of item.bars) {
    table.append(el("span", `bar-token${bar.chosen ? " drawn" : ""}`, shown(bar.token)),
      barCell(bar.q), barCell(bar.q_at_1, true));
  }
  table.append(el("span", "other", `others (${item.other.unlisted.toLocaleString("en")} unlisted)`),
    barCell(item.other.q), barCell(item.other.q_at_1, true));
  box.append(table);
}

function barCell(q, plain = false) {
  const cell = el("span", "bar-cell");
  const fill = el("span", plain ? "fill plain" : `fill p${level(q)}`);
  fill.style.width = `${(100 * q).toFixed(1)}%`;
  cell.append(fill, el("span", "pct", pct(q)));
  return cell;
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

export function sweep(box, prompt, columns) {
  box.replaceChildren();
  for (const column of columns) {
    const card = el("div", "column");
    card.append(el("h3", "", `T = ${column.temperature}`));
    const text = el("div", "text");
    text.append(el("span", "prompt", prompt));
    for (const [piece, q] of column.tokens) text.append(token(piece, q));
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
    cell.append(fill, el("span", "pct", point.bits.toFixed(4)));
    table.append(cell, el("span", ""));
  }
  box.append(table);
}

export function legend(box) {
  box.replaceChildren(el("span", "", "token probability (lighter = likelier): "));
  palette.forEach((step, i) => box.append(el("span", `tok p${i}`, `■ ${step.label}  `)));
}
