/**
 * Fast population of a Tidings mailbox: the store API against the data dir, before `serve`
 * starts (documented in bench/README.md). Durability is off for the build (no fsync per message:
 * building a 100,000-message mailbox is set-up, not the thing measured). Falls back to nothing:
 * callers use IMAP APPEND when this checkout has no `openData`.
 */
import { resolve } from 'node:path'

const ROOT = resolve(import.meta.dirname, '..', '..')
/** Concurrent appends: enough to fill the group-commit batches. */
const CONCURRENCY = 64

/** Users (with their mailboxes) made in one process: the CLI pays a Node start-up per user. */
const USER_CONCURRENCY = 8

/**
 * Adds users as `tidings user add` does (directory principal, then the mailbox provisioned with
 * the default quota), in this process: 100 CLI runs cost ~2 minutes of start-ups on 2 cores.
 */
export async function addUsers(dataDir: string, users: ReadonlyArray<{ address: string; password: string }>): Promise<void> {
  const { loadConfig } = await import(`${ROOT}/src/config/load.ts`)
  const { openData } = await import(`${ROOT}/src/open-data.ts`)
  const config = loadConfig({ env: { TIDINGS_DATA_DIR: dataDir } })
  const data = await openData(config)
  try {
    const quota = config.number('store.default_quota') as number
    let next = 0
    await Promise.all(Array.from({ length: USER_CONCURRENCY }, async () => {
      while (next < users.length) {
        const user = users[next++]
        const principal = await data.admin.addUser({ address: user.address, password: user.password })
        await data.store.accounts.provision(principal.id, { bytes: quota === 0 ? null : quota })
      }
    }))
  } finally {
    await data.close()
  }
}

export async function fillMailbox(dataDir: string, address: string, count: number, make: (i: number) => Buffer): Promise<void> {
  await fillMailboxes(dataDir, [address], count, () => make)
}

/** `count` messages into the INBOX of each address, `make(address)(i)` building message i. */
export async function fillMailboxes(dataDir: string, addresses: readonly string[], count: number, make: (address: string) => (i: number) => Buffer): Promise<void> {
  const { loadConfig } = await import(`${ROOT}/src/config/load.ts`)
  const { openData } = await import(`${ROOT}/src/open-data.ts`)
  const config = loadConfig({ env: { TIDINGS_DATA_DIR: dataDir, TIDINGS_DURABLE: 'false' } })
  const data = await openData(config)
  try {
    const work: Array<{ account: number; folder: number; make: (i: number) => Buffer; i: number }> = []
    for (const address of addresses) {
      const recipient = await data.directory.resolve(address)
      if (recipient.kind !== 'mailbox') throw new Error(`${address} is not a mailbox (${recipient.kind})`)
      const account = recipient.principal.id
      const inbox = await data.store.folders.byRole(account, 'inbox')
      if (!inbox) throw new Error(`${address} has no INBOX`)
      const build = make(address)
      for (let i = 0; i < count; i++) work.push({ account, folder: inbox.id, make: build, i })
    }
    let next = 0
    const now = Date.now()
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < work.length) {
        const w = work[next++]
        await data.store.emails.append(w.account, w.folder, { raw: w.make(w.i), receivedAt: now - (count - w.i) * 1000 })
      }
    }))
    // The store may index text after delivery, in the background; a search indexes what is still
    // queued first. The mailbox is kept complete, as a server that had time to index would hold it,
    // so the first measured SEARCH does not pay for the build's indexing.
    for (const inbox of new Set(work.map((w) => `${w.account}:${w.folder}`))) {
      const [account, folder] = inbox.split(':').map(Number)
      await data.store.emails.search(account, folder, { text: 'body', contains: 'indexcatchup' })
    }
  } finally {
    await data.close()
  }
}
