/** The queue's records, shared by the queue store, the worker, DSNs and the admin CLI. */

export const RECIPIENT_STATES = ['queued', 'delivered', 'bounced', 'expired'] as const
export type RecipientState = (typeof RECIPIENT_STATES)[number]

export const MESSAGE_ORIGINS = ['mx', 'submission', 'dsn'] as const
export type MessageOrigin = (typeof MESSAGE_ORIGINS)[number]

export interface QueuedMessage {
  id: string
  blobId: string
  size: number
  /** Envelope sender; '' is the null sender (RFC 5321 4.5.5), which never gets a DSN. */
  sender: string
  messageId: string | null
  /** RFC 3461 ENVID and RET. */
  envid: string | null
  ret: 'FULL' | 'HDRS' | null
  authUser: string | null
  client: string | null
  origin: MessageOrigin
  receivedAt: number
  warned: boolean
}

export interface QueuedRecipient {
  queueId: string
  /** The final destination address. */
  address: string
  /** The RCPT TO it was expanded from (alias, group), reported in DSNs. */
  original: string
  orcpt: string | null
  /** RFC 3461 NOTIFY values, upper case; null when the client gave none. */
  notify: string[] | null
  kind: 'local' | 'remote'
  accountId: number | null
  domain: string
  state: RecipientState
  attempts: number
  nextAttempt: number
  lastAttempt: number | null
  lastReply: string | null
  remoteMta: string | null
}

/** What one delivery attempt did to one recipient. */
export interface AttemptOutcome {
  address: string
  result: 'delivered' | 'deferred' | 'bounced'
  /** The SMTP reply (or our own reason), e.g. "550 5.1.1 no such user". */
  reply: string
  remoteMta?: string | null
}

/** A new recipient row at enqueue. */
export type NewRecipient = Pick<QueuedRecipient, 'address' | 'original' | 'orcpt' | 'notify' | 'kind' | 'accountId' | 'domain'>
