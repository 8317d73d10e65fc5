/**
 * The queue runner: picks messages with due recipients, delivers local ones to the store and
 * remote ones per domain, then records every outcome, any DSN and the clean-up in ONE
 * transaction. A restart simply finds the same rows due again (nothing lives only in memory).
 */
import type { Logger } from 'pino'
import type { Config } from '../../config/load.ts'
import type { Directory } from '../../directory/directory.ts'
import type { Store } from '../../store/store.ts'
import type { Metrics } from '../../observability/metrics.ts'
import type { Queue } from './queue.ts'
import type { RecipientUpdate } from './queue-store.ts'
import type { AttemptOutcome, NewRecipient, QueuedMessage, QueuedRecipient } from './types.ts'
import type { OutboundJob } from '../outbound/deliver.ts'
import type { TrackingEvent } from '../tracking.ts'
import { pruneEvents } from '../tracking.ts'
import { nextAttemptAt } from './backoff.ts'
import { buildDsn, type DsnRecipient } from './dsn.ts'
import { newQueueId } from './queue-id.ts'
import { deliverLocal } from '../local/deliver.ts'
import { categorize } from '../categorizer.ts'
import { ByteBudget } from './byte-budget.ts'

/** The runner looks for due work at least this often (it is also woken on every new message). */
const POLL_MS = 1_000
/** Tracking pruning runs at most this often. */
const PRUNE_EVERY_MS = 3_600_000
/**
 * Spooled messages held in memory at once for delivery attempts (local delivery takes the bytes
 * whole). Without it, many large messages arriving together would all be read back at once:
 * DATA streams to disk precisely so that size × connections never sits in the heap.
 */
const READBACK_BUDGET_BYTES = 128 * 1024 * 1024

export interface WorkerDeps {
  queue: Queue
  store: Store
  directory: Directory
  config: () => Config
  log: Logger
  metrics: Metrics
  deliverRemote: (job: OutboundJob) => Promise<AttemptOutcome[]>
  now: () => number
  /** Attempt new DSNs right away (the server); the CLI leaves them to the running server. */
  runDsns?: boolean
}

export class QueueWorker {
  readonly #deps: WorkerDeps
  readonly #busy = new Map<string, Promise<void>>()
  #timer: NodeJS.Timeout | null = null
  #stopped = false
  #ticking = false
  #lastPrune = 0
  readonly #budget = new ByteBudget(READBACK_BUDGET_BYTES)

  constructor(deps: WorkerDeps) {
    this.#deps = deps
    deps.queue.runner = (id, only) => this.process(id, only)
  }

  start(): void {
    this.#stopped = false
    this.#schedule(0)
  }

  async stop(): Promise<void> {
    this.#stopped = true
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
    await Promise.allSettled([...this.#busy.values()])
  }

  /** Wakes the runner now (new message, admin retry). */
  kick(): void {
    if (!this.#stopped) this.#schedule(0)
  }

  /** Attempts a message's due recipients (or only its local ones); joins an attempt already running. */
  process(id: string, only?: 'local'): Promise<void> {
    const running = this.#busy.get(id)
    if (running) return running
    const run = this.#run(id, only).catch((error: unknown) => {
      this.#deps.log.error({ err: error, queueId: id }, 'queue attempt failed')
    }).finally(() => {
      this.#busy.delete(id)
      this.kick()
    })
    this.#busy.set(id, run)
    return run
  }

  /**
   * Administrative bounce (`tidings queue bounce`): every pending recipient fails now with
   * `reply`, and the sender gets the usual DSN. Returns how many recipients it bounced.
   */
  async bounce(id: string, reply: string): Promise<number> {
    const message = await this.#deps.queue.store.message(id)
    if (!message) return 0
    const pending = (await this.#deps.queue.store.recipients(id)).filter((r) => r.state === 'queued')
    let raw: Uint8Array | null = null
    try { raw = await this.#deps.queue.spool.get(message.blobId) } catch { /* the DSN says it is gone */ }
    await this.#record(message, pending, pending.map((r) => ({ address: r.address, result: 'bounced' as const, reply })), raw)
    return pending.length
  }

  /** Administrative delete (`tidings queue delete`): gone without a DSN, tracked as `deleted`. */
  async remove(id: string): Promise<boolean> {
    const { queue } = this.#deps
    const message = await queue.store.message(id)
    if (!message) return false
    const pending = (await queue.store.recipients(id)).filter((r) => r.state === 'queued')
    const now = this.#deps.now()
    await queue.store.engine.write(async (tx) => {
      await queue.store.update(tx, message, pending.map((r) => ({ address: r.address, state: 'bounced', nextAttempt: now, lastReply: 'deleted by the administrator', remoteMta: null, at: now })),
        pending.map((r) => ({ at: now, queueId: id, event: 'deleted', sender: message.sender, recipient: r.address, messageId: message.messageId, detail: 'deleted by the administrator' })))
      await queue.store.removeIfDone(tx, id)
    })
    if (!(await queue.store.blobInUse(message.blobId))) await queue.spool.delete(message.blobId).catch(() => {})
    return true
  }

  #schedule(ms: number): void {
    if (this.#stopped) return
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = setTimeout(() => void this.#tick(), ms)
    this.#timer.unref()
  }

  async #tick(): Promise<void> {
    if (this.#ticking || this.#stopped) return
    this.#ticking = true
    try {
      const { queue, config } = this.#deps
      const now = this.#deps.now()
      const room = config().number('queue.concurrency') - this.#busy.size
      if (room > 0) for (const id of await queue.store.due(now, room, new Set(this.#busy.keys()))) void this.process(id)
      if (now - this.#lastPrune >= PRUNE_EVERY_MS) {
        this.#lastPrune = now
        await pruneEvents(queue.store.engine, now - config().number('tracking.retention'))
      }
      const next = await queue.store.nextDue()
      this.#schedule(next === null ? POLL_MS : Math.min(POLL_MS, Math.max(next - this.#deps.now(), 10)))
    } catch (error) {
      this.#deps.log.error({ err: error }, 'queue runner failed')
      this.#schedule(POLL_MS)
    } finally {
      this.#ticking = false
    }
  }

  async #run(id: string, only?: 'local'): Promise<void> {
    const { queue } = this.#deps
    const message = await queue.store.message(id)
    if (!message) return
    const now = this.#deps.now()
    const due = (await queue.store.recipients(id)).filter((r) => r.state === 'queued' && r.nextAttempt <= now && (only === undefined || r.kind === only))
    if (due.length === 0) return
    const release = await this.#budget.acquire(message.size)
    try {
      await this.#attempt(message, due)
    } finally {
      release()
    }
  }

  async #attempt(message: QueuedMessage, due: readonly QueuedRecipient[]): Promise<void> {
    const { queue } = this.#deps
    const id = message.id
    let raw: Uint8Array | null = null
    try {
      raw = await queue.spool.get(message.blobId)
    } catch (error) {
      this.#deps.log.error({ err: error, queueId: id }, 'queued message bytes unreadable')
    }
    let outcomes: AttemptOutcome[]
    if (raw === null) {
      outcomes = due.map((r) => ({ address: r.address, result: 'deferred', reply: '451 4.3.0 Queued message unreadable' }))
    } else {
      const tasks: Array<Promise<AttemptOutcome[]>> = []
      const local = due.filter((r) => r.kind === 'local')
      if (local.length > 0) tasks.push(deliverLocal(this.#deps.store, id, local, raw))
      const byDomain = new Map<string, QueuedRecipient[]>()
      for (const r of due.filter((x) => x.kind === 'remote')) byDomain.set(r.domain, [...(byDomain.get(r.domain) ?? []), r])
      for (const [domain, recipients] of byDomain) {
        tasks.push(this.#deps.deliverRemote({ domain, message, recipients, raw }).catch((error: unknown) => {
          this.#deps.log.error({ err: error, queueId: id, domain }, 'remote delivery failed unexpectedly')
          return recipients.map((r) => ({ address: r.address, result: 'deferred' as const, reply: '451 4.3.0 Internal error, will retry' }))
        }))
      }
      outcomes = (await Promise.all(tasks)).flat()
    }
    await this.#record(message, due, outcomes, raw)
  }

  /** Writes outcomes, tracking, any DSN and the clean-up in one durable transaction. */
  async #record(message: QueuedMessage, due: readonly QueuedRecipient[], outcomes: readonly AttemptOutcome[], raw: Uint8Array | null): Promise<void> {
    const { queue, metrics } = this.#deps
    const config = this.#deps.config()
    const now = this.#deps.now()
    const expiresAt = message.receivedAt + config.number('queue.lifetime')
    const backoff = { first: config.number('queue.retry_first'), max: config.number('queue.retry_max') }
    const byAddress = new Map(due.map((r) => [r.address, r]))
    const updates: RecipientUpdate[] = []
    const events: TrackingEvent[] = []
    const failed: DsnRecipient[] = []
    const succeeded: DsnRecipient[] = []
    const delayed: DsnRecipient[] = []
    for (const o of outcomes) {
      const r = byAddress.get(o.address)
      if (!r) continue
      const expired = o.result === 'deferred' && now >= expiresAt
      const state = o.result === 'delivered' ? 'delivered' : o.result === 'bounced' ? 'bounced' : expired ? 'expired' : 'queued'
      const reply = expired ? `${o.reply} (gave up: in the queue longer than queue.lifetime)` : o.reply
      updates.push({ address: r.address, state, nextAttempt: state === 'queued' ? nextAttemptAt(now, r.attempts + 1, expiresAt, backoff) : now, lastReply: reply, remoteMta: o.remoteMta ?? null, at: now })
      const event = state === 'queued' ? 'deferred' : state
      this.#deps.log.info({ queueId: message.id, recipient: r.address, result: event, reply, remoteMta: o.remoteMta ?? null }, `message ${event}`)
      events.push({ at: now, queueId: message.id, event, sender: message.sender, recipient: r.address, messageId: message.messageId, detail: reply })
      metrics.messages.inc({ outcome: state === 'queued' ? 'deferred' : state === 'expired' ? 'bounced' : state })
      const wants = (what: string) => r.notify === null ? what !== 'SUCCESS' : r.notify.includes(what)
      const dsn: DsnRecipient = { recipient: r, action: state === 'delivered' ? 'delivered' : state === 'queued' ? 'delayed' : 'failed', reply, remoteMta: o.remoteMta ?? null }
      if ((state === 'bounced' || state === 'expired') && wants('FAILURE')) failed.push(dsn)
      // A success DSN only at final (local) delivery: a remote MTA that speaks DSN got our NOTIFY
      // and reports success itself (RFC 3461 5.2.2); "relayed" to non-DSN hosts is not reported.
      else if (state === 'delivered' && r.kind === 'local' && wants('SUCCESS')) succeeded.push(dsn)
      else if (state === 'queued' && wants('DELAY')) delayed.push(dsn)
    }
    const warnAfter = config.number('queue.delay_warning')
    const warnNow = !message.warned && warnAfter > 0 && now - message.receivedAt >= warnAfter && delayed.length > 0
    // Never a DSN to the null sender, nor about a DSN: that is how bounce loops start (RFC 3461 6.2).
    const mayReport = message.sender !== '' && message.origin !== 'dsn'
    const reports = mayReport ? [failed, succeeded, warnNow ? delayed : []].filter((list) => list.length > 0) : []
    if (warnNow && mayReport) {
      for (const d of delayed) events.push({ at: now, queueId: message.id, event: 'delayed', sender: message.sender, recipient: d.recipient.address, messageId: message.messageId, detail: 'delay DSN sent to the sender' })
    }
    const dsns: Array<{ id: string; bytes: Uint8Array; blob: { id: string; size: number }; recipients: NewRecipient[] }> = []
    for (const list of reports) {
      const recipients = await this.#dsnRecipients(message.sender)
      if (recipients.length === 0) continue
      const bytes = buildDsn({ hostname: config.string('hostname'), message, original: raw, recipients: list, now, expiresAt })
      dsns.push({ id: newQueueId(now), bytes, blob: await queue.spool.put(bytes), recipients })
    }
    let done = false
    await queue.store.engine.write(async (tx) => {
      await queue.store.update(tx, message, updates, events)
      for (const d of dsns) {
        await queue.store.insert(tx, {
          id: d.id, blobId: d.blob.id, size: d.blob.size, sender: '', messageId: null, envid: null, ret: null,
          authUser: null, client: null, origin: 'dsn', receivedAt: now, warned: false,
        }, d.recipients, now)
      }
      if (warnNow) await queue.store.markWarned(tx, message.id)
      done = await queue.store.removeIfDone(tx, message.id)
    })
    if (done && !(await queue.store.blobInUse(message.blobId))) {
      await queue.spool.delete(message.blobId).catch((error: unknown) => this.#deps.log.warn({ err: error, blobId: message.blobId }, 'spool delete failed'))
    }
    if (this.#deps.runDsns !== false) for (const d of dsns) void this.process(d.id)
  }

  /** Where a DSN to `sender` goes: resolved like any recipient (local Inbox or remote). */
  async #dsnRecipients(sender: string): Promise<NewRecipient[]> {
    try {
      const destinations = await categorize(this.#deps.directory, sender, { mayRelay: true, internalSender: true })
      return destinations.map((d) => ({
        address: d.address, original: sender, orcpt: null, notify: ['NEVER'], kind: d.kind,
        accountId: d.kind === 'local' ? d.accountId : null,
        domain: d.kind === 'remote' ? d.domain : d.address.slice(d.address.lastIndexOf('@') + 1),
      }))
    } catch (error) {
      this.#deps.log.warn({ err: error, sender }, 'DSN not sent: the sender address does not resolve')
      return []
    }
  }
}
