/**
 * Imports messages from any source (mbox, Maildir, .eml, IMAP) into one account through the
 * store, folder by folder. Idempotent: a message whose content hash is already in the target
 * folder is counted as a duplicate, not stored again. A broken message is reported and skipped;
 * the import goes on.
 */
import type { AccountId, Store } from '../../store/store.ts'
import { StoreError } from '../../store/errors.ts'
import { FolderResolver } from './folder-roles.ts'
import { contentHash, FolderHashes } from './folder-hashes.ts'
import { isFolder, isProblem, type SourceItem } from './source.ts'

/** Larger messages are refused before they reach the store: a runaway record can't fill memory. */
export const IMPORT_MAX_MESSAGE_BYTES = 100 * 1024 * 1024
/** Keywords kept per message (the rest are dropped and reported): stops a hostile source bloating rows. */
const MAX_KEYWORDS = 100
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

export interface ImportOptions {
  onProgress?: (progress: ImportProgress) => void
  /** Shared with a caller that imports in several runs (IMAP migration: one per folder). */
  hashes?: FolderHashes
  folders?: FolderResolver
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

  for await (const item of items) {
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
      const raw = await item.load()
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
      const keywords = [...new Set(item.keywords)].slice(0, MAX_KEYWORDS)
      await store.emails.append(account, target.id, { raw, keywords, receivedAt: item.receivedAt })
      present.add(hash)
      summary.imported++
      summary.bytes += raw.byteLength
      folderReport.imported++
    } catch (error) {
      const reason = error instanceof StoreError ? `${error.kind}: ${error.message}` : (error as Error).message
      fail(item.folder, item.label, reason)
      // Over quota is not a per-message problem: every following message would fail the same way.
      if (error instanceof StoreError && error.kind === 'overQuota') break
    } finally {
      options.onProgress?.({ seen, imported: summary.imported, duplicates: summary.duplicates, failed: summary.failed.length, folder: item.folder })
    }
  }
  summary.folders = [...reports.values()]
  return summary
}
