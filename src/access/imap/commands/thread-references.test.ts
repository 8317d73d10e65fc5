import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { MessageInfo } from '../../../store/store.ts'
import { threadByReferences, renderThread } from './thread-references.ts'

let uid = 0
function msg(id: string | null, references: string[], subject: string, day: number): MessageInfo {
  const base = subject.replace(/^\s*((re|fwd?)\s*:\s*)+/i, '').toLowerCase()
  return { uid: ++uid, messageId: id, references, subject, baseSubject: base, sentAt: Date.UTC(2024, 0, day), receivedAt: 0 } as MessageInfo
}
const render = (infos: MessageInfo[]) => threadByReferences(infos).map((t) => '(' + renderThread(t, (i) => i.uid) + ')').join('')

test('REFERENCES: chains, siblings by date, dummy parents for a missing message, subject grouping', () => {
  uid = 0
  const infos = [
    msg('a', [], 'Plan', 1), //                      1
    msg('b', ['a'], 'Re: Plan', 2), //               2 → child of 1
    msg('c', ['a', 'b'], 'Re: Plan', 4), //          3 → child of 2
    msg('d', ['a'], 'Re: Plan', 3), //               4 → child of 1, after 2
    msg('e', ['x'], 'Lost', 5), //                   5 → parent x missing
    msg('f', ['x'], 'Re: Lost', 6), //               6 → sibling of 5 under a dummy
    msg('g', [], 'Re: Plan', 7), //                  7 → no references, same subject as 1: a reply → child of 1
    msg('h', [], 'Other', 8), //                     8
  ]
  assert.equal(render(infos), '(1 (2 3)(4)(7))((5)(6))(8)')
})

test('REFERENCES: loops and duplicate Message-IDs do not hang or lose messages', () => {
  uid = 0
  const infos = [
    msg('a', ['b'], 'x', 1),
    msg('b', ['a'], 'y', 2),
    msg('a', [], 'z', 3),
  ]
  const out = render(infos)
  for (const n of ['1', '2', '3']) assert.ok(out.includes(n), out)
})
