/** encodeString's one-pass scan decides quoted vs literal exactly as the regular expressions it replaced. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { encodeString, MAX_QUOTED } from './encoder.ts'

/** The previous implementation, kept as the reference. */
function reference(value: string, utf8 = false): string {
  if (value.length <= MAX_QUOTED && !/[\0\r\n]/.test(value) && (utf8 || /^[\x01-\x7f]*$/.test(value))) {
    return '"' + value.replace(/[\\"]/g, (c) => '\\' + c) + '"'
  }
  return `{${Buffer.byteLength(value)}}\r\n${value}`
}

test('encodeString quotes plain text, escapes quotes and backslashes, and sends the rest as literals', () => {
  assert.equal(encodeString('Report 1'), '"Report 1"')
  assert.equal(encodeString('a "b" \\c'), '"a \\"b\\" \\\\c"')
  assert.equal(encodeString('caf\u00e9'), '{5}\r\ncaf\u00e9')
  assert.equal(encodeString('caf\u00e9', true), '"caf\u00e9"')
  assert.equal(encodeString('a\r\nb', true), '{4}\r\na\r\nb')
  assert.ok(encodeString('x'.repeat(MAX_QUOTED + 1)).startsWith(`{${MAX_QUOTED + 1}}\r\n`))
})

test('property: encodeString equals the regular-expression version for any string', () => {
  const text = fc.oneof(
    fc.string({ unit: fc.constantFrom('a', ' ', '"', '\\', '\0', '\r', '\n', '\x7f', '\x80', '\u00e9', '\u20ac', '\ud83d\ude00') }),
    fc.string({ unit: 'binary' }),
    fc.constantFrom('x'.repeat(MAX_QUOTED), 'x'.repeat(MAX_QUOTED + 1)),
  )
  fc.assert(fc.property(text, fc.boolean(), (value, utf8) => {
    assert.equal(encodeString(value, utf8), reference(value, utf8))
  }), { numRuns: 5000 })
})
