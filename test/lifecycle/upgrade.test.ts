/**
 * Safe upgrades: a data dir made at the oldest schema, filled, then opened by this Tidings (which
 * migrates it to the newest) keeps every message, flag, keyword, UID and folder. The failing-
 * migration rollback and the newer-schema refusal are tested in src/db/ by the store's owner.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { SqliteEngine } from '../../src/db/sqlite.ts'
import { MIGRATIONS } from '../../src/db/migrations/index.ts'
import { FsBlobStore } from '../../src/store/blobs/fs.ts'
import { createStore } from '../../src/store/open.ts'
import { DirectoryAdmin } from '../../src/directory/admin.ts'
import { openFixture, sampleMessage, snapshotAccount, tempDir } from './fixture.ts'

test('a data dir at the oldest schema upgrades to the newest with every message, flag and UID intact', async () => {
  const dir = tempDir('upgrade')
  try {
    const engine = new SqliteEngine(join(dir, 'tidings.db'), { durable: false })
    assert.deepEqual(await engine.migrate({ upTo: 1 }), { from: 0, to: 1 })
    const store = createStore({ engine, blobs: new FsBlobStore(join(dir, 'blobs'), { durable: false }) })
    const admin = new DirectoryAdmin(engine)
    await admin.addDomain('example.test')
    const alice = await admin.addUser({ address: 'alice@example.test', password: 'secret-password-1', name: 'Alice' })
    await store.accounts.provision(alice.id)
    const inbox = await store.folders.byRole(alice.id, 'inbox')
    const deep = await store.folders.create(alice.id, 'Archive/2019/Ünïcödé')
    for (let n = 1; n <= 30; n++) {
      await store.emails.append(alice.id, n % 2 ? inbox!.id : deep.id, { raw: sampleMessage(n), keywords: n % 5 === 0 ? ['$seen', 'Custom'] : [] })
    }
    await store.emails.setKeywords(alice.id, inbox!.id, [1, 3], { op: 'add', keywords: ['$flagged'] })
    await store.emails.expunge(alice.id, inbox!.id, [5])
    const before = await snapshotAccount(store, alice.id, { uids: true })
    const statusBefore = await store.folders.status(alice.id, inbox!.id)
    await store.close()
    await engine.close()

    // Open it the way `tidings serve` does: every pending migration runs.
    const upgraded = await openFixture({ dataDir: dir })
    try {
      assert.equal(await upgraded.engine.schemaVersion(), MIGRATIONS[MIGRATIONS.length - 1].version)
      assert.deepEqual(await snapshotAccount(upgraded.store, alice.id, { uids: true }), before)
      const status = await upgraded.store.folders.status(alice.id, inbox!.id)
      assert.equal(status.uidNext, statusBefore.uidNext)
      assert.equal(status.uidValidity, statusBefore.uidValidity)
      assert.equal((await upgraded.directory.principalByAddress('alice@example.test'))?.id, alice.id)
      const verify = await upgraded.store.verify()
      assert.deepEqual([verify.checked, verify.missing, verify.mismatched, verify.badRefs], [29, [], [], []])
      // And it still takes new mail after the upgrade.
      const next = await upgraded.store.emails.append(alice.id, inbox!.id, { raw: sampleMessage(99) })
      assert.equal(next.uid, statusBefore.uidNext)
    } finally {
      await upgraded.close()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
