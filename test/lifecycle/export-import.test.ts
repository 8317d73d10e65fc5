import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { openFixture, sampleMessage, snapshotAccount, tempDir, type DataFixture } from './fixture.ts'
import { sql } from '../../src/db/engine.ts'
import { exportAccount, type ExportFormat } from '../../src/admin/lifecycle/export.ts'
import { importMessages } from '../../src/admin/lifecycle/import.ts'
import { openSource } from '../../src/admin/lifecycle/open-source.ts'
import { mboxRecord, NotMboxError } from '../../src/admin/lifecycle/mbox.ts'

let fx: DataFixture
let alice: number
let out: string

const T0 = Date.UTC(2025, 5, 1, 12, 0, 0)
const CONTENT: Array<[string, number, string[]]> = [
  ['INBOX', 6, ['$seen']],
  ['Sent', 2, ['$seen', '$answered']],
  ['Work/Ünïcödé', 3, ['$flagged', 'Work', '$label1']],
  ['Lists/dev', 2, []],
  ['Drafts', 1, ['$draft']],
]

before(async () => {
  fx = await openFixture()
  out = tempDir('export')
  alice = await fx.addUser('alice@example.test')
  let n = 0
  for (const [path, count, keywords] of CONTENT) {
    const folder = (await fx.store.folders.byPath(alice, path)) ?? (await fx.store.folders.create(alice, path))
    for (let i = 0; i < count; i++) {
      n++
      const raw = sampleMessage(n)
      await fx.store.emails.append(alice, folder.id, { raw, keywords: i % 2 === 0 ? keywords : [], receivedAt: T0 + n * 61_000 })
    }
  }
})

after(async () => {
  await fx.remove()
  rmSync(out, { recursive: true, force: true })
})

for (const format of ['mbox', 'maildir', 'eml'] as ExportFormat[]) {
  test(`export as ${format} then import into a new user gives the same folders, bytes, flags and dates`, async () => {
    const dir = join(out, format)
    const exported = await exportAccount(fx.store, alice, { format, dir })
    assert.equal(exported.messages, 14)
    assert.deepEqual(exported.failed, [])
    assert.deepEqual(exported.skippedFolders.sort(), ['Calendar', 'Contacts', 'Notes', 'Tasks'])

    const bob = await fx.addUser(`bob-${format}@example.test`)
    const source = await openSource(dir)
    assert.equal(source.format, format)
    const summary = await importMessages(fx.store, bob, source.items)
    assert.deepEqual(summary.failed, [])
    assert.equal(summary.imported, 14)
    assert.deepEqual(await snapshotAccount(fx.store, bob), await snapshotAccount(fx.store, alice))

    // Idempotent: the second run finds every message already there.
    const again = await importMessages(fx.store, bob, (await openSource(dir)).items)
    assert.equal(again.imported, 0)
    assert.equal(again.duplicates, 14)
    assert.deepEqual(await snapshotAccount(fx.store, bob), await snapshotAccount(fx.store, alice))
  })
}

test('messages with bare LF line ends (as Maildir and mbox files keep them) are stored with CRLF', async () => {
  const dir = tempDir('lf')
  try {
    writeFileSync(join(dir, 'lf.mbox'), mboxRecord(sampleMessage(77, { eol: '\n' }), { date: 0 }))
    const frank = await fx.addUser('frank@example.test')
    assert.equal((await importMessages(fx.store, frank, (await openSource(join(dir, 'lf.mbox'))).items)).imported, 1)
    const inbox = await fx.store.folders.byRole(frank, 'inbox')
    const [info] = await fx.store.emails.info(frank, inbox!.id, [1])
    assert.deepEqual(Buffer.from(await fx.store.emails.body(frank, info.blobId)), Buffer.from(sampleMessage(77, { eol: '\r\n' })))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('mbox export uses mboxrd quoting and Status/X-Keywords headers', () => {
  const text = readFileSync(join(out, 'mbox', 'Work', 'Ünïcödé.mbox'), 'utf8')
  assert.match(text, /^From sender\d+@example\.org \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\n/)
  assert.match(text, /\n>From the desk of nobody/)
  assert.match(text, /\n>>From a quoted line already/)
  assert.match(text, /Status: O\r\nX-Status: F\r\nX-Keywords: \$label1 Work\r\n/)
})

test('maildir export is Maildir++ with flags in file names', () => {
  const dir = join(out, 'maildir')
  assert.ok(readdirSync(dir).includes('.Work.&ANw-n&AO8-c&APY-d&AOk-'))
  const sent = readdirSync(join(dir, '.Sent', 'cur'))
  assert.equal(sent.length, 2)
  assert.ok(sent.some((name) => name.endsWith(':2,RS')))
})

test('an mbox with a broken message: it is reported and skipped, the rest imported', async () => {
  const dir = tempDir('broken')
  try {
    const good = (n: number) => Buffer.from(sampleMessage(100 + n)).toString('latin1')
    const file = join(dir, 'broken.mbox')
    writeFileSync(file, `From a@b Mon Jun  2 10:00:00 2025\n${good(1)}\nFrom b@c Mon Jun  2 10:00:00 2025\n\x00\x01 garbage without any header\n\n` +
      `From c@d Mon Jun  2 10:00:00 2025\n${good(2)}\n`, 'latin1')
    const carol = await fx.addUser('carol@example.test')
    const summary = await importMessages(fx.store, carol, (await openSource(file)).items)
    assert.equal(summary.imported, 2)
    assert.equal(summary.failed.length, 1)
    assert.match(summary.failed[0].label, /INBOX: message 2 at byte \d+/)
    assert.match(summary.failed[0].error, /not an RFC 5322 message/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('a file that is not an mbox is refused before anything is imported', async () => {
  const dir = tempDir('notmbox')
  try {
    writeFileSync(join(dir, 'photo.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46]))
    await assert.rejects(openSource(join(dir, 'photo.jpg')), (e: Error) => e instanceof NotMboxError && /photo\.jpg is not an mbox file/.test(e.message))
    mkdirSync(join(dir, 'empty'))
    await assert.rejects(openSource(join(dir, 'empty')), /holds no mbox, Maildir or \.eml files/)
    await assert.rejects(openSource(join(dir, 'nope')), /Cannot read .*nope: ENOENT/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('import maps other servers\' special folder names onto roles', async () => {
  const dir = tempDir('roles')
  try {
    const record = (n: number) => `From a@b Mon Jun  2 10:00:00 2025\n${Buffer.from(sampleMessage(200 + n, { eol: '\n' })).toString()}\n`
    writeFileSync(join(dir, 'Sent Items.mbox'), record(1))
    writeFileSync(join(dir, 'Deleted Items.mbox'), record(2))
    writeFileSync(join(dir, 'Junk E-mail.mbox'), record(3))
    mkdirSync(join(dir, 'Sent Items'))
    writeFileSync(join(dir, 'Sent Items', '2024.mbox'), record(4))
    const dave = await fx.addUser('dave@example.test')
    const summary = await importMessages(fx.store, dave, (await openSource(dir)).items)
    assert.deepEqual(summary.folders.map((f) => [f.folder, f.target]).sort(), [
      ['Deleted Items', 'Trash'], ['Junk E-mail', 'Junk'], ['Sent Items', 'Sent'], ['Sent Items/2024', 'Sent/2024'],
    ])
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('export goes on past a message whose blob is gone, and names it', async () => {
  const inbox = await fx.store.folders.byRole(alice, 'inbox')
  const [victim] = await fx.store.emails.info(alice, inbox!.id, [2])
  const { blobRelPath } = await import('../../src/admin/lifecycle/blob-files.ts')
  const file = join(fx.blobs.dir, blobRelPath(victim.blobId))
  // A small blob lives in the database (src/store/blobs/tiered.ts), a large one in a file.
  if (existsSync(file)) rmSync(file)
  else await fx.engine.write((tx) => tx.run(sql`DELETE FROM blob_data WHERE id = ${victim.blobId}`))
  // A second opening of the same data dir: nothing cached, as for `tidings export` on the CLI.
  const cold = await openFixture({ dataDir: fx.root })
  const exported = await exportAccount(cold.store, alice, { format: 'mbox', dir: join(out, 'damaged') }).finally(() => cold.close())
  assert.equal(exported.messages, 13)
  assert.equal(exported.failed.length, 1)
  assert.equal(exported.failed[0].folder, 'INBOX')
  assert.equal(exported.failed[0].uid, 2)
  await assert.rejects(exportAccount(fx.store, alice, { format: 'maildir', dir: join(out, 'damaged') }), /is not empty; choose a new one/)
})

test('an import that runs over quota stops at the first refusal and says so', async () => {
  const dir = tempDir('quota')
  try {
    const record = (n: number) => `From a@b Mon Jun  2 10:00:00 2025\n${Buffer.from(sampleMessage(300 + n, { eol: '\n' })).toString()}\n`
    writeFileSync(join(dir, 'in.mbox'), Array.from({ length: 40 }, (_, i) => record(i)).join(''))
    const erin = await fx.addUser('erin@example.test')
    // Stored with CRLF (see the test above).
    const size = sampleMessage(300).byteLength
    await fx.store.accounts.setQuota(erin, { bytes: size * 2 + 10, messages: null })
    const summary = await importMessages(fx.store, erin, (await openSource(join(dir, 'in.mbox'))).items, { blobs: fx.blobs })
    assert.equal(summary.imported, 2)
    assert.ok(summary.failed.length >= 1 && summary.failed.length <= 17, `stopped early (${summary.failed.length} failed)`)
    assert.match(summary.failed[0].error, /^overQuota: /)
    // Blobs written ahead for the refused messages are not left behind.
    const verify = await fx.store.verify()
    assert.deepEqual([verify.orphaned, verify.badRefs], [[], []])
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
