/**
 * Safe upgrades: a data dir made at the oldest schema, filled, then opened by this Tidings (which
 * migrates it to the newest) keeps every message, flag, keyword, UID and folder; a migration that
 * fails leaves the data dir at its old version, still usable. The newer-schema refusal is tested
 * in src/db/sqlite.test.ts by the store's owner.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { SqliteEngine } from '../../src/db/sqlite.ts'
import { sql } from '../../src/db/engine.ts'
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

test('a migration that fails rolls back whole: the data dir stays at its version and still opens', async () => {
  const dir = tempDir('upgrade-fail')
  // A release whose newest migration breaks half-way (its first statement succeeds). This file
  // runs in its own process, so the list is restored for no one else.
  const latest = MIGRATIONS[MIGRATIONS.length - 1].version
  const broken = { version: latest + 1, name: 'broken', sqlite: 'CREATE TABLE half_done (x INTEGER); INSERT INTO no_such_table VALUES (1);' }
  try {
    const fx = await openFixture({ dataDir: dir })
    const alice = await fx.addUser('alice@example.test')
    const inbox = await fx.store.folders.byRole(alice, 'inbox')
    await fx.store.emails.append(alice, inbox!.id, { raw: sampleMessage(1), keywords: ['$seen'] })
    const before = await snapshotAccount(fx.store, alice, { uids: true })
    await fx.close()

    ;(MIGRATIONS as unknown as Array<typeof broken>).push(broken)
    try {
      const engine = new SqliteEngine(join(dir, 'tidings.db'), { durable: false })
      await assert.rejects(engine.migrate(), /Migration \d+ \(broken\) failed: .*no such table/)
      assert.equal(await engine.schemaVersion(), latest)
      assert.equal((await engine.all(sql`SELECT name FROM sqlite_master WHERE name = 'half_done'`)).length, 0)
      await engine.close()
    } finally {
      ;(MIGRATIONS as unknown as Array<typeof broken>).pop()
    }

    const reopened = await openFixture({ dataDir: dir })
    try {
      assert.deepEqual(await snapshotAccount(reopened.store, alice, { uids: true }), before)
    } finally {
      await reopened.close()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
