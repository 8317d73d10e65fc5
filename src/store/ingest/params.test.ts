import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseStructured } from './params.ts'

const TABLE: Array<{ header: string; value: string; params: Record<string, string>; raw?: Array<[string, string]> }> = [
  { header: 'text/plain; charset=us-ascii (Plain text)', value: 'text/plain', params: { charset: 'us-ascii' } }, // RFC 2045 5.1
  { header: 'text/plain; charset="us-ascii"', value: 'text/plain', params: { charset: 'us-ascii' } },
  { header: 'Text/HTML;Charset="UTF-8"', value: 'text/html', params: { charset: 'UTF-8' }, raw: [['charset', 'UTF-8']] },
  { header: 'multipart/mixed; boundary="simple boundary"', value: 'multipart/mixed', params: { boundary: 'simple boundary' } },
  { header: 'application/x-stuff; title*=us-ascii\'en-us\'This%20is%20%2A%2A%2Afun%2A%2A%2A', value: 'application/x-stuff', params: { title: 'This is ***fun***' } }, // RFC 2231 4
  {
    // RFC 2231 3 and 4.1: continuations, some encoded.
    header: 'application/x-stuff;\r\n title*0*=us-ascii\'en\'This%20is%20even%20more%20;\r\n title*1*=%2A%2A%2Afun%2A%2A%2A%20;\r\n title*2="isn\'t it!"',
    value: 'application/x-stuff',
    params: { title: "This is even more ***fun*** isn't it!" },
    raw: [['title*', "us-ascii'en'This%20is%20even%20more%20%2A%2A%2Afun%2A%2A%2A%20isn't it!"]],
  },
  { header: 'message/external-body; access-type=URL;\r\n URL*0="ftp://";\r\n URL*1="cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar"', value: 'message/external-body', params: { 'access-type': 'URL', url: 'ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar' } },
  { header: "attachment; filename*=iso-8859-1''f%E4rg.txt; filename=fallback.txt", value: 'attachment', params: { filename: 'färg.txt' } },
  { header: 'attachment; filename="=?UTF-8?B?w6RwcGxlLnR4dA==?="', value: 'attachment', params: { filename: 'äpple.txt' } },
  { header: 'attachment; filename=my report.pdf', value: 'attachment', params: { filename: 'my report.pdf' } },
  { header: 'attachment; filename*0*=utf-8\'\'%E2%82; filename*1*=%AC', value: 'attachment', params: { filename: '€' } },
  { header: 'inline; ; novalue; =x; a="unclosed', value: 'inline', params: { a: 'unclosed' } },
  { header: 'text/plain; __proto__=x; constructor=y', value: 'text/plain', params: { constructor: 'y' } },
  { header: "a/b; n*=utf-8'broken%ZZ%", value: 'a/b', params: { n: "utf-8'broken%ZZ%" } }, // one quote only: no charset
  { header: "a/b; n*99999*=x; n*0=y", value: 'a/b', params: { n: 'y' } },
  { header: '', value: '', params: {} },
  // BODYSTRUCTURE parameters as Dovecot 2.3 sends them (checked against it): plain ones first, as
  // tokens; RFC 2231 names merged, sorted, still encoded; broken index runs sent segment by segment.
  { header: 'text/plain; a*1=x; a*0=y; b=z', value: 'text/plain', params: { a: 'yx', b: 'z' }, raw: [['b', 'z'], ['a', 'yx']] },
  { header: 'text/plain; a*0*=%41; a*1=%25', value: 'text/plain', params: { a: 'A%25' }, raw: [['a*', '%41%2525']] },
  { header: 'text/plain; a*0=x; a*1*=%41', value: 'text/plain', params: { a: 'xA' }, raw: [['a*', "''x%41"]] },
  { header: 'text/plain; a*0=x; a*2=y', value: 'text/plain', params: { a: 'xy' }, raw: [['a*0', 'x'], ['a*2', 'y']] },
  { header: 'text/plain; a*=x; a*0=y', value: 'text/plain', params: { a: 'x' }, raw: [['a*0*', 'x'], ['a*0', 'y']] },
  { header: 'text/plain; z*=a; y*0=b; x=c', value: 'text/plain', params: { x: 'c', y: 'b', z: 'a' }, raw: [['x', 'c'], ['y', 'b'], ['z*', 'a']] },
  { header: 'text/plain; a=x y', value: 'text/plain', params: { a: 'x y' }, raw: [['a', 'x']] },
]

for (const { header, value, params, raw } of TABLE) {
  test(`parameters of ${JSON.stringify(header.slice(0, 60))}`, () => {
    const parsed = parseStructured(header)
    assert.equal(parsed.value, value)
    assert.deepEqual({ ...parsed.params }, params)
    if (raw) assert.deepEqual(parsed.rawParams, raw)
  })
}
