/**
 * Where RETR and TOP read a message from. Most mail is small: read whole, it comes from the blob
 * store's cache of decoded bytes (or one row of the database) in one piece, is dot-stuffed in
 * one pass and leaves in one write. A stream costs a decompressor and several event-loop turns
 * per message, which was most of a RETR's time. Larger messages still stream, so a 50 MB
 * message is never whole in memory.
 */
import type { AccountId, Store } from '../../store/store.ts'

/** Messages up to this size are read in one piece (a session holds at most this much at once). */
export const WHOLE_MESSAGE_IN_ONE_READ = 256 * 1024

export interface MessageSource {
  chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>
  /** Releases the stream when the reader stops early (TOP, a dropped connection). */
  destroy(): void
}

/**
 * Opens a message for sending. Read errors (the message expunged by another session meanwhile)
 * happen here, before the +OK line, so they can still be answered with -ERR.
 */
export async function openMessage(store: Store, account: AccountId, message: { blobId: string; size: number }): Promise<MessageSource> {
  if (message.size <= WHOLE_MESSAGE_IN_ONE_READ) {
    const bytes = await store.emails.body(account, message.blobId)
    return { chunks: [bytes], destroy() {} }
  }
  const stream = await store.emails.stream(account, message.blobId)
  return { chunks: stream as AsyncIterable<Uint8Array>, destroy: () => stream.destroy() }
}
