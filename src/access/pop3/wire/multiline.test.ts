import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { MultilineEncoder } from './multiline.ts'

function encode(input: string, chunkSizes: number[] = [], bodyLines?: number): string {
  const encoder = new MultilineEncoder({ bodyLines })
  const bytes = Buffer.from(input, 'latin1')
  const out: Buffer[] = []
  let at = 0
  for (const size of chunkSizes) {
    if (encoder.done) break
    out.push(encoder.encode(bytes.subarray(at, at + size)))
    at += size
  }
  if (!encoder.done) out.push(encoder.encode(bytes.subarray(at)))
  out.push(encoder.finish())
  return Buffer.concat(out).toString('latin1')
}

/** What a client does with a multi-line response: split at CRLF up to ".", un-stuff. */
function decode(wire: string): string[] {
  assert.ok(wire.endsWith('\r\n.\r\n') || wire === '.\r\n', 'ends with the terminator')
  const lines = wire.split('\r\n')
  const end = lines.indexOf('.')
  assert.equal(end, lines.length - 2, 'the only lone dot is the terminator')
  return lines.slice(0, end).map((l) => (l.startsWith('.') ? l.slice(1) : l))
}

test('dot-stuffs lines starting with "." and terminates with CRLF.CRLF', () => {
  assert.equal(encode('Subject: x\r\n\r\n.\r\n..hidden\r\nend\r\n'), 'Subject: x\r\n\r\n..\r\n...hidden\r\nend\r\n.\r\n')
})

test('a message without a final CRLF gets one before the terminator', () => {
  assert.equal(encode('a\r\nb'), 'a\r\nb\r\n.\r\n')
  assert.equal(encode(''), '.\r\n')
})

test('bare LF becomes CRLF, also when CR and LF are split across chunks', () => {
  assert.equal(encode('a\nb\r\nc\n'), 'a\r\nb\r\nc\r\n.\r\n')
  assert.equal(encode('a\r\n.b\r\n', [1, 1, 1, 1]), 'a\r\n..b\r\n.\r\n')
})

test('TOP n sends the header, the blank line and n body lines', () => {
  const message = 'From: a\r\nSubject: s\r\n\r\nline1\r\n.line2\r\nline3\r\n'
  assert.equal(encode(message, [], 0), 'From: a\r\nSubject: s\r\n\r\n.\r\n')
  assert.equal(encode(message, [], 2), 'From: a\r\nSubject: s\r\n\r\nline1\r\n..line2\r\n.\r\n')
  assert.equal(encode(message, [], 99), message.replace('.line2', '..line2') + '.\r\n')
  assert.equal(encode(message, [3, 5, 7], 1), 'From: a\r\nSubject: s\r\n\r\nline1\r\n.\r\n')
})

test('any bytes in any chunking decode back to the original lines', () => {
  const text = fc.array(fc.constantFrom('a', '.', '\r', '\n', '\r\n', '.\r\n', 'x.y', ' '), { maxLength: 60 }).map((a) => a.join(''))
  fc.assert(fc.property(text, fc.array(fc.integer({ min: 1, max: 7 }), { maxLength: 20 }), (input, chunks) => {
    const expected = input.replace(/\r?\n/g, '\n').split('\n')
    if (expected[expected.length - 1] === '') expected.pop()
    // A lone CR inside a line stays data; compare line contents.
    assert.deepEqual(decode(encode(input, chunks)), expected.map((l) => l))
  }), { numRuns: 3000 })
})
