/** Interop with imapflow (postalsys), a client we did not write, over STARTTLS and implicit TLS. */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { ImapFlow } from 'imapflow'
import { startTestServer, type TestServer } from '../../support/start-server.ts'

let server: TestServer

before(async () => {
  server = await startTestServer()
  await server.addUser('alice@example.test', 'alice-secret')
})
after(() => server.stop())

function client(options: { implicitTls?: boolean } = {}) {
  return new ImapFlow({
    host: '127.0.0.1',
    port: options.implicitTls ? server.ports['listen.imaps'] : server.ports['listen.imap'],
    secure: Boolean(options.implicitTls),
    // Plain port: imapflow upgrades with STARTTLS (LOGINDISABLED forbids anything else).
    doSTARTTLS: options.implicitTls ? undefined : true,
    tls: { rejectUnauthorized: false },
    auth: { user: 'alice@example.test', pass: 'alice-secret' },
    logger: false,
  })
}

const MESSAGE = [
  'From: Bob Sender <bob@example.test>',
  'To: Alice <alice@example.test>',
  'Subject: Quarterly report',
  'Date: Mon, 01 Jan 2024 10:00:00 +0000',
  'Message-ID: <report-1@example.test>',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="b1"',
  '',
  '--b1',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'Numbers are up.',
  '--b1',
  'Content-Type: text/csv; name="q.csv"',
  'Content-Disposition: attachment; filename="q.csv"',
  '',
  'a,b',
  '1,2',
  '--b1--',
  '',
].join('\r\n')

test('imapflow: STARTTLS login, list, append, fetch envelope/bodystructure, flags, search, move', async () => {
  const imap = client()
  await imap.connect()
  try {
    const boxes = await imap.list()
    const paths = boxes.map((b) => b.path)
    assert.ok(paths.includes('INBOX'))
    assert.equal(boxes.find((b) => b.path === 'Sent')?.specialUse, '\\Sent')
    assert.equal(boxes.find((b) => b.path === 'Trash')?.specialUse, '\\Trash')

    const appended = await imap.append('INBOX', MESSAGE, ['\\Draft'], new Date('2024-02-03T04:05:06Z'))
    assert.ok(appended && appended.uid, 'APPENDUID')
    const lock = await imap.getMailboxLock('INBOX')
    try {
      assert.equal((imap.mailbox as { exists: number }).exists, 1)
      const msg = await imap.fetchOne('*', { uid: true, envelope: true, bodyStructure: true, flags: true, internalDate: true, size: true })
      assert.ok(msg)
      assert.equal(msg.uid, appended.uid)
      assert.equal(msg.envelope?.subject, 'Quarterly report')
      assert.equal(msg.envelope?.from?.[0].address, 'bob@example.test')
      assert.equal(msg.envelope?.from?.[0].name, 'Bob Sender')
      assert.equal(msg.envelope?.messageId, '<report-1@example.test>')
      assert.equal(msg.bodyStructure?.type, 'multipart/mixed')
      assert.equal(msg.bodyStructure?.childNodes?.[0].type, 'text/plain')
      assert.equal(msg.bodyStructure?.childNodes?.[1].disposition, 'attachment')
      assert.equal(msg.bodyStructure?.childNodes?.[1].dispositionParameters?.filename, 'q.csv')
      assert.ok(msg.flags?.has('\\Draft'))
      assert.equal(msg.size, Buffer.byteLength(MESSAGE))
      assert.equal((msg.internalDate as Date).toISOString(), '2024-02-03T04:05:06.000Z')

      const part = await imap.download(String(msg.uid), '1', { uid: true })
      const chunks: Buffer[] = []
      for await (const chunk of part.content!) chunks.push(chunk as Buffer)
      assert.equal(Buffer.concat(chunks).toString(), 'Numbers are up.')

      assert.equal(await imap.messageFlagsAdd({ uid: String(msg.uid) }, ['\\Flagged', '$Important'], { uid: true }), true)
      const flagged = await imap.fetchOne(String(msg.uid), { flags: true }, { uid: true })
      assert.ok(flagged && flagged.flags?.has('\\Flagged') && flagged.flags.has('$Important'))

      assert.deepEqual(await imap.search({ from: 'bob' }, { uid: true }), [msg.uid])
      assert.deepEqual(await imap.search({ subject: 'nothing like it' }, { uid: true }), [])
      assert.deepEqual(await imap.search({ flagged: true }, { uid: true }), [msg.uid])

      const moved = await imap.messageMove(String(msg.uid), 'Trash', { uid: true })
      assert.ok(moved && moved.uidMap && moved.uidMap.size === 1, 'COPYUID from MOVE')
      assert.equal((imap.mailbox as { exists: number }).exists, 0)
    } finally {
      lock.release()
    }
    const trash = await imap.status('Trash', { messages: true, unseen: true })
    assert.ok(trash)
    assert.equal(trash.messages, 1)
  } finally {
    await imap.logout()
  }
})

test('imapflow: IDLE hears an APPEND made by another session (implicit TLS)', async () => {
  const watcher = client({ implicitTls: true })
  const writer = client()
  await watcher.connect()
  await writer.connect()
  try {
    await watcher.mailboxOpen('INBOX')
    const before = (watcher.mailbox as { exists: number }).exists
    const heard = new Promise<number>((resolve) => {
      watcher.on('exists', (data: { count: number }) => resolve(data.count))
    })
    // imapflow would enter IDLE by itself after a while; ask for it now.
    void watcher.idle()
    await new Promise((resolve) => setTimeout(resolve, 100))
    await writer.append('INBOX', 'Subject: ping\r\n\r\nfrom the other session\r\n')
    const count = await heard
    assert.equal(count, before + 1)
  } finally {
    await writer.logout()
    await watcher.logout()
  }
})
