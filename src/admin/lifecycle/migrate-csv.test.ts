import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readPasswordFile, readUsersCsv, splitCsvLine } from './migrate-csv.ts'

test('CSV fields: RFC 4180 quoting', () => {
  assert.deepEqual(splitCsvLine('a,"b,c","d ""e"""'), ['a', 'b,c', 'd "e"'])
  assert.deepEqual(splitCsvLine(''), [''])
})

test('users.csv with or without a header; bad rows named by line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tidings-csv-'))
  try {
    writeFileSync(join(dir, 'a.csv'), 'old1@x,/p1,alice@example.test\r\n\r\nold2@x,/p2,bob@example.test\n')
    assert.deepEqual((await readUsersCsv(join(dir, 'a.csv'))).map((r) => [r.line, r.user, r.passwordFile, r.to]), [
      [1, 'old1@x', '/p1', 'alice@example.test'], [3, 'old2@x', '/p2', 'bob@example.test'],
    ])
    writeFileSync(join(dir, 'b.csv'), 'to,user,password\nalice@example.test,old1@x,"pw,with comma"\n')
    assert.deepEqual((await readUsersCsv(join(dir, 'b.csv')))[0], { line: 2, user: 'old1@x', to: 'alice@example.test', password: 'pw,with comma', passwordFile: undefined })
    writeFileSync(join(dir, 'c.csv'), 'user,password_file,to\nold1@x,,alice@example.test\n')
    await assert.rejects(readUsersCsv(join(dir, 'c.csv')), /c\.csv line 2: needs user, to and a password or password_file/)
    writeFileSync(join(dir, 'd.csv'), 'user,to\n')
    await assert.rejects(readUsersCsv(join(dir, 'd.csv')), /no "password_file" \(or "password"\) column/)
    writeFileSync(join(dir, 'pw'), 'secret\nignored\n')
    assert.equal(await readPasswordFile(join(dir, 'pw')), 'secret')
    writeFileSync(join(dir, 'empty'), '\n')
    await assert.rejects(readPasswordFile(join(dir, 'empty')), /is empty/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
