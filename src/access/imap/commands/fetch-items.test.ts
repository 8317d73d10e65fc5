import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { parseItem, parseFetchItems } from './fetch-items.ts'
import { locatePart, filterHeader } from './fetch-body.ts'
import { ImapArgs } from '../wire/parser.ts'
import { tokenize } from '../wire/tokenizer.ts'
import { ImapSyntaxError } from '../wire/syntax-error.ts'
import type { MimePart } from '../../../store/mime.ts'

test('FETCH items: sections, partials, labels as echoed', () => {
  assert.deepEqual(parseItem('BODY.PEEK[1.2]<0.100>'), { kind: 'section', label: 'BODY[1.2]', section: { part: [1, 2], text: '', fields: [] }, peek: true, binary: false, partial: { start: 0, length: 100 } })
  assert.deepEqual(parseItem('body[header.fields (From to)]'), { kind: 'section', label: 'BODY[HEADER.FIELDS (FROM TO)]', section: { part: [], text: 'HEADER.FIELDS', fields: ['From', 'to'] }, peek: false, binary: false, partial: null })
  assert.equal((parseItem('BODY[3.MIME]') as { label: string }).label, 'BODY[3.MIME]')
  assert.deepEqual(parseItem('BINARY.SIZE[2]'), { kind: 'BINARY.SIZE', label: 'BINARY.SIZE[2]', section: { part: [2], text: '', fields: [] } })
  assert.deepEqual(parseItem('RFC822.HEADER'), { kind: 'section', label: 'RFC822.HEADER', section: { part: [], text: 'HEADER', fields: [] }, peek: true, binary: false, partial: null })
  const all = parseFetchItems(new ImapArgs(tokenize({ lines: [Buffer.from('ALL')], literals: [] }), false))
  assert.deepEqual(all.map((i) => i.kind), ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE'])
  for (const bad of ['BODY[0]', 'BODY[1.0]', 'BODY[MIME]', 'BINARY[TEXT]', 'BODY[]<5>', 'BODY[TEXT]<0.0>', 'BODY[HEADER.FIELDS]', 'FOO', 'BODY[1.2.]']) {
    assert.throws(() => parseItem(bad), ImapSyntaxError, bad)
  }
})

test('part numbering (RFC 9051 §6.4.5): single-part message has part 1; message/rfc822 parts nest', () => {
  const leaf = (type: string, subtype: string, extra: Partial<MimePart> = {}): MimePart => ({
    headerStart: 0, bodyStart: 0, bodyEnd: 0, type, subtype, params: {}, rawParams: [], id: null, description: null,
    encoding: '7bit', md5: null, disposition: null, language: null, location: null, size: 0, lines: 0, ...extra,
  })
  const single = leaf('text', 'plain')
  assert.equal(locatePart(single, [1]), single)
  assert.equal(locatePart(single, [2]), null)
  const inner = leaf('multipart', 'mixed', { parts: [leaf('text', 'plain'), leaf('image', 'png')] })
  const rfc822 = leaf('message', 'rfc822', { message: { envelope: {} as never, root: inner } })
  const root = leaf('multipart', 'mixed', { parts: [leaf('text', 'plain'), rfc822] })
  assert.equal(locatePart(root, [2]), rfc822)
  assert.equal(locatePart(root, [2, 2]), inner.parts![1])
  assert.equal(locatePart(root, [1, 1]), null)
  assert.equal(locatePart(root, [3]), null)
})

test('HEADER.FIELDS keeps folded lines, .NOT drops them, names case-insensitive', () => {
  const header = Buffer.from('From: a\r\nSubject: one\r\n two\r\nTo: b\r\n\r\n')
  assert.equal(filterHeader(header, ['subject'], false).toString(), 'Subject: one\r\n two\r\n\r\n')
  assert.equal(filterHeader(header, ['SUBJECT'], true).toString(), 'From: a\r\nTo: b\r\n\r\n')
})

test('property: any FETCH item text parses or throws ImapSyntaxError only', () => {
  const piece = fc.constantFrom('BODY', 'BODY.PEEK', 'BINARY', 'BINARY.SIZE', '[', ']', '<', '>', '.', '1', '0', '2', 'HEADER', 'FIELDS', '(', ')', ' ', 'MIME', 'TEXT', 'NOT', '"', '\\', '99999999999999999999')
  fc.assert(fc.property(fc.array(piece, { maxLength: 20 }), (parts) => {
    try {
      parseItem(parts.join(''))
    } catch (error) {
      if (!(error instanceof ImapSyntaxError)) throw error
    }
  }), { numRuns: 5000 })
})
