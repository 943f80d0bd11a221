// The view's whole state, kept in the page's address: a reload or a shared link shows the
// same thing. Temperatures are numbers, or "inf". Sampler settings that differ from their
// defaults are kept by their names (top_k=40), in `samplers`.

export const DEFAULTS = {
  model: "", prompt: "", seed: 1, t: 0.8, n: 300, order: "",
  choices: [], temps: "0.2,0.5,0.8,1,1.5", pos: -1,
};

export function read() {
  const q = new URLSearchParams(location.search);
  const s = { ...DEFAULTS, choices: [], samplers: {} };
  for (const [key, raw] of q) {
    if (!(key in DEFAULTS) && /^[a-z_]+$/.test(key) && raw !== "") s.samplers[key] = Number(raw);
  }
  for (const key of Object.keys(DEFAULTS)) {
    if (!q.has(key)) continue;
    const raw = q.get(key);
    if (key === "choices") {
      s.choices = raw.split(",").filter(Boolean).map((pair) => pair.split(":").map(Number));
    } else if (key === "t") {
      s.t = raw === "inf" ? "inf" : Number(raw);
    } else if (typeof DEFAULTS[key] === "number") {
      s[key] = Number(raw);
    } else {
      s[key] = raw;
    }
  }
  return s;
}

const ALWAYS = new Set(["model", "seed", "t", "n"]); // (a link keeps them if defaults change)

export function write(s) {
  const q = new URLSearchParams();
  for (const key of Object.keys(DEFAULTS)) {
    const value = key === "choices" ? s.choices.map((c) => c.join(":")).join(",") : s[key];
    const plain = key === "choices" ? "" : DEFAULTS[key];
    if (ALWAYS.has(key) || String(value) !== String(plain)) q.set(key, value);
  }
  for (const [key, value] of Object.entries(s.samplers)) q.set(key, value);
  const address = `${location.pathname}?${q}`;
  if (address !== location.pathname + location.search) history.replaceState(null, "", address);
}

// The request body of the sample (and of a position of it) that the state describes.
export function sampleBody(s) {
  const order = s.order.split(",").map((n) => n.trim()).filter(Boolean);
  return {
    model: s.model, prompt: s.prompt, seed: s.seed, length: s.n, temperature: s.t,
    samplers: { ...s.samplers, order },
    choices: s.choices,
  };
}

// The slider's log scale: 0..1000 <-> T in [0.05, 5].
export const toT = (v) => Number((0.05 * 100 ** (v / 1000)).toPrecision(3));
export const toSlider = (t) => Math.round((1000 * Math.log(t / 0.05)) / Math.log(100));
