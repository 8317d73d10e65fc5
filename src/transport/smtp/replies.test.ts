import { test } from 'node:test'
import assert from 'node:assert/strict'
import { StoreError } from '../../store/errors.ts'
import { isStorageFault, replyFor } from './replies.ts'

const errno = (code: string) => Object.assign(new Error(`${code}: failed`), { code })

test('a full or failing disk is 452 4.3.1 (RFC 3463 mail system full), however it is wrapped', () => {
  for (const code of ['ENOSPC', 'EDQUOT', 'EIO']) {
    assert.deepEqual(replyFor(errno(code)), { code: 452, text: '4.3.1 Mail system full, try again later' })
    assert.equal(replyFor(new StoreError('unavailable', 'blob write failed', { cause: errno(code) })).code, 452)
  }
  // node:sqlite: SQLITE_FULL (13) and an extended SQLITE_IOERR (10 | n << 8).
  assert.ok(isStorageFault(Object.assign(new Error('database or disk is full'), { errcode: 13 })))
  assert.ok(isStorageFault(Object.assign(new Error('disk I/O error'), { errcode: 10 | (4 << 8) })))
})

test('other errors are not storage faults and keep their replies', () => {
  assert.equal(isStorageFault(errno('ENOENT')), false)
  assert.equal(isStorageFault('ENOSPC'), false)
  assert.equal(replyFor(new Error('bug')).code, 451)
  assert.equal(replyFor(new StoreError('overQuota', 'full mailbox')).text, '4.2.2 Mailbox full, try again later')
})
