// Runs a fixture app as a real process under the preload (`node -r ./register.js fixture.js`), the
// only honest way to test a preload: every run gets a fresh module graph.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';

export const ROOT = path.resolve(__dirname, '../../..');
export const REGISTER = path.join(ROOT, 'register.js');
export const FIXTURES = path.join(ROOT, 'test/fixtures');

export interface FixtureOptions {
  /** Extra environment (PATH is always passed; nothing else of ours leaks in). */
  env?: Record<string, string | undefined>;
  /** false: run without the preload (the baseline for byte-identical comparisons). */
  preload?: boolean;
  args?: string[];
  /** Kill after this long (default 20 s): a hung fixture fails its test instead of hanging CI. */
  timeoutMs?: number;
  cwd?: string;
  /** Extra node flags before the script. */
  execArgv?: string[];
  /**
   * The Node binary to run. Default: JAEGER_TEST_NODE when set (to try any fixture-based suite on
   * another Node, e.g. one test/matrix/install.js put in its cache), else this process's.
   */
  node?: string;
}

export interface FixtureResult {
  stdout: string;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** The Node binary fixtures run under: JAEGER_TEST_NODE (the matrix's other major) when set, else ours. */
export function testNode(): string {
  return process.env.JAEGER_TEST_NODE || process.execPath;
}

function argvFor(fixture: string, options: FixtureOptions): string[] {
  const script = path.isAbsolute(fixture) ? fixture : path.join(FIXTURES, fixture);
  return [...(options.execArgv ?? []), ...(options.preload === false ? [] : ['-r', REGISTER]), script, ...(options.args ?? [])];
}

function envFor(options: FixtureOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '' };
  for (const [k, v] of Object.entries(options.env ?? {})) if (v !== undefined) env[k] = v;
  return env;
}

/** Starts a long-running fixture (a server); `lines` yields its stdout lines as they come. */
export function startFixture(fixture: string, options: FixtureOptions = {}): {
  child: ChildProcess;
  /** Resolves with the first stdout line matching `re` (rejects if the process exits first). */
  waitForLine(re: RegExp, timeoutMs?: number): Promise<string>;
  stderr(): string;
  /** Resolves when the process has exited. */
  exited: Promise<FixtureResult>;
} {
  const child = spawn(options.node ?? testNode(), argvFor(fixture, options), {
    cwd: options.cwd ?? ROOT, env: envFor(options), stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const seen: string[] = [];
  const waiters: { re: RegExp; resolve: (l: string) => void }[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    stdout += line + '\n';
    seen.push(line);
    for (const w of waiters.slice()) {
      if (w.re.test(line)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  child.stderr!.on('data', (d) => { stderr += d; });
  const killer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
  killer.unref();
  const exited = new Promise<FixtureResult>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ stdout, stderr, code, signal });
    });
  });
  return {
    child,
    stderr: () => stderr,
    exited,
    waitForLine(re, timeoutMs = 10_000) {
      const already = seen.find((l) => re.test(l));
      if (already !== undefined) return Promise.resolve(already);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no line matching ${re} within ${timeoutMs} ms; stderr: ${stderr}`)), timeoutMs);
        waiters.push({ re, resolve: (l) => { clearTimeout(timer); resolve(l); } });
        exited.then((r) => {
          clearTimeout(timer);
          reject(new Error(`fixture exited (${r.code ?? r.signal}) before a line matching ${re}; stderr: ${r.stderr}`));
        });
      });
    },
  };
}

/** Runs a fixture to completion. */
export function runFixture(fixture: string, options: FixtureOptions = {}): Promise<FixtureResult> {
  return startFixture(fixture, options).exited;
}

/**
 * Runs any command (npm, another Node binary, `node --test`) to its end with exactly `env`, killed
 * after `timeoutMs` so a hung child fails its test instead of hanging CI.
 */
export function runCommand(
  command: string, args: readonly string[], options: { env: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number },
): Promise<FixtureResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd ?? ROOT, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => { stdout += d; });
    child.stderr!.on('data', (d) => { stderr += d; });
    const killer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ stdout, stderr, code, signal });
    });
  });
}
