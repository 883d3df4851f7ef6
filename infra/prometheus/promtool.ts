/**
 * Runs Prometheus' `promtool` for the config, rule and dashboard tests.
 *
 * promtool ships with Debian's `prometheus` package. When it is missing and we
 * run as root with apt, the package is installed once; otherwise the caller
 * gets an error that says how to install it.
 */
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';

/** Repository root: promtool paths in the tests are relative to it. */
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

function hasPromtool(): boolean {
  return spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Makes sure `promtool` is on PATH, installing Debian's prometheus package when allowed. */
export function ensurePromtool(): void {
  if (hasPromtool()) return;
  if (process.getuid?.() !== 0 || spawnSync('apt-get', ['--version']).status !== 0) {
    throw new Error(
      'promtool is not installed. Install it (Debian/Ubuntu: `sudo apt-get install -y prometheus`, ' +
        'or put the promtool binary from a Prometheus release on PATH) and rerun.',
    );
  }
  // Both promtool test files may get here at once: one installs under the lock, the other
  // finds promtool when the lock is released.
  const install =
    'command -v promtool >/dev/null || { apt-get update && apt-get install -y prometheus && ' +
    // The package may start its own server on :9090; the project runs its own Prometheus.
    '{ service prometheus stop >/dev/null 2>&1 || true; }; }';
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const locked = spawnSync('flock', ['--version'], { stdio: 'ignore' }).status === 0;
  const run = spawnSync(
    locked ? 'flock' : 'sh',
    locked ? [`${tmpdir()}/seamline-promtool-install.lock`, 'sh', '-c', install] : ['-c', install],
    { encoding: 'utf8', env },
  );
  if (run.status !== 0 || !hasPromtool()) {
    throw new Error(
      `installing promtool (apt-get install -y prometheus) failed:\n${run.stdout}${run.stderr}`,
    );
  }
}

/** Runs promtool from the repository root; `ok` is its exit status, `output` stdout + stderr. */
export function promtool(...args: string[]): { ok: boolean; output: string } {
  const run = spawnSync('promtool', args, { cwd: repoRoot, encoding: 'utf8' });
  return { ok: run.status === 0, output: `${run.stdout}${run.stderr}` };
}
