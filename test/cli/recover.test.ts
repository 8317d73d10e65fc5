/**
 * `tidings recover` end to end: a real IMAP client (imapflow) deletes, the operator's CLI (a
 * child process, while the server runs) brings messages back, and the client sees them again.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { promisify } from 'node:util'
import { join } from 'node:path'
import { ImapFlow } from 'imapflow'
import { startTestServer, type TestServer } from '../support/start-server.ts'
import { runCli, runCliJson } from '../support/cli.ts'

const execFileAsync = promisify(execFile)
let server: TestServer

before(async () => {
  server = await startTestServer()
  await server.addUser('alice@example.test', 'alice-secret')
})
after(() => server.stop())

async function imap(): Promise<ImapFlow> {
  const client = new ImapFlow({
    host: '127.0.0.1',
    port: server.ports['listen.imap'],
    secure: false,
    doSTARTTLS: true,
    tls: { rejectUnauthorized: false },
    auth: { user: 'alice@example.test', pass: 'alice-secret' },
    logger: false,
  })
  await client.connect()
  return client
}

function raw(subject: string, body = 'Hello.'): string {
  return [
    'From: Bob <bob@example.test>',
    'To: Alice <alice@example.test>',
    `Subject: ${subject}`,
    'Date: Mon, 02 Mar 2026 10:00:00 +0000',
    `Message-ID: <${subject.replace(/\W/g, '')}@example.test>`,
    '',
    body,
    '',
  ].join('\r\n')
}

interface Listed { items: Array<{ id: number; folderPath: string; subject: string; keywords: string[]; blobId: string; deletedAt: number }> }
interface Recovered { recovered: Array<{ id: number; folderPath: string; uid: number; subject: string }> }

const cli = (args: string[]) => runCli(args, { dataDir: server.dataDir })
const cliJson = <T>(args: string[]) => runCliJson<T>(args, { dataDir: server.dataDir })

test('recovery of an expunged message: imapflow expunges, tidings recover restores it with its flags and a new UID', async () => {
  const client = await imap()
  try {
    const date = new Date('2026-03-04T05:06:07Z')
    const appended = await client.append('INBOX', raw('Budget 2027'), ['\\Seen', '\\Flagged', '$Important'], date)
    assert.ok(appended && appended.uid)
    const oldUid = appended.uid
    const lock = await client.getMailboxLock('INBOX')
    try {
      assert.ok(await client.messageDelete(String(oldUid), { uid: true }))
      assert.deepEqual(await client.search({ all: true }, { uid: true }), [])
    } finally {
      lock.release()
    }

    const listed = await cliJson<Listed>(['recover', 'alice@example.test', '--list'])
    assert.deepEqual(listed.items.map((i) => [i.folderPath, i.subject]), [['INBOX', 'Budget 2027']])
    assert.deepEqual(listed.items[0].keywords, ['$deleted', '$flagged', '$Important', '$seen'])

    const human = await cli(['recover', 'alice@example.test'])
    assert.equal(human.code, 0, human.stderr)
    assert.match(human.stdout, /^Recovered 1 message of alice@example\.test:\n {2}"Budget 2027" → INBOX \(UID \d+\)\n$/)

    // The CLI is another process: the still-selected session learns of it from the store on NOOP.
    await client.noop()
    const again = await client.getMailboxLock('INBOX')
    try {
      const messages = []
      for await (const m of client.fetch('1:*', { uid: true, flags: true, internalDate: true, envelope: true })) messages.push(m)
      assert.equal(messages.length, 1)
      assert.equal(messages[0].envelope?.subject, 'Budget 2027')
      assert.ok(messages[0].uid > oldUid, `a new UID (${messages[0].uid} > ${oldUid})`)
      assert.deepEqual([...(messages[0].flags ?? [])].sort(), ['$Important', '\\Flagged', '\\Seen'])
      assert.equal(new Date(messages[0].internalDate as Date).toISOString(), date.toISOString())
    } finally {
      again.release()
    }
    const nothing = await cli(['recover', 'alice@example.test'])
    assert.equal(nothing.stdout, 'Nothing to recover for alice@example.test\n')
  } finally {
    await client.logout()
  }
})

test('a message of a deleted folder comes back in "Recovered Items" (--folder, --json)', async () => {
  const client = await imap()
  try {
    await client.mailboxCreate('Projects')
    await client.append('Projects', raw('Roadmap'), ['\\Answered'])
    await client.append('INBOX', raw('Stays deleted'))
    const lock = await client.getMailboxLock('INBOX')
    try {
      await client.messageDelete('1:*')
    } finally {
      lock.release()
    }
    await client.mailboxDelete('Projects')

    const result = await cliJson<Recovered>(['recover', 'alice@example.test', '--folder', 'Projects'])
    assert.deepEqual(result.recovered.map((r) => [r.folderPath, r.subject]), [['Recovered Items', 'Roadmap']])
    const status = await client.status('Recovered Items', { messages: true })
    assert.equal(status && status.messages, 1)
    const lock2 = await client.getMailboxLock('Recovered Items')
    try {
      const message = await client.fetchOne('*', { flags: true, envelope: true })
      assert.ok(message)
      assert.equal(message.envelope?.subject, 'Roadmap')
      assert.ok(message.flags?.has('\\Answered'))
    } finally {
      lock2.release()
    }
    // The INBOX one was not asked for: still recoverable.
    const left = await cliJson<Listed>(['recover', 'alice@example.test', '--list'])
    assert.ok(left.items.some((i) => i.subject === 'Stays deleted'))
    assert.ok(!left.items.some((i) => i.subject === 'Roadmap'), 'restored once only')
  } finally {
    await client.logout()
  }
})

test('past the retention nothing is recoverable, the blob is reclaimed and tidings verify is clean', async () => {
  const client = await imap()
  try {
    // Big enough to be a blob file (small ones live in the database).
    await client.append('Sent', raw('Large attachment', 'y'.repeat(120_000)))
    const lock = await client.getMailboxLock('Sent')
    try {
      await client.messageDelete('1:*')
    } finally {
      lock.release()
    }
  } finally {
    await client.logout()
  }
  const listed = await cliJson<Listed>(['recover', 'alice@example.test', '--list', '--folder', 'Sent'])
  assert.equal(listed.items.length, 1)
  const { blobId } = listed.items[0]
  const file = join(server.dataDir, 'blobs', blobId.slice(0, 2), blobId.slice(2, 4), blobId)
  assert.ok(existsSync(file), 'the retained message keeps its blob')
  const before = await runCliJson<{ ok: boolean; badRefs: string[] }>(['verify'], { dataDir: server.dataDir })
  assert.deepEqual([before.ok, before.badRefs], [true, []], 'verify counts the retained reference')

  // An operator whose retention is 1 ms: everything retained has expired.
  const expired = await runCli(['recover', 'alice@example.test', '--folder', 'Sent'], { dataDir: server.dataDir, env: { TIDINGS_STORE_DELETED_ITEM_RETENTION: '1ms' } })
  assert.equal(expired.code, 0, expired.stderr)
  assert.equal(expired.stdout, 'Nothing to recover for alice@example.test\n')
  assert.equal(existsSync(file), false, 'the blob is reclaimed')
  const verify = await runCli(['verify'], { dataDir: server.dataDir })
  assert.equal(verify.code, 0, verify.stdout + verify.stderr)
  assert.match(verify.stdout, /all good/)
})

test('recover: --since filters, bad input is one line and exit 1', async () => {
  const future = await cliJson<Listed>(['recover', 'alice@example.test', '--list', '--since', '2999-01-01'])
  assert.deepEqual(future.items, [])
  const week = await cliJson<Listed>(['recover', 'alice@example.test', '--list', '--since', '7d'])
  assert.ok(week.items.every((i) => i.deletedAt >= Date.now() - 8 * 86_400_000))
  for (const [args, pattern] of [
    [['recover', 'nobody@example.test'], /^tidings: No user nobody@example\.test/],
    [['recover', 'alice@example.test', '--since', 'yesterday'], /^tidings: --since must be a date like 2026-11-01 or an age like 7d/],
    [['recover', 'alice@example.test', '--into', 'No Such Folder'], /^tidings: No folder "No Such Folder"/],
  ] as const) {
    const result = await cli([...args])
    assert.equal(result.code, 1, `${args.join(' ')}: ${result.stdout}`)
    assert.match(result.stderr, pattern)
    assert.equal(result.stderr.trim().split('\n').length, 1)
  }
})

test('a message a POP3 client deleted (DELE + QUIT, Python poplib) is recoverable too', async () => {
  const client = await imap()
  try {
    await client.append('INBOX', raw('Fetched by POP3'))
  } finally {
    await client.logout()
  }
  const script = [
    'import os, poplib, ssl',
    'ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE',
    "p = poplib.POP3('127.0.0.1', int(os.environ['PORT'])); p.stls(context=ctx)",
    "p.user('alice@example.test'); p.pass_('alice-secret')",
    'for i in range(len(p.list()[1])): p.dele(i + 1)',
    'p.quit()',
  ].join('\n')
  // Asynchronously: the server answering it runs in this process.
  await execFileAsync('python3', ['-c', script], { env: { ...process.env, PORT: String(server.ports['listen.pop3']) }, timeout: 30_000 })
  const listed = await cliJson<Listed>(['recover', 'alice@example.test', '--list', '--folder', 'INBOX'])
  assert.ok(listed.items.some((i) => i.subject === 'Fetched by POP3'), JSON.stringify(listed.items.map((i) => i.subject)))
})
