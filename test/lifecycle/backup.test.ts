import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { openFixture, sampleMessage, snapshotAccount, tempDir, type DataFixture } from './fixture.ts'
import { backup } from '../../src/admin/lifecycle/backup.ts'
import { restore } from '../../src/admin/lifecycle/restore.ts'
import { blobRelPath } from '../../src/admin/lifecycle/blob-files.ts'
import { readManifest } from '../../src/admin/lifecycle/manifest.ts'

let fx: DataFixture
let work: string
let alice: number
let bob: number

before(async () => {
  fx = await openFixture()
  work = tempDir('backup')
  alice = await fx.addUser('alice@example.test')
  bob = await fx.addUser('bob@example.test')
  const inbox = await fx.store.folders.byRole(alice, 'inbox')
  const project = await fx.store.folders.create(alice, 'Projects/Été')
  for (let n = 1; n <= 40; n++) {
    await fx.store.emails.append(alice, n % 4 === 0 ? project.id : inbox!.id, { raw: raw(n), keywords: n % 3 === 0 ? ['$seen', 'todo'] : [] })
  }
  const bobInbox = await fx.store.folders.byRole(bob, 'inbox')
  // The same bytes in two mailboxes: one blob (single-instance storage), restored once.
  await fx.store.emails.append(bob, bobInbox!.id, { raw: raw(1), keywords: ['$flagged'] })
  await fx.store.emails.append(bob, bobInbox!.id, { raw: sampleMessage(1000) })
  // Expunged, but recoverable (store.deleted_item_retention): their blobs stay, and travel in backups.
  await fx.store.emails.expunge(alice, inbox!.id, [2, 3])
})

after(async () => {
  await fx.remove()
  rmSync(work, { recursive: true, force: true })
})

/**
 * Messages 1 and 6 are large enough to be blob files (smaller blobs live in the database and
 * travel in its snapshot: src/store/blobs/tiered.ts), so there are files to link, lose and damage.
 */
function raw(n: number): Uint8Array {
  return n === 1 || n === 6 ? Buffer.concat([sampleMessage(n), Buffer.from('padding line\r\n'.repeat(6000))]) : sampleMessage(n)
}

function dbCounts(path: string) {
  const db = new DatabaseSync(path, { readOnly: true })
  try {
    const n = (sql: string) => Number((db.prepare(sql).get() as { n: number }).n)
    return { accounts: n('SELECT count(*) AS n FROM accounts'), emails: n('SELECT count(*) AS n FROM emails'), blobs: n('SELECT count(*) AS n FROM blobs') }
  } finally {
    db.close()
  }
}

test('backup then restore gives a clean data dir with the same folders, UIDs and flags', async () => {
  const before = { alice: await snapshotAccount(fx.store, alice, { uids: true }), bob: await snapshotAccount(fx.store, bob, { uids: true }) }
  const manifest = await backup({ engine: fx.engine, blobDir: fx.blobs.dir, dir: join(work, 'full') })
  assert.deepEqual(manifest.counts, { accounts: 2, emails: 40, blobs: 41 })
  assert.deepEqual(manifest.blobs.missing, [])
  assert.equal(manifest.schemaVersion, await fx.engine.schemaVersion())
  assert.deepEqual(dbCounts(join(work, 'full', 'tidings.db')), { accounts: 2, emails: 40, blobs: 41 })
  assert.deepEqual(await readManifest(join(work, 'full')), manifest)

  const report = await restore({ from: join(work, 'full'), dataDir: join(work, 'restored') })
  assert.deepEqual(report.damaged, [])
  const restored = await openFixture({ dataDir: join(work, 'restored') })
  try {
    assert.deepEqual(await restored.store.verify(), { checked: 41, mismatched: [], missing: [], orphaned: [], badRefs: [] })
    assert.deepEqual(await snapshotAccount(restored.store, alice, { uids: true }), before.alice)
    assert.deepEqual(await snapshotAccount(restored.store, bob, { uids: true }), before.bob)
    const principal = await restored.directory.principalByAddress('alice@example.test')
    assert.equal(principal?.id, alice)
  } finally {
    await restored.close()
  }
})

test('backup while messages are being appended: manifest counts match, every message whole', async () => {
  const inbox = await fx.store.folders.byRole(bob, 'inbox')
  let stop = false
  let appended = 0
  const writer = (async () => {
    while (!stop) await fx.store.emails.append(bob, inbox!.id, { raw: sampleMessage(5000 + appended++) })
  })()
  // Let some appends land first, then back up while they keep coming.
  while (appended < 20) await new Promise((r) => setTimeout(r, 5))
  const manifest = await backup({ engine: fx.engine, blobDir: fx.blobs.dir, dir: join(work, 'busy') })
  stop = true
  await writer
  assert.deepEqual(dbCounts(join(work, 'busy', 'tidings.db')), manifest.counts)
  assert.ok(manifest.counts.emails >= 60, `the snapshot holds the appends made before it (${manifest.counts.emails})`)
  assert.deepEqual(manifest.blobs.missing, [])
  const report = await restore({ from: join(work, 'busy'), dataDir: join(work, 'busy-restored') })
  assert.deepEqual(report.damaged, [])
  const restored = await openFixture({ dataDir: join(work, 'busy-restored') })
  try {
    const verify = await restored.store.verify()
    assert.deepEqual({ ...verify, checked: 0 }, { checked: 0, mismatched: [], missing: [], orphaned: [], badRefs: [] })
    assert.equal(verify.checked, manifest.counts.blobs)
    const refs = await restored.store.emails.list(bob, inbox!.id)
    for (const info of await restored.store.emails.info(bob, inbox!.id, refs.map((r) => r.uid))) {
      assert.equal((await restored.store.emails.body(bob, info.blobId)).byteLength, info.size)
    }
  } finally {
    await restored.close()
  }
})

test('an incremental backup reuses the previous one\'s blobs', async () => {
  const inbox = await fx.store.folders.byRole(alice, 'inbox')
  await fx.store.emails.append(alice, inbox!.id, { raw: sampleMessage(9001) })
  const full = await readManifest(join(work, 'busy'))
  const next = await backup({ engine: fx.engine, blobDir: fx.blobs.dir, dir: join(work, 'incr'), incrementalFrom: join(work, 'busy') })
  assert.equal(next.incrementalFrom, join(work, 'busy'))
  // Every blob file of the previous backup (small blobs are inside its database, not files).
  assert.equal(next.blobs.reused, full.blobs.linked + full.blobs.copied)
  assert.ok(next.blobs.reused > 0)
  assert.equal(next.counts.blobs, (await fx.store.verify()).checked)
  assert.ok(next.counts.blobs > full.counts.blobs)
  const id = (await fx.store.emails.info(alice, inbox!.id, [1]))[0].blobId
  assert.equal(statSync(join(work, 'incr', 'blobs', blobRelPath(id))).ino, statSync(join(work, 'busy', 'blobs', blobRelPath(id))).ino)
})

test('restore names the messages of a missing or corrupt blob and restores the rest', async () => {
  const src = join(work, 'full')
  const inbox = await fx.store.folders.byRole(alice, 'inbox')
  const [one, four] = await fx.store.emails.info(alice, inbox!.id, [1, 5])
  // Replace files rather than write into them: they are hard links to the live blobs.
  unlinkSync(join(src, 'blobs', blobRelPath(one.blobId)))
  const corrupt = join(src, 'blobs', blobRelPath(four.blobId))
  const bytes = readFileSync(corrupt)
  unlinkSync(corrupt)
  bytes[bytes.length - 1] ^= 0xff
  writeFileSync(corrupt, bytes)

  const report = await restore({ from: src, dataDir: join(work, 'damaged') })
  const byReason = Object.fromEntries(report.damaged.map((d) => [d.reason, d]))
  assert.equal(report.damaged.length, 2)
  // Message 1's bytes are also bob's first message: both are named.
  assert.deepEqual(byReason.missing.messages, [
    { account: 'alice@example.test', folder: 'INBOX', uid: 1, subject: 'Message 1' },
    { account: 'bob@example.test', folder: 'INBOX', uid: 1, subject: 'Message 1' },
  ])
  assert.deepEqual(byReason.corrupt.messages, [{ account: 'alice@example.test', folder: 'INBOX', uid: 5, subject: 'Message 6' }])
  const restored = await openFixture({ dataDir: join(work, 'damaged') })
  try {
    const verify = await restored.store.verify()
    assert.deepEqual(verify.missing.sort(), [one.blobId, four.blobId].sort())
    assert.deepEqual([verify.mismatched, verify.orphaned, verify.badRefs], [[], [], []])
    assert.equal(verify.checked, 39)
  } finally {
    await restored.close()
  }
})

test('restore refuses a non-empty data dir and a damaged database', async () => {
  await assert.rejects(restore({ from: join(work, 'full'), dataDir: join(work, 'restored') }), /is not empty; restore into a new one/)
  writeFileSync(join(work, 'incr', 'tidings.db'), 'not a database')
  await assert.rejects(restore({ from: join(work, 'incr'), dataDir: join(work, 'x') }), /does not match the manifest/)
  await assert.rejects(restore({ from: work, dataDir: join(work, 'y') }), /is not a Tidings backup/)
  await assert.rejects(backup({ engine: fx.engine, blobDir: fx.blobs.dir, dir: join(work, 'full') }), /is not empty/)
})
