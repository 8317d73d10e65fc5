/**
 * Runs the `tidings` CLI as a child process, the way an operator does, on the project's Node 24.
 * The child sees no TIDINGS_* variables from our environment except those passed in `env`.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const NODE = join(ROOT, 'node_modules', '.bin', 'node')
export const MAIN = join(ROOT, 'src', 'main.ts')

export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

export interface CliOptions {
  /** Passed as TIDINGS_DATA_DIR. */
  dataDir?: string
  /** Written to the child's standard input, then closed. */
  input?: string
  env?: Record<string, string>
  /** Kill the child after this long (a hung CLI must fail the test, not hang it). */
  timeoutMs?: number
}

export function cliEnv(options: CliOptions = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(process.env)) {
    // NODE_TEST_CONTEXT would make the child think it is a test file of the runner that started us.
    if (!name.startsWith('TIDINGS_') && name !== 'NODE_TEST_CONTEXT') env[name] = value
  }
  if (options.dataDir) env.TIDINGS_DATA_DIR = options.dataDir
  return { ...env, ...options.env }
}

/** Starts `node src/main.ts ...args` and returns the child (for `serve`). */
export function spawnCli(args: readonly string[], options: CliOptions = {}): ChildProcess {
  return spawn(NODE, [MAIN, ...args], { cwd: ROOT, env: cliEnv(options), stdio: ['pipe', 'pipe', 'pipe'] })
}

/** Runs one CLI command to completion. */
export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawnCli(args, options)
    let stdout = ''
    let stderr = ''
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolvePromise({ code, signal, stdout, stderr })
    })
    child.stdin!.end(options.input ?? '')
  })
}

/** Runs a command with `--json` and parses its output; throws with stderr when it fails. */
export async function runCliJson<T = unknown>(args: readonly string[], options: CliOptions = {}): Promise<T> {
  const result = await runCli([...args, '--json'], options)
  if (result.code !== 0) throw new Error(`tidings ${args.join(' ')} exited ${result.code}: ${result.stderr.trim()}`)
  return JSON.parse(result.stdout) as T
}
