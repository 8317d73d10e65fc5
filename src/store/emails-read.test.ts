/**
 * `info` with `parts` reads only those parts and gives them exactly as a full read does; the
 * envelope column (migration 5) is filled for rows stored before it and by every later write.
 */
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from '../db/engine.ts'
import { SqliteEngine } from '../db/sqlite.ts'
import { FsBlobStore } from './blobs/fs.ts'
import { createStore } from './open.ts'
import type { InfoPart, MessageInfo } from './store.ts'

const dir = mkdtempSync(join(tmpdir(), 'tidings-read-'))
after(() => rmSync(dir, { recursive: true, force: true }))

const message = (n: number) => Buffer.from(
  `From: "Sender ${n}" <s${n}@example.test>\r\nTo: a@example.test, b@example.test\r\nSubject: m${n}\r\n` +
  `Message-ID: <m${n}@example.test>\r\nReferences: <r${n}@example.test>\r\nContent-Type: text/plain\r\n\r\nbody ${n}\r\n`,
)

/** What a caller sees of each part (plain values, so deepEqual compares them). */
function view(info: MessageInfo, parts: readonly InfoPart[]) {
  return {
    uid: info.uid, size: info.size, blobId: info.blobId, keywords: info.keywords, subject: info.subject,
    envelope: parts.includes('envelope') ? info.envelope : null,
    mime: parts.includes('mime') ? info.mime : null,
    references: parts.includes('mime') ? info.references : null,
    header: parts.includes('header') ? Buffer.from(info.header).toString() : null,
    preview: parts.includes('preview') ? info.preview : null,
  }
}

test('info reads only the parts asked for, each equal to a full read; others throw when used', async () => {
  const engine = new SqliteEngine(join(dir, 'parts.db'))
  await engine.migrate()
  const store = createStore({ engine, blobs: new FsBlobStore(join(dir, 'parts-blobs')) })
  try {
    await store.accounts.provision(1)
    const inbox = (await store.folders.byRole(1, 'inbox'))!
    const uids: number[] = []
    for (let i = 0; i < 4; i++) uids.push((await store.emails.append(1, inbox.id, { raw: message(i) })).uid)
    const all = ['envelope', 'header', 'mime', 'preview'] as const
    const full = await store.emails.info(1, inbox.id, uids)
    assert.deepEqual(full[1].references, ['r1@example.test'])
    for (const parts of [[], ['envelope'], ['header'], ['mime'], ['preview'], ['envelope', 'header'], [...all]] as InfoPart[][]) {
      const some = await store.emails.info(1, inbox.id, uids, { parts })
      assert.deepEqual(some.map((i) => view(i, parts)), full.map((i) => view(i, parts)), parts.join())
      for (const part of all) {
        if (parts.includes(part)) continue
        const use = () => {
          const i = some[0]
          return part === 'envelope' ? i.envelope.from : part === 'mime' ? i.mime.type : part === 'header' ? i.header.length : i.preview
        }
        if (part === 'preview') assert.equal(use(), '')
        else assert.throws(use, { name: 'StoreError', kind: 'invalid' }, part)
      }
    }
    // A spread copy keeps the parts read (FETCH used to copy infos that way).
    const [one] = await store.emails.info(1, inbox.id, [uids[0]], { parts: ['envelope'] })
    assert.deepEqual({ ...one, keywords: ['$seen'] }.envelope, full[0].envelope)
  } finally {
    await store.close()
    await engine.close()
  }
})

test('migration 5 fills the envelope of existing rows; later writes fill it too; an older schema still reads', async () => {
  const engine = new SqliteEngine(join(dir, 'upgrade.db'))
  await engine.migrate({ upTo: 3 })
  const store = createStore({ engine, blobs: new FsBlobStore(join(dir, 'upgrade-blobs')) })
  try {
    await store.accounts.provision(1)
    const inbox = (await store.folders.byRole(1, 'inbox'))!
    for (let i = 0; i < 3; i++) await store.emails.append(1, inbox.id, { raw: message(i) })
    // Before the migration there is no column: the envelope comes out of meta.
    const old = await store.emails.info(1, inbox.id, [1, 2, 3], { parts: ['envelope'] })
    assert.deepEqual(old.map((i) => i.envelope.subject), ['m0', 'm1', 'm2'])
  } finally {
    await store.close()
    await engine.close()
  }

  const upgraded = new SqliteEngine(join(dir, 'upgrade.db'))
  await upgraded.migrate()
  const store2 = createStore({ engine: upgraded, blobs: new FsBlobStore(join(dir, 'upgrade-blobs')) })
  try {
    const inbox = (await store2.folders.byRole(1, 'inbox'))!
    await store2.emails.append(1, inbox.id, { raw: message(3) })
    // Sender and Reply-To of their own are kept in the column; repeats of From are left out.
    const own = Buffer.from('From: a@example.test\r\nSender: s@example.test\r\nReply-To: r@example.test\r\nSubject: own\r\n\r\nx\r\n')
    await store2.emails.append(1, inbox.id, { raw: own })
    const rows = await upgraded.all<{ envelope: string | null; meta: string }>(sql`SELECT envelope, meta FROM email_meta ORDER BY id`)
    assert.equal(rows.length, 5)
    for (const row of rows) {
      assert.ok(row.envelope, 'envelope column filled')
      const { sender, replyTo, ...rest } = JSON.parse(row.meta).envelope
      const column = JSON.parse(row.envelope)
      assert.deepEqual({ ...column, sender: column.sender ?? rest.from, replyTo: column.replyTo ?? rest.from }, { ...rest, sender, replyTo })
    }
    assert.equal(JSON.parse(rows[0].envelope!).sender, undefined)
    assert.equal(JSON.parse(rows[4].envelope!).sender[0].mailbox, 's')
    assert.equal(JSON.parse(rows[4].envelope!).replyTo[0].mailbox, 'r')
    const full = await store2.emails.info(1, inbox.id, [1, 2, 3, 4, 5])
    const lean = await store2.emails.info(1, inbox.id, [1, 2, 3, 4, 5], { parts: ['envelope'] })
    assert.deepEqual(lean.map((i) => i.envelope), full.map((i) => i.envelope))
    assert.equal(lean[3].envelope.subject, 'm3')
  } finally {
    await store2.close()
    await upgraded.close()
  }
})
