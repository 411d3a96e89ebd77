// For the CLI's end-to-end tests: run a command from the repository root and collect its output.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `cmd args…` in the repository root; HARMON_DEBUG is cleared so error output is the user's. */
export function runCommand(cmd: string, args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: root, env: { ...process.env, HARMON_DEBUG: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `npm run harmon -- args…` */
export const harmon = (...args: string[]): Promise<Run> => runCommand('npm', ['run', '--silent', 'harmon', '--', ...args]);

/** `npm run eval -- args…`; rejects with the end of its output unless it exits 0. */
export async function evalRun(...args: string[]): Promise<Run> {
  const r = await runCommand('npm', ['run', '--silent', 'eval', '--', ...args]);
  if (r.code !== 0) throw new Error(`eval exited with ${r.code}:\n${(r.stdout + r.stderr).slice(-4000)}`);
  return r;
}
