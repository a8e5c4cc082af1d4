import { fork, type ChildProcess } from 'node:child_process';
import type { EvaluationOutcome, EvaluationRequest } from './guarded-evaluation.ts';

/**
 * Worker processes that evaluate expressions whose cost nothing bounds, so a runaway one can
 * neither block this process's event loop nor exhaust its heap. jsonata checks its time limit
 * only between steps, and one builtin call (`$pad("", 100000000)`) can outrun it by seconds and
 * gigabytes; in a worker it is stopped from outside instead: killed when its time is up, or by
 * V8 when its heap passes `--max-old-space-size`. A stopped worker is replaced.
 *
 * Processes, not worker threads: a thread's `resourceLimits` cannot stop one allocation larger
 * than its heap (a 100 MB string), and V8 then aborts the whole process, API and all; a worker
 * process that runs out of memory takes only itself down.
 */
export interface ExpressionPoolOptions {
  /** Worker processes at most, each evaluating one expression at a time. (Default: 2) */
  workers: number;
  /** Heap of one worker in MB (`SWITCHYARD_EXPRESSION_MEMORY_MB`). (Default: 64) */
  memoryMb: number;
}

/**
 * Time an evaluation may run past its limit before its worker is terminated: jsonata stops a
 * step-by-step loop by itself at the limit, this catches the single call it cannot interrupt.
 */
const KILL_AFTER_MS = 50;

const WORKER_URL = new URL(`./expression-worker${import.meta.url.endsWith('.js') ? '.js' : '.ts'}`, import.meta.url);

interface Job {
  request: EvaluationRequest;
  resolve: (outcome: EvaluationOutcome) => void;
  id?: number;
  timer?: NodeJS.Timeout;
}

interface Slot {
  worker: ChildProcess;
  /** Set once the worker has loaded and said so: a job's clock starts only then. */
  ready: boolean;
  job: Job | null;
}

function stopped(code: string, message: string): EvaluationOutcome {
  return { ok: false, code, message: `${message} (${code})`, position: null };
}

export class ExpressionPool {
  readonly #options: ExpressionPoolOptions;
  readonly #slots: Slot[] = [];
  readonly #queue: Job[] = [];
  #nextId = 1;
  #closed = false;

  constructor(options: ExpressionPoolOptions) {
    this.#options = options;
  }

  /** Evaluates `request` in a worker; never throws. */
  run(request: EvaluationRequest): Promise<EvaluationOutcome> {
    if (this.#closed) return Promise.resolve(stopped('UNAVAILABLE', 'expressions are not evaluated while the process stops'));
    return new Promise((resolve) => {
      this.#queue.push({ request, resolve });
      this.#dispatch();
    });
  }

  /** Kills every worker; evaluations still waiting fail. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const job of this.#queue.splice(0)) job.resolve(stopped('UNAVAILABLE', 'expressions are not evaluated while the process stops'));
    for (const slot of this.#slots.splice(0)) slot.worker.kill('SIGKILL');
  }

  #dispatch(): void {
    while (this.#queue.length > 0) {
      const idle = this.#slots.find((slot) => slot.ready && !slot.job);
      if (!idle) {
        if (this.#slots.length < this.#options.workers) this.#spawn();
        return;
      }
      this.#start(idle, this.#queue.shift()!);
    }
  }

  #start(slot: Slot, job: Job): void {
    slot.job = job;
    job.id = this.#nextId++;
    const { timeoutMs } = job.request;
    job.timer = setTimeout(
      () => this.#discard(slot, stopped('D1012', `ran longer than its ${timeoutMs} ms and was stopped (SWITCHYARD_EXPRESSION_TIMEOUT_MS)`)),
      timeoutMs + KILL_AFTER_MS,
    );
    try {
      slot.worker.send({ ...job.request, id: job.id });
    } catch (error) {
      this.#finish(slot, stopped('NOT_JSON', `its input cannot be evaluated: ${(error as Error).message}`));
    }
  }

  #spawn(): void {
    const worker = fork(WORKER_URL, [], {
      execArgv: [`--max-old-space-size=${this.#options.memoryMb}`, '--max-semi-space-size=4'],
      // Structured clone over IPC: no JSON round trip of the input.
      serialization: 'advanced',
      // It speaks only through IPC; an out-of-memory abort would otherwise print V8's stack here.
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    });
    // An idle pool must not keep the process alive; a running job's timer does while it runs.
    worker.unref();
    worker.channel?.unref();
    const slot: Slot = { worker, ready: false, job: null };
    this.#slots.push(slot);
    worker.on('message', (message: { ready?: true; id?: number; outcome?: EvaluationOutcome }) => {
      if (message.ready) {
        slot.ready = true;
        this.#dispatch();
      } else if (slot.job && message.id === slot.job.id && message.outcome) {
        this.#finish(slot, message.outcome);
      }
    });
    worker.on('error', (error) => this.#discard(slot, stopped('EVALUATION', `its worker failed: ${error.message}`)));
    worker.on('exit', (code, signal) => {
      // V8 aborts a process whose heap is full; a killed worker was discarded before.
      const memory = signal === 'SIGABRT' || signal === 'SIGTRAP' || code === 134;
      this.#discard(
        slot,
        memory
          ? stopped('MEMORY_LIMIT', `used more than ${this.#options.memoryMb} MB and was stopped (SWITCHYARD_EXPRESSION_MEMORY_MB)`)
          : stopped('EVALUATION', 'its worker stopped unexpectedly'),
      );
    });
  }

  #finish(slot: Slot, outcome: EvaluationOutcome): void {
    const job = slot.job!;
    clearTimeout(job.timer);
    slot.job = null;
    job.resolve(outcome);
    this.#dispatch();
  }

  /** Takes a worker out of the pool for good (timed out, out of memory, crashed); its job fails with `outcome`. */
  #discard(slot: Slot, outcome: EvaluationOutcome): void {
    const index = this.#slots.indexOf(slot);
    if (index === -1) return;
    this.#slots.splice(index, 1);
    slot.worker.kill('SIGKILL');
    const job = slot.job;
    slot.job = null;
    if (job) {
      clearTimeout(job.timer);
      job.resolve(outcome);
    }
    if (!this.#closed) this.#dispatch();
  }
}
