/**
 * The durable queue's front door: `accept` spools the bytes (fsynced) and commits the message and
 * recipient rows (group commit) before it resolves, which is when SMTP may say 250.
 */
import type { BlobStore } from '../../store/blobs/blob-store.ts'
import type { QueueStore } from './queue-store.ts'
import type { MessageOrigin, NewRecipient } from './types.ts'

export interface AcceptInput {
  id: string
  bytes: Uint8Array
  sender: string
  messageId: string | null
  envid: string | null
  ret: 'FULL' | 'HDRS' | null
  authUser: string | null
  client: string | null
  origin: MessageOrigin
  recipients: readonly NewRecipient[]
  now: number
}

export class Queue {
  readonly store: QueueStore
  readonly spool: BlobStore
  /** Set by the worker: runs due work of one message now (local delivery right after DATA). */
  runner: ((id: string) => Promise<void>) | null = null

  constructor(options: { store: QueueStore; spool: BlobStore }) {
    this.store = options.store
    this.spool = options.spool
  }

  async accept(input: AcceptInput): Promise<void> {
    const blob = await this.spool.put(input.bytes)
    await this.store.engine.write(async (tx) => {
      await this.store.insert(tx, {
        id: input.id, blobId: blob.id, size: blob.size, sender: input.sender, messageId: input.messageId && stripAngles(input.messageId),
        envid: input.envid, ret: input.ret, authUser: input.authUser, client: input.client, origin: input.origin,
        receivedAt: input.now, warned: false,
      }, input.recipients, input.now)
    })
  }

  /** Attempts the message's due recipients now; resolves when that attempt is recorded. */
  async processNow(id: string): Promise<void> {
    await this.runner?.(id)
  }
}

function stripAngles(id: string): string {
  return id.trim().replace(/^<(.*)>$/s, '$1')
}
