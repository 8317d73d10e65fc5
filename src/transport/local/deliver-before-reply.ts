/**
 * Final delivery inside DATA, skipping the queue, for a small message whose recipients are all
 * local mailboxes: the store commits it (blob fsynced, rows committed) and tracking records it
 * before the 250, which is the durability promise without the queue's own spool file, rows and
 * clean-up (three fsyncs and a write per message). Anything else — a recipient that failed (over
 * quota), a thrown error, a NOTIFY=SUCCESS that wants a DSN — returns false and the caller queues
 * the message as usual; the store's delivery ids (the queue id) make the accounts that already
 * got it no-ops when the queue delivers again.
 */
import type { Logger } from 'pino'
import type { Engine } from '../../db/engine.ts'
import type { Store } from '../../store/store.ts'
import type { Metrics } from '../../observability/metrics.ts'
import { appendEvents, type TrackingEvent } from '../tracking.ts'
import type { MessageOrigin, NewRecipient } from '../queue/types.ts'

export interface DirectDelivery {
  queueId: string
  raw: Uint8Array
  sender: string
  messageId: string | null
  origin: MessageOrigin
  recipients: readonly NewRecipient[]
  now: number
}

/** Only all-local messages whose senders want no success report qualify. */
export function canDeliverBeforeReply(recipients: readonly NewRecipient[]): boolean {
  return recipients.length > 0 && recipients.every((r) => r.kind === 'local' && r.accountId !== null && !(r.notify ?? []).includes('SUCCESS'))
}

/** True when every recipient has it (and tracking says so); false: queue it instead. */
export async function deliverBeforeReply(deps: { store: Store; engine: Engine; metrics: Metrics; log: Logger }, input: DirectDelivery): Promise<boolean> {
  const accounts = [...new Set(input.recipients.map((r) => r.accountId!))]
  let results: Map<number, unknown>
  try {
    results = await deps.store.emails.deliver(accounts, { raw: input.raw, deliveryId: input.queueId })
  } catch {
    return false
  }
  if (accounts.some((a) => results.get(a) === undefined || results.get(a) instanceof Error)) return false
  const events: TrackingEvent[] = []
  const at = input.now
  for (const r of input.recipients) {
    const common = { at, queueId: input.queueId, sender: input.sender, recipient: r.address, messageId: input.messageId }
    events.push({ ...common, event: 'received', detail: r.original === r.address ? input.origin : `${input.origin} via ${r.original}` })
    events.push({ ...common, event: 'delivered', detail: '250 2.0.0 Delivered to INBOX' })
  }
  try {
    await deps.engine.write((tx) => appendEvents(tx, events))
  } catch (error) {
    // The mailboxes have it, durably: refusing now would only make the client send it twice.
    deps.log.warn({ err: error, queueId: input.queueId }, 'delivered, but the tracking events were not written')
  }
  for (let i = 0; i < input.recipients.length; i++) deps.metrics.messages.inc({ outcome: 'delivered' })
  return true
}
