// A real `brigade serve` (the Release build output) on a free loopback port, with a throwaway
// data directory, for one test file.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

const dll = process.env.BRIGADE_DLL ?? join(repoRoot, 'src/Brigade/bin/Release/net10.0/brigade.dll');

export function fixture(name) {
  return join(repoRoot, 'tests/browser/fixtures', name);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Start the server. `timeScale` makes the kitchen clock run faster than real time;
 * `catalog` is a catalog file (default: the built-in demo catalog); `demo` starts demo mode
 * (synthetic customers; `demoRate` orders per hour of kitchen time).
 */
export async function startServer({ timeScale = 30, catalog, demo = false, demoRate } = {}) {
  if (!existsSync(dll)) throw new Error(`${dll} is missing: build first (dotnet build Brigade.slnx -c Release)`);
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'brigade-browser-'));
  const args = [dll, 'serve', '--urls', `http://127.0.0.1:${port}`, '--data-dir', dataDir, '--time-scale', String(timeScale)];
  if (catalog) args.push('--catalog', catalog);
  if (demo) args.push('--demo');
  if (demoRate) args.push('--demo-rate', String(demoRate));
  const child = spawn('dotnet', args, {
    env: { ...process.env, Logging__LogLevel__Default: 'Warning', DOTNET_NOLOGO: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', d => { output += d; });
  child.stderr.on('data', d => { output += d; });
  const exited = new Promise(resolve => child.once('exit', code => resolve(code)));
  const url = `http://127.0.0.1:${port}`;

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`brigade exited during start-up (${child.exitCode}):\n${output}`);
    try {
      const r = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2000) });
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`brigade did not become ready within 60 s:\n${output}`);
    }
    await new Promise(r => setTimeout(r, 100));
  }

  /** A token from `brigade token`, signed with this server's key (in its data directory). */
  const token = (role, subject, outlet) => execFileSync('dotnet',
    [dll, 'token', '--role', role, '--subject', subject, ...(outlet ? ['--outlet', outlet] : []), '--data-dir', dataDir],
    { encoding: 'utf8' }).trim();
  const adminToken = token('admin', 'browser-tests');

  return {
    url,
    token,
    adminToken,
    get output() { return output; },
    /** A JSON call to the API from the test, as a client other than the browser (an administrator). */
    async api(path, { method = 'GET', body, headers = {} } = {}) {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: { Authorization: `Bearer ${adminToken}`, ...(body ? { 'Content-Type': 'application/json' } : {}), ...headers },
        body: body ? JSON.stringify(body) : undefined,
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : null };
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
