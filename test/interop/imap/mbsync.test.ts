/**
 * Interop with mbsync (isync), two-way: messages come down, a flag set in the local Maildir goes
 * up, a flag set on the server comes down, a message filed locally is uploaded. Skipped with a
 * printed reason when mbsync is not installed.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { startTestServer, type TestServer } from '../../support/start-server.ts'

const run = promisify(execFile)
const MBSYNC = '/usr/bin/mbsync'
const missing = existsSync(MBSYNC) ? false : `mbsync not installed at ${MBSYNC}`
if (missing) console.log(`# skipping mbsync interop: ${missing}`)

let server: TestServer
let dir: string
let account: number

before(async () => {
  if (missing) return
  // mbsync 1.4 cannot be told to accept a self-signed certificate for 127.0.0.1, so this test
  // trusts loopback for plaintext login instead (trusted_networks), as a LAN setup would.
  server = await startTestServer({ config: { trusted_networks: ['127.0.0.0/8'] } })
  account = (await server.addUser('erin@example.test', 'erin-secret')).id
  dir = mkdtempSync(join(tmpdir(), 'tidings-mbsync-'))
  mkdirSync(join(dir, 'mail'))
  writeFileSync(join(dir, 'mbsyncrc'), [
    'IMAPAccount tidings',
    'Host 127.0.0.1',
    `Port ${server.ports['listen.imap']}`,
    'User erin@example.test',
    'Pass erin-secret',
    'SSLType None',
    'AuthMechs LOGIN',
    '',
    'IMAPStore remote',
    'Account tidings',
    '',
    'MaildirStore local',
    `Path ${join(dir, 'mail')}/`,
    `Inbox ${join(dir, 'mail', 'INBOX')}`,
    'SubFolders Verbatim',
    '',
    'Channel sync',
    'Far :remote:',
    'Near :local:',
    'Patterns *',
    'Create Both',
    'Expunge Both',
    'SyncState *',
    'Sync All',
    '',
  ].join('\n'))
})
after(async () => {
  if (missing) return
  await server.stop()
  rmSync(dir, { recursive: true, force: true })
})

const sync = () => run(MBSYNC, ['-c', join(dir, 'mbsyncrc'), '-a'], { timeout: 60_000 })

function maildirFiles(folder: string): string[] {
  const base = join(dir, 'mail', folder)
  return ['cur', 'new'].flatMap((sub) => existsSync(join(base, sub)) ? readdirSync(join(base, sub)).map((f) => join(base, sub, f)) : [])
}

async function keywordsOf(folderPath: string): Promise<string[][]> {
  const folder = await server.ctx.store.folders.byPath(account, folderPath)
  const refs = await server.ctx.store.emails.list(account, folder!.id)
  const infos = await server.ctx.store.emails.info(account, folder!.id, refs.map((r) => r.uid))
  return infos.map((i) => i.keywords)
}

test('mbsync syncs both ways: messages and flags down, local flags and new messages up', { skip: missing }, async () => {
  const inbox = await server.ctx.store.folders.byPath(account, 'INBOX')
  for (const n of [1, 2]) {
    await server.ctx.store.emails.append(account, inbox!.id, { raw: Buffer.from(`From: x@example.test\r\nSubject: message ${n}\r\nMessage-ID: <mb-${n}@example.test>\r\n\r\nbody ${n}\r\n`) })
  }
  await sync()
  let files = maildirFiles('INBOX')
  assert.equal(files.length, 2, 'both messages downloaded')

  // Local → server: flag the first message in the Maildir (":2,F").
  const first = files.sort()[0]
  const flaggedName = first.includes(':2,') ? first.replace(/:2,([A-Z]*)$/, (_, f: string) => ':2,' + [...new Set([...f, 'F'])].sort().join('')) : first.replace('/new/', '/cur/') + ':2,F'
  renameSync(first, flaggedName)
  await sync()
  const afterUp = await keywordsOf('INBOX')
  assert.equal(afterUp.filter((k) => k.includes('$flagged')).length, 1, JSON.stringify(afterUp))

  // Server → local: mark every message seen on the server.
  const refs = await server.ctx.store.emails.list(account, inbox!.id)
  await server.ctx.store.emails.setKeywords(account, inbox!.id, refs.map((r) => r.uid), { op: 'add', keywords: ['$seen'] })
  await sync()
  files = maildirFiles('INBOX')
  assert.equal(files.length, 2)
  for (const f of files) assert.match(f, /:2,[A-Z]*S[A-Z]*$/, `seen flag synced down: ${f}`)
  assert.equal(files.filter((f) => /:2,[A-Z]*F/.test(f)).length, 1)

  // A message filed locally in a new folder is created and uploaded on the server.
  const local = join(dir, 'mail', 'Filed')
  for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(local, sub), { recursive: true })
  writeFileSync(join(local, 'cur', '1700000000.1.host:2,S'), 'From: me@example.test\r\nSubject: filed locally\r\n\r\nlocal body\r\n')
  await sync()
  const filed = await server.ctx.store.folders.byPath(account, 'Filed')
  assert.ok(filed, 'folder created on the server')
  assert.deepEqual(await keywordsOf('Filed'), [['$seen']])
})
