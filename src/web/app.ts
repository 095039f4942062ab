// The demo page: loads the engine, a model and its embeddings (those `encore demo` wrote, copied
// to demo/ by the build, or files the user picks), lets the user search the catalog and build a
// listening history, shows the K recommendations with their scores, and trains a small model in
// a Web Worker against the synthetic listener with a live training curve. Plain DOM, no
// framework; everything numeric goes through the library entry (src/index.ts).
import { compileEngine, createRecommender, loadEmbeddings, type EpisodeMetrics, type ListenerSpec, type Recommender, type ScoredTrack } from "../index.js";
import type { LoadedEmbeddings } from "../embed/format.js";
import { ListenerModel, TF_NUMERIC_COLUMNS } from "../data/synth.js";
import { Rng } from "../rng.js";
import type { InitResult, Reply, Request, TrainResult } from "./protocol.js";

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page: no element #${id}`);
  return el as T;
};

function showError(e: unknown): void {
  const msg = e instanceof Error ? e.message : String(e);
  $("error").textContent = msg;
  console.error(msg);
}
window.addEventListener("unhandledrejection", (e) => showError(e.reason));

// ---------------------------------------------------------------------------------------
// The Worker, as request → promise

const worker = new Worker(new URL("worker.js", location.href));
let nextId = 1;
const pending = new Map<number, { resolve: (x: unknown) => void; reject: (e: Error) => void }>();
let onEpisode: ((m: EpisodeMetrics, episodes: number, ms: number) => void) | null = null;

worker.onmessage = (e: MessageEvent<Reply>) => {
  const r = e.data;
  if (r.type === "episode") {
    onEpisode?.(r.metrics, r.episodes, r.ms);
    return;
  }
  const p = pending.get(r.id);
  if (!p) return;
  pending.delete(r.id);
  if (r.type === "reply") p.resolve(r.result);
  else p.reject(new Error(r.message));
};
worker.onerror = (e) => showError(`worker: ${e.message}`);

/** A request without its id (distributes over the union, so each type keeps its own fields). */
type Body<Q = Request> = Q extends Request ? Omit<Q, "id"> : never;
function call<R>(req: Body, transfer: Transferable[] = []): Promise<R> {
  const id = nextId++;
  return new Promise<R>((resolve, reject) => {
    pending.set(id, { resolve: resolve as (x: unknown) => void, reject });
    worker.postMessage({ ...req, id } as Request, transfer);
  });
}

// ---------------------------------------------------------------------------------------
// State

let wasm: WebAssembly.Module;
let embeddings: LoadedEmbeddings;
let current: Recommender;
let modelLabel = "";
let listener: ListenerModel | null = null;
let history: string[] = [];
let sessionSeed = 0;
let trained: Uint8Array | null = null;
let trainedEpisodes = 0;

interface Files {
  model: ArrayBuffer;
  embeddings: ArrayBuffer;
  listener: ListenerSpec | null;
}

async function fetchDemo(): Promise<Files | null> {
  const get = async (name: string): Promise<Response | null> => {
    const r = await fetch(`demo/${name}`).catch(() => null);
    return r && r.ok ? r : null;
  };
  const [m, e, s] = await Promise.all([get("model.encore"), get("embeddings.bin"), get("synth.json")]);
  if (!m || !e) return null;
  return { model: await m.arrayBuffer(), embeddings: await e.arrayBuffer(), listener: s ? ((await s.json()) as ListenerSpec) : null };
}

async function load(files: Files, label: string): Promise<InitResult> {
  embeddings = await loadEmbeddings(new Uint8Array(files.embeddings), "embeddings");
  current = await createRecommender({ wasm, model: files.model, embeddings });
  const meta = current.header.meta ?? {};
  const episodes = Array.isArray(meta.training) ? meta.training.length : undefined;
  modelLabel = `${label}${episodes !== undefined ? `, trained ${episodes} episodes` : ""}`;
  listener = files.listener ? new ListenerModel({ ...files.listener.model, seed: files.listener.seed }) : null;
  // the worker gets copies: the page keeps its own
  const init = await call<InitResult>({ type: "init", wasm: new URL("encore.wasm", location.href).href, model: files.model.slice(0), embeddings: files.embeddings.slice(0), listener: files.listener });
  history = [];
  trained = null;
  $("catalog-size").textContent = `${current.catalogSize.toLocaleString("en")} tracks, d = ${current.d}`;
  $("status").textContent = `engine ready · ${modelLabel} · recommends K = ${current.K} tracks from the last N = ${current.N}`;
  for (const id of ["search", "random-history", "clear-history"]) $<HTMLInputElement>(id).disabled = false;
  $<HTMLButtonElement>("train").disabled = listener === null;
  if (!listener) $("train-status").textContent = "Training needs the synthetic listener (synth.json from 'encore demo').";
  $<HTMLButtonElement>("use-trained").disabled = true;
  $("download").hidden = true;
  search();
  renderHistory();
  return init;
}

// ---------------------------------------------------------------------------------------
// Tracks

const FEATURES: [string, string, (x: number) => string][] = [
  ["release_year", "", (x) => String(Math.round(x))],
  ["energy", "energy ", (x) => x.toFixed(2)],
  ["danceability", "dance ", (x) => x.toFixed(2)],
  ["tempo", "", (x) => `${Math.round(x)} bpm`],
];
const FEATURE_COLUMNS = FEATURES.map(([c]) => (TF_NUMERIC_COLUMNS as readonly string[]).indexOf(c));

/** A few ground-truth facts of a synthetic track, when the listener model is loaded. */
function describe(id: string): string {
  if (!listener) return "";
  const i = listener.trackIndex(id);
  if (i < 0) return "";
  const f = listener.trackFeatures(i);
  return [`genre ${listener.genres[i]}`, ...FEATURES.map(([, label, fmt], j) => label + fmt(f[FEATURE_COLUMNS[j]]))].join(" · ");
}

function trackItem(id: string, button: { label: string; title: string; onClick: () => void }, dim = false): HTMLLIElement {
  const li = document.createElement("li");
  li.dataset.trackId = id;
  const b = document.createElement("button");
  b.textContent = button.label;
  b.title = button.title;
  b.addEventListener("click", button.onClick);
  const span = document.createElement("span");
  span.className = "id";
  span.textContent = id;
  span.title = id;
  const feat = document.createElement("span");
  feat.className = "feat";
  feat.textContent = describe(id);
  li.append(b, span, feat);
  if (dim) li.style.opacity = "0.45";
  return li;
}

function search(): void {
  const q = $<HTMLInputElement>("search").value;
  const hits = current.searchTracks(q, 30);
  const ul = $("results");
  ul.replaceChildren(...hits.map((id) => trackItem(id, { label: "+", title: "add to the history", onClick: () => addToHistory(id) })));
  $("search-note").textContent = q.trim() === "" ? `the first ${hits.length} tracks of the catalog` : hits.length === 0 ? "no track id matches" : `${hits.length}${hits.length === 30 ? "+" : ""} matching ids`;
}

// ---------------------------------------------------------------------------------------
// History and recommendations

function addToHistory(id: string): void {
  history = history.filter((h) => h !== id);
  history.push(id);
  renderHistory();
}

function randomSession(): void {
  const seed = sessionSeed++;
  const rng = new Rng(seed);
  const N = current.N, V = current.catalogSize;
  const picked: string[] = [];
  let note: string;
  if (listener) {
    // like the listener environment's history: mostly from the listener's home genre, popularity-biased
    const l = listener.newListener(rng);
    for (let tries = 0; picked.length < N && tries < 100 * N; tries++) {
      const id = listener.trackId(listener.sampleTrack(rng, rng.float() < 0.7 ? l.homeGenre : -1));
      if (current.indexOf(id) >= 0 && !picked.includes(id)) picked.push(id);
    }
    note = `listener ${seed}, home genre ${l.homeGenre}`;
  } else {
    note = `random tracks, seed ${seed}`;
  }
  while (picked.length < N) {
    const id = current.trackId(rng.int(V));
    if (!picked.includes(id)) picked.push(id);
  }
  history = picked;
  renderHistory(note);
}

function renderHistory(note = ""): void {
  const N = current.N;
  const ol = $("history");
  ol.replaceChildren(...history.map((id, i) => trackItem(id, {
    label: "×", title: "remove", onClick: () => {
      history = history.filter((h) => h !== id);
      renderHistory();
    },
  }, i < history.length - N)));
  $("history-count").textContent = `${history.length} track${history.length === 1 ? "" : "s"}${note ? ` · ${note}` : ""}`;
  renderRecommendations();
}

function renderRecommendations(): void {
  const N = current.N;
  const tbody = $("recs").querySelector("tbody")!;
  if (history.length < N) {
    tbody.replaceChildren();
    $("recs-note").textContent = `Add ${N - history.length} more track${N - history.length === 1 ? "" : "s"} (the model reads the last ${N}).`;
    return;
  }
  const recs: ScoredTrack[] = current.recommend(history);
  tbody.replaceChildren(...recs.map((r, k) => {
    const tr = document.createElement("tr");
    tr.dataset.trackId = r.trackId;
    tr.dataset.score = String(r.score); // full precision: String(double) reads back exactly
    const rank = document.createElement("td");
    rank.textContent = String(k + 1);
    const id = document.createElement("td");
    id.className = "id";
    id.textContent = r.trackId;
    id.title = r.trackId;
    const d = describe(r.trackId);
    if (d) {
      const f = document.createElement("div");
      f.className = "feat";
      f.textContent = d;
      id.append(f);
    }
    const score = document.createElement("td");
    score.textContent = r.score.toFixed(4);
    tr.append(rank, id, score);
    return tr;
  }));
  $("recs-note").textContent = `From the last ${N} tracks of the history · ${modelLabel}.`;
}

// ---------------------------------------------------------------------------------------
// Training in the Worker, with a live curve

const SVG = "http://www.w3.org/2000/svg";
let curve: EpisodeMetrics[] = [];
let curveTotal = 0;
let drawPending = false;

function scheduleDraw(): void {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(() => {
    drawPending = false;
    drawCurve();
  });
}

function svg(name: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const el = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** Reward per episode (thin) and its moving average over 10 episodes (thick). */
function drawCurve(): void {
  const W = 640, H = 240, L = 44, R = 12, T = 22, B = 28;
  const el = $("curve") as unknown as SVGSVGElement;
  const rewards = curve.map((m) => m.reward);
  // the x axis spans the run when it is short, and grows with the curve past 500 episodes
  const n = rewards.length, total = Math.max(Math.min(curveTotal, 500), n, 2);
  let lo = Math.min(0, ...rewards), hi = Math.max(1, ...rewards);
  if (hi - lo < 1e-9) hi = lo + 1;
  const x = (e: number): number => L + ((e - 1) / (total - 1)) * (W - L - R);
  const y = (v: number): number => T + (1 - (v - lo) / (hi - lo)) * (H - T - B);
  const avg: number[] = [];
  for (let i = 0, s = 0; i < n; i++) {
    s += rewards[i] - (i >= 10 ? rewards[i - 10] : 0);
    avg.push(s / Math.min(i + 1, 10));
  }
  const line = (v: number[]): string => v.map((r, i) => `${x(i + 1).toFixed(1)},${y(r).toFixed(1)}`).join(" ");
  el.replaceChildren(
    svg("line", { class: "axis", x1: L, y1: H - B, x2: W - R, y2: H - B }),
    svg("line", { class: "axis", x1: L, y1: T, x2: L, y2: H - B }),
    svg("text", { x: L - 6, y: y(hi) + 4, "text-anchor": "end" }, hi.toFixed(1)),
    svg("text", { x: L - 6, y: y(lo) + 4, "text-anchor": "end" }, lo.toFixed(1)),
    svg("text", { x: L, y: H - 8 }, "1"),
    svg("text", { x: W - R, y: H - 8, "text-anchor": "end" }, `episode ${total}`),
    svg("text", { x: L, y: 14 }, "reward per episode (thin) · mean of the last 10 (thick)"),
    svg("polyline", { class: "reward", points: line(rewards), fill: "none", stroke: "#9db8ef", "stroke-width": 1 }),
    svg("polyline", { class: "average", points: line(avg), fill: "none", stroke: "#2f6fde", "stroke-width": 2.5 }),
  );
  el.dataset.points = String(n);
}

async function train(): Promise<void> {
  const episodes = Number($<HTMLInputElement>("episodes").value);
  const seed = Number($<HTMLInputElement>("seed").value);
  if (!Number.isInteger(episodes) || episodes < 1) throw new Error(`episodes must be a positive integer, got '${$<HTMLInputElement>("episodes").value}'`);
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`seed must be an integer ≥ 0, got '${$<HTMLInputElement>("seed").value}'`);
  curve = [];
  curveTotal = episodes;
  drawCurve();
  $<HTMLButtonElement>("train").disabled = true;
  $<HTMLButtonElement>("stop").disabled = false;
  $<HTMLButtonElement>("use-trained").disabled = true;
  const status = $("train-status");
  status.textContent = "starting…";
  onEpisode = (m, total, ms) => {
    curve.push(m);
    status.textContent = `episode ${m.episode}/${total} · reward ${m.reward.toFixed(2)} · ${m.updates > 0 ? `critic loss ${m.criticLoss.toPrecision(3)}` : "filling the replay buffer"} · ${ms.toFixed(0)} ms/episode`;
    scheduleDraw();
  };
  try {
    const r = await call<TrainResult>({ type: "train", episodes, seed, batch: 32 });
    trained = new Uint8Array(r.model);
    curveTotal = r.episodes;
    trainedEpisodes = r.episodes;
    const last = curve.slice(-10);
    const mean = last.reduce((s, m) => s + m.reward, 0) / Math.max(1, last.length);
    status.textContent = `${r.stopped ? "stopped" : "done"} after ${r.episodes} episodes · mean reward of the last ${last.length}: ${mean.toFixed(2)}`;
    const a = $<HTMLAnchorElement>("download");
    if (a.href) URL.revokeObjectURL(a.href);
    a.href = URL.createObjectURL(new Blob([trained as BlobPart], { type: "application/octet-stream" }));
    a.hidden = false;
    $<HTMLButtonElement>("use-trained").disabled = false;
  } finally {
    onEpisode = null;
    scheduleDraw();
    $<HTMLButtonElement>("train").disabled = false;
    $<HTMLButtonElement>("stop").disabled = true;
  }
}

async function useTrained(): Promise<void> {
  if (!trained) return;
  current = await createRecommender({ wasm, model: trained, embeddings });
  modelLabel = `trained in this page, ${trainedEpisodes} episodes`;
  $("status").textContent = `engine ready · ${modelLabel} · recommends K = ${current.K} tracks from the last N = ${current.N}`;
  renderRecommendations();
}

// ---------------------------------------------------------------------------------------
// Start

async function loadPicked(): Promise<void> {
  const file = (id: string): File | null => $<HTMLInputElement>(id).files?.[0] ?? null;
  const m = file("file-model"), e = file("file-embeddings"), s = file("file-synth");
  if (!m || !e) throw new Error("pick a model file and an embeddings file");
  const files: Files = { model: await m.arrayBuffer(), embeddings: await e.arrayBuffer(), listener: s ? (JSON.parse(await s.text()) as ListenerSpec) : null };
  await load(files, m.name);
  $("error").textContent = "";
}

async function start(): Promise<void> {
  wasm = await compileEngine(new URL("encore.wasm", location.href));
  const demo = await fetchDemo();
  $("files").hidden = demo !== null;
  if (demo) {
    await load(demo, "demo model from 'encore demo'");
  } else {
    $("status").textContent = "engine ready · no demo model here (run 'encore demo', then 'npm run build:web'); pick files below";
  }
}

const ui: [string, string, () => unknown][] = [
  ["search", "input", search],
  ["random-history", "click", randomSession],
  ["clear-history", "click", () => { history = []; renderHistory(); }],
  ["train", "click", train],
  ["stop", "click", () => call({ type: "stop" })],
  ["use-trained", "click", useTrained],
  ["load-files", "click", loadPicked],
];
for (const [id, event, f] of ui) {
  $(id).addEventListener(event, () => {
    try {
      const r = f();
      if (r instanceof Promise) r.catch(showError);
    } catch (e) {
      showError(e);
    }
  });
}

const ready = start();
ready.catch(showError);

/** For scripts and tests driving the page: the same recommendation, computed in the Worker. */
(window as unknown as { encoreDemo: unknown }).encoreDemo = {
  ready,
  recommendInWorker: (h: string[], source: "model" | "trained" = "model") => call<ScoredTrack[]>({ type: "recommend", history: h, source }),
};
