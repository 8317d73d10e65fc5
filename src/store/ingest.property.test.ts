import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import fc from 'fast-check'
import { parseMessage } from './ingest.ts'
import { MAX_INDEXED_TEXT, MAX_MIME_DEPTH, MAX_MIME_PARTS } from './ingest/limits.ts'
import type { MimePart, ParsedMessage } from './mime.ts'

const FIXTURES = resolve(import.meta.dirname, '../../test/fixtures/mail')
const SEEDS = ['nested.eml', 'digest.eml'].map((name) => new Uint8Array(readFileSync(resolve(FIXTURES, name))))

/** Checks the invariants IMAP relies on; returns the number of parts. */
function checkPart(raw: Uint8Array, part: MimePart, within: { start: number; end: number }, depth: number): number {
  assert.ok(within.start <= part.headerStart, 'part starts inside its parent')
  assert.ok(part.headerStart <= part.bodyStart && part.bodyStart <= part.bodyEnd, 'header before body')
  assert.ok(part.bodyEnd <= within.end, 'part ends inside its parent')
  assert.equal(part.size, part.bodyEnd - part.bodyStart)
  const lfs = raw.subarray(part.bodyStart, part.bodyEnd).reduce((n, byte) => n + (byte === 0x0a ? 1 : 0), 0)
  assert.equal(part.lines, part.type === 'text' || part.type === 'message' ? lfs : 0, 'lines counts the LFs of a text or message body')
  assert.ok(depth <= MAX_MIME_DEPTH * 2 + 2, 'depth is bounded')
  let count = 1
  if (part.type === 'multipart') {
    assert.ok(part.parts !== undefined && part.parts.length > 0, 'a multipart always has a part')
    let previousEnd = part.bodyStart
    for (const child of part.parts) {
      assert.ok(child.headerStart >= previousEnd, 'siblings are in order and do not overlap')
      count += checkPart(raw, child, { start: part.bodyStart, end: part.bodyEnd }, depth + 1)
      previousEnd = child.bodyEnd
    }
  }
  if (part.message !== undefined) {
    assert.equal(part.message.root.headerStart, part.bodyStart)
    assert.equal(part.message.root.bodyEnd, part.bodyEnd)
    count += checkPart(raw, part.message.root, { start: part.bodyStart, end: part.bodyEnd }, depth + 1)
  }
  return count
}

function checkMessage(raw: Uint8Array): ParsedMessage {
  const parsed = parseMessage(raw)
  assert.equal(parsed.mime.headerStart, 0)
  assert.equal(parsed.mime.bodyEnd, raw.length)
  assert.equal(parsed.header.length, parsed.mime.bodyStart)
  const parts = checkPart(raw, parsed.mime, { start: 0, end: raw.length }, 0)
  assert.ok(parts <= MAX_MIME_PARTS, `at most MAX_MIME_PARTS parts (${parts})`)
  assert.ok(parsed.text.length <= MAX_INDEXED_TEXT + 1000)
  assert.ok(parsed.preview.length <= 256)
  assert.ok(parsed.sentAt === null || Number.isFinite(parsed.sentAt))
  JSON.stringify(parsed.mime) // the store keeps it as JSON
  for (const field of ['subject', 'from', 'to', 'cc', 'bcc', 'text', 'attachmentNames', 'preview'] as const) {
    assert.ok(!parsed[field].includes('\0'), `no NUL in ${field}: the full-text index is C code`)
  }
  return parsed
}

/** Pieces that make parsers take their rarer paths when strung together at random. */
const PIECES = [
  '\r\n', '\n', '\r', '\r\n\r\n', '--b\r\n', '--b--\r\n', '--b', '--c\r\n', '--c--', ' ', '\t', '\0',
  'Content-Type: multipart/mixed; boundary=b\r\n', 'Content-Type: multipart/digest; boundary="c"\r\n',
  'Content-Type: message/rfc822\r\n', 'Content-Type: text/html; charset=x\r\n',
  'Content-Transfer-Encoding: base64\r\n', 'Content-Transfer-Encoding: quoted-printable\r\n',
  'Content-Disposition: attachment; filename*0*=utf-8\'\'%E2; filename*1*=%82%AC\r\n',
  'Subject: =?utf-8?q?a=C3?= =?utf-8?b?qQ==?= =?utf-8?q?=00?=\r\n', 'Content-Type: text/plain; name*=utf-8\'\'%00x\r\n', 'From: a:b <c@d>, "e\\" f" (g (h)) <@i:j@k>;\r\n',
  'Date: 1 Jan 99 25:61 XYZ\r\n', 'References: <a@b> <<c@d>> e@f\r\n', '=?', '?=', '=\r\n', '=4', '=ZZ',
  '"', '(', ')', '<', '>', ';', ':', ',', '@', '[', ']', '&amp;', '&#x1F600;', '<p>', '<script>', 'x', 'é',
]

const piecewise = fc.array(fc.constantFrom(...PIECES), { maxLength: 120 }).map((pieces) => new Uint8Array(Buffer.from(pieces.join(''))))

const mutated = fc
  .tuple(
    fc.constantFrom(...SEEDS),
    fc.array(fc.tuple(fc.nat(), fc.nat({ max: 40 }), fc.constantFrom('delete', 'insert', 'duplicate', 'truncate'), fc.uint8Array({ maxLength: 8 })), { minLength: 1, maxLength: 6 }),
  )
  .map(([seed, edits]) => {
    let bytes = Buffer.from(seed)
    for (const [at, length, kind, insert] of edits) {
      const pos = at % (bytes.length + 1)
      if (kind === 'delete') bytes = Buffer.concat([bytes.subarray(0, pos), bytes.subarray(pos + length)])
      else if (kind === 'insert') bytes = Buffer.concat([bytes.subarray(0, pos), insert, bytes.subarray(pos)])
      else if (kind === 'duplicate') bytes = Buffer.concat([bytes.subarray(0, pos + length), bytes.subarray(pos)])
      else bytes = bytes.subarray(0, pos)
    }
    return new Uint8Array(bytes)
  })

test('arbitrary bytes: parseMessage never throws and offsets stay within the message', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 2048 }), (raw) => void checkMessage(raw)), { numRuns: 300 })
})

test('strings of MIME pieces: never throws, parts nest consistently, limits hold', () => {
  fc.assert(fc.property(piecewise, (raw) => void checkMessage(raw)), { numRuns: 400 })
})

test('mutated valid messages: never throws, parts nest consistently', () => {
  fc.assert(fc.property(mutated, (raw) => void checkMessage(raw)), { numRuns: 400 })
})

test('an unmutated seed keeps its structure (the property checks can see a tree)', () => {
  const parsed = checkMessage(SEEDS[0])
  assert.equal(parsed.mime.parts?.length, 3)
})
