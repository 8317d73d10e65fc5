/**
 * A data directory opened the way the admin CLI opens it (config → openData), in a temp dir, with
 * a domain and helpers to add users and messages. For lifecycle tests that need no listeners.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../../src/config/load.ts'
import { openData, type OpenData } from '../../src/open-data.ts'
import type { AccountId, FolderId, Store } from '../../src/store/store.ts'

export interface DataFixture extends OpenData {
  root: string
  addUser(address: string): Promise<AccountId>
  close(): Promise<void>
  /** Closes and removes the temp dir. */
  remove(): Promise<void>
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `tidings-${prefix}-`))
}

export async function openFixture(options: { dataDir?: string; durable?: boolean } = {}): Promise<DataFixture> {
  const root = options.dataDir ?? tempDir('lifecycle')
  const config = loadConfig({ env: {}, overrides: { data_dir: root, durable: options.durable ?? false, log_level: 'silent' } })
  const data = await openData(config)
  if (!(await data.admin.listDomains()).some((d) => d.name === 'example.test')) await data.admin.addDomain('example.test')
  let closed = false
  const close = async () => {
    if (closed) return
    closed = true
    await data.close()
  }
  return {
    ...data,
    root,
    async addUser(address) {
      const principal = await data.admin.addUser({ address, password: 'secret-password-1', name: address })
      await data.store.accounts.provision(principal.id)
      return principal.id
    },
    close,
    async remove() {
      await close()
      rmSync(root, { recursive: true, force: true })
    },
  }
}

/** A small but varied message: headers, a body with "From " lines, a unique Message-ID. */
export function sampleMessage(n: number, options: { subject?: string; eol?: string } = {}): Uint8Array {
  const eol = options.eol ?? '\r\n'
  const subject = options.subject ?? `Message ${n}`
  return Buffer.from([
    `From: Sender ${n} <sender${n}@example.org>`,
    'To: alice@example.test',
    `Subject: ${subject}`,
    `Message-ID: <msg-${n}@example.org>`,
    `Date: Mon, 2 Jun 2025 10:${String(n % 60).padStart(2, '0')}:00 +0000`,
    '',
    `Body of message ${n}.`,
    'From the desk of nobody (an mbox trap).',
    '>From a quoted line already',
    '',
  ].join(eol))
}

export interface Snapshot {
  folders: Record<string, Array<{ uid?: number; hash: string; keywords: string[]; receivedAt: number }>>
}

/** Every mail folder with its messages' content hashes, keywords and internal dates (seconds). */
export async function snapshotAccount(store: Store, account: AccountId, options: { uids?: boolean } = {}): Promise<Snapshot> {
  const out: Snapshot = { folders: {} }
  for (const folder of await store.folders.list(account)) {
    if (folder.type !== 'mail') continue
    const refs = await store.emails.list(account, folder.id as FolderId)
    const infos = refs.length ? await store.emails.info(account, folder.id, refs.map((r) => r.uid)) : []
    out.folders[folder.path] = infos.map((i) => ({
      ...(options.uids ? { uid: i.uid } : {}),
      hash: i.blobId,
      keywords: i.keywords,
      receivedAt: Math.floor(i.receivedAt / 1000),
    }))
  }
  return out
}
