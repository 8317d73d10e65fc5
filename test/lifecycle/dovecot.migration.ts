/**
 * `npm run test:migration`: IMAP migration from a real Dovecot (Maildir, special-use Sent/Trash,
 * "Sent Items", nested and non-ASCII folders, custom keywords, internal dates), then an
 * incremental run. Behind its own script because it may need to install dovecot-imapd.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { ImapFlow } from 'imapflow'
import { startDovecot, type Dovecot } from './dovecot-server.ts'
import { openFixture, sampleMessage, snapshotAccount, type DataFixture } from './fixture.ts'
import { migrateImap, type ImapSource } from '../../src/admin/lifecycle/migrate-imap.ts'
import { stateFile } from '../../src/admin/lifecycle/migrate-state.ts'
import { openSource } from '../../src/admin/lifecycle/open-source.ts'
import { importMessages } from '../../src/admin/lifecycle/import.ts'
import { join } from 'node:path'

let dovecot: Dovecot
let target: DataFixture
const PASSWORD = 'dovecot-password-1'
const T0 = Date.UTC(2023, 5, 1)
let n = 0
/** What we put in, as [source folder, target folder, keywords of each message, receivedAt]. */
const seeded: Array<{ folder: string; hash?: string; keywords: string[]; receivedAt: number }> = []

async function client(): Promise<ImapFlow> {
  const c = new ImapFlow({ host: '127.0.0.1', port: dovecot.port, secure: false, doSTARTTLS: false, auth: { user: 'bob', pass: PASSWORD }, logger: false })
  await c.connect()
  return c
}

async function seed(c: ImapFlow, folder: string, count: number, flags: string[]): Promise<void> {
  for (let i = 0; i < count; i++) {
    n++
    const date = new Date(T0 + n * 86_400_000)
    await c.append(folder, Buffer.from(sampleMessage(n)), n % 2 ? flags : [], date)
  }
}

const source = (): ImapSource => ({ host: '127.0.0.1', port: dovecot.port, user: 'bob', password: PASSWORD, tls: 'none', insecure: false })

before(async () => {
  dovecot = await startDovecot({ bob: PASSWORD })
  target = await openFixture()
  const c = await client()
  try {
    for (const path of ['Sent Items', 'Work', 'Work/Clients', 'Work/Clients/Ünïcödé', 'Junk E-mail']) await c.mailboxCreate(path)
    await seed(c, 'INBOX', 80, ['\\Seen', '\\Flagged'])
    await seed(c, 'Sent', 30, ['\\Seen'])
    await seed(c, 'Sent Items', 10, ['\\Seen', '$Forwarded'])
    await seed(c, 'Work/Clients/Ünïcödé', 50, ['\\Answered', 'ProjectX', '$label2'])
    await seed(c, 'Junk E-mail', 20, ['Junk'])
    await seed(c, 'Trash', 10, ['\\Deleted'])
  } finally {
    await c.logout()
  }
})

after(async () => {
  await dovecot?.stop()
  await target?.remove()
})

test('migrates a Dovecot mailbox: folders mapped to roles, flags, keywords, dates; then incrementally', async () => {
  const alice = await target.addUser('alice@example.test')
  const file = stateFile(target.root, 'alice@example.test', source())
  const started = Date.now()
  const report = await migrateImap({ store: target.store, account: alice, source: source(), stateFile: file })
  const seconds = (Date.now() - started) / 1000
  console.log(`# dovecot → tidings: ${report.copied} messages in ${seconds.toFixed(2)} s = ${(report.copied / seconds).toFixed(0)} msgs/s`)
  assert.equal(report.aborted, null)
  assert.deepEqual(report.failed, [])
  assert.equal(report.copied, 200)
  const targets = Object.fromEntries(report.folders.map((f) => [f.folder, f.target]))
  assert.equal(targets['Sent Items'], 'Sent')
  assert.equal(targets['Junk E-mail'], 'Junk')
  assert.equal(targets['Work/Clients/Ünïcödé'], 'Work/Clients/Ünïcödé')
  const snap = await snapshotAccount(target.store, alice)
  assert.equal(snap.folders.INBOX.length, 80)
  assert.equal(snap.folders.Sent.length, 40)
  assert.equal(snap.folders.Junk.length, 20)
  assert.equal(snap.folders.Trash.length, 10)
  const deep = snap.folders['Work/Clients/Ünïcödé']
  assert.equal(deep.length, 50)
  assert.deepEqual(deep[0].keywords, ['$answered', '$label2', 'ProjectX'])
  assert.deepEqual(deep[1].keywords, [])
  assert.deepEqual(snap.folders.Trash[0].keywords, ['$deleted'])
  assert.ok(snap.folders.Sent.some((m) => m.keywords.includes('$Forwarded') || m.keywords.includes('$forwarded')))
  // Internal dates: the first INBOX message was appended with T0 + 1 day.
  assert.equal(snap.folders.INBOX[0].receivedAt, (T0 + 86_400_000) / 1000)

  const c = await client()
  try {
    await seed(c, 'INBOX', 4, [])
  } finally {
    await c.logout()
  }
  const again = await migrateImap({ store: target.store, account: alice, source: source(), stateFile: file })
  assert.equal(again.copied, 4)
  assert.equal(again.duplicates, 0)
})

test('importing the Dovecot Maildir directly gives what the IMAP migration gave', async () => {
  const viaImap = await target.addUser('imap@example.test')
  await migrateImap({ store: target.store, account: viaImap, source: source(), stateFile: stateFile(target.root, 'imap@example.test', source()) })
  const viaFiles = await target.addUser('files@example.test')
  const opened = await openSource(join(dovecot.dir, 'mail', 'bob'))
  assert.equal(opened.format, 'maildir')
  const summary = await importMessages(target.store, viaFiles, opened.items)
  assert.deepEqual(summary.failed, [])
  assert.deepEqual(await snapshotAccount(target.store, viaFiles), await snapshotAccount(target.store, viaImap))
})
