// A one-line progress bar on stderr for long CLI work (training episodes, evaluation runs). It
// draws only on a terminal (CI logs and pipes stay clean) and redraws at most every 100 ms.

export class Progress {
  private readonly start = Date.now();
  private last = 0;
  private readonly enabled: boolean;
  private readonly stream: NodeJS.WriteStream;

  constructor(private readonly label: string, private total: number, stream: NodeJS.WriteStream = process.stderr, enabled?: boolean) {
    this.stream = stream;
    this.enabled = enabled ?? Boolean(stream.isTTY);
  }

  /** Show `done` (fractions allowed while a unit is under way) of `total`, with an optional short status. */
  update(done: number, status = "", total = this.total): void {
    this.total = total;
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.last < 100 && done < this.total) return;
    this.last = now;
    this.stream.write(`\r${progressLine(this.label, done, this.total, (now - this.start) / 1000, status).slice(0, (this.stream.columns || 120) - 1)}\x1b[K`);
  }

  /** Finish the bar (moves to a new line). */
  done(): void {
    if (!this.enabled) return;
    this.last = 0;
    this.update(this.total);
    this.stream.write("\n");
  }
}

/** The bar's text: "label [####------] 3/12 4.1s eta 12.3s  status". */
export function progressLine(label: string, done: number, total: number, elapsed: number, status = ""): string {
  const width = 24;
  const frac = total > 0 ? Math.min(1, Math.max(0, done / total)) : 1;
  const filled = Math.round(frac * width);
  const eta = frac > 0 && frac < 1 ? ` eta ${formatSeconds((elapsed / frac) * (1 - frac))}` : "";
  return `${label} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${Math.floor(done + 1e-9)}/${total} ${formatSeconds(elapsed)}${eta}${status ? "  " + status : ""}`;
}

/**
 * One bar per evaluation protocol, in turn ("evaluate next-tracks [###---] 4/12 policy runs"):
 * update() with another protocol finishes the previous bar and starts a new one.
 */
export class ProtocolBars {
  private bar: Progress | null = null;
  private current = "";

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr, private readonly enabled?: boolean) {}

  update(protocol: string, done: number, total: number): void {
    if (protocol !== this.current) {
      this.bar?.done();
      this.current = protocol;
      this.bar = new Progress(`evaluate ${protocol}`, total, this.stream, this.enabled);
    }
    this.bar!.update(done, "policy runs", total);
  }

  done(): void {
    this.bar?.done();
    this.bar = null;
  }
}

export function formatSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.round(s - m * 60)).padStart(2, "0")}s`;
}
