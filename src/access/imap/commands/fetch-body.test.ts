/**
 * HEADER.FIELDS filtering on bytes answers exactly what the string-based filter it replaced did,
 * for any header (folded lines, bare LF, missing final line end, 8-bit bytes, odd names).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { filterHeader } from './fetch-body.ts'

/** The previous implementation, kept as the reference. */
function reference(header: Buffer, fields: readonly string[], not: boolean): Buffer {
  const wanted = new Set(fields.map((f) => f.toLowerCase()))
  const text = header.toString('latin1')
  const out: string[] = []
  let keep = false
  for (const line of text.split(/(?<=\n)/)) {
    if (line === '\r\n' || line === '\n') break
    if (line[0] === ' ' || line[0] === '\t') {
      if (keep) out.push(line)
      continue
    }
    const colon = line.indexOf(':')
    const name = (colon > 0 ? line.slice(0, colon) : line).trim().toLowerCase()
    keep = wanted.has(name) !== not
    if (keep) out.push(line.endsWith('\n') ? line : line + '\r\n')
  }
  out.push('\r\n')
  return Buffer.from(out.join(''), 'latin1')
}

const h = (s: string) => Buffer.from(s, 'latin1')

test('HEADER.FIELDS keeps the named fields with their continuation lines, case-insensitively', () => {
  const header = h('From: a\r\nSubject: one\r\n two\r\nTo: b\r\nsubject : again\r\n\r\n')
  assert.equal(filterHeader(header, ['SUBJECT'], false).toString('latin1'), 'Subject: one\r\n two\r\nsubject : again\r\n\r\n')
  assert.equal(filterHeader(header, ['subject', 'to'], true).toString('latin1'), 'From: a\r\n\r\n')
  assert.equal(filterHeader(header, ['x-none'], false).toString('latin1'), '\r\n')
})

test('HEADER.FIELDS: a last line without its line end gets one; bare LF lines pass as they are', () => {
  assert.equal(filterHeader(h('A: 1\nB: 2'), ['b'], false).toString('latin1'), 'B: 2\r\n\r\n')
  assert.equal(filterHeader(h('A: 1\nB: 2\n\nbody'), ['a'], false).toString('latin1'), 'A: 1\n\r\n')
  assert.equal(filterHeader(h('X-8: caf\xe9\r\n\r\n'), ['x-8'], false).toString('latin1'), 'X-8: caf\xe9\r\n\r\n')
})

test('property: the byte filter equals the string filter for any header and field list', () => {
  const piece = fc.constantFrom('From', 'subject', 'SUBJECT', 'To', 'X-A', ' ', '\t', ':', ': ', '\r\n', '\n', '\r', 'v', '\xe9', '\xa0', '\xc9', 'x y', '\0')
  const header = fc.array(piece, { maxLength: 40 }).map((p) => h(p.join('')))
  const fields = fc.array(fc.constantFrom('from', 'Subject', 'to', 'x-a', 'X-B', 'v'), { maxLength: 4 })
  fc.assert(fc.property(header, fields, fc.boolean(), (bytes, names, not) => {
    assert.deepEqual(filterHeader(bytes, names, not), reference(bytes, names, not))
  }), { numRuns: 3000 })
})
