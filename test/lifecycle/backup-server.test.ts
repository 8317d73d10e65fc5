/**
 * Backup of a running server while an IMAP client (imapflow) appends and a message waits in the
 * outbound queue: the snapshot is consistent (manifest counts = database counts), every message
 * in it is whole, and the restore includes the queued message's spool file.
 * (The queued message is written the way the transport spools one, so the test needs no DNS.)
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { ImapFlow } from 'imapflow'
import { FsBlobStore } from '../../src/store/blobs/fs.ts'
import { sql } from '../../src/db/engine.ts'
import { startTestServer } from '../support/start-server.ts'
import { openFixture, sampleMessage, tempDir } from './fixture.ts'
import { backup } from '../../src/admin/lifecycle/backup.ts'
import { restore } from '../../src/admin/lifecycle/restore.ts'

test('backup while an IMAP client appends and mail waits in the queue; restore is whole', async () => {
  const server = await startTestServer()
  const work = tempDir('backup-server')
  const client = new ImapFlow({ host: '127.0.0.1', port: server.ports['listen.imap'], secure: false, tls: { rejectUnauthorized: false }, auth: { user: 'alice@example.test', pass: 'alice-password-1' }, logger: false })
  try {
    await server.addUser('alice@example.test', 'alice-password-1')
    // A message waiting in the outbound queue (no recipients due, so the worker leaves it be):
    // its spool file and row, as the transport writes them.
    const spool = new FsBlobStore(join(server.dataDir, 'queue'))
    const spooled = await spool.put(sampleMessage(424242))
    await server.server.data.engine.write((tx) => tx.run(sql`INSERT INTO queue_messages (id, blob_id, size, sender, origin, received_at)
      VALUES ('backup-test-1', ${spooled.id}, ${spooled.size}, 'alice@example.test', 'submission', ${Date.now()})`))

    await client.connect()
    let appended = 0
    let stop = false
    const appending = (async () => {
      while (!stop) {
        await client.append('INBOX', Buffer.from(sampleMessage(appended)), ['\\Seen'])
        appended++
      }
    })()
    while (appended < 10) await new Promise((r) => setTimeout(r, 5))
    const data = server.server.data
    const manifest = await backup({ engine: data.engine, blobDir: data.blobs.dir, queueDir: join(server.dataDir, 'queue'), tlsDir: join(server.dataDir, 'tls'), dir: join(work, 'b') })
    stop = true
    await appending

    const db = new DatabaseSync(join(work, 'b', 'tidings.db'), { readOnly: true })
    const emails = Number((db.prepare('SELECT count(*) AS n FROM emails').get() as { n: number }).n)
    const queued = Number((db.prepare('SELECT count(*) AS n FROM queue_messages').get() as { n: number }).n)
    db.close()
    assert.equal(manifest.counts.emails, emails)
    assert.ok(emails >= 10, `appends made before the backup are in it (${emails})`)
    assert.equal(manifest.queue?.messages, queued)
    assert.ok(queued >= 1, 'the queued message is in the snapshot')
    assert.deepEqual([manifest.blobs.missing, manifest.queue?.missing], [[], []])

    const report = await restore({ from: join(work, 'b'), dataDir: join(work, 'restored') })
    assert.deepEqual([report.damaged, report.damagedQueue], [[], []])
    // The generated certificate comes back too, so clients don't see a new one.
    const tlsFiles = readdirSync(join(server.dataDir, 'tls')).sort()
    assert.ok(tlsFiles.length > 0)
    for (const f of tlsFiles) assert.deepEqual(readFileSync(join(work, 'restored', 'tls', f)), readFileSync(join(server.dataDir, 'tls', f)))
    const restoredSpool = new FsBlobStore(join(work, 'restored', 'queue'))
    assert.deepEqual(Buffer.from(await restoredSpool.get(spooled.id)), Buffer.from(sampleMessage(424242)))
    const restored = await openFixture({ dataDir: join(work, 'restored') })
    try {
      const verify = await restored.store.verify()
      assert.deepEqual([verify.checked, verify.mismatched, verify.missing, verify.orphaned, verify.badRefs], [manifest.counts.blobs, [], [], [], []])
      const alice = (await restored.directory.principalByAddress('alice@example.test'))!.id
      const inbox = (await restored.store.folders.byRole(alice, 'inbox'))!
      const refs = await restored.store.emails.list(alice, inbox.id)
      assert.equal(refs.length, emails)
      for (const info of await restored.store.emails.info(alice, inbox.id, refs.map((r) => r.uid))) {
        assert.equal((await restored.store.emails.body(alice, info.blobId)).byteLength, info.size)
        assert.deepEqual(info.keywords, ['$seen'])
      }
    } finally {
      await restored.close()
    }
  } finally {
    await client.logout().catch(() => {})
    await server.stop()
    rmSync(work, { recursive: true, force: true })
  }
})
