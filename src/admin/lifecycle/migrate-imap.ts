/**
 * `tidings migrate imap`: copies a whole mailbox from another IMAP server into a Tidings account
 * with imapflow as the client: every selectable folder (names decoded from modified UTF-7),
 * flags, keywords and internal dates; special-use folders land on the Tidings folder with that
 * role. Resumable and incremental: per folder, UIDVALIDITY and the highest UID copied are kept in
 * a state file (see migrate-state.ts), and the content hash skips anything already there.
 */
import type { ImapFlow, ListResponse } from 'imapflow'
import type { AccountId, Store } from '../../store/store.ts'
import type { BlobStore } from '../../store/blobs/blob-store.ts'
import { FolderResolver } from './folder-roles.ts'
import { FolderHashes } from './folder-hashes.ts'
import { importMessages } from './import.ts'
import { readState, writeState } from './migrate-state.ts'
import { keywordOfFlag, type SourceItem } from './source.ts'

/** Messages fetched per round trip: bounds memory (their bodies are held until stored). */
const BATCH = 100
/** Give up on a silent server instead of hanging a migration forever. */
const SOCKET_TIMEOUT_MS = 5 * 60_000
const CONNECT_TIMEOUT_MS = 30_000

export const TLS_MODES = ['implicit', 'starttls', 'auto', 'none'] as const
export type TlsMode = (typeof TLS_MODES)[number]

export interface ImapSource {
  host: string
  port: number
  user: string
  password: string
  tls: TlsMode
  /** Accept any certificate (self-signed test servers). */
  insecure: boolean
}

export interface FolderMigration {
  folder: string
  target: string
  uidValidity: string
  /** Messages in the source folder. */
  messages: number
  copied: number
  duplicates: number
  /** At or below the UID a previous run had copied. */
  alreadyCopied: number
  failed: number
  error?: string
}

export interface MigrationReport {
  folders: FolderMigration[]
  copied: number
  duplicates: number
  failed: Array<{ folder: string; label: string; error: string }>
  bytes: number
  /** Set when the run stopped early (connection lost …): run again to resume. */
  aborted: string | null
}

export class MigrationError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'MigrationError'
  }
}

export interface MigrateOptions {
  store: Store
  account: AccountId
  source: ImapSource
  stateFile: string
  onFolder?: (report: FolderMigration) => void
  onProgress?: (copied: number, folder: string) => void
  /** The store's blob store, to write blobs ahead (see import.ts). */
  blobs?: BlobStore
}

export async function migrateImap(options: MigrateOptions): Promise<MigrationReport> {
  const { store, account, source } = options
  const state = await readState(options.stateFile)
  const report: MigrationReport = { folders: [], copied: 0, duplicates: 0, failed: [], bytes: 0, aborted: null }
  const client = await connect(source)
  const folders = new FolderResolver(store, account)
  const hashes = new FolderHashes(store, account)
  try {
    const list = (await client.list()).filter(selectable).sort((a, b) => (a.path < b.path ? -1 : 1))
    for (const entry of list) {
      const path = [...entry.parent, entry.name].join('/')
      const folderReport: FolderMigration = {
        folder: path, target: path, uidValidity: '', messages: 0, copied: 0, duplicates: 0, alreadyCopied: 0, failed: 0,
      }
      report.folders.push(folderReport)
      try {
        await migrateFolder(client, entry, path, folderReport, { ...options, state, folders, hashes, report })
      } catch (error) {
        folderReport.error = (error as Error).message
        // A dead connection ends the run (the next one resumes); a folder-level refusal doesn't.
        if (!client.usable) {
          report.aborted = `connection lost in ${path}: ${(error as Error).message}`
          break
        }
      } finally {
        options.onFolder?.(folderReport)
      }
    }
  } finally {
    if (client.usable) await client.logout().catch(() => {})
    else client.close()
  }
  return report
}

interface FolderContext extends MigrateOptions {
  state: Awaited<ReturnType<typeof readState>>
  folders: FolderResolver
  hashes: FolderHashes
  report: MigrationReport
}

async function migrateFolder(client: ImapFlow, entry: ListResponse, path: string, out: FolderMigration, ctx: FolderContext): Promise<void> {
  const mailbox = await client.mailboxOpen(entry.path, { readOnly: true })
  const uidValidity = String(mailbox.uidValidity)
  out.uidValidity = uidValidity
  out.messages = mailbox.exists
  const previous = ctx.state.folders[entry.path]
  const lastUid = previous && previous.uidValidity === uidValidity ? previous.lastUid : 0
  const target = await ctx.folders.resolve(path, entry.specialUse)
  out.target = target.path
  if (mailbox.exists === 0) return
  const all = (await client.search({ all: true }, { uid: true })) || []
  const todo = all.filter((uid) => uid > lastUid).sort((a, b) => a - b)
  out.alreadyCopied = all.length - todo.length
  const batches: number[][] = []
  for (let i = 0; i < todo.length; i += BATCH) batches.push(todo.slice(i, i + BATCH))
  // The next batch is fetched while this one is stored: the network and the disk overlap.
  let next = batches.length > 0 ? fetchBatch(client, batches[0], path, entry) : null
  for (let b = 0; b < batches.length; b++) {
    const uids = batches[b]
    const items = await next!
    next = b + 1 < batches.length ? fetchBatch(client, batches[b + 1], path, entry) : null
    next?.catch(() => {}) // awaited (and reported) on the next round
    const summary = await importMessages(ctx.store, ctx.account, iterate(items), { folders: ctx.folders, hashes: ctx.hashes, blobs: ctx.blobs })
    out.copied += summary.imported
    out.duplicates += summary.duplicates
    out.failed += summary.failed.length
    ctx.report.copied += summary.imported
    ctx.report.duplicates += summary.duplicates
    ctx.report.bytes += summary.bytes
    ctx.report.failed.push(...summary.failed)
    // Only once the batch is stored: a crash before this line re-fetches it, and the hash check
    // makes that harmless.
    ctx.state.folders[entry.path] = { uidValidity, lastUid: uids[uids.length - 1] }
    await writeState(ctx.stateFile, ctx.state)
    ctx.onProgress?.(ctx.report.copied, path)
  }
}

async function fetchBatch(client: ImapFlow, uids: number[], path: string, entry: ListResponse): Promise<SourceItem[]> {
  const items: SourceItem[] = []
  for await (const msg of client.fetch(uids.join(','), { uid: true, flags: true, internalDate: true, source: true }, { uid: true })) {
    const label = `${path}: UID ${msg.uid}`
    if (!msg.source) {
      items.push({ folder: path, label, error: 'server sent no message body' })
      continue
    }
    const raw = msg.source
    const keywords = [...(msg.flags ?? [])].map(keywordOfFlag).filter((k): k is string => k !== null)
    const date = msg.internalDate ? new Date(msg.internalDate).getTime() : undefined
    items.push({ folder: path, label, keywords, receivedAt: Number.isFinite(date) ? date : undefined, specialUse: entry.specialUse, load: async () => raw })
  }
  return items
}

async function* iterate(items: SourceItem[]): AsyncGenerator<SourceItem> {
  yield* items
}

function selectable(entry: ListResponse): boolean {
  return !entry.flags.has('\\Noselect') && !entry.flags.has('\\NonExistent')
}

async function connect(source: ImapSource): Promise<ImapFlow> {
  const { ImapFlow } = await import('imapflow')
  const client = new ImapFlow({
    host: source.host,
    port: source.port,
    secure: source.tls === 'implicit',
    doSTARTTLS: source.tls === 'starttls' ? true : source.tls === 'none' ? false : undefined,
    auth: { user: source.user, pass: source.password },
    tls: source.insecure ? { rejectUnauthorized: false } : undefined,
    logger: false,
    disableAutoIdle: true,
    connectionTimeout: CONNECT_TIMEOUT_MS,
    socketTimeout: SOCKET_TIMEOUT_MS,
  })
  // A dropped connection is reported by the command that was waiting; don't crash on the event.
  client.on('error', () => {})
  try {
    await client.connect()
  } catch (error) {
    const e = error as Error & { authenticationFailed?: boolean; responseText?: string; code?: string }
    const where = `${source.user}@${source.host}:${source.port}`
    if (e.authenticationFailed || e.name === 'AuthenticationFailure') {
      throw new MigrationError(`Login to ${where} failed: ${e.responseText || 'wrong user name or password'}`, { cause: error })
    }
    throw new MigrationError(`Cannot connect to ${where}: ${e.responseText || e.code || e.message}`, { cause: error })
  }
  return client
}
