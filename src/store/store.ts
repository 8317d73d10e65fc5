/**
 * The Information Store as every protocol sees it (IMAP, POP3, JMAP, DAV, EAS, local delivery).
 * Nouns, not protocols: `store.folders.create`, `store.emails.append`, `store.changes.since`.
 * Implemented once over `db/engine.ts` + `blobs/blob-store.ts`; never knows a protocol.
 */
import type { Readable } from 'node:stream'
import type { Envelope, MimePart } from './mime.ts'
import type { Bus } from '../cluster/bus.ts'

export type AccountId = number
export type FolderId = number
export type EmailId = number

export const FOLDER_TYPES = ['mail', 'calendar', 'contacts', 'tasks', 'notes'] as const
export type FolderType = (typeof FOLDER_TYPES)[number]

/** Special-use roles (RFC 6154 / JMAP), lower-case. */
export const FOLDER_ROLES = ['inbox', 'drafts', 'sent', 'trash', 'junk', 'archive', 'all', 'flagged', 'important'] as const
export type FolderRole = (typeof FOLDER_ROLES)[number]

/** The system keywords, in JMAP form; IMAP maps `\Seen` ⇄ `$seen` etc. Others are stored as given. */
export const SYSTEM_KEYWORDS = ['$seen', '$answered', '$flagged', '$deleted', '$draft'] as const

export interface Folder {
  id: FolderId
  accountId: AccountId
  /** Full name, '/'-separated, NFC. The inbox is always "INBOX". */
  path: string
  type: FolderType
  role: FolderRole | null
  uidValidity: number
  uidNext: number
  subscribed: boolean
  /** Highest modseq of anything in the folder (its HIGHESTMODSEQ). */
  modseq: number
}

export interface FolderStatus {
  messages: number
  unseen: number
  deleted: number
  /** Sum of message sizes (RFC 8438 STATUS SIZE). */
  size: number
  uidNext: number
  uidValidity: number
  highestModseq: number
}

export interface AccountInfo {
  id: AccountId
  modseq: number
  usedBytes: number
  usedMessages: number
  quotaBytes: number | null
  quotaMessages: number | null
}

/** One message in a folder, as an IMAP session keeps it for its MSN table. */
export interface MessageRef {
  uid: number
  emailId: EmailId
  modseq: number
}

/** A message's keywords and modseq: FETCH (UID FLAGS MODSEQ) without the rest of MessageInfo. */
export interface MessageFlags extends MessageRef {
  /** JMAP-form keywords, system ones included (`$seen`, `$deleted`, …), sorted. */
  keywords: string[]
}

/** Everything about one message in one folder that FETCH can ask, except the body bytes. */
export interface MessageInfo extends MessageRef {
  folderId: FolderId
  threadId: number
  blobId: string
  size: number
  receivedAt: number
  /** JMAP-form keywords, system ones included (`$seen`, `$deleted`, …), sorted. */
  keywords: string[]
  envelope: Envelope
  mime: MimePart
  /** The raw header block of the root part (with its blank line). */
  header: Uint8Array
  preview: string
  messageId: string | null
  references: string[]
  subject: string
  baseSubject: string
  sentAt: number | null
}

/** The costly parts of MessageInfo: `mime` also brings `references`. */
export const INFO_PARTS = ['envelope', 'mime', 'header', 'preview'] as const
export type InfoPart = (typeof INFO_PARTS)[number]
export interface InfoOptions {
  /** The parts to read; all when absent. */
  parts?: readonly InfoPart[]
}

export interface AppendInput {
  /** The message exactly as it should be stored (byte-identical on retrieval). */
  raw: Uint8Array
  keywords?: readonly string[]
  /** Internal date; now when absent. */
  receivedAt?: number
}

export interface AppendResult {
  emailId: EmailId
  folderId: FolderId
  uid: number
  uidValidity: number
  modseq: number
  size: number
  blobId: string
}

/** A range of UIDs (inclusive); `end` may be Infinity. */
export interface UidRange {
  start: number
  end: number
}

/** Search criteria, the store's own little language; IMAP SEARCH and JMAP filters translate to it. */
export type SearchKey =
  | { all: true }
  | { uids: UidRange[] }
  | { keyword: string; present: boolean }
  /** Substring of a header's decoded value; `field` lower-case ('from', 'subject', 'x-foo'); '' value = header present. */
  | { header: string; contains: string }
  /** Words in the body ('body') or in headers+body ('text'), through the full-text index. */
  | { text: 'body' | 'text'; contains: string }
  /** Dates compare whole days in UTC as RFC 9051 says for SEARCH (day = 'YYYY-MM-DD'). */
  | { date: 'received' | 'sent'; op: 'before' | 'on' | 'since'; day: string }
  | { size: 'larger' | 'smaller'; bytes: number }
  | { modseqAtLeast: number }
  | { emailIds: EmailId[] }
  | { threadIds: number[] }
  | { not: SearchKey }
  | { or: [SearchKey, SearchKey] }
  | { and: SearchKey[] }

export const SORT_KEYS = ['arrival', 'cc', 'date', 'from', 'size', 'subject', 'to'] as const
export interface SortKey {
  key: (typeof SORT_KEYS)[number]
  reverse?: boolean
}

export type KeywordChange = 'add' | 'remove' | 'set'

export interface StoreKeywordsInput {
  op: KeywordChange
  keywords: readonly string[]
  /** CONDSTORE UNCHANGEDSINCE: messages changed after this modseq are left alone and reported. */
  unchangedSince?: number
}

export interface StoreKeywordsResult {
  /** Messages whose keywords changed, with their new state. */
  updated: Array<{ uid: number; keywords: string[]; modseq: number }>
  /** UIDs refused by UNCHANGEDSINCE. */
  modified: number[]
}

export interface CopyResult {
  /** Pairs of source UID → destination UID, in source UID order. */
  mapping: Array<{ from: number; to: number }>
  uidValidity: number
}

export interface Changes {
  /** The account's modseq when the answer was computed. */
  modseq: number
  created: Array<{ type: 'folder' | 'email' | 'item'; id: number }>
  updated: Array<{ type: 'folder' | 'email' | 'item'; id: number }>
  destroyed: Array<{ type: 'folder' | 'email' | 'item'; id: number }>
}

export interface Accounts {
  /** Creates the account and its default folders; idempotent. */
  provision(account: AccountId, quota?: { bytes?: number | null; messages?: number | null }): Promise<void>
  get(account: AccountId): Promise<AccountInfo | undefined>
  setQuota(account: AccountId, quota: { bytes: number | null; messages: number | null }): Promise<void>
  /** Deletes the account with every folder and item; blob references are released. */
  remove(account: AccountId): Promise<void>
}

export interface Folders {
  list(account: AccountId): Promise<Folder[]>
  get(account: AccountId, id: FolderId): Promise<Folder | undefined>
  byPath(account: AccountId, path: string): Promise<Folder | undefined>
  byRole(account: AccountId, role: FolderRole): Promise<Folder | undefined>
  /** Creates `path`, and any missing parents; `exists` if it is there. */
  create(account: AccountId, path: string, options?: { type?: FolderType; role?: FolderRole | null }): Promise<Folder>
  /**
   * Renames a folder and its children. Renaming the inbox moves its messages to a new folder and
   * leaves the inbox empty (RFC 9051 6.3.6).
   */
  rename(account: AccountId, id: FolderId, newPath: string): Promise<Folder>
  /** Deletes a folder and its messages; `inUse` for the inbox, `exists` when it has children. */
  remove(account: AccountId, id: FolderId): Promise<void>
  subscribe(account: AccountId, id: FolderId, subscribed: boolean): Promise<void>
  status(account: AccountId, id: FolderId): Promise<FolderStatus>
}

export interface Emails {
  /** Stores a message in one folder (IMAP APPEND, JMAP import). Enforces quota. */
  append(account: AccountId, folder: FolderId, input: AppendInput): Promise<AppendResult>
  /**
   * Local delivery: the same bytes into the inbox of each account, the blob stored once.
   * `deliveryId` makes it idempotent: a second call with the same id for an account is a no-op
   * that returns the first result (crash between delivery and queue update).
   */
  deliver(accounts: readonly AccountId[], input: AppendInput & { deliveryId?: string }): Promise<Map<AccountId, AppendResult | Error>>
  /** Messages of a folder in UID order (MSN table). */
  list(account: AccountId, folder: FolderId): Promise<MessageRef[]>
  /**
   * Full metadata for these UIDs (missing ones are skipped), in UID order. `options.parts` reads
   * only those costly parts (FETCH over a whole folder); reading a part not asked for throws.
   */
  info(account: AccountId, folder: FolderId, uids: readonly number[], options?: InfoOptions): Promise<MessageInfo[]>
  /** Keywords and modseq only for these UIDs (missing ones are skipped), in UID order: no metadata parse. */
  flags(account: AccountId, folder: FolderId, uids: readonly number[]): Promise<MessageFlags[]>
  /** The stored bytes, whole or a byte range [start, end). */
  body(account: AccountId, blobId: string, range?: { start: number; end: number }): Promise<Uint8Array>
  /** The stored bytes as a stream (POP3 RETR, exports): never the whole message in memory. */
  stream(account: AccountId, blobId: string): Promise<Readable>
  setKeywords(account: AccountId, folder: FolderId, uids: readonly number[], change: StoreKeywordsInput): Promise<StoreKeywordsResult>
  copy(account: AccountId, from: FolderId, uids: readonly number[], to: FolderId): Promise<CopyResult>
  /** Copy then expunge from the source, atomically (RFC 6851). */
  move(account: AccountId, from: FolderId, uids: readonly number[], to: FolderId): Promise<CopyResult>
  /** Removes these UIDs from the folder; returns the UIDs actually removed. */
  expunge(account: AccountId, folder: FolderId, uids: readonly number[]): Promise<number[]>
  /** UIDs matching `key`, ascending. */
  search(account: AccountId, folder: FolderId, key: SearchKey): Promise<number[]>
  /** UIDs matching `key`, in the order of `sort`, ties broken by UID (RFC 5256). */
  sort(account: AccountId, folder: FolderId, sort: readonly SortKey[], key: SearchKey): Promise<number[]>
  /** UIDs expunged since `modseq` (QRESYNC VANISHED), ascending. */
  expungedSince(account: AccountId, folder: FolderId, modseq: number): Promise<number[]>
  /** Messages changed since `modseq` (CONDSTORE CHANGEDSINCE), UID order. */
  changedSince(account: AccountId, folder: FolderId, modseq: number): Promise<MessageRef[]>
}

export type ItemId = number

/** A calendar, contact, task or note item: its iCalendar/vCard bytes plus the fields queries need. */
export interface Item {
  id: ItemId
  folderId: FolderId
  /** iCalendar UID / vCard UID: unique in its folder. */
  uid: string
  type: FolderType
  blobId: string
  size: number
  fields: Record<string, unknown>
  modseq: number
}

export interface ItemInput {
  uid: string
  raw: Uint8Array
  /** Indexed fields (start/end, names, addresses …), JSON-serialisable. */
  fields?: Record<string, unknown>
}

/** Items of non-mail folders (CalDAV, CardDAV, EAS). Minimal for now: put by UID, get, list, remove. */
export interface Items {
  /** Creates the item, or replaces the one with the same UID (DAV PUT). */
  put(account: AccountId, folder: FolderId, input: ItemInput): Promise<Item>
  get(account: AccountId, folder: FolderId, uid: string): Promise<Item | undefined>
  list(account: AccountId, folder: FolderId): Promise<Item[]>
  /** Returns false when there was no such item. */
  remove(account: AccountId, folder: FolderId, uid: string): Promise<boolean>
}

export type RecoverableId = number

/**
 * A message destroyed by an expunge or a folder deletion, kept recoverable until
 * `store.deleted_item_retention` has passed (Exchange's Recoverable Items). It is in no folder,
 * has no UID and counts against no quota.
 */
export interface RecoverableItem {
  id: RecoverableId
  /** The folder it left, and its path then; the folder may be gone since. */
  folderId: FolderId
  folderPath: string
  deletedAt: number
  receivedAt: number
  size: number
  subject: string
  from: string
  messageId: string | null
  /** JMAP-form keywords it had, system ones included, sorted. */
  keywords: string[]
  blobId: string
}

export interface RecoveredItem {
  id: RecoverableId
  folderId: FolderId
  folderPath: string
  uid: number
  emailId: EmailId
}

/** Deleted-item recovery (`tidings recover`). */
export interface Recoverable {
  /** Retained items of the account, oldest deletion first; `since` (ms) and `folder` (original path) narrow it. */
  list(account: AccountId, options?: { since?: number; folder?: string; limit?: number }): Promise<RecoverableItem[]>
  /**
   * Puts items back: into `options.folder` when given, else the folder they left if it still
   * exists, else "Recovered Items" (created on demand). New UIDs; keywords (but `$deleted`) and
   * internal date kept; quota charged. Ids not (or no longer) retained are skipped, so a repeated restore is a no-op.
   */
  restore(account: AccountId, ids: readonly RecoverableId[], options?: { folder?: FolderId }): Promise<RecoveredItem[]>
  /** Deletes retained items older than the retention (all of them when it is 0); returns how many went. */
  purge(options?: { now?: number }): Promise<number>
}

export interface ChangeLog {
  since(account: AccountId, modseq: number): Promise<Changes>
}

/** Published on the bus after every commit; IDLE, JMAP push and EAS Ping listen. */
export interface StoreEvent {
  account: AccountId
  modseq: number
  /** Folders whose contents or attributes changed. */
  folders: FolderId[]
  kind: 'append' | 'expunge' | 'flags' | 'folder' | 'item'
}

export interface Store {
  readonly accounts: Accounts
  readonly folders: Folders
  readonly emails: Emails
  readonly changes: ChangeLog
  /** Calendar, contact, task and note items (optional so that test doubles of Store stay valid). */
  readonly items?: Items
  /** Deleted-item recovery (optional so that test doubles of Store stay valid). */
  readonly recoverable?: Recoverable
  readonly bus: Bus<StoreEvent>
  /** Re-hashes every blob; returns the ids whose bytes do not match, and missing/orphaned ones. */
  verify(): Promise<{ checked: number; mismatched: string[]; missing: string[]; orphaned: string[]; badRefs: string[] }>
  close(): Promise<void>
}
