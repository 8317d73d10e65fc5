/**
 * Tidings under test: `node src/main.ts serve` from this checkout as a child process, with a fresh
 * temp data dir and its configuration in the environment (listeners on 127.0.0.1 free ports).
 * The domain and the first user are created with the admin CLI before the server starts (`domain
 * add`, `user add`), further users in one process the same way (tidings-fast-path.ts: a CLI run
 * per user costs a Node start-up each). With `cache`, the data dir so made (users and `prepare`'s
 * messages) is kept in bench/.cache/ and copied next time (data-cache.ts).
 *
 * `BENCH_PROFILE_DIR` (set by `npm run bench -- --profile`): serve runs under `node --cpu-prof`
 * and writes its profile there when it stops.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { freePort } from '../lib/free-port.ts'
import { ImapClient } from '../lib/imap-client.ts'
import { addUsers } from '../lib/tidings-fast-path.ts'
import { cached, cacheEntry, pruneEntries, restoreEntry, saveEntry } from '../lib/data-cache.ts'
import { progress } from '../lib/measure.ts'
import { TargetUnavailable, type BenchUser, type MailTarget } from './target.ts'

const ROOT = resolve(import.meta.dirname, '..', '..')
const NODE = join(ROOT, 'node_modules', '.bin', 'node')
const MAIN = join(ROOT, 'src', 'main.ts')
/** How long `serve` may take to write its pid file (= every listener bound). */
const START_TIMEOUT_MS = 30_000

export interface TidingsOptions {
  users: readonly BenchUser[]
  domain?: string
  /** Most concurrent connections the scenario opens (per-IP and per-user limits are raised to it). */
  maxConnections?: number
  /** Runs against the data dir after users exist and before `serve` starts (fast population). */
  prepare?: (dataDir: string) => Promise<void>
  /** More environment (TIDINGS_* keys) for this run. */
  env?: Record<string, string>
  /** Protocols the scenario needs; a missing one makes the target unavailable (not yet built). */
  needs?: ReadonlyArray<'smtp' | 'imap' | 'pop3'>
  /** Also listen for IMAP over implicit TLS (IMAPS, self-signed certificate). */
  imaps?: boolean
  /**
   * Keep the prepared data dir across runs under this name (with the users, domain and schema in
   * its hash): the users and `prepare` are skipped when an entry exists. Only for a `prepare`
   * whose result depends on nothing but generator code and this name.
   */
  cache?: string
}

export class TidingsTarget implements MailTarget {
  readonly name = 'tidings'
  readonly domain: string
  readonly dataDir: string
  readonly smtpPort?: number
  readonly imapPort?: number
  readonly pop3Port?: number
  readonly imapsPort?: number
  readonly #child: ChildProcess
  readonly #passwords = new Map<string, string>()
  /** One logged-in session per user polled for its count: a login per poll would cost more than the STATUS. */
  readonly #counters = new Map<string, ImapClient>()
  #log = ''

  private constructor(init: { domain: string; dataDir: string; child: ChildProcess; ports: Record<string, number> }) {
    this.domain = init.domain
    this.dataDir = init.dataDir
    this.#child = init.child
    this.smtpPort = init.ports['listen.smtp']
    this.imapPort = init.ports['listen.imap']
    this.pop3Port = init.ports['listen.pop3']
    this.imapsPort = init.ports['listen.imaps']
    init.child.stdout?.on('data', (d: Buffer) => this.#keepLog(d))
    init.child.stderr?.on('data', (d: Buffer) => this.#keepLog(d))
  }

  static available(): string | null {
    return existsSync(MAIN) ? null : 'src/main.ts does not exist yet'
  }

  static async start(options: TidingsOptions): Promise<TidingsTarget> {
    const missing = TidingsTarget.available()
    if (missing) throw new TargetUnavailable(missing)
    const domain = options.domain ?? 'bench.test'
    const dataDir = mkdtempSync('/tmp/bench-tidings-')
    const many = String(Math.max(1000, (options.maxConnections ?? 0) + 100))
    const ports = { smtp: await freePort(), imap: await freePort(), pop3: await freePort(), imaps: options.imaps ? await freePort() : 0 }
    const env: Record<string, string> = {
      ...process.env as Record<string, string>,
      TIDINGS_DATA_DIR: dataDir,
      TIDINGS_HOSTNAME: 'mx.' + domain,
      TIDINGS_LOG_LEVEL: 'warn',
      TIDINGS_TRUSTED_NETWORKS: '127.0.0.0/8',
      TIDINGS_LISTEN_SMTP: `127.0.0.1:${ports.smtp}`,
      TIDINGS_LISTEN_IMAP: `127.0.0.1:${ports.imap}`,
      TIDINGS_LISTEN_POP3: `127.0.0.1:${ports.pop3}`,
      TIDINGS_LISTEN_SUBMISSION: '',
      TIDINGS_LISTEN_SUBMISSIONS: '',
      TIDINGS_LISTEN_IMAPS: options.imaps ? `127.0.0.1:${ports.imaps}` : '',
      TIDINGS_LISTEN_POP3S: '',
      TIDINGS_LISTEN_HTTP: '',
      TIDINGS_LISTEN_HTTPS: '',
      TIDINGS_LISTEN_MANAGESIEVE: '',
      ...(await knownLimits(many)),
      ...options.env,
    }
    try {
      await prepareDataDir(env, dataDir, domain, options)
    } catch (error) {
      rmSync(dataDir, { recursive: true, force: true })
      throw new TargetUnavailable(`Tidings set-up failed: ${(error as Error).message}`, { cause: error })
    }
    const profileDir = process.env.BENCH_PROFILE_DIR
    if (profileDir) mkdirSync(profileDir, { recursive: true })
    const flags = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []
    const child = spawn(NODE, [...flags, MAIN, 'serve'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
    // The harness may exit (a scenario stopped at its hard limit) while this one is still starting.
    const orphan = () => {
      child.kill('SIGKILL')
      rmSync(dataDir, { recursive: true, force: true })
    }
    process.once('exit', orphan)
    child.once('exit', () => process.off('exit', orphan))
    let early = ''
    child.stdout!.on('data', (d: Buffer) => { early += d.toString() })
    child.stderr!.on('data', (d: Buffer) => { early += d.toString() })
    const listening = await waitForPidFile(dataDir, child).catch(async (error: Error) => {
      child.kill('SIGKILL')
      rmSync(dataDir, { recursive: true, force: true })
      throw new TargetUnavailable(`tidings serve did not start: ${error.message}; output: ${early.trim().split('\n').slice(-3).join(' | ')}`)
    })
    const bound: Record<string, number> = {}
    for (const [key, at] of Object.entries(listening)) bound[key] = Number(at.slice(at.lastIndexOf(':') + 1))
    const target = new TidingsTarget({ domain, dataDir, child, ports: bound })
    const unserved = (options.needs ?? []).filter((p) => !bound[`listen.${p}`])
    if (unserved.length > 0) {
      await target.stop()
      throw new TargetUnavailable(`this checkout's tidings serve does not listen for ${unserved.join(', ').toUpperCase()} yet (no service registered in src/services.ts)`)
    }
    for (const u of options.users) target.#passwords.set(u.address, u.password)
    return target
  }

  pids(): number[] {
    return [this.#child.pid!]
  }

  /** INBOX message count by IMAP STATUS (what a client would see). */
  async inboxCount(address: string): Promise<number> {
    if (!this.imapPort) throw new Error('Tidings serves no IMAP: cannot count deliveries')
    let imap = this.#counters.get(address)
    if (!imap) {
      imap = await ImapClient.connect(this.imapPort)
      await imap.login(address, this.#passwords.get(address) ?? 'bench-password-1')
      this.#counters.set(address, imap)
    }
    const reply = await imap.ok('STATUS INBOX (MESSAGES)')
    const m = /MESSAGES (\d+)/i.exec(reply.untagged.join(' '))
    return m ? Number(m[1]) : 0
  }

  log(): string {
    return this.#log
  }

  async stop(): Promise<void> {
    for (const imap of this.#counters.values()) imap.close()
    this.#counters.clear()
    const child = this.#child
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((r) => child.once('exit', r))
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
      await gone
      clearTimeout(timer)
    }
    rmSync(this.dataDir, { recursive: true, force: true })
  }

  #keepLog(d: Buffer): void {
    // Keep the tail only: a long run must not grow the harness's memory.
    this.#log = (this.#log + d.toString()).slice(-20_000)
  }
}

/**
 * Users (CLI for the domain and the first user, then in-process) and `prepare`, or their result
 * from bench/.cache/. The users alone are an entry too (`users N`): scenarios with the same users
 * share their scrypt hashing (~30 s for 100 users on 2 busy cores) on a fresh clone.
 */
async function prepareDataDir(env: Record<string, string>, dataDir: string, domain: string, options: TidingsOptions): Promise<void> {
  const details = `${domain}\n${options.users.map((u) => `${u.address} ${u.password}`).join('\n')}`
  const usersName = `users ${options.users.length}`
  const entry = options.cache === undefined ? undefined : cacheEntry('tidings', options.cache, details)
  const t0 = performance.now()
  if (entry && cached(entry)) {
    restoreEntry(entry, dataDir)
    progress(`tidings: data dir "${options.cache}" copied from ${entry} in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
    return
  }
  const usersEntry = entry ? cacheEntry('tidings', usersName, details) : undefined
  if (usersEntry && usersEntry !== entry && cached(usersEntry)) {
    restoreEntry(usersEntry, dataDir)
  } else {
    await cli(env, ['domain', 'add', domain])
    if (options.users.length > 0) await cli(env, ['user', 'add', options.users[0].address, '--password', options.users[0].password])
    if (options.users.length > 1) await addUsers(dataDir, options.users.slice(1))
    if (usersEntry && usersEntry !== entry) keep(dataDir, usersEntry)
  }
  await options.prepare?.(dataDir)
  if (entry) {
    keep(dataDir, entry)
    progress(`tidings: data dir "${options.cache}" built in ${((performance.now() - t0) / 1000).toFixed(1)} s, kept in ${entry}`)
  }
}

function keep(dataDir: string, entry: string): void {
  saveEntry(dataDir, entry)
  pruneEntries(entry)
}

/** Raises per-IP and per-user connection limits, for the keys this checkout's schema knows. */
async function knownLimits(value: string): Promise<Record<string, string>> {
  const { CONFIG_KEYS, envName } = await import('../../src/config/schema.ts')
  const wanted = ['smtp.max_connections_per_ip', 'imap.max_connections_per_user', 'imap.max_connections_per_ip', 'pop3.max_connections_per_ip', 'pop3.max_connections_per_user']
  const out: Record<string, string> = {}
  for (const spec of CONFIG_KEYS) if (wanted.includes(spec.key)) out[envName(spec)] = value
  return out
}

async function cli(env: Record<string, string>, args: string[]): Promise<void> {
  const child = spawn(NODE, [MAIN, ...args], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString() })
  const code = await new Promise<number | null>((r) => child.once('exit', r))
  if (code !== 0) {
    const lines = stderr.trim().split('\n').filter((l) => l.trim() && !l.startsWith('Node.js v') && !/^\s+at /.test(l))
    const reason = lines.find((l) => /^tidings:|Error/.test(l)) ?? lines.pop()
    throw new Error(`tidings ${args.slice(0, 2).join(' ')} exited ${code}: ${reason}`)
  }
}

async function waitForPidFile(dataDir: string, child: ChildProcess): Promise<Record<string, string>> {
  const deadline = Date.now() + START_TIMEOUT_MS
  const file = join(dataDir, 'tidings.pid')
  for (;;) {
    if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}`)
    try {
      const info = JSON.parse(readFileSync(file, 'utf8')) as { pid: number; listening: Record<string, string> }
      if (info.pid === child.pid) return info.listening
    } catch {
      // Not written yet.
    }
    if (Date.now() > deadline) throw new Error(`no ${file} after ${START_TIMEOUT_MS} ms`)
    await new Promise((r) => setTimeout(r, 100))
  }
}
