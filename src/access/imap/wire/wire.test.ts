import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { tokenize, literalMark, type Token } from './tokenizer.ts'
import { ImapArgs, parseSequenceSet, parseSearchDate, parseDateTime } from './parser.ts'
import { ImapSyntaxError } from './syntax-error.ts'
import { encodeMutf7, decodeMutf7 } from './utf7.ts'
import { encodeString, encodeAString, encodeMailbox } from './encoder.ts'

const line = (text: string) => ({ lines: [Buffer.from(text)], literals: [] })

function show(tokens: Token[]): unknown[] {
  return tokens.map((t) => t.type === 'list' ? show(t.items) : t.type === 'atom' ? t.value : `"${t.value.toString()}"`)
}

const TOKENS: Array<[string, unknown[]]> = [
  ['a1 NOOP', ['a1', 'NOOP']],
  ['a LOGIN "joe" "p\\"w\\\\d"', ['a', 'LOGIN', '"joe"', '"p"w\\d"']],
  ['a FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (From To)]<0.100>)', ['a', 'FETCH', '1:*', ['FLAGS', 'BODY.PEEK[HEADER.FIELDS (From To)]<0.100>']]],
  ['a STORE 2,4:5 +FLAGS.SILENT (\\Seen $Forwarded)', ['a', 'STORE', '2,4:5', '+FLAGS.SILENT', ['\\Seen', '$Forwarded']]],
  ['a LIST "" *', ['a', 'LIST', '""', '*']],
  ['a SEARCH OR (FROM x) NOT SEEN', ['a', 'SEARCH', 'OR', ['FROM', 'x'], 'NOT', 'SEEN']],
  ['a SELECT ""', ['a', 'SELECT', '""']],
]

for (const [input, expected] of TOKENS) {
  test(`tokenizes ${input}`, () => {
    assert.deepEqual(show(tokenize(line(input))), expected)
  })
}

test('tokenizes literals between lines', () => {
  const tokens = tokenize({ lines: [Buffer.from('a LOGIN {3}'), Buffer.from(' {4+}'), Buffer.from('')], literals: [Buffer.from('joe'), Buffer.from('pass')] })
  assert.deepEqual(show(tokens), ['a', 'LOGIN', '"joe"', '"pass"'])
})

test('recognises literal marks', () => {
  assert.deepEqual(literalMark(Buffer.from('a APPEND x {4294967295}')), { size: 4294967295, nonSync: false, binary: false, at: 11 })
  assert.deepEqual(literalMark(Buffer.from('a APPEND x ~{5+}')), { size: 5, nonSync: true, binary: true, at: 11 })
  assert.equal(literalMark(Buffer.from('a NOOP')), null)
})

const BAD = ['a FETCH 1 (FLAGS', 'a FETCH 1 FLAGS)', 'a LOGIN "unterminated', 'a LOGIN "bad\\escape"', 'a X BODY[HEADER', 'a X {5} more', 'a X \x01', '('.repeat(100)]
for (const input of BAD) {
  test(`rejects ${JSON.stringify(input).slice(0, 40)} with a syntax error`, () => {
    assert.throws(() => tokenize(line(input)), ImapSyntaxError)
  })
}

test('sequence sets: *, $, reversed ranges, errors', () => {
  assert.deepEqual(parseSequenceSet('1:*,5,9:3'), { saved: false, ranges: [{ start: 1, end: '*' }, { start: 5, end: 5 }, { start: 9, end: 3 }] })
  assert.deepEqual(parseSequenceSet('$'), { saved: true })
  for (const bad of ['0', '1:', ':3', '1,,2', 'a', '4294967296', '1:2:3', '']) {
    assert.throws(() => parseSequenceSet(bad), ImapSyntaxError, bad)
  }
})

test('dates', () => {
  assert.equal(parseSearchDate('1-Feb-1994'), '1994-02-01')
  assert.equal(parseDateTime('17-Jul-1996 02:44:25 -0700'), Date.UTC(1996, 6, 17, 9, 44, 25))
  assert.throws(() => parseSearchDate('31-Foo-2020'), ImapSyntaxError)
})

test('modified UTF-7 round trip (RFC 3501 5.1.3 example)', () => {
  assert.equal(encodeMutf7('~peter/mail/台北/日本語'), '~peter/mail/&U,BTFw-/&ZeVnLIqe-')
  assert.equal(decodeMutf7('~peter/mail/&U,BTFw-/&ZeVnLIqe-'), '~peter/mail/台北/日本語')
  assert.equal(encodeMutf7('A&B'), 'A&-B')
  assert.equal(decodeMutf7('A&-B'), 'A&B')
  assert.throws(() => decodeMutf7('&Jjo'), ImapSyntaxError)
  fc.assert(fc.property(fc.string({ unit: 'grapheme' }), (s) => decodeMutf7(encodeMutf7(s)) === s))
})

test('ImapArgs mailbox decoding: INBOX any case, mUTF-7 vs UTF-8, invalid UTF-8 refused', () => {
  const args = (text: string, utf8: boolean) => new ImapArgs(tokenize(line(text)), utf8)
  assert.equal(args('inbox', false).mailbox(), 'INBOX')
  assert.equal(args('&ZeVnLIqe-', false).mailbox(), '日本語')
  assert.equal(args('"日本語"', true).mailbox(), '日本語')
  const invalid = new ImapArgs(tokenize({ lines: [Buffer.from([0x22, 0xff, 0xfe, 0x22])], literals: [] }), true)
  assert.throws(() => invalid.mailbox(), ImapSyntaxError)
})

test('encoder picks quoted, literal or atom', () => {
  assert.equal(encodeString('a "b"'), '"a \\"b\\""')
  assert.equal(encodeString('x\r\ny'), '{4}\r\nx\r\ny')
  assert.equal(encodeString('é'), '{2}\r\né')
  assert.equal(encodeString('é', true), '"é"')
  assert.equal(encodeAString('INBOX'), 'INBOX')
  assert.equal(encodeAString('a b'), '"a b"')
  assert.equal(encodeMailbox('日本語', false), '&ZeVnLIqe-')
})

test('property: random bytes never throw anything but ImapSyntaxError', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
    try {
      const tokens = tokenize({ lines: [Buffer.from(bytes)], literals: [] })
      const args = new ImapArgs(tokens, false)
      while (!args.done) {
        const t = args.peek()!
        if (t.type === 'atom' && /^[\d*$:,]+$/.test(t.value)) args.sequenceSet()
        else if (t.type === 'list') args.list('x')
        else args.mailbox()
      }
    } catch (error) {
      if (!(error instanceof ImapSyntaxError)) throw error
    }
  }), { numRuns: 3000 })
})

test('property: mutated valid commands never throw anything but ImapSyntaxError', () => {
  const base = TOKENS.map(([input]) => input)
  fc.assert(fc.property(fc.constantFrom(...base), fc.array(fc.tuple(fc.nat(), fc.constantFrom('(', ')', '"', '\\', '[', ']', '{', '}', ' ', '\x00', '\xff', '<', '*'))), (input, edits) => {
    let text = input
    for (const [pos, ch] of edits) {
      const at = pos % (text.length + 1)
      text = text.slice(0, at) + ch + text.slice(at)
    }
    try {
      tokenize(line(text))
    } catch (error) {
      if (!(error instanceof ImapSyntaxError)) throw error
    }
  }), { numRuns: 3000 })
})
