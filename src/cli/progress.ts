/**
 * Progress on stderr during long jobs: quiet for a short one (nothing before `afterMs`), then at
 * most one line per `everyMs`. stdout keeps the result alone, so a pipe or a file gets only that.
 */
export class Progress {
  private readonly started: number;
  private last = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly write: (line: string) => void,
    private readonly opts: { afterMs: number; everyMs: number } = { afterMs: 1000, everyMs: 1000 },
    private readonly now: () => number = Date.now,
  ) {
    this.started = now();
  }

  /** Shows the message if the job has run long enough and the last line is old enough. */
  readonly say = (message: string): void => {
    const t = this.now();
    if (t - this.started < this.opts.afterMs || t - this.last < this.opts.everyMs) return;
    this.last = t;
    this.write(`... ${message}\n`);
  };
}

/** The CLI's progress on stderr; ZIPNET_PROGRESS_AFTER_MS changes when it starts (0: from the first step). */
export function stderrProgress(env: NodeJS.ProcessEnv = process.env): Progress {
  const after = Number(env.ZIPNET_PROGRESS_AFTER_MS);
  const afterMs = env.ZIPNET_PROGRESS_AFTER_MS !== undefined && Number.isFinite(after) && after >= 0 ? after : 1000;
  return new Progress((line) => process.stderr.write(line), { afterMs, everyMs: afterMs === 0 ? 0 : 1000 });
}
