/**
 * The message-tracking log (Exchange's message tracking): append-only events per message and
 * recipient, written in the same transaction as the queue change they describe, pruned after
 * `tracking.retention`. All of its SQL lives here.
 */
import { sql, type Engine, type Sql, type Tx } from '../db/engine.ts'

export const TRACKING_EVENTS = ['received', 'delivered', 'deferred', 'bounced', 'expired', 'delayed', 'deleted'] as const
export type TrackingEventKind = (typeof TRACKING_EVENTS)[number]

/** A query never returns more than this many events (the CLI pages with --since). */
const MAX_TRACKING_RESULTS = 10_000

export interface TrackingEvent {
  at: number
  queueId: string
  event: TrackingEventKind
  sender: string
  recipient: string | null
  messageId: string | null
  detail: string | null
}

export interface TrackingFilter {
  from?: string
  to?: string
  messageId?: string
  queueId?: string
  since?: number
  limit?: number
}

/** Appends events inside the caller's transaction. */
export async function appendEvents(tx: Tx, events: readonly TrackingEvent[]): Promise<void> {
  for (const e of events) {
    await tx.run(sql`INSERT INTO tracking_events (at, queue_id, event, sender, recipient, message_id, detail)
      VALUES (${e.at}, ${e.queueId}, ${e.event}, ${e.sender}, ${e.recipient}, ${e.messageId}, ${e.detail})`)
  }
}

interface EventRow {
  at: number
  queue_id: string
  event: string
  sender: string
  recipient: string | null
  message_id: string | null
  detail: string | null
}

/** Events matching every given criterion (addresses compare case-insensitively), oldest first. */
export async function queryEvents(engine: Engine, filter: TrackingFilter): Promise<TrackingEvent[]> {
  const where: Sql[] = [sql`1 = 1`]
  if (filter.from !== undefined) where.push(sql`lower(sender) = ${filter.from.toLowerCase()}`)
  if (filter.to !== undefined) where.push(sql`queue_id IN (SELECT queue_id FROM tracking_events WHERE lower(recipient) = ${filter.to.toLowerCase()})`)
  if (filter.messageId !== undefined) where.push(sql`message_id = ${stripAngles(filter.messageId)}`)
  if (filter.queueId !== undefined) where.push(sql`queue_id = ${filter.queueId}`)
  if (filter.since !== undefined) where.push(sql`at >= ${filter.since}`)
  const limit = Math.min(filter.limit ?? MAX_TRACKING_RESULTS, MAX_TRACKING_RESULTS)
  const rows = await engine.all<EventRow>(sql`SELECT at, queue_id, event, sender, recipient, message_id, detail
    FROM tracking_events WHERE ${sql.join(where, ' AND ')} ORDER BY at, id LIMIT ${limit}`)
  return rows.map((r) => ({
    at: Number(r.at),
    queueId: r.queue_id,
    event: r.event as TrackingEventKind,
    sender: r.sender,
    recipient: r.recipient,
    messageId: r.message_id,
    detail: r.detail,
  }))
}

/** Deletes events older than `before` (ms); returns how many. */
export async function pruneEvents(engine: Engine, before: number): Promise<number> {
  return engine.write(async (tx) => (await tx.run(sql`DELETE FROM tracking_events WHERE at < ${before}`)).changes)
}

/** Message-IDs are stored without their angle brackets. */
export function stripAngles(id: string): string {
  return id.trim().replace(/^<(.*)>$/s, '$1')
}
