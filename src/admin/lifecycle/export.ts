/**
 * Exports one account's mail folders as mbox (mboxrd, one `<folder>.mbox` per folder), Maildir++
 * or a tree of .eml files, keeping flags and keywords and internal dates. One unreadable message
 * (a missing blob) is reported and skipped; the export goes on.
 * Calendar, contacts, tasks and notes folders are not exported yet: once the store holds items,
 * they go out as .ics (RFC 5545) and .vcf (RFC 6350) files, one per folder.
 */
import { createWriteStream, type WriteStream } from 'node:fs'
import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { once } from 'node:events'
import type { AccountId, Folder, MessageInfo, Store } from '../../store/store.ts'
import { mboxRecord } from './mbox.ts'
import { withStatusHeaders } from './mbox-flags.ts'
import { MaildirFolderWriter, maildirFolderDir } from './maildir-write.ts'
import { EML_FLAGS_FILE, folderFileName, type EmlFlags } from './eml.ts'

export const EXPORT_FORMATS = ['mbox', 'maildir', 'eml'] as const
export type ExportFormat = (typeof EXPORT_FORMATS)[number]

/** UIDs per `emails.info` call: bounds memory on big folders. */
const INFO_CHUNK = 200

export interface ExportProblem {
  folder: string
  uid: number | null
  error: string
}

export interface ExportSummary {
  folders: Array<{ folder: string; messages: number; failed: number }>
  messages: number
  bytes: number
  failed: ExportProblem[]
  /** Non-mail folders left out (see the module comment). */
  skippedFolders: string[]
  /** Keywords Maildir could not keep (more than 26 in a folder). */
  droppedKeywords: string[]
}

interface FolderSink {
  write(info: MessageInfo, raw: Uint8Array): Promise<void>
  close(): Promise<void>
}

export async function exportAccount(
  store: Store,
  account: AccountId,
  options: { format: ExportFormat; dir: string; onProgress?: (done: number, folder: string) => void },
): Promise<ExportSummary> {
  const summary: ExportSummary = { folders: [], messages: 0, bytes: 0, failed: [], skippedFolders: [], droppedKeywords: [] }
  // A second export into the same Maildir would add every message again beside the first ones.
  const existing = await readdir(options.dir).catch(() => [])
  if (existing.length > 0) throw new Error(`Export directory ${options.dir} is not empty; choose a new one`)
  await mkdir(options.dir, { recursive: true })
  for (const folder of await store.folders.list(account)) {
    if (folder.type !== 'mail') {
      summary.skippedFolders.push(folder.path)
      continue
    }
    const report = { folder: folder.path, messages: 0, failed: 0 }
    summary.folders.push(report)
    const problem = (uid: number | null, error: unknown) => {
      summary.failed.push({ folder: folder.path, uid, error: (error as Error).message ?? String(error) })
      report.failed++
    }
    let sink: FolderSink
    try {
      sink = await openSink(options.format, options.dir, folder, summary)
    } catch (error) {
      problem(null, error)
      continue
    }
    try {
      const refs = await store.emails.list(account, folder.id)
      for (let i = 0; i < refs.length; i += INFO_CHUNK) {
        const uids = refs.slice(i, i + INFO_CHUNK).map((r) => r.uid)
        for (const info of await infos(store, account, folder, uids, problem)) {
          try {
            const raw = await store.emails.body(account, info.blobId)
            await sink.write(info, raw)
            report.messages++
            summary.messages++
            summary.bytes += raw.byteLength
            options.onProgress?.(summary.messages, folder.path)
          } catch (error) {
            problem(info.uid, error)
          }
        }
      }
    } catch (error) {
      problem(null, error)
    } finally {
      await sink.close().catch((error: unknown) => problem(null, error))
    }
  }
  return summary
}

/** Metadata of a chunk; when the chunk fails, one by one so only the bad message is lost. */
async function infos(
  store: Store,
  account: AccountId,
  folder: Folder,
  uids: number[],
  problem: (uid: number, error: unknown) => void,
): Promise<MessageInfo[]> {
  try {
    return await store.emails.info(account, folder.id, uids)
  } catch {
    const out: MessageInfo[] = []
    for (const uid of uids) {
      try {
        out.push(...(await store.emails.info(account, folder.id, [uid])))
      } catch (error) {
        problem(uid, error)
      }
    }
    return out
  }
}

function folderFile(dir: string, path: string, suffix: string): string {
  return join(dir, ...path.split('/').map(folderFileName)) + suffix
}

async function openSink(format: ExportFormat, dir: string, folder: Folder, summary: ExportSummary): Promise<FolderSink> {
  if (format === 'mbox') {
    const file = folderFile(dir, folder.path, '.mbox')
    await mkdir(dirname(file), { recursive: true })
    const out = createWriteStream(file)
    await once(out, 'open')
    return {
      async write(info, raw) {
        const from = info.envelope.from[0]
        const sender = from?.mailbox && from.host ? `${from.mailbox}@${from.host}` : undefined
        await writeChunk(out, mboxRecord(withStatusHeaders(raw, info.keywords), { sender, date: info.receivedAt }))
      },
      async close() {
        out.end()
        await once(out, 'finish')
      },
    }
  }
  if (format === 'maildir') {
    const writer = new MaildirFolderWriter(maildirFolderDir(dir, folder.path))
    await writer.open()
    return {
      write: async (info, raw) => void (await writer.write(raw, info.keywords, info.receivedAt)),
      async close() {
        await writer.close()
        summary.droppedKeywords.push(...writer.dropped)
      },
    }
  }
  const folderDir = folder.path === 'INBOX' ? dir : folderFile(dir, folder.path, '')
  await mkdir(folderDir, { recursive: true })
  const flags: Record<string, EmlFlags> = {}
  return {
    async write(info, raw) {
      const name = `${info.uid}.eml`
      await writeFile(join(folderDir, name), raw)
      flags[name] = { keywords: info.keywords, receivedAt: info.receivedAt }
    },
    async close() {
      await writeFile(join(folderDir, EML_FLAGS_FILE), JSON.stringify(flags, null, 1))
    },
  }
}

/** Writes with backpressure, so a big folder never queues whole in memory. */
async function writeChunk(out: WriteStream, chunk: Buffer): Promise<void> {
  if (!out.write(chunk)) await once(out, 'drain')
}
