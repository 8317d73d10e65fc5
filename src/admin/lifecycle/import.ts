/**
 * Imports messages from any source (mbox, Maildir, .eml, IMAP) into one account through the
 * store, folder by folder. Idempotent: a message whose content hash is already in the target
 * folder is counted as a duplicate, not stored again. A broken message is reported and skipped;
 * the import goes on.
 */
import type { AccountId, FolderId, Store } from '../../store/store.ts'
import type { BlobStore } from '../../store/blobs/blob-store.ts'
import { StoreError } from '../../store/errors.ts'
import { FolderResolver } from './folder-roles.ts'
import { contentHash, FolderHashes } from './folder-hashes.ts'
import { isFolder, isProblem, type SourceItem } from './source.ts'

/** Larger messages are refused before they reach the store: a runaway record can't fill memory. */
export const IMPORT_MAX_MESSAGE_BYTES = 100 * 1024 * 1024
/** Messages whose blobs are written ahead of their append: overlaps fsyncs, bounds memory. */
const PREFETCH = 16
/** Keywords kept per message (the rest are dropped and reported): stops a hostile source bloating rows. */
const MAX_KEYWORDS = 100
/** What the store accepts as a keyword (an IMAP atom): a source's odd ones are dropped, not fatal. */
const KEYWORD = /^[^\s\x00-\x1f\x7f()*%"\\\]{]{1,200}$/
/** A header field name, then a colon (RFC 5322 2.2, `ftext`). */
const FIRST_LINE = /^[\x21-\x39\x3b-\x7e]+[ \t]*:/

export interface ImportProblem {
  folder: string
  label: string
  error: string
}

export interface FolderReport {
  /** Source folder. */
  folder: string
  /** Where it landed. */
  target: string
  imported: number
  duplicates: number
  failed: number
}

export interface ImportSummary {
  imported: number
  duplicates: number
  bytes: number
  failed: ImportProblem[]
  folders: FolderReport[]
}

export interface ImportProgress {
  seen: number
  imported: number
  duplicates: number
  failed: number
  folder: string
}

interface Pending {
  folder: string
  label: string
  target: FolderId
  report: FolderReport
  raw: Uint8Array
  hash: string
  present: Set<string>
  put: Promise<void>
  keywords: string[]
  receivedAt: number | undefined
}

export interface ImportOptions {
  /** The store's blob store: blobs of the next messages are written ahead, in parallel. */
  blobs?: BlobStore
  onProgress?: (progress: ImportProgress) => void
  /** Shared with a caller that imports in several runs (IMAP migration: one per folder). */
  hashes?: FolderHashes
  folders?: FolderResolver
}

/**
 * Bare LF line ends become CRLF. Maildir and mbox files keep LF (Dovecot writes them so and
 * serves CRLF), but a message is CRLF on the wire (RFC 5322 2.3) and IMAP sizes count it: storing
 * what the old server would have served also makes a file import and an IMAP migration of the
 * same mailbox store the same bytes (and so deduplicate).
 */
export function withCrlf(raw: Uint8Array): Uint8Array {
  let bare = 0
  for (let i = raw.indexOf(0x0a); i !== -1; i = raw.indexOf(0x0a, i + 1)) if (i === 0 || raw[i - 1] !== 0x0d) bare++
  if (bare === 0) return raw
  const out = new Uint8Array(raw.byteLength + bare)
  let o = 0
  for (let i = 0; i < raw.byteLength; i++) {
    if (raw[i] === 0x0a && (i === 0 || raw[i - 1] !== 0x0d)) out[o++] = 0x0d
    out[o++] = raw[i]
  }
  return out
}

/** Why these bytes can't be a message, or null when they can. */
export function messageProblem(raw: Uint8Array): string | null {
  if (raw.byteLength === 0) return 'empty message'
  if (raw.byteLength > IMPORT_MAX_MESSAGE_BYTES) return `message larger than ${IMPORT_MAX_MESSAGE_BYTES} bytes`
  const head = Buffer.from(raw.buffer, raw.byteOffset, Math.min(raw.byteLength, 1000)).toString('latin1')
  if (!FIRST_LINE.test(head)) return 'no header fields: not an RFC 5322 message'
  return null
}

export async function importMessages(
  store: Store,
  account: AccountId,
  items: AsyncIterable<SourceItem>,
  options: ImportOptions = {},
): Promise<ImportSummary> {
  const summary: ImportSummary = { imported: 0, duplicates: 0, bytes: 0, failed: [], folders: [] }
  const folders = options.folders ?? new FolderResolver(store, account)
  const hashes = options.hashes ?? new FolderHashes(store, account)
  const reports = new Map<string, FolderReport>()
  let seen = 0
  const report = (folder: string, target: string): FolderReport => {
    let r = reports.get(folder)
    if (!r) reports.set(folder, (r = { folder, target, imported: 0, duplicates: 0, failed: 0 }))
    return r
  }
  const fail = (folder: string, label: string, error: string) => {
    summary.failed.push({ folder, label, error })
    report(folder, reports.get(folder)?.target ?? folder).failed++
  }

  // A window of messages whose blobs are being written (fsynced) in parallel while the appends
  // commit one by one in source order, so UIDs follow the source and fsyncs overlap.
  const window: Pending[] = []
  let stop = false
  const finish = async (p: Pending) => {
    try {
      await p.put
      await store.emails.append(account, p.target, { raw: p.raw, keywords: p.keywords, receivedAt: p.receivedAt })
      summary.imported++
      summary.bytes += p.raw.byteLength
      p.report.imported++
    } catch (error) {
      p.present.delete(p.hash)
      const reason = error instanceof StoreError ? `${error.kind}: ${error.message}` : (error as Error).message
      fail(p.folder, p.label, reason)
      // Over quota is not a per-message problem: every following message would fail the same way.
      if (error instanceof StoreError && error.kind === 'overQuota') stop = true
    }
    options.onProgress?.({ seen, imported: summary.imported, duplicates: summary.duplicates, failed: summary.failed.length, folder: p.folder })
  }

  for await (const item of items) {
    if (stop) break
    if (isFolder(item)) {
      try {
        report(item.folder, (await folders.resolve(item.folder, item.specialUse)).path)
      } catch (error) {
        fail(item.folder, item.folder, (error as Error).message)
      }
      continue
    }
    seen++
    try {
      if (isProblem(item)) {
        fail(item.folder, item.label, item.error)
        continue
      }
      const target = await folders.resolve(item.folder, item.specialUse)
      const folderReport = report(item.folder, target.path)
      const raw = withCrlf(await item.load())
      const problem = messageProblem(raw)
      if (problem) {
        fail(item.folder, item.label, problem)
        continue
      }
      const hash = contentHash(raw)
      const present = await hashes.of(target.id)
      if (present.has(hash)) {
        summary.duplicates++
        folderReport.duplicates++
        continue
      }
      present.add(hash)
      // The store's own put finds the file there and skips it. A blob orphaned by a crash here
      // is what the store's sweep removes, as for a crash inside an append.
      const put = options.blobs ? options.blobs.put(raw).then(() => {}) : Promise.resolve()
      put.catch(() => {}) // reported by finish(), which awaits it
      window.push({
        folder: item.folder, label: item.label, target: target.id, report: folderReport, raw, hash, present, put,
        keywords: [...new Set(item.keywords)].filter((k) => KEYWORD.test(k)).slice(0, MAX_KEYWORDS), receivedAt: item.receivedAt,
      })
      if (window.length >= (options.blobs ? PREFETCH : 1)) await finish(window.shift()!)
    } catch (error) {
      fail(item.folder, item.label, (error as Error).message)
    } finally {
      options.onProgress?.({ seen, imported: summary.imported, duplicates: summary.duplicates, failed: summary.failed.length, folder: item.folder })
    }
  }
  while (window.length > 0) await finish(window.shift()!)
  summary.folders = [...reports.values()]
  return summary
}
