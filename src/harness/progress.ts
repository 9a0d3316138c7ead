/**
 * Progress of a running job on the main thread: a cli-progress bar on a TTY, a plain line every
 * few seconds otherwise (logs, CI, tests), nothing at all in 'silent' mode (--json).
 * Output goes to stderr, so stdout carries only the report.
 *
 *   const progress = startProgress({ mode: json ? 'silent' : 'auto', label: 'torture', totalMs,
 *                                    sample: () => `${control.totalProgress()} ops` });
 *   ...
 *   progress.stop();
 */
import cliProgress from 'cli-progress';

export type ProgressMode = 'auto' | 'bar' | 'lines' | 'silent';

export interface ProgressOptions {
  /** 'auto': a bar if the stream is a TTY, else lines. */
  readonly mode: ProgressMode;
  /** Shown first on every update, e.g. 'torture rwlock'. */
  readonly label: string;
  /** Planned length of the run; progress is elapsed time over this. */
  readonly totalMs: number;
  /** Called at each update for the detail text (e.g. ops so far). Keep it cheap. */
  readonly sample: () => string;
  readonly stream?: NodeJS.WriteStream;
  /** Bar redraw period (default 200 ms). */
  readonly barIntervalMs?: number;
  /** Plain line period (default: a tenth of the run, between 1 s and 10 s). */
  readonly lineIntervalMs?: number;
}

export interface ProgressHandle {
  /** Stops updating and, for a bar, finishes its line. Idempotent. */
  stop(): void;
  /** The mode actually used ('auto' resolved). */
  readonly mode: Exclude<ProgressMode, 'auto'>;
}

/** Starts showing progress; call `stop()` when the run ends (also on errors). */
export function startProgress(options: ProgressOptions): ProgressHandle {
  const stream = options.stream ?? process.stderr;
  const mode: Exclude<ProgressMode, 'auto'> =
    options.mode === 'auto' ? (stream.isTTY ? 'bar' : 'lines') : options.mode;
  const startedAt = performance.now();
  const totalSeconds = Math.max(options.totalMs / 1000, 0.001);

  function elapsedSeconds(): number {
    return (performance.now() - startedAt) / 1000;
  }

  /** "1.2/3.0 s"; once past the planned length (threads still ending): "stopping (3.0/3.0 s)". */
  function timeText(): string {
    const elapsed = elapsedSeconds();
    if (elapsed > totalSeconds) return `stopping (${totalSeconds.toFixed(1)}/${totalSeconds.toFixed(1)} s)`;
    return `${elapsed.toFixed(1)}/${totalSeconds.toFixed(1)} s`;
  }

  if (mode === 'silent') {
    return { mode, stop() {} };
  }

  if (mode === 'lines') {
    const every =
      options.lineIntervalMs ?? Math.min(10_000, Math.max(1000, Math.round(options.totalMs / 10)));
    const timer = setInterval(function writeProgressLine() {
      stream.write(`${options.label}: ${timeText()}, ${options.sample()}\n`);
    }, every);
    timer.unref();
    let stopped = false;
    return {
      mode,
      stop() {
        if (stopped) return;
        stopped = true;
        clearInterval(timer);
      },
    };
  }

  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: `${options.label} [{bar}] {percentage}% | {time} | {detail}`,
      hideCursor: true,
      clearOnComplete: false,
      barsize: 30,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(1000, 0, { time: timeText(), detail: '' });
  const timer = setInterval(function redrawProgressBar() {
    const elapsed = elapsedSeconds();
    bar.update(Math.min(1000, Math.round((elapsed / totalSeconds) * 1000)), {
      time: timeText(),
      detail: options.sample(),
    });
  }, options.barIntervalMs ?? 200);
  timer.unref();
  let stopped = false;
  return {
    mode,
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      bar.update({ time: timeText(), detail: options.sample() });
      bar.stop();
    },
  };
}
