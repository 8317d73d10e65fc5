import { test } from 'node:test'
import assert from 'node:assert/strict'
import { baseSubject } from './base-subject.ts'

// RFC 5256 2.1, step by step, and the forms its ABNF (section 5) allows.
const TABLE: Array<[string, string]> = [
  ['Hello', 'Hello'],
  ['Re: Hello', 'Hello'],
  ['RE: Re: re: Hello', 'Hello'],
  ['Fw: Hello', 'Hello'],
  ['Fwd: Hello', 'Hello'],
  ['Re[2]: Hello', 'Hello'],
  ['Re [2] : Hello', 'Hello'],
  ['[list] Re: Hello', 'Hello'],
  ['[list] [other] Re: Hello', 'Hello'],
  ['Re: [list] Hello', 'Hello'],
  ['Hello (fwd)', 'Hello'],
  ['Hello (fwd) (FWD)  ', 'Hello'],
  ['[Fwd: Re: Hello]', 'Hello'],
  ['Re: [Fwd: Hello (fwd)]', 'Hello'],
  ['[list]', '[list]'], // removing the blob would leave nothing, so it stays (step 4)
  ['[list]   ', '[list]'],
  ['Re:', ''],
  ['', ''],
  ['Hello\t  world', 'Hello world'],
  ['  Re:   Hello  ', 'Hello'],
  ['Reply: Hello', 'Reply: Hello'],
  ['Fwd:Re:Fw: [a] [b] Hello', 'Hello'],
  ['Résumé', 'Résumé'],
]

for (const [subject, base] of TABLE) {
  test(`base subject of ${JSON.stringify(subject)} is ${JSON.stringify(base)}`, () => {
    assert.equal(baseSubject(subject), base)
  })
}

test('a 200 KB subject of blobs stays fast and bounded', () => {
  const subject = '[]'.repeat(100_000) + 'x'
  assert.ok(baseSubject(subject).length <= 2048)
})
