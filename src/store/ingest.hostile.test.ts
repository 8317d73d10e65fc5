import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseMessage } from './ingest.ts'
import { MAX_INDEXED_TEXT, MAX_MIME_DEPTH, MAX_MIME_PARTS } from './ingest/limits.ts'
import type { MimePart } from './mime.ts'

function countParts(part: MimePart): number {
  let n = 1
  for (const child of part.parts ?? []) n += countParts(child)
  if (part.message) n += countParts(part.message.root)
  return n
}

function depthOf(part: MimePart): number {
  let deepest = 0
  for (const child of part.parts ?? []) deepest = Math.max(deepest, depthOf(child))
  if (part.message) deepest = Math.max(deepest, depthOf(part.message.root))
  return deepest + 1
}

test('10 000 nested multiparts: deeper parts are opaque, no stack overflow', () => {
  let raw = ''
  for (let i = 0; i < 10_000; i++) raw += `Content-Type: multipart/mixed; boundary=b${i}\r\n\r\n--b${i}\r\n`
  const parsed = parseMessage(Buffer.from(raw + 'end\r\n'))
  assert.ok(depthOf(parsed.mime) <= MAX_MIME_DEPTH + 1)
  let deepest = parsed.mime
  while (deepest.parts) deepest = deepest.parts[0]
  assert.equal(`${deepest.type}/${deepest.subtype}`, 'application/octet-stream')
})

test('10 000 nested message/rfc822 parts are cut at the depth limit too', () => {
  const raw = 'Content-Type: message/rfc822\r\n\r\n'.repeat(10_000) + 'Subject: deep\r\n\r\nbody\r\n'
  const parsed = parseMessage(Buffer.from(raw))
  assert.ok(depthOf(parsed.mime) <= MAX_MIME_DEPTH + 1)
})

test('100 000 empty parts: the tree keeps at most MAX_MIME_PARTS', () => {
  const raw = 'Content-Type: multipart/mixed; boundary=x\r\n\r\n' + '--x\r\n\r\n'.repeat(100_000) + '--x--\r\n'
  const parsed = parseMessage(Buffer.from(raw))
  assert.ok(countParts(parsed.mime) <= MAX_MIME_PARTS)
  assert.ok((parsed.mime.parts?.length ?? 0) > 100)
})

test('a 1 MB header line and NUL bytes are tolerated', () => {
  const raw = Buffer.concat([
    Buffer.from('Subject: ' + 'a'.repeat(1024 * 1024) + '\r\nX-Nul: a\0b\r\nFrom: x\0y@z.test\r\n\r\nbody\0text\r\n'),
  ])
  const parsed = parseMessage(raw)
  assert.ok(parsed.mime.bodyStart > 1024 * 1024, 'the header block is found whole')
  assert.equal(Buffer.from(raw.subarray(parsed.mime.bodyStart)).toString(), 'body\0text\r\n')
  assert.ok(parsed.subject.length > 1000)
})

test('broken base64, broken quoted-printable, broken encoded-words and RFC 2231 values decode best-effort', () => {
  const raw = Buffer.from([
    'Subject: =?utf-8?q?unclosed =?bogus-charset?B?w6k=?= =?utf-8?x?bad?= =?',
    'Content-Type: multipart/mixed; boundary=z',
    '',
    '--z',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: base64',
    '',
    'aGVsbG8g!!!d29y*bGQ=ignored===',
    '--z',
    "Content-Type: text/plain; charset*=x-unknown''%FF%41; name*0*=%; name*2=z",
    'Content-Transfer-Encoding: quoted-printable',
    '',
    'broken =ZZ and =4 and soft=',
    'break and = alone',
    '--z--',
    '',
  ].join('\r\n'))
  const parsed = parseMessage(raw)
  assert.match(parsed.subject, /unclosed/)
  assert.match(parsed.subject, /é/, 'an unknown charset falls back instead of failing')
  assert.match(parsed.text, /hello/)
  assert.match(parsed.text, /broken =ZZ and =4 and softbreak and = alone/)
})

test('a 20 MiB message with a base64 attachment: text parts found, the attachment not decoded', () => {
  const line = 'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\r\n'
  const attachment = line.repeat(Math.ceil((20 * 1024 * 1024) / line.length))
  const raw = Buffer.from([
    'From: big@example.test',
    'Subject: big',
    'Content-Type: multipart/mixed; boundary="=_big"',
    '',
    '--=_big',
    'Content-Type: text/plain',
    '',
    'see the attachment',
    '--=_big',
    'Content-Type: application/pdf; name="huge.pdf"',
    'Content-Transfer-Encoding: base64',
    '',
    attachment + '--=_big--',
    '',
  ].join('\r\n'))
  const parsed = parseMessage(raw)
  const [text, pdf] = parsed.mime.parts ?? []
  assert.equal(text.size, 'see the attachment'.length)
  assert.equal(pdf.bodyEnd, raw.length - '\r\n--=_big--\r\n'.length)
  assert.equal(parsed.text, 'see the attachment')
  assert.equal(parsed.attachmentNames, 'huge.pdf')
})

test('a 5 MB text part is indexed only up to MAX_INDEXED_TEXT', () => {
  const raw = Buffer.from('Subject: long\r\n\r\n' + 'word '.repeat(1024 * 1024))
  const parsed = parseMessage(raw)
  assert.ok(parsed.text.length <= MAX_INDEXED_TEXT)
  assert.ok(parsed.text.length > MAX_INDEXED_TEXT / 2)
  assert.equal(parsed.preview, 'word '.repeat(52).slice(0, 256), 'RFC 8970: at most 256 characters')
})

// Inputs built to make a naive parser quadratic or loop; each must simply finish (linear scans).
const BOMBS: Array<[string, string]> = [
  ['unclosed comments', 'From: ' + '('.repeat(200_000) + '\r\n\r\nx'],
  ['unclosed quotes', 'From: ' + '"a'.repeat(100_000) + '\r\n\r\nx'],
  ['unclosed angles', 'From: ' + '<'.repeat(200_000) + '\r\n\r\nx'],
  ['group openers', 'To: ' + 'a:'.repeat(100_000) + '\r\n\r\nx'],
  ['unclosed encoded-words', 'Subject: ' + '=?utf-8?q?aaaa'.repeat(18_000) + '\r\n\r\nx'],
  ['RFC 2231 segments', 'Content-Type: text/plain' + '; a*1*=%41'.repeat(25_000) + '\r\n\r\nx'],
  ['subject blobs', 'Subject: ' + '[x]'.repeat(80_000) + '\r\n\r\nx'],
  ['lines that almost are boundaries', 'Content-Type: multipart/mixed; boundary=a\r\n\r\n' + '--ab\r\n'.repeat(200_000)],
  ['entities', 'Content-Type: text/html\r\n\r\n' + '&amp;&#65;&zz;'.repeat(50_000)],
  ['unclosed tags', 'Content-Type: text/html\r\n\r\n' + '<a'.repeat(500_000)],
  ['1000 000 bare CRs', 'Subject: x\r' + '\r'.repeat(1_000_000)],
]

for (const [name, text] of BOMBS) {
  test(`hostile input finishes: ${name}`, () => {
    const raw = Buffer.from(text)
    const parsed = parseMessage(raw)
    assert.ok(parsed.mime.bodyEnd === raw.length)
  })
}
