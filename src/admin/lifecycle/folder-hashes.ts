/**
 * The content hashes of what a folder already holds, so an import or migration that runs twice
 * adds nothing the second time. The store addresses blobs by SHA-256 of the exact bytes, so a
 * message's blob id is its content hash (and covers its Message-ID).
 */
import { createHash } from 'node:crypto'
import type { AccountId, FolderId, Store } from '../../store/store.ts'

/** UIDs per `emails.info` call: bounds memory on a folder of 100,000 messages. */
const INFO_CHUNK = 500

export function contentHash(raw: Uint8Array): string {
  return createHash('sha256').update(raw).digest('hex')
}

/** Per-folder sets of content hashes, loaded on first use. */
export class FolderHashes {
  readonly #store: Store
  readonly #account: AccountId
  readonly #sets = new Map<FolderId, Set<string>>()

  constructor(store: Store, account: AccountId) {
    this.#store = store
    this.#account = account
  }

  async of(folder: FolderId): Promise<Set<string>> {
    let set = this.#sets.get(folder)
    if (set) return set
    set = new Set<string>()
    const refs = await this.#store.emails.list(this.#account, folder)
    for (let i = 0; i < refs.length; i += INFO_CHUNK) {
      const uids = refs.slice(i, i + INFO_CHUNK).map((r) => r.uid)
      for (const info of await this.#store.emails.info(this.#account, folder, uids)) set.add(info.blobId)
    }
    this.#sets.set(folder, set)
    return set
  }
}
