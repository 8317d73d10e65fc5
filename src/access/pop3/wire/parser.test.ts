import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { lineCount, messageNumber, parseLine, Pop3SyntaxError } from './parser.ts'

test('keywords are case-insensitive; PASS keeps spaces in its argument', () => {
  assert.deepEqual(parseLine('retr 1'), { keyword: 'RETR', rest: '1', words: ['1'] })
  assert.deepEqual(parseLine('PASS my secret  pw'), { keyword: 'PASS', rest: 'my secret  pw', words: ['my', 'secret', 'pw'] })
  assert.deepEqual(parseLine('STAT'), { keyword: 'STAT', rest: '', words: [] })
})

for (const bad of ['', ' STAT', 'ST4T', '123', 'TOOLONGKEYWORD', 'RETR\t1', 'LIST\x001']) {
  test(`refuses ${JSON.stringify(bad)}`, () => assert.throws(() => parseLine(bad), Pop3SyntaxError))
}

test('message numbers are positive decimals', () => {
  assert.equal(messageNumber('7'), 7)
  for (const bad of [undefined, '0', '-1', '1.5', 'x', '9999999999', '+3']) assert.throws(() => messageNumber(bad), Pop3SyntaxError)
  assert.equal(lineCount('0'), 0)
  assert.throws(() => lineCount('-1'), Pop3SyntaxError)
})

test('random lines parse or throw Pop3SyntaxError only', () => {
  fc.assert(fc.property(fc.string({ maxLength: 80 }), (line) => {
    try {
      const parsed = parseLine(line)
      for (const w of parsed.words) { try { messageNumber(w) } catch (e) { if (!(e instanceof Pop3SyntaxError)) throw e } }
    } catch (error) {
      if (!(error instanceof Pop3SyntaxError)) throw error
    }
  }), { numRuns: 2000 })
})
