// The server's API. Every kind of call keeps only its newest request: starting one cancels
// the one before, so an answer that arrives is always for the latest state.

const pending = new Map();

export class ApiError extends Error {
  constructor(message, param) {
    super(param ? `${param}: ${message}` : message);
    this.param = param;
  }
}

export async function getConfig() {
  const reply = await fetch("/api/config");
  if (!reply.ok) throw new ApiError(`the server answered ${reply.status}`);
  return reply.json();
}

// POST body to /api/kind; resolves to the reply's data, or to null when a newer call of the
// same kind has taken over.
export async function call(kind, body) {
  pending.get(kind)?.abort();
  const controller = new AbortController();
  pending.set(kind, controller);
  let reply;
  try {
    reply = await fetch(`/api/${kind}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      signal: controller.signal,
    });
  } catch (error) {
    if (error.name === "AbortError") return null;
    throw new ApiError("the server cannot be reached");
  }
  const data = await reply.json().catch(() => ({ error: `the server answered ${reply.status}` }));
  if (pending.get(kind) !== controller) return null; // a newer call took over meanwhile
  pending.delete(kind);
  if (!reply.ok) throw new ApiError(data.error, data.param);
  return data;
}
