/**
 * The durable queue's front door: `accept` spools the bytes (fsynced) and commits the message and
 * recipient rows (group commit) before it resolves, which is when SMTP may say 250.
 */
import type { BlobStore } from '../../store/blobs/blob-store.ts'
import type { QueueStore } from './queue-store.ts'
import type { MessageOrigin, NewRecipient } from './types.ts'
import { openSpoolFile, type SpoolFile } from './spool-file.ts'

export interface AcceptInput {
  id: string
  /** The message: already spooled (`openSpoolFile` → commit), or bytes to spool now. */
  blob?: { id: string; size: number }
  bytes?: Uint8Array
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
  runner: ((id: string, only?: 'local') => Promise<void>) | null = null
  readonly #durable: boolean

  constructor(options: { store: QueueStore; spool: BlobStore; durable?: boolean }) {
    this.store = options.store
    this.spool = options.spool
    this.#durable = options.durable ?? true
  }

  /** A new message streamed into the spool (DATA); `accept` it with the blob `commit` returns. */
  openSpoolFile(): SpoolFile {
    return openSpoolFile(this.spool, { durable: this.#durable })
  }

  async accept(input: AcceptInput): Promise<void> {
    const blob = input.blob ?? await this.spool.put(input.bytes ?? new Uint8Array(0))
    try {
      await this.store.engine.write(async (tx) => {
        await this.store.insert(tx, {
          id: input.id, blobId: blob.id, size: blob.size, sender: input.sender, messageId: input.messageId && stripAngles(input.messageId),
          envid: input.envid, ret: input.ret, authUser: input.authUser, client: input.client, origin: input.origin,
          receivedAt: input.now, warned: false,
        }, input.recipients, input.now)
      })
    } catch (error) {
      // Not queued (e.g. the database's disk is full): the client gets a 4xx and retries, so the
      // spooled bytes are garbage now rather than at the next start-up's sweep.
      if (!(await this.store.blobInUse(blob.id).catch(() => true))) await this.spool.delete(blob.id).catch(() => {})
      throw error
    }
  }

  /**
   * Deletes spooled bytes no queued message refers to: left by a crash between the spool write
   * and the commit (the client never got its 250, so it will retry). Run before listening.
   */
  async sweepSpool(): Promise<number> {
    let swept = 0
    for await (const id of this.spool.ids()) {
      if (await this.store.blobInUse(id)) continue
      await this.spool.delete(id)
      swept++
    }
    return swept
  }

  /**
   * Delivers the message's local recipients now and resolves once that is recorded; remote ones
   * are left to the runner (woken now), so an SMTP client never waits on someone else's MX.
   */
  async deliverLocalNow(id: string): Promise<void> {
    await this.runner?.(id, 'local')
  }
}

function stripAngles(id: string): string {
  return id.trim().replace(/^<(.*)>$/s, '$1')
}
