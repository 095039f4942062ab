// The HTTP recommend API, independent of any server: `encore serve` (Node, src/web/serve.ts), a
// Cloudflare Worker (src/examples/cloudflare-worker/) and any fetch-style runtime answer with these functions,
// so every one of them validates and responds alike.
//
//   POST /api/recommend  {"history": ["t_…", …] or [{"track": "t_…", "skipped": false}, …], "k": 3}
//     200 {"recommendations": [{"rank": 1, "track": "t_…", "score": 0.42}, …], "explanation": "…"}
//   GET  /api/health     200 {"status": "ok", "N": 10, "K": 3, "catalogSize": …, "d": …}
//
// Every error is a 4xx (5xx only for a fault of the server itself) with a one-line JSON body
// {"error": "…"}: malformed JSON 400, wrong types 400, unknown tracks 422, a history shorter
// than N 422, a body over the limit 413, another method 405. No imports from Node.
import type { Recommender } from "./index.js";

/** The largest request body accepted, in bytes (a 10-track history is ~300 bytes; 64 KiB allows ~2,000 plays). */
export const API_MAX_BODY = 64 * 1024;

/** Plays of a history read at most (older ones beyond the last N are ignored anyway). */
const MAX_HISTORY = 10_000;

/** A response of the API: status and its one-line JSON body. */
export interface ApiResponse {
  status: number;
  body: string;
}

/** The headers every API response carries. */
export const API_HEADERS: Readonly<Record<string, string>> = {
  "content-type": "application/json; charset=utf-8",
  "cache-control": "no-store",
};

function json(status: number, value: unknown): ApiResponse {
  return { status, body: JSON.stringify(value) };
}

/** A one-line JSON error ({"error": message}). */
export function apiError(status: number, message: string): ApiResponse {
  return json(status, { error: message.replace(/\s*\n\s*/g, " ") });
}

/** GET /api/health: the model's shape. */
export function healthResponse(rec: Recommender): ApiResponse {
  return json(200, { status: "ok", N: rec.N, K: rec.K, catalogSize: rec.catalogSize, d: rec.d });
}

/** POST /api/recommend on the request body's text. */
export function recommendResponse(rec: Recommender, text: string): ApiResponse {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    return apiError(400, `malformed JSON: ${(e as Error).message}`);
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) return apiError(400, 'expected a JSON object {"history": [...], "k": n}');
  const { history, k } = body as { history?: unknown; k?: unknown };
  if (!Array.isArray(history)) return apiError(400, `"history" must be an array of track ids or {"track", "skipped"} objects, oldest first`);
  if (history.length > MAX_HISTORY) return apiError(400, `"history" has ${history.length} plays, more than ${MAX_HISTORY}; send the last ${rec.N}`);
  for (let i = 0; i < history.length; i++) {
    const item = history[i] as unknown;
    if (typeof item === "string") continue;
    if (typeof item !== "object" || item === null || Array.isArray(item) || typeof (item as { track?: unknown }).track !== "string") {
      return apiError(400, `history item ${i} must be a track id or {"track": "…", "skipped": false}, got ${JSON.stringify(item)?.slice(0, 80)}`);
    }
    const skipped = (item as { skipped?: unknown }).skipped;
    if (skipped !== undefined && typeof skipped !== "boolean") return apiError(400, `history item ${i}: "skipped" must be true or false, got ${JSON.stringify(skipped)?.slice(0, 80)}`);
  }
  if (k !== undefined && !(typeof k === "number" && Number.isInteger(k) && k >= 1 && k <= rec.K)) {
    return apiError(400, `"k" must be an integer from 1 to ${rec.K} (the model's list size), got ${JSON.stringify(k)?.slice(0, 80)}`);
  }
  if (history.length < rec.N) return apiError(422, `"history" needs at least N = ${rec.N} plays (the listener's last ${rec.N} tracks, oldest first), got ${history.length}`);
  for (let i = history.length - rec.N; i < history.length; i++) {
    const item = history[i] as string | { track: string };
    const id = typeof item === "string" ? item : item.track;
    if (rec.indexOf(id) < 0) return apiError(422, `history item ${i}: track ${JSON.stringify(id.slice(0, 80))} is not in the model's catalog`);
  }
  const list = rec.recommend(history as (string | { track: string; skipped?: boolean })[], (k as number | undefined) ?? rec.K);
  return json(200, { recommendations: list.map((r, i) => ({ rank: i + 1, track: r.trackId, score: r.score })), explanation: rec.scoreExplanation });
}

/**
 * Read a fetch Request's body as text, refusing more than `limit` bytes (by Content-Length
 * before reading, and while reading): null when over the limit.
 */
export async function readLimited(request: Request, limit = API_MAX_BODY): Promise<string | null> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > limit) return null;
  if (!request.body) return "";
  const reader = request.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      return null;
    }
    parts.push(value);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.byteLength;
  }
  return new TextDecoder().decode(all);
}

/**
 * The API as a fetch handler (Workers, Deno.serve, Bun.serve): `/recommend` and `/health`
 * under `prefix` (default "/api"); null for any other path, for the caller to serve.
 */
export async function handleApi(rec: Recommender, request: Request, o: { prefix?: string; maxBody?: number } = {}): Promise<Response | null> {
  const path = new URL(request.url).pathname;
  const prefix = o.prefix ?? "/api";
  let r: ApiResponse;
  if (path === `${prefix}/recommend`) {
    if (request.method !== "POST") r = apiError(405, "use POST with a JSON body");
    else {
      const text = await readLimited(request, o.maxBody ?? API_MAX_BODY);
      r = text === null ? apiError(413, `request body over ${o.maxBody ?? API_MAX_BODY} bytes`) : safely(() => recommendResponse(rec, text));
    }
  } else if (path === `${prefix}/health`) {
    r = request.method === "GET" || request.method === "HEAD" ? healthResponse(rec) : apiError(405, "use GET");
  } else return null;
  const headers: Record<string, string> = { ...API_HEADERS };
  if (r.status === 405) headers.allow = path.endsWith("/recommend") ? "POST" : "GET, HEAD";
  return new Response(request.method === "HEAD" ? null : r.body, { status: r.status, headers });
}

/** Run a handler; an unexpected throw becomes a one-line 500 instead of a crash. */
export function safely(f: () => ApiResponse): ApiResponse {
  try {
    return f();
  } catch (e) {
    return apiError(500, `internal error: ${(e as Error).message}`);
  }
}
