/**
 * IDLE load: opens thousands of authenticated sessions (LOGIN, SELECT INBOX, IDLE), then measures
 * what holding them costs the server (PSS/RSS of its process tree, several samples) and how long a
 * delivery takes to reach every IDLE session of its recipient as `* n EXISTS` (RFC 2177), from the
 * moment the SMTP transaction starts. Sessions are plain TCP or implicit TLS (IMAPS), so the
 * cost of TLS per held connection can be reported beside the plaintext one. Runs inside one
 * worker (see workers.ts).
 */
import { IdleSession } from '../lib/idle-session.ts'
import { SmtpClient } from '../lib/smtp-client.ts'
import { makeMessage } from '../lib/message.ts'
import { treeMemory, type TreeMemory } from '../lib/proc-stats.ts'
import type { BenchUser } from '../targets/target.ts'

/** Logins in flight at once during the ramp (more only queues up in the server's accept backlog). */
const RAMP_CONCURRENCY = 100
/** A delivery not seen by an IDLE session within this long counts as missed. */
const EXISTS_TIMEOUT_MS = 15_000

export interface IdleHolderInput {
  /** The IMAP port, or the IMAPS port when `tls`. */
  imapPort: number
  tls?: boolean
  smtpPort: number
  users: BenchUser[]
  connectionsPerUser: number
  /** Server process-tree roots, for memory. */
  pids: number[]
  /** Wait after the last IDLE before sampling memory (imap-hibernate moves sessions after 5 s). */
  settleMs: number
  /** Memory samples and latency batches: one of each per run. */
  runs: number
  deliveriesPerRun: number
  /** Logins in flight at once during the ramp (default RAMP_CONCURRENCY). */
  rampConcurrency?: number
}

export interface IdleHolderResult {
  opened: number
  failures: number
  firstError: string | null
  rampSeconds: number
  baseline: TreeMemory
  held: TreeMemory[]
  /** Per run: delivery → EXISTS latencies (ms) of every session of the recipient. */
  latencyMs: number[][]
  missed: number
}

interface Session {
  imap: IdleSession
  exists: number
  /** Set while a delivery to this session's user is awaited. */
  waiting: { since: number; until: number; done: (ms: number) => void } | null
}

export async function run(input: IdleHolderInput): Promise<IdleHolderResult> {
  const result: IdleHolderResult = { opened: 0, failures: 0, firstError: null, rampSeconds: 0, baseline: treeMemory(input.pids), held: [], latencyMs: [], missed: 0 }
  const byUser = new Map<string, Session[]>()
  const plan = input.users.flatMap((user) => Array.from({ length: input.connectionsPerUser }, () => user))
  const t0 = performance.now()
  let next = 0
  await Promise.all(Array.from({ length: Math.min(input.rampConcurrency ?? RAMP_CONCURRENCY, plan.length) }, async () => {
    while (next < plan.length) {
      const user = plan[next++]
      try {
        const session = await open(input.imapPort, input.tls ?? false, user)
        const list = byUser.get(user.address) ?? []
        list.push(session)
        byUser.set(user.address, list)
        result.opened++
      } catch (error) {
        result.failures++
        result.firstError ??= (error as Error).message
      }
    }
  }))
  result.rampSeconds = (performance.now() - t0) / 1000

  const smtp = await SmtpClient.connect(input.smtpPort)
  const users = input.users.filter((u) => byUser.has(u.address))
  for (let r = 0; r < input.runs; r++) {
    await sleep(r === 0 ? input.settleMs : 1000)
    result.held.push(treeMemory(input.pids))
    const latencies: number[] = []
    for (let d = 0; d < input.deliveriesPerRun && users.length > 0; d++) {
      const user = users[(r * input.deliveriesPerRun + d) % users.length]
      const sessions = byUser.get(user.address)!
      const since = performance.now()
      const seen = sessions.map((s) => new Promise<number | null>((resolve) => {
        s.waiting = { since, until: s.exists + 1, done: resolve }
      }))
      const timer = setTimeout(() => {
        for (const s of sessions) if (s.waiting) { s.waiting.done(-1); s.waiting = null }
      }, EXISTS_TIMEOUT_MS)
      const raw = makeMessage({ size: 2048, from: 'idle@load.test', to: user.address, id: `idle.${Date.now()}.${r}.${d}` })
      const reply = await smtp.send('idle@load.test', [user.address], raw)
      if (reply.code !== 250) {
        result.firstError ??= `SMTP ${reply.code} ${reply.text}`
      }
      for (const ms of await Promise.all(seen)) {
        if (ms === null || ms < 0) result.missed++
        else latencies.push(ms)
      }
      clearTimeout(timer)
      // With hibernation, let woken sessions go back to sleep before the next one.
      await sleep(input.settleMs > 5000 ? 200 : 20)
    }
    result.latencyMs.push(latencies)
  }
  await smtp.quit().catch(() => {})
  for (const sessions of byUser.values()) for (const s of sessions) s.imap.close()
  return result
}

async function open(port: number, tls: boolean, user: BenchUser): Promise<Session> {
  const imap = await IdleSession.open({ port, tls })
  const session: Session = { imap, exists: 0, waiting: null }
  imap.onExists = (count) => {
    session.exists = count
    const w = session.waiting
    if (w && session.exists >= w.until) {
      session.waiting = null
      w.done(performance.now() - w.since)
    }
  }
  try {
    await imap.enterIdle(user.address, user.password)
  } catch (error) {
    imap.close()
    throw error
  }
  return session
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}
