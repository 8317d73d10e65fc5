/**
 * The maildrop of one POP3 session (RFC 1939 §5): a snapshot of the Inbox taken at login, numbered
 * 1…n, with the deletion marks of this session. Other sessions' changes are not shown until the
 * next login, as RFC 1939 expects of a locked maildrop.
 */
import type { AccountId, FolderId, Store } from '../../store/store.ts'
import { StoreError } from '../../store/errors.ts'
import { Pop3Error } from './responses.ts'

/** Metadata is read from the store this many messages at a time (a 100,000-message Inbox). */
const INFO_CHUNK = 500

export interface DropMessage {
  uid: number
  size: number
  blobId: string
  deleted: boolean
  retrieved: boolean
}

export class Maildrop {
  readonly account: AccountId
  readonly folder: FolderId
  readonly uidValidity: number
  readonly messages: DropMessage[]

  constructor(account: AccountId, folder: FolderId, uidValidity: number, messages: DropMessage[]) {
    this.account = account
    this.folder = folder
    this.uidValidity = uidValidity
    this.messages = messages
  }

  static async open(store: Store, account: AccountId): Promise<Maildrop> {
    const inbox = await store.folders.byRole(account, 'inbox') ?? await store.folders.byPath(account, 'INBOX')
    if (!inbox) throw new StoreError('unavailable', 'The mailbox has no Inbox')
    const refs = await store.emails.list(account, inbox.id)
    const messages: DropMessage[] = []
    for (let i = 0; i < refs.length; i += INFO_CHUNK) {
      const uids = refs.slice(i, i + INFO_CHUNK).map((r) => r.uid)
      for (const info of await store.emails.info(account, inbox.id, uids, { parts: [] })) {
        messages.push({ uid: info.uid, size: info.size, blobId: info.blobId, deleted: false, retrieved: false })
      }
    }
    return new Maildrop(account, inbox.id, inbox.uidValidity, messages)
  }

  /** Message `n` (1-based); -ERR if there is none or it is marked deleted (RFC 1939 §5). */
  get(n: number): DropMessage {
    const message = this.messages[n - 1]
    if (!message) throw new Pop3Error(null, `No such message ${n}`)
    if (message.deleted) throw new Pop3Error(null, `Message ${n} already deleted`)
    return message
  }

  /** Count and total size of the messages not marked deleted (STAT). */
  stat(): { count: number; size: number } {
    let count = 0
    let size = 0
    for (const m of this.messages) {
      if (m.deleted) continue
      count++
      size += m.size
    }
    return { count, size }
  }

  /**
   * The unique-id (RFC 1939 §7 UIDL): UIDVALIDITY and UID in hex, the same pair IMAP reports, so a
   * message keeps its id for as long as IMAP keeps its UID.
   */
  uidl(message: DropMessage): string {
    return `${this.uidValidity.toString(16).padStart(8, '0')}.${message.uid.toString(16).padStart(8, '0')}`
  }
}
