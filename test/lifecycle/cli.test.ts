/**
 * The lifecycle commands as an operator runs them (child processes of the real CLI): import an
 * mbox twice, refuse a file that isn't one, export, backup, incremental backup, restore, verify.
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runCli } from '../support/cli.ts'
import { tempDir } from './fixture.ts'

const work = tempDir('cli')
const dataDir = join(work, 'data')
const cli = (...args: string[]) => runCli(args, { dataDir })

after(() => rmSync(work, { recursive: true, force: true }))

test('import, export, backup, restore and verify through the tidings CLI', async () => {
  assert.equal((await cli('domain', 'add', 'example.test')).code, 0)
  assert.equal((await cli('user', 'add', 'alice@example.test', '--password', 'pw-alice-12345')).code, 0)
  const mbox = join(work, 'in.mbox')
  writeFileSync(mbox, 'From a@b Mon Jun  2 10:00:00 2025\nSubject: one\nMessage-ID: <1@x>\n\nhello\n>From x\n\n' +
    'From a@b Mon Jun  2 11:00:00 2025\nSubject: two\nStatus: RO\nX-Keywords: Work\n\nbody\n')

  const first = await cli('import', 'alice@example.test', mbox)
  assert.equal(first.code, 0, first.stderr)
  assert.match(first.stdout, /^Imported 2 messages .* 0 already there, 0 failed\n {2}INBOX: 2 new/)
  const second = await cli('--json', 'import', 'alice@example.test', mbox)
  assert.equal(second.code, 0, second.stderr)
  assert.deepEqual([JSON.parse(second.stdout).imported, JSON.parse(second.stdout).duplicates], [0, 2])

  writeFileSync(join(work, 'photo.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46]))
  const bad = await cli('import', 'alice@example.test', join(work, 'photo.jpg'))
  assert.equal(bad.code, 1)
  assert.match(bad.stderr, /^tidings: .*photo\.jpg is not an mbox file: it does not start with a "From " line\n$/)

  const exported = await cli('export', 'alice@example.test', join(work, 'maildir'), '--format', 'maildir')
  assert.equal(exported.code, 0, exported.stderr)
  assert.match(exported.stdout, /Exported 2 messages/)
  assert.ok(existsSync(join(work, 'maildir', 'cur')))

  const full = await cli('backup', join(work, 'b1'))
  assert.equal(full.code, 0, full.stderr)
  assert.match(full.stdout, /Backed up 1 accounts, 2 emails, 2 blobs/)
  const incremental = await cli('--json', 'backup', join(work, 'b2'), '--incremental-from', join(work, 'b1'))
  assert.equal(incremental.code, 0, incremental.stderr)
  // Both messages are small: their blobs travel inside the database snapshot, no file to reuse.
  assert.equal(JSON.parse(incremental.stdout).blobs.reused, 0)
  const manifest = JSON.parse(readFileSync(join(work, 'b2', 'manifest.json'), 'utf8'))
  assert.deepEqual(manifest.counts, { accounts: 1, emails: 2, blobs: 2 })

  const restored = await runCli(['restore', join(work, 'b2'), '--data', join(work, 'restored')])
  assert.equal(restored.code, 0, restored.stderr)
  assert.match(restored.stdout, /All blobs match their hashes/)
  const verify = await runCli(['verify', '--data', join(work, 'restored')])
  assert.equal(verify.code, 0, verify.stderr)
  assert.match(verify.stdout, /Checked 2 blobs: all good/)
})

test('migrate imap with bad arguments: one line, exit 1', async () => {
  const missing = await cli('migrate', 'imap', '--host', '127.0.0.1', '--user', 'x', '--to', 'alice@example.test')
  assert.equal(missing.code, 1)
  assert.equal(missing.stderr, 'tidings: migrate imap needs --user, --password-file and --to (or --csv)\n')
  const both = await cli('migrate', 'imap', '--host', '127.0.0.1', '--tls', '--starttls', '--user', 'x', '--password-file', 'p', '--to', 'a@b')
  assert.equal(both.stderr, 'tidings: Use --tls or --starttls, not both\n')
  const nofile = await cli('migrate', 'imap', '--host', '127.0.0.1', '--user', 'x', '--password-file', join(work, 'nope'), '--to', 'alice@example.test')
  assert.match(nofile.stderr, /^tidings: Cannot read password file .*nope: ENOENT\n$/)
})
