/**
 * Local delivery: the message into the Inbox of each local recipient through
 * `store.emails.deliver`, once per queue id and account (`deliveryId`), so replaying the queue
 * after a crash between delivery and the queue update never delivers twice.
 */
import type { Store } from '../../store/store.ts'
import { StoreError } from '../../store/errors.ts'
import type { AttemptOutcome, QueuedRecipient } from '../queue/types.ts'
import { replyFor } from '../smtp/replies.ts'

export async function deliverLocal(store: Store, queueId: string, recipients: readonly QueuedRecipient[], raw: Uint8Array): Promise<AttemptOutcome[]> {
  const accounts = [...new Set(recipients.map((r) => r.accountId).filter((id): id is number => id !== null))]
  let results: Map<number, unknown>
  try {
    results = await store.emails.deliver(accounts, { raw, deliveryId: queueId })
  } catch (error) {
    return recipients.map((r) => outcomeOf(r, error))
  }
  return recipients.map((r) => outcomeOf(r, r.accountId === null ? new StoreError('notFound', 'no account') : results.get(r.accountId)))
}

function outcomeOf(r: QueuedRecipient, result: unknown): AttemptOutcome {
  if (result === undefined) return { address: r.address, result: 'deferred', reply: '451 4.3.0 Not delivered, will retry' }
  if (!(result instanceof Error)) return { address: r.address, result: 'delivered', reply: '250 2.0.0 Delivered to INBOX' }
  const reply = replyFor(result)
  // A full mailbox is temporary (the user may clean up); the queue retries until the lifetime ends.
  const line = `${reply.code} ${reply.text}`
  return { address: r.address, result: reply.code >= 500 ? 'bounced' : 'deferred', reply: line }
}
