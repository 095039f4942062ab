// The server of `encore serve`: the demo page's files (GET and HEAD only, files under one folder,
// the MIME types a browser needs: application/wasm lets it compile the engine while it
// downloads; no caching so a rebuilt page is seen at once) and, given a recommender, the HTTP
// recommend API (POST /api/recommend, GET /api/health: src/api.ts, the same code a Worker runs),
// request bodies limited to `maxBody` bytes. Every response is cross-origin isolated (COOP
// same-origin + COEP require-corp), so the page gets SharedArrayBuffer and can post a shared
// WebAssembly.Memory to its engine threads. Node only (node:http); meant for loopback use.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { extname, join, resolve, sep } from "node:path";
import { API_HEADERS, API_MAX_BODY, apiError, healthResponse, recommendResponse, safely, type ApiResponse } from "../api.js";
import type { Recommender } from "../index.js";

/** Sent with every response: the page is cross-origin isolated (crossOriginIsolated, SharedArrayBuffer). */
export const ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-embedder-policy": "require-corp",
  "cross-origin-resource-policy": "same-origin",
};

export const MIME_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
  ".csv": "text/csv; charset=utf-8",
};

export interface ServeOptions {
  /** The folder to serve (null: the API only). */
  dir: string | null;
  /** Answer the recommend API with this recommender (absent: /api/ paths are 404). */
  recommender?: Recommender;
  /** Largest API request body in bytes. Default API_MAX_BODY (64 KiB). */
  maxBody?: number;
  /** Port; 0 picks a free one. Default 0. */
  port?: number;
  /** Interface to listen on. Default 127.0.0.1 (this machine only). */
  host?: string;
}

export interface StaticServer {
  /** http://host:port/ */
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

/** Serve `dir` over HTTP until close(); resolves once listening. */
export async function serveStatic(o: ServeOptions): Promise<StaticServer> {
  const root = o.dir === null ? null : resolve(o.dir);
  if (root !== null) {
    const info = await stat(root).catch(() => null);
    if (!info?.isDirectory()) throw new Error(`${o.dir}: no such folder to serve`);
  }
  const host = o.host ?? "127.0.0.1";
  const maxBody = o.maxBody ?? API_MAX_BODY;
  const server = createServer((req, res) => {
    for (const [k, v] of Object.entries(ISOLATION_HEADERS)) res.setHeader(k, v);
    if (req.url === "/api" || req.url?.startsWith("/api/") || req.url?.startsWith("/api?")) {
      api(req, res, o.recommender ?? null, maxBody);
      return;
    }
    void (async () => {
      if (root === null) {
        res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("not found (this server answers /api/recommend and /api/health only)");
        return;
      }
      if (req.method !== "GET" && req.method !== "HEAD") {
        res.writeHead(405, { allow: "GET, HEAD" }).end();
        return;
      }
      let path: string;
      try {
        path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
      } catch {
        res.writeHead(400).end("bad request");
        return;
      }
      let file = resolve(join(root, path));
      if (file !== root && !file.startsWith(root + sep)) {
        res.writeHead(403).end("forbidden");
        return;
      }
      let st = await stat(file).catch(() => null);
      if (st?.isDirectory()) {
        file = join(file, "index.html");
        st = await stat(file).catch(() => null);
      }
      if (!st?.isFile()) {
        res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("not found");
        return;
      }
      res.writeHead(200, {
        "content-type": MIME_TYPES[extname(file).toLowerCase()] ?? "application/octet-stream",
        "content-length": st.size,
        "cache-control": "no-cache",
        "x-content-type-options": "nosniff",
      });
      if (req.method === "HEAD") {
        res.end();
        return;
      }
      createReadStream(file).on("error", () => res.destroy()).pipe(res);
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500).end("internal error");
      else res.destroy();
    });
  });
  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(o.port ?? 0, host, () => ok());
  });
  const port = (server.address() as { port: number }).port;
  const shown = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}/`,
    port,
    server,
    close: () => new Promise<void>((ok) => {
      server.closeAllConnections();
      server.close(() => ok());
    }),
  };
}

function send(res: ServerResponse, r: ApiResponse, extra: Record<string, string> = {}, head = false): void {
  if (res.headersSent) return;
  const body = Buffer.from(r.body + "\n");
  res.writeHead(r.status, { ...API_HEADERS, "content-length": body.byteLength, ...extra });
  res.end(head ? undefined : body);
}

/** The recommend API on Node's http (src/api.ts decides every answer). */
function api(req: IncomingMessage, res: ServerResponse, rec: Recommender | null, maxBody: number): void {
  const path = (req.url ?? "").split("?")[0];
  if (!rec) {
    send(res, apiError(404, "no model loaded: start the server with --model and --embeddings"));
    req.resume();
    return;
  }
  if (path === "/api/health") {
    if (req.method === "GET" || req.method === "HEAD") send(res, healthResponse(rec), {}, req.method === "HEAD");
    else send(res, apiError(405, "use GET"), { allow: "GET, HEAD" });
    req.resume();
    return;
  }
  if (path !== "/api/recommend") {
    send(res, apiError(404, `no API endpoint ${path.slice(0, 100)}: POST /api/recommend or GET /api/health`));
    req.resume();
    return;
  }
  if (req.method !== "POST") {
    send(res, apiError(405, "use POST with a JSON body"), { allow: "POST" });
    req.resume();
    return;
  }
  const tooLarge = (): void => {
    // answer at once and close: the rest of an oversized body is not read
    send(res, apiError(413, `request body over ${maxBody} bytes`), { connection: "close" });
    req.unpipe();
    req.resume();
  };
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > maxBody) {
    tooLarge();
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0, over = false;
  req.on("data", (c: Buffer) => {
    if (over) return;
    size += c.byteLength;
    if (size > maxBody) {
      over = true;
      chunks.length = 0;
      tooLarge();
      return;
    }
    chunks.push(c);
  });
  req.on("end", () => {
    if (over) return;
    const text = Buffer.concat(chunks, size).toString("utf8");
    send(res, safely(() => recommendResponse(rec, text)));
  });
  req.on("error", () => res.destroy());
}
