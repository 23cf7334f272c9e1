// The fuzz tests' harness: how many runs each property gets, and a hang guard that works for
// synchronous code too.
//
// A property whose input sends a parser into catastrophic backtracking blocks the thread it
// runs on, so node:test's own `timeout` never fires. Each fuzz file's cases therefore run in a
// worker thread: the test on the main thread waits for it, a watchdog fails the test when the
// worker has not started a new run for `HANG_MS`, and the worker is terminated (which stops
// even a regex in the middle of a match). The watchdog measures progress, not speed: a run
// taking a few seconds passes; one that never ends fails with the seed that replays it.
//
//   STRATA_FUZZ_RUNS=N    numRuns for every property (the long run); each property's CI budget otherwise
//   STRATA_FUZZ_SEED=S    replay: the seed a failure printed (with STRATA_FUZZ_PATH=P, its path)
import { after, test } from 'node:test';
import { createRequire } from 'node:module';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';

/** No new run for this long means a hang (a guard far above any run's time, not a speed check). */
const HANG_MS = 60_000;

function envInteger(name: string): number | undefined {
  const text = process.env[name];
  if (text === undefined || text === '') return undefined;
  if (!/^-?\d+$/.test(text)) throw new Error(`${name}=${JSON.stringify(text)}: expected an integer`);
  return Number(text);
}

/** numRuns for a property: STRATA_FUZZ_RUNS when set, else the property's CI budget. */
export function fuzzRuns(ciRuns: number): number {
  return envInteger('STRATA_FUZZ_RUNS') ?? ciRuns;
}

/** Whether this is the long run (STRATA_FUZZ_RUNS set). */
export const longRun = envInteger('STRATA_FUZZ_RUNS') !== undefined;

/** The seed of this process's properties: STRATA_FUZZ_SEED, else a fresh one (printed on failure). */
const seed = envInteger('STRATA_FUZZ_SEED') ?? Math.floor(Math.random() * 0x7fffffff);

/** fast-check parameters for a property with the given CI budget. */
export function fuzzParams<T>(ciRuns: number): fc.Parameters<T> {
  const params: fc.Parameters<T> = { numRuns: fuzzRuns(ciRuns), seed };
  const path = process.env['STRATA_FUZZ_PATH'];
  if (path !== undefined && path !== '') params.path = path;
  return params;
}

/**
 * One case: a property (or a regression check) that throws when it fails. It may instead
 * return `{ skip: reason }` when it cannot run here (the test then shows as skipped, with why).
 */
export type FuzzCase = () => void | Skip | Promise<void | Skip>;

export interface Skip {
  skip: string;
}

interface WorkerInput {
  fuzzModule: string;
}

type ToWorker = { run: string };
type FromWorker = { ready: true } | { tick: number } | { done: string; skip?: string } | { failed: string; message: string };

/**
 * Declares one test per case, each run in this file's worker thread under the hang guard.
 * In that worker (which imports the same file), it answers the main thread's requests instead.
 */
export function fuzzTests(moduleUrl: string, cases: Record<string, FuzzCase>): void {
  if (!isMainThread) {
    if ((workerData as WorkerInput | undefined)?.fuzzModule === moduleUrl) serveCases(cases);
    return;
  }
  const worker = new GuardedWorker(moduleUrl);
  for (const name of Object.keys(cases)) {
    test(name, async (t) => {
      const skip = await worker.run(name);
      if (skip !== undefined) t.skip(skip);
    });
  }
  after(() => worker.stop());
}

/** In the worker: run each requested case, reporting progress before every run of a property. */
function serveCases(cases: Record<string, FuzzCase>): void {
  const port = parentPort;
  if (port === null) return;
  let runs = 0;
  fc.installGlobalPlugin(fc.beforeEach(() => {
    runs++;
    port.postMessage({ tick: runs } satisfies FromWorker);
  }));
  port.on('message', (msg: ToWorker) => {
    runs = 0;
    const fn = cases[msg.run];
    void (async () => {
      try {
        if (fn === undefined) throw new Error(`no fuzz case named ${JSON.stringify(msg.run)}`);
        const result = await fn();
        port.postMessage({ done: msg.run, ...(result ? { skip: result.skip } : {}) } satisfies FromWorker);
      } catch (err) {
        port.postMessage({ failed: msg.run, message: describe(err) } satisfies FromWorker);
      }
    })();
  });
  port.postMessage({ ready: true } satisfies FromWorker);
}

/** An error with its causes (fast-check puts the property's own error there). */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const text = err.stack ?? err.message;
  return err.cause === undefined ? text : `${text}\ncaused by: ${describe(err.cause)}`;
}

const tsxApi = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;

/** The worker of one fuzz file, started on first use and again after a hang killed it. */
class GuardedWorker {
  private worker: Worker | undefined;
  private ready: Promise<void> | undefined;
  private listener: ((msg: FromWorker) => void) | undefined;
  private failure: ((err: Error) => void) | undefined;

  constructor(private readonly moduleUrl: string) {}

  /** Runs a case; resolves with the reason when it skipped itself. */
  async run(name: string): Promise<string | undefined> {
    const worker = await this.start();
    return new Promise<string | undefined>((resolve, reject) => {
      let last = 0;
      let timer: NodeJS.Timeout;
      const arm = (): void => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          const where = last > 0 ? `run ${last} of the property` : 'the check';
          finish(new Error(`hang: ${where} made no progress for ${HANG_MS / 1000} s; STRATA_FUZZ_SEED=${seed} replays it`));
          this.kill();
        }, HANG_MS);
      };
      const finish = (err?: Error, skip?: string): void => {
        clearTimeout(timer);
        this.listener = undefined;
        this.failure = undefined;
        if (err) reject(err);
        else resolve(skip);
      };
      this.listener = (msg) => {
        if ('tick' in msg) {
          last = msg.tick;
          arm();
        } else if ('done' in msg) finish(undefined, msg.skip);
        else if ('failed' in msg) finish(new Error(msg.message));
      };
      this.failure = finish;
      arm();
      worker.postMessage({ run: name } satisfies ToWorker);
    });
  }

  private start(): Promise<Worker> {
    if (this.worker !== undefined && this.ready !== undefined) {
      const worker = this.worker;
      return this.ready.then(() => worker);
    }
    // The worker loads TypeScript through tsx, then the fuzz file itself (see fuzzTests).
    const code = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(this.moduleUrl)}); });`;
    const worker = new Worker(code, { eval: true, workerData: { fuzzModule: this.moduleUrl } satisfies WorkerInput });
    this.worker = worker;
    this.ready = new Promise<void>((resolve, reject) => {
      worker.on('message', (msg: FromWorker) => {
        if ('ready' in msg) resolve();
        else this.listener?.(msg);
      });
      const lost = (err: Error): void => {
        reject(err);
        if (this.worker !== worker) return; // an old worker, killed after a hang
        this.failure?.(err);
        this.worker = undefined;
        this.ready = undefined;
      };
      worker.on('error', lost);
      worker.on('exit', (code) => lost(new Error(`the fuzz worker exited (code ${code})`)));
    });
    return this.ready.then(() => worker);
  }

  /** Ends the worker once the file's tests are done. */
  async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.ready = undefined;
    await worker?.terminate();
  }

  private kill(): void {
    const worker = this.worker;
    this.worker = undefined;
    this.ready = undefined;
    void worker?.terminate();
  }
}
