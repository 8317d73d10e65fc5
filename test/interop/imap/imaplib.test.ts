/** Interop with Python's imaplib (STARTTLS and implicit TLS), through imaplib_client.py. */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startTestServer, type TestServer } from '../../support/start-server.ts'

const run = promisify(execFile)
let server: TestServer

before(async () => {
  server = await startTestServer()
  await server.addUser('bob@example.test', 'bob-secret')
})
after(() => server.stop())

test('imaplib: STARTTLS, login, list, create, append, select, fetch, UTF-8 search, copy, store, expunge, status, IMAPS', async () => {
  const script = join(dirname(fileURLToPath(import.meta.url)), 'imaplib_client.py')
  const { stdout } = await run('python3', [script, String(server.ports['listen.imap']), String(server.ports['listen.imaps']), 'bob@example.test', 'bob-secret'], { timeout: 60_000 })
  const out = JSON.parse(stdout)
  assert.equal(out.logindisabled, true)
  assert.equal(out.login, 'OK')
  assert.ok(out.list.includes('(\\HasNoChildren) "/" INBOX'), out.list.join('\n'))
  assert.ok(out.list.includes('(\\HasNoChildren \\Sent) "/" Sent'))
  assert.equal(out.create, 'OK')
  assert.equal(out.append[0], 'OK')
  assert.match(out.append[1], /^\[APPENDUID \d+ 1\] APPEND completed$/)
  assert.deepEqual(out.select, ['OK', '1'])
  // BODY[TEXT] (no .PEEK) in the same FETCH sets \Seen, and FLAGS reports the new state.
  assert.match(out.fetch_head, /^1 \(FLAGS \(\\Flagged \\Seen\) RFC822\.SIZE 135 BODY\[HEADER\.FIELDS \(SUBJECT\)\] \{25\}$/)
  assert.equal(out.fetch_header, 'Subject: From imaplib\r\n\r\n')
  assert.equal(out.fetch_text, 'Hello from Python, café.\r\n')
  assert.equal(out.flags_after, '1 (FLAGS (\\Flagged \\Seen))')
  assert.equal(out.search_utf8, '1')
  assert.equal(out.uid_search, '1')
  assert.equal(out.copy, 'OK')
  assert.equal(out.store, '1 (FLAGS (\\Deleted \\Flagged \\Seen))')
  assert.deepEqual(out.expunge, ['1'])
  assert.equal(out.status, 'Reports/2024 (MESSAGES 1 UNSEEN 0)')
  assert.equal(out.logout, 'BYE')
  assert.equal(out.imaps_login, 'OK')
  assert.equal(out.imaps_examine, '1')
})
