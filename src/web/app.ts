// The demo page: loads the engine, a model and its embeddings (those `encore demo` wrote, copied
// to demo/ by the build, or files the user picks), lets the user search the catalog and build a
// listening history, shows the K recommendations with their scores, and trains a small model in
// a Web Worker against the synthetic listener with a live training curve (moving average over
// the faint raw rewards, with the random and popular policies' rewards on the same listener as
// reference lines). Each history item can be marked skipped; each recommended score is shown
// on its own slot's scale. Plain DOM, no framework; everything numeric goes through the library
// entry (src/index.ts).
import { compileEngine, createRecommender, loadEmbeddings, TRAINER_DEFAULTS, type EpisodeMetrics, type ListenerSpec, type Recommender, type ScoredTrack, type SlotScale } from "../index.js";
import { movingAverage, smoothingWindow } from "../report/curves.js";
import type { ListenerReferences } from "./references.js";
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
/** The listening history, oldest first; each play kept or skipped. */
let history: { track: string; skipped: boolean }[] = [];
/** Random's and popular's mean episode reward on the listener, once the Worker has measured them. */
let references: ListenerReferences | null = null;
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
  references = null;
  if (files.listener) {
    // measured in the background: the curve draws its reference lines when they arrive
    call<ListenerReferences>({ type: "references", steps: TRAINER_DEFAULTS.steps, episodes: 48 }).then((r) => {
      references = r;
      drawCurve();
    }, showError);
  }
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

function trackItem(id: string, button: { label: string; title: string; onClick: () => void }, dim = false, skip?: { skipped: boolean; onToggle: () => void }): HTMLLIElement {
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
  if (skip) {
    // the play's feedback: kept (listened) or skipped; the model reads it
    const t = document.createElement("button");
    t.className = "skip";
    t.textContent = skip.skipped ? "skipped" : "kept";
    t.title = skip.skipped ? "this play was skipped: click to mark it kept" : "this play was kept: click to mark it skipped";
    t.setAttribute("aria-pressed", String(skip.skipped));
    t.addEventListener("click", skip.onToggle);
    li.append(t);
    li.dataset.skipped = String(skip.skipped);
  }
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
  history = history.filter((h) => h.track !== id);
  history.push({ track: id, skipped: false });
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
  history = picked.map((track) => ({ track, skipped: false }));
  renderHistory(note);
}

function renderHistory(note = ""): void {
  const N = current.N;
  const ol = $("history");
  ol.replaceChildren(...history.map((h, i) => trackItem(h.track, {
    label: "×", title: "remove", onClick: () => {
      history = history.filter((x) => x.track !== h.track);
      renderHistory();
    },
  }, i < history.length - N, {
    skipped: h.skipped,
    onToggle: () => {
      h.skipped = !h.skipped;
      renderHistory();
    },
  })));
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
  const scales: SlotScale[] | null = current.scoreScales(history);
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
    score.className = "score";
    score.textContent = r.score.toPrecision(3);
    const s = scales?.[k];
    if (s) {
      // the score on its own slot's scale: its rank there and the slot's range
      const scale = document.createElement("div");
      scale.className = "scale";
      scale.textContent = `rank ${s.rank.toLocaleString("en")} of ${s.eligible.toLocaleString("en")}`;
      scale.title = `slot ${s.slot}'s scores over the catalog run ${s.min.toPrecision(3)} to ${s.max.toPrecision(3)}`;
      score.append(scale);
      tr.dataset.slotRank = String(s.rank);
    }
    tr.append(rank, id, score);
    return tr;
  }));
  const skipped = history.slice(-N).filter((h) => h.skipped).length;
  $("recs-note").textContent = `From the last ${N} tracks of the history (${skipped} marked skipped) · ${modelLabel}.`;
  $("recs-explain").textContent = current.scoreExplanation;
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

/** Ticks at 1, 2 or 5 × 10^k covering [lo, hi], about `count` of them. */
function niceTicks(lo: number, hi: number, count: number): number[] {
  const raw = (hi - lo) / Math.max(1, count);
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((x) => x >= raw) ?? 10 * p;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + 1e-9 * step; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

/**
 * Reward per episode (faint), its moving average (bold), and random's and popular's mean
 * episode reward on the same listener (dashed), with labelled axes.
 */
function drawCurve(): void {
  const el = $("curve") as unknown as SVGSVGElement;
  // drawn at the element's own width, so the labels keep their size on a phone
  const W = Math.max(280, Math.round(el.getBoundingClientRect().width || 640)), H = 240, L = 46, R = 12, T = 14, B = 40;
  el.setAttribute("viewBox", `0 0 ${W} ${H}`);
  const rewards = curve.map((m) => m.reward);
  // the x axis spans the run when it is short, and grows with the curve past 500 episodes
  const n = rewards.length, total = Math.max(Math.min(curveTotal, 500), n, 2);
  const refs = references ? (Object.entries(references.values) as [string, number][]).filter(([, v]) => Number.isFinite(v)) : [];
  let lo = Math.min(0, ...rewards, ...refs.map(([, v]) => v)), hi = Math.max(1, ...rewards, ...refs.map(([, v]) => v));
  if (hi - lo < 1e-9) hi = lo + 1;
  const yTicks = niceTicks(lo, hi, 4);
  lo = Math.min(lo, yTicks[0]);
  hi = Math.max(hi, yTicks[yTicks.length - 1]);
  const x = (e: number): number => L + ((e - 1) / (total - 1)) * (W - L - R);
  const y = (v: number): number => T + (1 - (v - lo) / (hi - lo)) * (H - T - B);
  // a live run is short: smooth over at least 10 episodes (the report's rule, smoothingWindow, suits thousands)
  const w = Math.min(Math.max(n, 1), Math.max(10, smoothingWindow(n)));
  const avg = movingAverage(rewards, w);
  const line = (v: number[]): string => v.map((r, i) => `${x(i + 1).toFixed(1)},${y(r).toFixed(1)}`).join(" ");
  const xTicks = niceTicks(1, total, 4).filter((t) => t >= 1 && t <= total);
  const parts: SVGElement[] = [
    ...yTicks.map((t) => svg("line", { class: "grid", x1: L, y1: y(t), x2: W - R, y2: y(t) })),
    svg("line", { class: "axis", x1: L, y1: H - B, x2: W - R, y2: H - B }),
    svg("line", { class: "axis", x1: L, y1: T, x2: L, y2: H - B }),
    ...yTicks.map((t) => svg("text", { x: L - 8, y: y(t) + 5, "text-anchor": "end" }, String(t))),
    ...xTicks.map((t) => svg("text", { x: x(t), y: H - B + 20, "text-anchor": "middle" }, String(t))),
    svg("text", { x: (L + W - R) / 2, y: H - 3, "text-anchor": "middle" }, "episode"),
    ...refs.map(([name, v]) => svg("line", { class: `ref ref-${name}`, x1: L, y1: y(v), x2: W - R, y2: y(v) })),
    svg("polyline", { class: "reward", points: line(rewards), fill: "none", stroke: "#9db8ef", "stroke-width": 1, "stroke-opacity": 0.7 }),
    svg("polyline", { class: "average", points: line(avg), fill: "none", stroke: "#2f6fde", "stroke-width": 2.5 }),
    // labels last, over the curves (with a white halo)
    ...refs.map(([name, v]) => svg("text", { class: "ref-label", x: W - R - 4, y: y(v) - 5, "text-anchor": "end" }, `${name} ${v.toFixed(2)}`)),
  ];
  el.replaceChildren(...parts);
  $("curve-legend").textContent = `Reward per episode (faint), its moving average over ${w} episodes (bold)` +
    (refs.length ? `; dashed: the random and popular policies' mean episode reward on this listener (${references!.episodes} episodes each, the CLI's online protocol).` : ".");
  el.dataset.points = String(n);
  el.dataset.references = refs.map(([name]) => name).join(",");
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
    const against = references ? ` (on this listener: random ${references.values.random.toFixed(2)}, popular ${references.values.popular.toFixed(2)})` : "";
    const s0 = curve.length ? curve[0].noise : NaN, s1 = curve.length ? curve[curve.length - 1].noise : NaN;
    const sigma = curve.length ? ` · exploration σ ${s0 === s1 ? `${s0.toPrecision(3)} throughout` : `${s0.toPrecision(3)} → ${s1.toPrecision(3)}`}` : "";
    status.textContent = `${r.stopped ? "stopped" : "done"} after ${r.episodes} episodes · mean reward of the last ${last.length}: ${mean.toFixed(2)}${against}${sigma}`;
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

window.addEventListener("resize", scheduleDraw);

const ready = start();
ready.catch(showError);

/** For scripts and tests driving the page: the same recommendation, computed in the Worker. */
(window as unknown as { encoreDemo: unknown }).encoreDemo = {
  ready,
  recommendInWorker: (h: (string | { track: string; skipped: boolean })[], source: "model" | "trained" = "model") => call<ScoredTrack[]>({ type: "recommend", history: h, source }),
  /** The history as the page holds it (track ids with their kept/skipped feedback), oldest first. */
  history: () => history.map((h) => ({ ...h })),
};
