import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseMessage } from './ingest.ts'
import type { MimePart } from './mime.ts'

const FIXTURES = resolve(import.meta.dirname, '../../test/fixtures/mail')

function fixture(name: string): Buffer {
  return readFileSync(resolve(FIXTURES, name))
}

/** What IMAP would send for BODY[n] and BODY[n.MIME]: slices of the stored bytes. */
function body(raw: Uint8Array, part: MimePart): string {
  return Buffer.from(raw.subarray(part.bodyStart, part.bodyEnd)).toString('utf8')
}
function mimeHeader(raw: Uint8Array, part: MimePart): string {
  return Buffer.from(raw.subarray(part.headerStart, part.bodyStart)).toString('utf8')
}
function crlf(text: string): Buffer {
  return Buffer.from(text.replace(/\n/g, '\r\n'))
}

test('multipart/mixed with alternative and message/rfc822: every offset slices the right bytes', () => {
  const raw = fixture('nested.eml')
  const parsed = parseMessage(raw)
  const root = parsed.mime
  assert.equal(`${root.type}/${root.subtype}`, 'multipart/mixed')
  assert.equal(root.headerStart, 0)
  assert.equal(root.bodyEnd, raw.length)
  assert.equal(Buffer.from(parsed.header).toString(), raw.subarray(0, root.bodyStart).toString())
  assert.ok(Buffer.from(parsed.header).toString().endsWith('boundary="outer"\r\n\r\n'))
  assert.equal(root.parts?.length, 3, 'preamble and epilogue are not parts')

  const [alternative, attached, textAttachment] = root.parts ?? []
  assert.equal(`${alternative.type}/${alternative.subtype}`, 'multipart/alternative')
  assert.equal(mimeHeader(raw, alternative), 'Content-Type: multipart/alternative; boundary=inner\r\n\r\n')
  assert.match(body(raw, alternative), /^--inner\r\n[^]*\r\n--inner--\r\n$/)

  const [plain, html] = alternative.parts ?? []
  assert.equal(mimeHeader(raw, plain), 'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n')
  assert.equal(body(raw, plain), 'Caf=C3=A9 meeting at noon.\r\nSee you there.', 'the CRLF before a boundary belongs to it')
  assert.equal(plain.encoding, 'quoted-printable')
  assert.equal(plain.size, plain.bodyEnd - plain.bodyStart)
  assert.equal(plain.lines, 1)
  assert.equal(`${html.type}/${html.subtype}`, 'text/html')
  assert.match(body(raw, html), /^<html>.*Café — meeting.*<\/html>$/)
  assert.equal(html.size, Buffer.byteLength(body(raw, html)), 'offsets count bytes, not characters')

  assert.equal(`${attached.type}/${attached.subtype}`, 'message/rfc822')
  assert.deepEqual(attached.disposition, { type: 'attachment', params: { filename: 'forwarded.eml' }, rawParams: [['filename', 'forwarded.eml']] })
  const inner = attached.message
  assert.ok(inner)
  assert.equal(inner.envelope.subject, 'Inner subject')
  assert.deepEqual(inner.envelope.from, [{ name: 'Alice', adl: null, mailbox: 'alice', host: 'example.test' }])
  assert.equal(inner.root.headerStart, attached.bodyStart)
  assert.equal(inner.root.bodyEnd, attached.bodyEnd)
  // BODY[2.HEADER]
  assert.match(mimeHeader(raw, inner.root), /^From: Alice <alice@example.test>\r\n[^]*boundary="deep"\r\n\r\n$/)
  const [innerText, innerBinary] = inner.root.parts ?? []
  assert.equal(body(raw, innerText), 'Inner body line.')
  assert.equal(body(raw, innerBinary), 'AAECAwQF')
  assert.equal(innerBinary.encoding, 'base64')
  assert.equal(attached.lines, (body(raw, attached).match(/\n/g) ?? []).length)

  assert.equal(textAttachment.params.name, '€ rates.txt', "RFC 2231 charset'lang'%XX")
  assert.equal(textAttachment.disposition?.params.filename, '€ rates.txt', 'RFC 2231 continuations joined')
  // BODYSTRUCTURE gets continuations merged but still encoded, as Dovecot sends them.
  assert.deepEqual(textAttachment.disposition?.rawParams, [['filename*', "utf-8''%E2%82%AC%20rates.txt"]])
  assert.deepEqual(textAttachment.rawParams, [['name*', "utf-8''%E2%82%AC%20rates.txt"], ['charset', 'us-ascii']])
  assert.ok(body(raw, textAttachment).startsWith('RXhjaGFuZ2Ug'))

  // Nesting is consistent: each child lies inside its parent's body.
  for (const [parent, child] of [[root, alternative], [alternative, plain], [alternative, html], [root, attached], [root, textAttachment]]) {
    assert.ok(child.headerStart >= parent.bodyStart && child.bodyEnd <= parent.bodyEnd)
  }
})

test('message fields of the nested fixture: decoded subject, addresses, references, text', () => {
  const parsed = parseMessage(fixture('nested.eml'))
  assert.equal(parsed.envelope.subject, '=?UTF-8?Q?Quarterly_r=C3=A9sum=C3=A9?= =?UTF-8?Q?_and_notes?=', 'ENVELOPE keeps encoded-words')
  assert.equal(parsed.subject, 'Quarterly résumé and notes', 'RFC 2047 words joined, space between them dropped')
  assert.equal(parsed.envelope.from[0].name, '=?UTF-8?B?SsO8cmdlbg==?=')
  assert.equal(parsed.from, 'Jürgen <juergen@example.test>')
  assert.equal(parsed.sortFrom, 'juergen@example.test')
  assert.equal(parsed.sortTo, '')
  assert.equal(parsed.sortCc, 'ann@example.test')
  assert.equal(parsed.sentAt, Date.UTC(2025, 2, 3, 14, 15, 0))
  assert.equal(parsed.messageId, 'nested-1@example.test')
  assert.deepEqual(parsed.references, ['parent@example.test', 'root@example.test'])
  assert.deepEqual(parsed.envelope.to, [
    { name: null, adl: null, mailbox: 'undisclosed-recipients', host: null },
    { name: null, adl: null, mailbox: null, host: null },
  ])
  assert.match(parsed.text, /Café meeting at noon/)
  assert.match(parsed.text, /Café — meeting at noon & lunch\./, 'HTML reduced to text, entities decoded')
  assert.doesNotMatch(parsed.text, /color: red/, 'style content is not text')
  assert.match(parsed.text, /Inner body line\./, 'encapsulated message text is indexed')
  assert.match(parsed.text, /zebrafish kumquat/, 'a base64 text/plain attachment is searchable')
  assert.doesNotMatch(parsed.text, /AAECAwQF/, 'binary attachments are not indexed')
  assert.equal(parsed.attachmentNames, 'forwarded.eml € rates.txt')
  assert.equal(parsed.preview, 'Café meeting at noon. See you there.')
})

test('multipart/digest: parts without Content-Type are message/rfc822 (RFC 2046 5.1.5)', () => {
  const raw = fixture('digest.eml')
  const root = parseMessage(raw).mime
  const types = root.parts?.map((p) => `${p.type}/${p.subtype}`)
  assert.deepEqual(types, ['message/rfc822', 'message/rfc822', 'text/plain'])
  const first = root.parts?.[0]
  assert.ok(first?.message)
  assert.equal(mimeHeader(raw, first), '\r\n', 'a part with no header starts with its blank line')
  assert.equal(first.message.envelope.subject, 'my opinion')
  assert.equal(body(raw, first.message.root), '...body goes here ...')
})

const CASES: Array<{ name: string; raw: Buffer; check: (raw: Buffer, parsed: ReturnType<typeof parseMessage>) => void }> = [
  {
    name: 'bare-LF message: header and parts split on LF alone',
    raw: Buffer.from('Subject: lf\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\none\ntwo\n--b\n\nthree\n--b--\n'),
    check(raw, parsed) {
      assert.equal(parsed.subject, 'lf')
      assert.equal(Buffer.from(parsed.header).toString(), 'Subject: lf\nContent-Type: multipart/mixed; boundary=b\n\n')
      const [a, b] = parsed.mime.parts ?? []
      assert.equal(body(raw, a), 'one\ntwo')
      assert.equal(a.lines, 1)
      assert.equal(mimeHeader(raw, b), '\n')
      assert.equal(body(raw, b), 'three')
      assert.deepEqual(b.params, { charset: 'us-ascii' }, 'no Content-Type: text/plain; charset=us-ascii')
    },
  },
  {
    name: 'no blank line: the whole message is header, body empty',
    raw: crlf('From: a@b.test\nSubject: only a header\n'),
    check(raw, parsed) {
      assert.equal(parsed.mime.bodyStart, raw.length)
      assert.equal(parsed.mime.size, 0)
      assert.equal(parsed.subject, 'only a header')
      assert.equal(parsed.text, '')
    },
  },
  {
    name: 'missing close boundary: the last part runs to the end',
    raw: crlf('Content-Type: multipart/mixed; boundary="zz"\n\n--zz\n\nfirst\n--zz\n\nsecond, never closed\n'),
    check(raw, parsed) {
      const parts = parsed.mime.parts ?? []
      assert.equal(parts.length, 2)
      assert.equal(body(raw, parts[0]), 'first')
      assert.equal(body(raw, parts[1]), 'second, never closed\r\n')
      assert.equal(parts[1].bodyEnd, raw.length)
    },
  },
  {
    name: 'a boundary that prefixes a longer line is not a delimiter',
    raw: crlf('Content-Type: multipart/mixed; boundary="ab"\n\n--ab\n\n--abc is text\n--ab--\n'),
    check(raw, parsed) {
      assert.equal(parsed.mime.parts?.length, 1)
      assert.equal(body(raw, parsed.mime.parts[0]), '--abc is text')
    },
  },
  {
    name: 'multipart without a boundary gets one empty text/plain part',
    raw: crlf('Content-Type: multipart/mixed\n\nno parts here\n'),
    check(raw, parsed) {
      assert.equal(parsed.mime.parts?.length, 1)
      assert.equal(parsed.mime.parts[0].size, 0)
      assert.equal(parsed.mime.parts[0].type, 'text')
    },
  },
  {
    name: 'an unreadable Content-Type defaults to text/plain (RFC 2045 5.2)',
    raw: crlf('Content-Type: garbage\n\nhello\n'),
    check(_raw, parsed) {
      assert.equal(`${parsed.mime.type}/${parsed.mime.subtype}`, 'text/plain')
      assert.equal(parsed.mime.params.charset, 'us-ascii')
      assert.equal(parsed.text, 'hello\n')
    },
  },
  {
    name: 'RFC 2047 subject in ISO-8859-1 and base64, Q with underscores',
    raw: crlf('Subject: =?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?=\n =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?=\nTo: =?ISO-8859-1?Q?Olle_J=E4rnefors?= <ojarnef@admin.kth.se>\n\n'),
    check(_raw, parsed) {
      assert.equal(parsed.subject, 'If you can read this you understand the example.')
      assert.equal(parsed.to, 'Olle Järnefors <ojarnef@admin.kth.se>')
      assert.equal(parsed.envelope.to[0].name, '=?ISO-8859-1?Q?Olle_J=E4rnefors?=')
    },
  },
  {
    name: 'quoted-printable latin-1 and charset fallback for an unknown charset',
    raw: crlf('Content-Type: multipart/mixed; boundary=q\n\n--q\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\nS=E5 l=E4nge soft=\nbreak\n--q\nContent-Type: text/plain; charset=x-no-such-charset\n\nplain ascii\n--q--\n'),
    check(_raw, parsed) {
      assert.match(parsed.text, /Så länge softbreak/)
      assert.match(parsed.text, /plain ascii/)
    },
  },
  {
    name: 'raw 8-bit header fields: each read as UTF-8 when it is, else as Latin-1',
    raw: Buffer.concat([Buffer.from('Subject: '), Buffer.from('Grüße', 'utf8'), Buffer.from('\r\nFrom: '), Buffer.from('Jörg', 'latin1'), Buffer.from(' <j@x.test>\r\n\r\nx\r\n')]),
    check(_raw, parsed) {
      assert.equal(parsed.subject, 'Grüße')
      assert.equal(parsed.envelope.from[0].name, 'Jörg')
    },
  },
  {
    name: '8-bit text without a charset is read as UTF-8 when valid, else as Windows-1252',
    raw: Buffer.concat([
      Buffer.from('Content-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\n\r\nutf8: '),
      Buffer.from('Grüße', 'utf8'),
      Buffer.from('\r\n--q\r\n\r\nlatin1: '),
      Buffer.from('Grüße', 'latin1'),
      Buffer.from('\r\n--q--\r\n'),
    ]),
    check(_raw, parsed) {
      assert.match(parsed.text, /utf8: Grüße/)
      assert.match(parsed.text, /latin1: Grüße/)
    },
  },
  {
    name: 'message/rfc822 in base64 stays message/rfc822, its bytes parsed as they are (as Dovecot)',
    raw: crlf('Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\nU3ViamVjdDogeA0KDQp5\n'),
    check(raw, parsed) {
      assert.equal(`${parsed.mime.type}/${parsed.mime.subtype}`, 'message/rfc822')
      assert.ok(parsed.mime.message)
      assert.equal(parsed.mime.message.root.headerStart, parsed.mime.bodyStart)
      assert.equal(parsed.mime.message.root.bodyEnd, raw.length)
    },
  },
  {
    name: 'a boundary matches the start of a line (RFC 2046 5.1.1 note), unless a boundary character follows',
    raw: crlf('Content-Type: multipart/mixed; boundary=q\n\n--q; junk\n\none\n--qx is text\n--q--junk\nepilogue\n'),
    check(raw, parsed) {
      assert.equal(parsed.mime.parts?.length, 1)
      assert.equal(body(raw, parsed.mime.parts[0]), 'one\r\n--qx is text')
    },
  },
  {
    name: 'repeated fields: the last Subject wins, every From address is listed (as Dovecot)',
    raw: crlf('Subject: first\nSubject: second\nFrom: a@b.test\nFrom: c@d.test\n\nx\n'),
    check(_raw, parsed) {
      assert.equal(parsed.envelope.subject, 'second')
      assert.equal(parsed.subject, 'second')
      assert.deepEqual(parsed.envelope.from.map((a) => a.mailbox), ['a', 'c'])
      assert.equal(parsed.from, 'a@b.test, c@d.test')
    },
  },
  {
    name: 'a fold and the white space after it become one space (as Dovecot)',
    raw: crlf('Subject: a\n  b\n\tc\n =?utf-8?q?d?=\n =?utf-8?q?e?=\n\nx\n'),
    check(_raw, parsed) {
      assert.equal(parsed.envelope.subject, 'a b c =?utf-8?q?d?= =?utf-8?q?e?=')
      assert.equal(parsed.subject, 'a b c de')
    },
  },
  {
    name: 'Sender and Reply-To default to From; comments and quoted local parts',
    raw: crlf('From: "Joe Q. Public" <john.q.public@example.com>\nTo: Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>\nCc: "very unusual"@example.org, jdoe@machine.example (John Doe)\nReply-To:\n\n'),
    check(_raw, parsed) {
      const joe = { name: 'Joe Q. Public', adl: null, mailbox: 'john.q.public', host: 'example.com' }
      assert.deepEqual(parsed.envelope.sender, [joe])
      assert.deepEqual(parsed.envelope.replyTo, [joe], 'an empty Reply-To falls back too')
      assert.deepEqual(parsed.envelope.to, [{ name: 'Pete', adl: null, mailbox: 'pete', host: 'silly.test' }])
      assert.deepEqual(parsed.envelope.cc, [
        { name: null, adl: null, mailbox: 'very unusual', host: 'example.org' }, // unquoted, as Dovecot sends it
        { name: 'John Doe', adl: null, mailbox: 'jdoe', host: 'machine.example' },
      ])
    },
  },
  {
    name: 'message/global is parsed like message/rfc822, with UTF-8 headers (RFC 6532 3.5)',
    raw: crlf('Content-Type: message/global\n\nSubject: Grüße aus Köln\nFrom: Jörg <jörg@example.test>\n\nHallo\n'),
    check(raw, parsed) {
      const inner = parsed.mime.message
      assert.ok(inner)
      assert.equal(inner.envelope.subject, 'Grüße aus Köln')
      assert.deepEqual(inner.envelope.from, [{ name: 'Jörg', adl: null, mailbox: 'jörg', host: 'example.test' }])
      assert.equal(body(raw, inner.root), 'Hallo\r\n')
      assert.match(parsed.text, /Grüße aus Köln\nHallo/)
    },
  },
  {
    name: 'BODYSTRUCTURE extension fields: id, description, md5, language, location, disposition',
    raw: crlf([
      'Content-Type: image/png; name="dot.png"',
      'Content-ID: <dot@example.test>',
      'Content-Description: =?utf-8?q?A_dot?=',
      'Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==',
      'Content-Language: en, de (German)',
      'Content-Location: http://example.test/',
      '  images/dot.png',
      'Content-Disposition: INLINE; filename=dot.png; size=4',
      'Content-Transfer-Encoding: Base64',
      '',
      'iVBO',
      '',
    ].join('\n')),
    check(_raw, parsed) {
      const part = parsed.mime
      assert.equal(part.id, '<dot@example.test>')
      assert.equal(part.description, '=?utf-8?q?A_dot?=', 'raw, as IMAP sends it')
      assert.equal(part.md5, 'Q2hlY2sgSW50ZWdyaXR5IQ==')
      assert.deepEqual(part.language, ['en', 'de'])
      assert.equal(part.location, 'http://example.test/ images/dot.png', 'unfolded, otherwise raw, as Dovecot sends it')
      assert.deepEqual(part.disposition, { type: 'inline', params: { filename: 'dot.png', size: '4' }, rawParams: [['filename', 'dot.png'], ['size', '4']] })
      assert.equal(part.encoding, 'base64')
      assert.equal(part.lines, 0, 'only text and message parts count lines')
      assert.equal(parsed.attachmentNames, 'dot.png')
      assert.equal(parsed.text, '')
    },
  },
]

for (const { name, raw, check } of CASES) test(name, () => check(raw, parseMessage(raw)))

test('a Uint8Array that is a view into a larger buffer is read at its own offset', () => {
  const whole = crlf('XXXXSubject: view\n\nbody\n')
  const view = new Uint8Array(whole.buffer, whole.byteOffset + 4, whole.length - 4)
  const parsed = parseMessage(view)
  assert.equal(parsed.subject, 'view')
  assert.equal(body(view, parsed.mime), 'body\r\n')
})
