/**
 * IMAP load modelled on Dovecot's imaptest: each client logs in, selects INBOX, then runs commands
 * picked at random by weight (FETCH, FETCH of a whole body, STORE, SEARCH, APPEND, EXPUNGE,
 * re-SELECT, LOGOUT + new login) until the time is up. Clients of one user share the mailbox, so
 * they see each other's EXISTS/EXPUNGE as imaptest's do. Runs inside a worker (see workers.ts).
 */
import { ImapClient } from '../lib/imap-client.ts'
import { makeMessage } from '../lib/message.ts'
import { treeCpuSeconds } from '../lib/proc-stats.ts'
import type { BenchUser } from '../targets/target.ts'

export const IMAP_MIX_WEIGHTS = {
  FETCH: 30, // FETCH a:b (UID FLAGS ENVELOPE), up to 10 messages
  'FETCH BODY': 10, // FETCH n BODY.PEEK[]
  STORE: 20, // STORE n ±FLAGS (\Seen or \Flagged)
  SEARCH: 10, // SEARCH UNSEEN / SEARCH FROM
  APPEND: 10, // APPEND of a 4 KiB message
  EXPUNGE: 5, // STORE n +FLAGS (\Deleted), EXPUNGE
  SELECT: 10, // SELECT INBOX again
  LOGOUT: 5, // LOGOUT, connect, LOGIN, SELECT
} as const
type Op = keyof typeof IMAP_MIX_WEIGHTS

/** A login or command without an answer after this long counts as a failure (the session is replaced). */
const STEP_TIMEOUT_MS = 60_000
/** Logins in flight at once while the clients connect. */
const RAMP_CONCURRENCY = 50
/** Latency samples kept per worker (a uniform reservoir), enough for a stable p50/p95. */
const MAX_LATENCY_SAMPLES = 20_000

export interface ImapMixInput {
  port: number
  users: BenchUser[]
  clientsPerUser: number
  /** Length of one measured window; the sessions log in once and run `runs` windows back to back. */
  durationMs: number
  runs?: number
  seed: number
  /** Server process-tree roots: CPU is read per window. */
  pids?: number[]
}

export interface ImapMixResult {
  /** Seconds to log every client in and SELECT (before the first window). */
  rampSeconds: number
  /** Logins that failed during the ramp. */
  loginFailures: number
  windows: ImapMixWindow[]
  firstError: string | null
}

export interface ImapMixWindow {
  /** Commands completed with OK, by operation. */
  ok: Record<string, number>
  /** NO/BAD replies (another client expunged the message first, …), by operation. */
  no: Record<string, number>
  /** Connection-level failures (the session is replaced). */
  failures: number
  seconds: number
  latencyMs: number[]
  /** Total milliseconds spent per operation (with `ok` + `no`: the mean latency of each). */
  msByOp: Record<string, number>
  serverCpuSeconds: number
}

export async function run(input: ImapMixInput): Promise<ImapMixResult> {
  const out: ImapMixResult = { rampSeconds: 0, loginFailures: 0, windows: [], firstError: null }
  let result: ImapMixWindow = newWindow()
  let seen = 0
  const sample = (ms: number) => {
    seen++
    if (result.latencyMs.length < MAX_LATENCY_SAMPLES) result.latencyMs.push(ms)
    else {
      const slot = Math.floor(rand() * seen)
      if (slot < MAX_LATENCY_SAMPLES) result.latencyMs[slot] = ms
    }
  }
  let state = input.seed >>> 0 || 1
  const rand = () => {
    state ^= state << 13; state >>>= 0
    state ^= state >>> 17
    state ^= state << 5; state >>>= 0
    return state / 0x100000000
  }
  const ops = Object.entries(IMAP_MIX_WEIGHTS) as Array<[Op, number]>
  const total = ops.reduce((n, [, w]) => n + w, 0)
  const pick = (): Op => {
    let x = rand() * total
    for (const [op, w] of ops) if ((x -= w) < 0) return op
    return 'FETCH'
  }
  const message = makeMessage({ size: 4096, from: 'mix@load.test', to: 'user@bench.test', id: 'mix' })

  interface Client { imap: ImapClient; exists: number }
  const opening = new Map<object, ImapClient>()
  const open = async (user: BenchUser, key: object = user): Promise<Client> => {
    const imap = await ImapClient.connect(input.port, '127.0.0.1', (c) => opening.set(key, c))
    imap.keepUntagged = false
    const client: Client = { imap, exists: 0 }
    imap.onUntagged = (line) => {
      const m = /^\* (\d+) (EXISTS|EXPUNGE)/i.exec(line)
      if (!m) return
      if (m[2].toUpperCase() === 'EXISTS') client.exists = Number(m[1])
      else client.exists = Math.max(0, client.exists - 1)
    }
    await imap.login(user.address, user.password)
    await imap.ok('SELECT INBOX')
    return client
  }

  // Log everyone in first: the timed part measures the mix, not the ramp. A bounded number of
  // logins in flight, as clients arrive in practice: a thousand at once would only wait in the
  // server's queue until its pre-login timeout (60 s in Tidings) closes them.
  const rampStart = performance.now()
  const sessions = input.users.flatMap((user) => Array.from({ length: input.clientsPerUser }, () => ({ user, client: null as Client | null })))
  let next = 0
  await Promise.all(Array.from({ length: Math.min(RAMP_CONCURRENCY, sessions.length) }, async () => {
    while (next < sessions.length) {
      const slot = sessions[next++]
      try {
        slot.client = await withTimeout(open(slot.user), 'login')
      } catch (error) {
        out.loginFailures++
        out.firstError ??= `login: ${(error as Error).message}`
      }
    }
  }))
  out.rampSeconds = (performance.now() - rampStart) / 1000
  const count = (table: Record<string, number>, op: string) => { table[op] = (table[op] ?? 0) + 1 }
  const step = async (slot: { user: BenchUser; client: Client | null }): Promise<void> => {
    const op = pick()
    const c = slot.client!
    const n = c.exists
    const any = () => 1 + Math.floor(rand() * Math.max(1, n))
    const t0 = performance.now()
    let status: string
    switch (op) {
      case 'FETCH': {
        if (n === 0) return
        const a = any()
        status = (await c.imap.command(`FETCH ${a}:${Math.min(n, a + 9)} (UID FLAGS ENVELOPE)`)).status
        break
      }
      case 'FETCH BODY':
        if (n === 0) return
        status = (await c.imap.command(`FETCH ${any()} BODY.PEEK[]`)).status
        break
      case 'STORE':
        if (n === 0) return
        status = (await c.imap.command(`STORE ${any()} ${rand() < 0.5 ? '+' : '-'}FLAGS (${rand() < 0.7 ? '\\Seen' : '\\Flagged'})`)).status
        break
      case 'SEARCH':
        status = (await c.imap.command(rand() < 0.5 ? 'SEARCH UNSEEN' : 'SEARCH FROM "sender"')).status
        break
      case 'APPEND':
        status = (await c.imap.append('INBOX', message)).status
        break
      case 'EXPUNGE': {
        if (n < 20) return // keep the mailbox from draining
        const s = (await c.imap.command(`STORE ${any()} +FLAGS.SILENT (\\Deleted)`)).status
        status = s === 'OK' ? (await c.imap.command('EXPUNGE')).status : s
        break
      }
      case 'SELECT':
        status = (await c.imap.command('SELECT INBOX')).status
        break
      case 'LOGOUT':
        await c.imap.logout()
        slot.client = await open(slot.user, slot)
        status = 'OK'
        break
    }
    const ms = performance.now() - t0
    sample(ms)
    result.msByOp[op] = (result.msByOp[op] ?? 0) + ms
    count(status === 'OK' ? result.ok : result.no, op)
  }
  for (let w = 0; w < (input.runs ?? 1); w++) {
    result = newWindow()
    seen = 0
    const cpu = input.pids ? treeCpuSeconds(input.pids) : 0
    const started = performance.now()
    const deadline = started + input.durationMs
    await Promise.all(sessions.map(async (slot) => {
      while (slot.client && performance.now() < deadline) {
        try {
          await withTimeout(step(slot), 'command')
        } catch (error) {
          result.failures++
          out.firstError ??= (error as Error).message
          if (slot.client?.imap.trace) console.error(`stuck session of ${slot.user.address}: ${(error as Error).message}\n  ${slot.client.imap.trace.join('\n  ')}\n  -- last opened:\n  ${opening.get(slot)?.trace?.join('\n  ')}`)
          slot.client?.imap.close()
          // A session that broke is replaced, so every window runs with the same number of clients.
          slot.client = await withTimeout(open(slot.user), 'login').catch(() => null)
        }
      }
    }))
    result.seconds = (performance.now() - started) / 1000
    result.serverCpuSeconds = input.pids ? treeCpuSeconds(input.pids) - cpu : 0
    out.windows.push(result)
  }
  await Promise.all(sessions.map((s) => s.client?.imap.logout()))
  return out
}

/** Rejects when `work` takes longer than STEP_TIMEOUT_MS: one lost reply must not stall the whole run. */
async function withTimeout<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer to a ${what} in ${STEP_TIMEOUT_MS / 1000} s`)), STEP_TIMEOUT_MS)
  })
  try {
    return await Promise.race([work, timeout])
  } finally {
    clearTimeout(timer)
  }
}

function newWindow(): ImapMixWindow {
  return { ok: {}, no: {}, failures: 0, seconds: 0, latencyMs: [], msByOp: {}, serverCpuSeconds: 0 }
}
