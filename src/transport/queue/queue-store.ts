/**
 * The queue's rows over the `Engine`: the only SQL of the queue (tracking has its own file).
 * Every change is one `engine.write`, so it is durable (group commit) when the promise resolves.
 */
import { sql, type Engine, type Tx } from '../../db/engine.ts'
import { appendEvents, type TrackingEvent } from '../tracking.ts'
import type { NewRecipient, QueuedMessage, QueuedRecipient, RecipientState } from './types.ts'

interface MessageRow {
  id: string
  blob_id: string
  size: number
  sender: string
  message_id: string | null
  envid: string | null
  ret: string | null
  auth_user: string | null
  client: string | null
  origin: string
  received_at: number
  warned: number
}

interface RecipientRow {
  queue_id: string
  address: string
  original: string
  orcpt: string | null
  notify: string | null
  kind: string
  account_id: number | null
  domain: string
  state: string
  attempts: number
  next_attempt: number
  last_attempt: number | null
  last_reply: string | null
  remote_mta: string | null
}

/** A change to one recipient after an attempt. */
export interface RecipientUpdate {
  address: string
  state: RecipientState
  nextAttempt: number
  lastReply: string
  remoteMta: string | null
  at: number
}

export class QueueStore {
  readonly engine: Engine
  constructor(engine: Engine) {
    this.engine = engine
  }

  /** Inserts a message and its recipients (and tracking events) in the caller's transaction. */
  async insert(tx: Tx, message: QueuedMessage, recipients: readonly NewRecipient[], now: number): Promise<void> {
    await tx.run(sql`INSERT INTO queue_messages (id, blob_id, size, sender, message_id, envid, ret, auth_user, client, origin, received_at, warned)
      VALUES (${message.id}, ${message.blobId}, ${message.size}, ${message.sender}, ${message.messageId}, ${message.envid},
        ${message.ret}, ${message.authUser}, ${message.client}, ${message.origin}, ${message.receivedAt}, 0)`)
    for (const r of recipients) {
      await tx.run(sql`INSERT INTO queue_recipients (queue_id, address, original, orcpt, notify, kind, account_id, domain, state, next_attempt)
        VALUES (${message.id}, ${r.address}, ${r.original}, ${r.orcpt}, ${r.notify ? r.notify.join(',') : null}, ${r.kind},
          ${r.accountId}, ${r.domain}, 'queued', ${now})
        ON CONFLICT (queue_id, address) DO NOTHING`)
    }
    await appendEvents(tx, recipients.map((r) => ({
      at: now, queueId: message.id, event: 'received', sender: message.sender, recipient: r.address,
      messageId: message.messageId, detail: r.original === r.address ? message.origin : `${message.origin} via ${r.original}`,
    })))
  }

  /** Applies attempt results, with their tracking events, in the caller's transaction. */
  async update(tx: Tx, message: QueuedMessage, updates: readonly RecipientUpdate[], events: readonly TrackingEvent[]): Promise<void> {
    for (const u of updates) {
      await tx.run(sql`UPDATE queue_recipients SET state = ${u.state}, attempts = attempts + 1, next_attempt = ${u.nextAttempt},
        last_attempt = ${u.at}, last_reply = ${u.lastReply}, remote_mta = ${u.remoteMta}
        WHERE queue_id = ${message.id} AND address = ${u.address} AND state = 'queued'`)
    }
    await appendEvents(tx, events)
  }

  async markWarned(tx: Tx, id: string): Promise<void> {
    await tx.run(sql`UPDATE queue_messages SET warned = 1 WHERE id = ${id}`)
  }

  /** Deletes a message whose recipients are all final; returns true when it did. */
  async removeIfDone(tx: Tx, id: string): Promise<boolean> {
    const left = await tx.one<{ n: number }>(sql`SELECT count(*) AS n FROM queue_recipients WHERE queue_id = ${id} AND state = 'queued'`)
    if (Number(left?.n ?? 0) > 0) return false
    await tx.run(sql`DELETE FROM queue_recipients WHERE queue_id = ${id}`)
    await tx.run(sql`DELETE FROM queue_messages WHERE id = ${id}`)
    return true
  }

  /** Ids of messages with a recipient due by `now`, oldest first, skipping `busy` ones. */
  async due(now: number, limit: number, busy: ReadonlySet<string>): Promise<string[]> {
    const rows = await this.engine.all<{ queue_id: string }>(sql`SELECT queue_id, min(next_attempt) AS due FROM queue_recipients
      WHERE state = 'queued' AND next_attempt <= ${now} GROUP BY queue_id ORDER BY due LIMIT ${limit + busy.size}`)
    return rows.map((r) => r.queue_id).filter((id) => !busy.has(id)).slice(0, limit)
  }

  /** The earliest pending attempt time, or null when the queue is empty. */
  /** Messages still waiting for at least one recipient (the queue length metric). */
  async length(): Promise<number> {
    const row = await this.engine.one<{ n: number }>(sql`SELECT count(DISTINCT queue_id) AS n FROM queue_recipients WHERE state = 'queued'`)
    return Number(row?.n ?? 0)
  }

  async nextDue(): Promise<number | null> {
    const row = await this.engine.one<{ t: number | null }>(sql`SELECT min(next_attempt) AS t FROM queue_recipients WHERE state = 'queued'`)
    return row?.t == null ? null : Number(row.t)
  }

  async message(id: string): Promise<QueuedMessage | undefined> {
    const row = await this.engine.one<MessageRow>(sql`SELECT * FROM queue_messages WHERE id = ${id}`)
    return row && toMessage(row)
  }

  async recipients(id: string): Promise<QueuedRecipient[]> {
    const rows = await this.engine.all<RecipientRow>(sql`SELECT * FROM queue_recipients WHERE queue_id = ${id} ORDER BY address`)
    return rows.map(toRecipient)
  }

  /** Every message still queued, oldest first, with its recipients. */
  async list(limit = 1000): Promise<Array<QueuedMessage & { recipients: QueuedRecipient[] }>> {
    const rows = await this.engine.all<MessageRow>(sql`SELECT * FROM queue_messages ORDER BY received_at, id LIMIT ${limit}`)
    const out = []
    for (const row of rows) out.push({ ...toMessage(row), recipients: await this.recipients(row.id) })
    return out
  }

  /** Makes every pending recipient of a message (or of all messages) due now. */
  async retryNow(id: string | null, now: number): Promise<number> {
    return this.engine.write(async (tx) => (await tx.run(id === null
      ? sql`UPDATE queue_recipients SET next_attempt = ${now} WHERE state = 'queued'`
      : sql`UPDATE queue_recipients SET next_attempt = ${now} WHERE state = 'queued' AND queue_id = ${id}`)).changes)
  }

  /** Is a spooled blob still referenced by a queued message? (Identical bytes share a blob.) */
  async blobInUse(blobId: string): Promise<boolean> {
    return (await this.engine.one(sql`SELECT 1 AS x FROM queue_messages WHERE blob_id = ${blobId} LIMIT 1`)) !== undefined
  }
}

function toMessage(row: MessageRow): QueuedMessage {
  return {
    id: row.id,
    blobId: row.blob_id,
    size: Number(row.size),
    sender: row.sender,
    messageId: row.message_id,
    envid: row.envid,
    ret: row.ret === 'FULL' || row.ret === 'HDRS' ? row.ret : null,
    authUser: row.auth_user,
    client: row.client,
    origin: row.origin as QueuedMessage['origin'],
    receivedAt: Number(row.received_at),
    warned: Number(row.warned) === 1,
  }
}

function toRecipient(row: RecipientRow): QueuedRecipient {
  return {
    queueId: row.queue_id,
    address: row.address,
    original: row.original,
    orcpt: row.orcpt,
    notify: row.notify === null ? null : row.notify.split(','),
    kind: row.kind as QueuedRecipient['kind'],
    accountId: row.account_id === null ? null : Number(row.account_id),
    domain: row.domain,
    state: row.state as RecipientState,
    attempts: Number(row.attempts),
    nextAttempt: Number(row.next_attempt),
    lastAttempt: row.last_attempt === null ? null : Number(row.last_attempt),
    lastReply: row.last_reply,
    remoteMta: row.remote_mta,
  }
}
