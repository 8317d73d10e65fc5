import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { LineEndNormalizer, appendHeaders, hasNul, headerText, headerValue, normalizeLineEnds, prependHeaders } from './message-bytes.ts'

const b = (s: string) => Buffer.from(s, 'latin1')
const s = (u: Uint8Array) => Buffer.from(u).toString('latin1')

test('normalizeLineEnds turns bare LF and bare CR into CRLF, keeps CRLF', () => {
  assert.equal(s(normalizeLineEnds(b('a\nb\rc\r\nd\n.\ne\r.\r'))), 'a\r\nb\r\nc\r\nd\r\n.\r\ne\r\n.\r\n')
})

test('normalizeLineEnds returns clean input itself (no copy)', () => {
  const clean = b('Subject: x\r\n\r\nbody\r\n')
  assert.equal(normalizeLineEnds(clean), clean)
})

test('normalizeLineEnds: any input comes out with CR and LF only as CRLF pairs, and is stable', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
    const out = normalizeLineEnds(bytes)
    const text = s(out)
    assert.equal(text.replace(/\r\n/g, '').includes('\r') || text.replace(/\r\n/g, '').includes('\n'), false)
    assert.deepEqual(normalizeLineEnds(out), out)
  }))
})

test('hasNul finds a NUL anywhere', () => {
  assert.equal(hasNul(b('abc')), false)
  assert.equal(hasNul(b('a\0c')), true)
})

test('headerValue reads unfolded, case-insensitive header values from the header block only', () => {
  const h = headerText(b('Subject: one\r\n two\r\nmessage-id: <x@y>\r\n\r\nDate: not a header\r\n'))
  assert.equal(headerValue(h, 'subject'), 'one two')
  assert.equal(headerValue(h, 'Message-ID'), '<x@y>')
  assert.equal(headerValue(h, 'date'), null)
})

test('appendHeaders adds at the end of the header block; prependHeaders at the top', () => {
  assert.equal(s(appendHeaders(b('A: 1\r\n\r\nbody'), ['B: 2'])), 'A: 1\r\nB: 2\r\n\r\nbody')
  assert.equal(s(appendHeaders(b('A: 1\r\n'), ['B: 2'])), 'A: 1\r\nB: 2\r\n\r\n')
  assert.equal(s(prependHeaders(b('A: 1\r\n\r\nbody'), ['R: x'])), 'R: x\r\nA: 1\r\n\r\nbody')
})

test('LineEndNormalizer over any split of the input equals normalizeLineEnds of the whole', () => {
  fc.assert(fc.property(fc.array(fc.constantFrom('a', '\r', '\n', '.', '\r\n'), { maxLength: 40 }), fc.array(fc.nat(40), { maxLength: 6 }), (parts, cuts) => {
    const whole = b(parts.join(''))
    const at = [...new Set(cuts.map((c) => Math.min(c, whole.length)))].sort((x, y) => x - y)
    const n = new LineEndNormalizer()
    const out: Uint8Array[] = []
    let from = 0
    for (const cut of [...at, whole.length]) {
      out.push(n.push(whole.subarray(from, cut)))
      from = cut
    }
    out.push(n.end())
    assert.equal(s(Buffer.concat(out)), s(normalizeLineEnds(whole)))
  }))
})
