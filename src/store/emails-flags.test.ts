import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SqliteEngine } from '../db/sqlite.ts'
import { FsBlobStore } from './blobs/fs.ts'
import { createStore } from './open.ts'

const dir = mkdtempSync(join(tmpdir(), 'tidings-flags-'))
after(() => rmSync(dir, { recursive: true, force: true }))

const message = (n: number) => Buffer.from(`From: a@example.test\r\nSubject: m${n}\r\nMessage-ID: <m${n}@example.test>\r\n\r\nbody ${n}\r\n`)

test('flags() returns what info() does for keywords and modseq, skips missing UIDs, checks the owner', async () => {
  const engine = new SqliteEngine(join(dir, 'tidings.db'))
  await engine.migrate()
  const store = createStore({ engine, blobs: new FsBlobStore(join(dir, 'blobs')) })
  try {
    await store.accounts.provision(1)
    await store.accounts.provision(2)
    const inbox = (await store.folders.byRole(1, 'inbox'))!
    const uids: number[] = []
    for (let i = 0; i < 5; i++) uids.push((await store.emails.append(1, inbox.id, { raw: message(i), keywords: i % 2 ? ['$seen'] : [] })).uid)
    await store.emails.setKeywords(1, inbox.id, [uids[2]], { op: 'add', keywords: ['$flagged', 'custom'] })
    await store.emails.expunge(1, inbox.id, [uids[4]])

    const lean = await store.emails.flags(1, inbox.id, [...uids, 999])
    const full = await store.emails.info(1, inbox.id, uids)
    assert.deepEqual(lean, full.map((i) => ({ uid: i.uid, emailId: i.emailId, modseq: i.modseq, keywords: i.keywords })))
    assert.equal(lean.length, 4)
    assert.deepEqual(lean[2].keywords, ['$flagged', 'custom'])
    await assert.rejects(store.emails.flags(2, inbox.id, uids), { kind: 'notFound' })
  } finally {
    await store.close()
    await engine.close()
  }
})
