/**
 * Progress of long command-line runs on stderr: a redrawn progress bar in a terminal, one JSON
 * object per line otherwise (logs, CI, other programs). It takes the events native jobs report
 * ({phase, step, total, ...values}), so any command can pass `reporter.update` as onProgress.
 */
import { outOfRange } from '../is';

export interface ProgressEvent {
  phase: string;
  step: number;
  total: number;
  [value: string]: number | string;
}

/** Where progress goes; process.stderr by default. */
export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  /** Terminal width; 80 when unknown. */
  columns?: number;
}

/** 'auto': 'bar' when the stream is a TTY, 'json' otherwise. */
export type ProgressMode = 'auto' | 'bar' | 'json' | 'silent';

export interface ProgressReporterOptions {
  stream?: ProgressStream;
  mode?: ProgressMode;
  /** Printed before every bar and as "label" in JSON lines (e.g. the command's name). */
  label?: string;
  /**
   * Least time between two outputs within a phase, in ms; the first and last step of a phase
   * and every phase change are always shown. Default: 100 for the bar, 1000 for JSON lines
   * (a reproduction reports hundreds of thousands of steps).
   */
  minIntervalMs?: number;
  /** Clock in ms (Date.now by default). */
  now?: () => number;
}

export type ProgressContext = Record<string, string | number>;

interface PhaseState {
  key: string;
  contextKey: string;
  startedAt: number;
  startStep: number;
  lastShownAt: number;
  line: string;
  finished: boolean;
  /** Columns of the bar, fixed for the phase so it does not jump; 0 = no room for one. */
  barWidth?: number;
}

const BAR_FULL = '█';
const BAR_EMPTY = '░';
const CLEAR_LINE = '\r\x1b[2K';

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toPrecision(4);
}

/** m:ss or h:mm:ss. */
export function formatDuration(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = String(whole % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

export class ProgressReporter {
  /** The resolved mode: 'auto' has become 'bar' or 'json'. */
  readonly mode: 'bar' | 'json' | 'silent';
  private readonly stream: ProgressStream;
  private readonly label: string | undefined;
  private readonly minIntervalMs: number;
  private readonly now: () => number;
  /** Phases that have not reported their last step, by context, phase and total. */
  private readonly phases = new Map<string, PhaseState>();
  /** The phase whose line is on screen (bar) or was written last. */
  private phase: PhaseState | undefined;

  constructor(options: ProgressReporterOptions = {}) {
    this.stream = options.stream ?? process.stderr;
    const mode = options.mode ?? 'auto';
    if (!['auto', 'bar', 'json', 'silent'].includes(mode)) {
      throw outOfRange(`ProgressReporter: options.mode must be auto, bar, json or silent, got '${mode}'`);
    }
    this.mode = mode === 'auto' ? (this.stream.isTTY ? 'bar' : 'json') : mode;
    this.label = options.label;
    this.minIntervalMs = options.minIntervalMs ?? (this.mode === 'bar' ? 100 : 1000);
    this.now = options.now ?? Date.now;
  }

  /** Reports one event (bound, so `onProgress: reporter.update` works). */
  readonly update = (event: ProgressEvent): void => {
    this.report(event, {});
  };

  /** An onProgress callback that adds `context` (e.g. {dataset, seed, method}) to every event. */
  withContext(context: ProgressContext): (event: ProgressEvent) => void {
    return (event) => this.report(event, context);
  }

  /** A line of its own (a finished run, a warning) that does not disturb the bar. */
  message(text: string, values: ProgressContext = {}): void {
    if (this.mode === 'silent') return;
    if (this.mode === 'json') {
      this.writeJson({ ...values, message: text });
      return;
    }
    const extra = Object.entries(values).map(([key, value]) => ` ${key} ${typeof value === 'number' ? formatNumber(value) : value}`);
    const open = this.phase && !this.phase.finished;
    this.stream.write(`${open ? CLEAR_LINE : ''}${text}${extra.join('')}\n`);
    if (open) this.stream.write((this.phase as PhaseState).line);
  }

  /** Ends an unfinished bar's line; call once when the command ends. */
  close(): void {
    if (this.mode === 'bar' && this.phase && !this.phase.finished) this.stream.write('\n');
    this.phase = undefined;
    this.phases.clear();
  }

  private report(event: ProgressEvent, context: ProgressContext): void {
    if (this.mode === 'silent') return;
    const { phase, step, total, ...values } = event;
    const now = this.now();
    const contextKey = JSON.stringify(context);
    const key = JSON.stringify([contextKey, phase, total]);
    // Phases of concurrent jobs (different contexts) each keep their own timing.
    let state = this.phases.get(key);
    const started = !state || step < state.startStep;
    if (started) {
      state = { key, contextKey, startedAt: now, startStep: step, lastShownAt: -Infinity, line: '', finished: false };
      this.phases.set(key, state);
    }
    const shown = this.phase;
    if (started && this.mode === 'bar' && shown && shown !== state && !shown.finished && shown.contextKey === contextKey) {
      // The next phase of the same job: the unfinished line stays on screen. (A phase of another
      // job is drawn over it instead; the bar shows the job that reported last.)
      this.stream.write('\n');
      if (this.phases.get(shown.key) === shown) this.phases.delete(shown.key);
      this.phase = undefined;
    }
    const current = state as PhaseState;
    const last = step >= total;
    if (last) this.phases.delete(key);
    if (!started && !last && now - current.lastShownAt < this.minIntervalMs) return;
    current.lastShownAt = now;

    const elapsed = (now - current.startedAt) / 1000;
    const done = step - current.startStep;
    const eta = done > 0 && elapsed > 0 && !last ? ((total - step) * elapsed) / done : undefined;
    if (this.mode === 'json') {
      this.writeJson({
        ...context,
        phase,
        step,
        total,
        ...values,
        elapsedSeconds: Number(elapsed.toFixed(3)),
        ...(eta === undefined ? {} : { etaSeconds: Number(eta.toFixed(1)) }),
      });
      return;
    }
    current.line = this.barLine(current, context, phase, step, total, values, elapsed, eta);
    current.finished = last;
    this.phase = current;
    this.stream.write(`${CLEAR_LINE}${current.line}${last ? '\n' : ''}`);
  }

  private writeJson(fields: Record<string, unknown>): void {
    const time = new Date(this.now()).toISOString();
    this.stream.write(`${JSON.stringify({ time, ...(this.label === undefined ? {} : { label: this.label }), ...fields })}\n`);
  }

  private barLine(
    state: PhaseState,
    context: ProgressContext,
    phase: string,
    step: number,
    total: number,
    values: ProgressContext,
    elapsed: number,
    eta: number | undefined,
  ): string {
    const columns = this.stream.columns && this.stream.columns > 20 ? this.stream.columns : 80;
    const fraction = total > 0 ? Math.min(1, Math.max(0, step / total)) : 1;
    // Names say what numbers are (seed 3); words say what they are themselves (mnist, camu).
    const contextText = Object.entries(context).map(([key, value]) => (typeof value === 'number' ? `${key} ${value}` : value));
    const prefix = [this.label, ...contextText, phase].filter(Boolean).join(' ');
    const counts = `${Math.floor(fraction * 100)}% ${step}/${total}`;
    const time = eta === undefined ? formatDuration(elapsed) : `${formatDuration(elapsed)}<${formatDuration(eta)}`;
    const extra = Object.entries(values)
      .map(([key, value]) => `${key} ${typeof value === 'number' ? formatNumber(value) : value}`)
      .join('  ');
    const rest = `${counts}  ${time}${extra ? `  ${extra}` : ''}`;
    // The bar takes the room left beside the first line of the phase (with some to spare for the
    // time left and longer values), at most 30 columns; under 10 it is left out for the numbers.
    if (state.barWidth === undefined) {
      const room = Math.min(30, columns - prefix.length - rest.length - 12);
      state.barWidth = room >= 10 ? room : 0;
    }
    const width = state.barWidth;
    const filled = Math.round(fraction * width);
    const bar = width > 0 ? ` [${BAR_FULL.repeat(filled)}${BAR_EMPTY.repeat(width - filled)}]` : '';
    const line = `${prefix}${bar} ${rest}`;
    // A line longer than the terminal wraps, and \r then redraws only its last part.
    return line.length < columns ? line : `${line.slice(0, columns - 2)}…`;
  }
}

export function createProgressReporter(options: ProgressReporterOptions = {}): ProgressReporter {
  return new ProgressReporter(options);
}
