import { test } from 'node:test'
import assert from 'node:assert/strict'
import { firstAddrSpec, formatAddressList, parseAddressList } from './addresses.ts'

const a = (name: string | null, mailbox: string | null, host: string | null, adl: string | null = null) => ({ name, adl, mailbox, host })
const END = a(null, null, null)

const TABLE: Array<[string, ReturnType<typeof a>[]]> = [
  ['Mary Smith <mary@x.test>', [a('Mary Smith', 'mary', 'x.test')]],
  ['jdoe@one.test', [a(null, 'jdoe', 'one.test')]],
  ['"Joe Q. Public" <john.q.public@example.com>', [a('Joe Q. Public', 'john.q.public', 'example.com')]],
  // RFC 5322 A.1.3: group syntax.
  ['A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;', [
    a(null, 'A Group', null), a('Ed Jones', 'c', 'a.test'), a(null, 'joe', 'where.test'), a('John', 'jdoe', 'one.test'), END,
  ]],
  ['Undisclosed recipients:;', [a(null, 'Undisclosed recipients', null), END]],
  ['Group: a@b.test', [a(null, 'Group', null), a(null, 'a', 'b.test'), END]], // unclosed group is closed
  ['Mary Smith <mary@x.test>, "Giant; \\"Big\\" Box" <sysservices@example.net>', [
    a('Mary Smith', 'mary', 'x.test'), a('Giant; "Big" Box', 'sysservices', 'example.net'),
  ]],
  // RFC 5322 A.5: comments everywhere.
  ['Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>', [a('Pete', 'pete', 'silly.test')]],
  ['jdoe@machine.example (John Doe)', [a('John Doe', 'jdoe', 'machine.example')]],
  // RFC 5322 4.4: obsolete route.
  ['Joe <@relay.test,@other.test:joe@example.test>', [a('Joe', 'joe', 'example.test', '@relay.test,@other.test')]],
  ['"quoted local"@example.test', [a(null, 'quoted local', 'example.test')]], // unquoted, as Dovecot sends it
  ['john . doe @ example . test', [a(null, 'john.doe', 'example.test')]],
  ['user@[192.0.2.1]', [a(null, 'user', '[192.0.2.1]')]],
  ['=?UTF-8?B?SsO8cmdlbg==?= <j@x.test>', [a('=?UTF-8?B?SsO8cmdlbg==?=', 'j', 'x.test')]],
  ['localonly', [a(null, 'localonly', '')]],
  ['<>', [a(null, '', '')]],
  [',,, ,', []],
  ['"unclosed <a@b.test>', [a(null, 'unclosed <a@b.test>', '')]], // the quote runs to the end
  ['Mod\u000berator <mod@x.test>', [a('Mod erator', 'mod', 'x.test')]], // a vertical tab once looped forever
  ['a@b.test>, <c@d.test', [a(null, 'a', 'b.test>'), a(null, 'c', 'd.test')]],
]

for (const [value, expected] of TABLE) {
  test(`address list ${JSON.stringify(value)}`, () => {
    assert.deepEqual(parseAddressList(value), expected)
  })
}

test('decoded address strings and the sort address', () => {
  const list = parseAddressList('Team: =?UTF-8?Q?J=C3=BCrgen?= <J@X.test>;, Bob@Example.TEST')
  assert.equal(formatAddressList(list), 'Team: Jürgen <J@X.test>;, Bob@Example.TEST')
  assert.equal(firstAddrSpec(list), 'j@x.test')
  assert.equal(firstAddrSpec(parseAddressList('Empty:;')), '')
  assert.equal(formatAddressList(parseAddressList('"john \\"q\\" doe"@x.test')), '"john \\"q\\" doe"@x.test', 'quoted again')
  assert.equal(firstAddrSpec(parseAddressList('Jörg <Jörg.K@X.test>')), 'jörg.k@x.test')
})
