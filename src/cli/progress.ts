// A one-line progress bar on stderr for long CLI work. It draws only on a terminal (CI logs
// and pipes stay clean) and redraws at most every 100 ms.

export class Progress {
  private readonly start = Date.now();
  private last = 0;
  private readonly enabled: boolean;

  constructor(private readonly label: string, private readonly total: number, stream: NodeJS.WriteStream = process.stderr, enabled?: boolean) {
    this.stream = stream;
    this.enabled = enabled ?? Boolean(stream.isTTY);
  }

  private readonly stream: NodeJS.WriteStream;

  /** Show `done` of `total`, with an optional short status. */
  update(done: number, status = ""): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.last < 100 && done < this.total) return;
    this.last = now;
    const width = 24;
    const frac = this.total > 0 ? Math.min(1, done / this.total) : 1;
    const filled = Math.round(frac * width);
    const elapsed = (now - this.start) / 1000;
    const eta = frac > 0 && frac < 1 ? ` eta ${formatSeconds((elapsed / frac) * (1 - frac))}` : "";
    const line = `${this.label} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${this.total} ${formatSeconds(elapsed)}${eta}${status ? "  " + status : ""}`;
    this.stream.write(`\r${line.slice(0, (this.stream.columns || 120) - 1)}\x1b[K`);
  }

  /** Finish the bar (moves to a new line). */
  done(): void {
    if (!this.enabled) return;
    this.update(this.total);
    this.stream.write("\n");
  }
}

export function formatSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.round(s - m * 60)).padStart(2, "0")}s`;
}
