/**
 * FETCH reads only the parts of the stored metadata its items need (partsFor): every item,
 * alone, must answer exactly what it answers when everything is read.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startTestServer, type TestServer } from '../../../../test/support/start-server.ts'
import { LineClient } from '../../../../test/support/line-client.ts'
import { partsFor } from './fetch-metadata.ts'
import { parseItem } from './fetch-items.ts'

const MESSAGE = [
  'From: "Ann Example" <ann@example.test>',
  'To: bob@example.test,',
  ' carol@example.test',
  'Subject: =?utf-8?q?caf=C3=A9?= and "quotes" \\ here',
  'Date: Mon, 1 Jan 2024 10:00:00 +0000',
  'Message-ID: <m1@example.test>',
  'X-Latin: caf\xe9',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="b1"',
  '',
  '--b1',
  'Content-Type: text/plain; charset=utf-8',
  'Content-Transfer-Encoding: quoted-printable',
  '',
  'Hello =C3=A9 world',
  '.leading dot',
  '--b1',
  'Content-Type: message/rfc822',
  '',
  'From: inner@example.test',
  'Subject: Inner',
  '',
  'Inner body',
  '--b1--',
  '',
].join('\r\n')

/** Every FETCH item kind, and sections of each shape. */
const ITEMS = [
  'UID', 'FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODY', 'BODYSTRUCTURE', 'MODSEQ', 'EMAILID',
  'THREADID', 'PREVIEW', 'RFC822', 'RFC822.HEADER', 'RFC822.TEXT', 'BODY.PEEK[]', 'BODY.PEEK[]<5.10>',
  'BODY.PEEK[HEADER]', 'BODY.PEEK[TEXT]', 'BODY.PEEK[HEADER.FIELDS (subject X-LATIN)]',
  'BODY.PEEK[HEADER.FIELDS.NOT (Subject)]', 'BODY.PEEK[1]', 'BODY.PEEK[1.MIME]', 'BODY.PEEK[2.HEADER]',
  'BODY.PEEK[2.TEXT]', 'BODY.PEEK[2.HEADER.FIELDS (SUBJECT)]', 'BODY.PEEK[2.1]', 'BINARY.PEEK[1]', 'BINARY.SIZE[1]',
]
/** Items that make the store read every part: the reference answer for each item. */
const EVERYTHING = 'ENVELOPE BODYSTRUCTURE PREVIEW BODY.PEEK[HEADER]'

let server: TestServer
before(async () => {
  server = await startTestServer({ config: { trusted_networks: ['127.0.0.0/8'] } })
  await server.addUser('dora@example.test', 'dora-secret')
})
after(() => server.stop())

test('every FETCH item alone answers what it answers with all metadata read', async () => {
  const c = await LineClient.connect(server.ports['listen.imap'])
  try {
    await c.readLine()
    await c.expectTagged('a', 'LOGIN dora@example.test dora-secret')
    const raw = Buffer.from(MESSAGE, 'latin1')
    c.send(Buffer.concat([Buffer.from(`b APPEND INBOX {${raw.length}+}\r\n`), raw, Buffer.from('\r\n')]))
    await c.readTagged('b')
    await c.expectTagged('c', 'ENABLE CONDSTORE')
    await c.expectTagged('d', 'EXAMINE INBOX')
    let n = 0
    for (const item of ITEMS) {
      const alone = await c.expectTagged(`e${n++}`, `FETCH 1 (${item})`)
      const full = await c.expectTagged(`f${n++}`, `FETCH 1 (${EVERYTHING} ${item})`)
      assert.equal(alone.length, 1, `${item}: ${alone.join('\n')}`)
      assert.equal(full.length, 1, `${item}: ${full.join('\n')}`)
      // Asked last, the item's data is the tail of both responses.
      const data = alone[0].slice(alone[0].indexOf('(') + 1)
      assert.ok(full[0].endsWith(' ' + data), `${item}:\n${alone[0]}\n${full[0]}`)
    }
  } finally {
    c.close()
  }
})

test('a header fetch without .PEEK sets \\Seen and reports FLAGS in the same response', async () => {
  const c = await LineClient.connect(server.ports['listen.imap'])
  try {
    await c.readLine()
    await c.expectTagged('a', 'LOGIN dora@example.test dora-secret')
    await c.expectTagged('b', 'CREATE Seen')
    const raw = 'From: a@example.test\r\nSubject: unseen\r\n\r\nbody\r\n'
    c.send(`c APPEND Seen {${raw.length}+}\r\n${raw}\r\n`)
    await c.readTagged('c')
    await c.expectTagged('d', 'SELECT Seen')
    const lines = await c.expectTagged('e', 'FETCH 1 (BODY[HEADER.FIELDS (SUBJECT)])')
    assert.deepEqual(lines, ['* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {19}\r\nSubject: unseen\r\n\r\n FLAGS (\\Seen))'])
    assert.deepEqual(await c.expectTagged('f', 'FETCH 1 (BODY[HEADER.FIELDS (SUBJECT)])'), ['* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {19}\r\nSubject: unseen\r\n\r\n)'])
  } finally {
    c.close()
  }
})

test('partsFor asks the store only for what the items read', () => {
  const parts = (...items: string[]) => partsFor(items.map(parseItem)).sort()
  assert.deepEqual(parts('UID', 'FLAGS', 'RFC822.SIZE', 'INTERNALDATE'), [])
  assert.deepEqual(parts('UID', 'FLAGS', 'ENVELOPE'), ['envelope'])
  assert.deepEqual(parts('BODY.PEEK[HEADER.FIELDS (FROM SUBJECT DATE)]'), ['header'])
  assert.deepEqual(parts('RFC822.HEADER', 'BODY.PEEK[]'), ['header'])
  assert.deepEqual(parts('BODYSTRUCTURE', 'PREVIEW'), ['mime', 'preview'])
  assert.deepEqual(parts('BODY.PEEK[TEXT]'), ['mime'])
  assert.deepEqual(parts('BODY.PEEK[2.HEADER]'), ['mime'])
  assert.deepEqual(parts('BINARY.PEEK[1]'), ['mime'])
})
