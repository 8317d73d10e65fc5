/**
 * `tidings serve` as a child process for kill -9 tests: only the listeners asked for, on
 * 127.0.0.1 port 0, loopback trusted (plaintext login allowed), the bound ports read from its log.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { CONFIG_KEYS, envName } from '../../src/config/schema.ts'
import { NODE, MAIN, ROOT, runCli, type CliResult } from '../support/cli.ts'

export interface ChildServer {
  child: ChildProcess
  /** Service name ('imap', 'smtp') → port. */
  ports: Record<string, number>
  /** kill -9 and wait for the exit. */
  kill(): Promise<void>
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>
}

export function childEnv(dataDir: string, listeners: Record<string, string>, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME }
  for (const spec of CONFIG_KEYS) if (spec.type === 'listener') env[envName(spec)] = ''
  Object.assign(env, listeners)
  env.TIDINGS_DATA_DIR = dataDir
  env.TIDINGS_HOSTNAME = 'mail.example.test'
  env.TIDINGS_LOG_LEVEL = 'info'
  env.TIDINGS_TRUSTED_NETWORKS = '127.0.0.0/8'
  return { ...env, ...extra }
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())))
}

/** Starts `serve` with the given services (e.g. ['imap']) and waits until each has logged its port. */
export function startChild(dataDir: string, services: string[], extra: Record<string, string> = {}): Promise<ChildServer> {
  const listeners: Record<string, string> = {}
  for (const name of services) listeners[`TIDINGS_LISTEN_${name.toUpperCase()}`] = '127.0.0.1:0'
  const child = spawn(NODE, [MAIN, 'serve'], { cwd: ROOT, env: childEnv(dataDir, listeners, extra), stdio: ['ignore', 'pipe', 'pipe'] })
  return new Promise((resolve, reject) => {
    let out = ''
    let err = ''
    const ports: Record<string, number> = {}
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`server did not start: ${out}${err}`))
    }, 30_000)
    child.stderr!.on('data', (c: Buffer) => (err += c))
    child.stdout!.on('data', (c: Buffer) => {
      out += c
      for (const m of out.matchAll(/"service":"(\w+)","address":"127\.0\.0\.1:(\d+)"/g)) ports[m[1]] = Number(m[2])
      if (services.every((name) => ports[name])) {
        clearTimeout(timer)
        child.stdout!.removeAllListeners('data')
        child.stdout!.resume()
        child.removeAllListeners('exit')
        resolve({
          child,
          ports,
          async kill() {
            child.kill('SIGKILL')
            await exited(child)
          },
          async stop() {
            child.kill('SIGTERM')
            await exited(child)
          },
        })
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`server exited (${code}): ${out}${err}`))
    })
  })
}

/** Runs the CLI against a data dir and fails loudly on a non-zero exit. */
export async function cli(dataDir: string, args: string[]): Promise<CliResult> {
  const result = await runCli(args, { dataDir, timeoutMs: 60_000 })
  if (result.code !== 0) throw new Error(`tidings ${args.join(' ')} exited ${result.code}: ${result.stderr}${result.stdout}`)
  return result
}

export interface VerifyResult {
  checked: number
  mismatched: string[]
  missing: string[]
  orphaned: string[]
  badRefs: string[]
  ok: boolean
}

/**
 * `tidings --json verify`. Corrupt, missing or miscounted blobs are failures; orphaned blobs (a
 * file whose row never committed: a kill between the blob's fsync and the commit) lose nothing and
 * are returned for the caller to count.
 */
export async function verifyStore(dataDir: string): Promise<VerifyResult> {
  const result = await runCli(['--json', 'verify'], { dataDir, timeoutMs: 60_000 })
  const report = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as VerifyResult
  const bad = { mismatched: report.mismatched, missing: report.missing, badRefs: report.badRefs }
  if (bad.mismatched.length || bad.missing.length || bad.badRefs.length) {
    throw new Error(`tidings verify found damage: ${JSON.stringify(bad)}`)
  }
  return report
}

export { seededRandom as random } from '../support/seeded-random.ts'
