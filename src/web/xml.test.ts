import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { child, escapeXml, MAX_XML_DEPTH, parseXml, XmlSyntaxError } from './xml.ts'

test('parses an Outlook Autodiscover request with namespaces, declaration and whitespace', () => {
  const doc = parseXml(`\ufeff<?xml version="1.0" encoding="utf-8"?>
<!-- Outlook 2016 -->
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
  <Request>
    <EMailAddress>alice&#64;example.test</EMailAddress>
    <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>
  </Request>
</Autodiscover>`)
  assert.equal(doc.name, 'Autodiscover')
  assert.equal(doc.ns, 'http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006')
  const request = child(doc, 'Request')!
  assert.equal(request.ns, doc.ns)
  assert.equal(child(request, 'EMailAddress')!.text, 'alice@example.test')
})

test('prefixed names resolve to their namespace; attributes and entities decode', () => {
  const doc = parseXml(`<a:root xmlns:a="urn:a" x='1 &amp; 2'><a:b/><c>&lt;&#x41;&gt;<![CDATA[<raw>]]></c></a:root>`)
  assert.equal(doc.ns, 'urn:a')
  assert.equal(doc.attributes.x, '1 & 2')
  assert.equal(doc.children[0].name, 'b')
  assert.equal(doc.children[0].ns, 'urn:a')
  assert.equal(doc.children[1].ns, '')
  assert.equal(doc.children[1].text, '<A><raw>')
})

const REFUSED: Array<[string, string]> = [
  ['DOCTYPE with an entity (billion laughs / XXE)', '<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>'],
  ['unknown entity', '<a>&x;</a>'],
  ['bare ampersand', '<a>fish & chips</a>'],
  ['mismatched end tag', '<a><b></a></b>'],
  ['unclosed element', '<a><b></b>'],
  ['two roots', '<a/><b/>'],
  ['text outside the root', 'hello <a/>'],
  ['empty input', ''],
  ['undeclared prefix', '<x:a/>'],
  ['unquoted attribute', '<a b=c/>'],
  ['attributes without whitespace', '<a b="1"c="2"/>'],
  ['too deep', '<a>'.repeat(MAX_XML_DEPTH + 1) + '</a>'.repeat(MAX_XML_DEPTH + 1)],
  ['character reference out of range', '<a>&#x110000;</a>'],
]
for (const [what, input] of REFUSED) {
  test(`refuses ${what}`, () => {
    assert.throws(() => parseXml(input), XmlSyntaxError)
  })
}

test('arbitrary input either parses or throws XmlSyntaxError, nothing else', () => {
  const pieces = fc.constantFrom('<a>', '</a>', '<b x="1">', '</b>', '<c/>', '&amp;', '&', '<!--', '-->', '<![CDATA[', ']]>', '<?x?>', '<!DOCTYPE', 'text', '"', "'", '=', ' ', '<', '>', 'xmlns:p="u"', '<p:d/>')
  fc.assert(fc.property(fc.oneof(fc.string(), fc.array(pieces).map((a) => a.join(''))), (input) => {
    try {
      parseXml(input)
    } catch (error) {
      if (!(error instanceof XmlSyntaxError)) throw error
    }
  }), { numRuns: 2000 })
})

test('escapeXml output round-trips through the parser', () => {
  fc.assert(fc.property(fc.string(), (text) => {
    assert.equal(parseXml(`<a t="${escapeXml(text)}">${escapeXml(text)}</a>`).text, text)
  }))
})
