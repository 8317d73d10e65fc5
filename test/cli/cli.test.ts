import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cliEnv, ROOT, runCli, runCliJson } from '../support/cli.ts'
import { spawn } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { loadConfig } from '../../src/config/load.ts'
import { openData } from '../../src/open-data.ts'

let dataDir: string
const run = (args: string[], input?: string) => runCli(args, { dataDir, input })
const json = <T>(args: string[], input?: string) => runCliJson<T>(args, { dataDir, input })

/** An error is one line on stderr and exit code 1. */
function assertOneLineError(result: { code: number | null; stderr: string }, pattern: RegExp): void {
  assert.equal(result.code, 1, result.stderr)
  const lines = result.stderr.trimEnd().split('\n')
  assert.equal(lines.length, 1, `expected one line, got:\n${result.stderr}`)
  assert.match(lines[0], pattern)
  assert.doesNotMatch(result.stderr, /\n\s+at /)
}

before(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'tidings-cli-'))
})
after(() => rmSync(dataDir, { recursive: true, force: true }))

test('domain add and list (IDN stored as A-label)', async () => {
  const added = await run(['domain', 'add', 'Example.TEST'])
  assert.equal(added.code, 0, added.stderr)
  assert.match(added.stdout, /Added domain example\.test/)
  await json(['domain', 'add', 'bücher.test'])
  const domains = await json<Array<{ name: string }>>(['domain', 'list'])
  assert.deepEqual(domains.map((d) => d.name), ['example.test', 'xn--bcher-kva.test'])
})

test('a domain alias: users of the target domain answer at the alias', async () => {
  const added = await json<{ name: string; aliasOf: string }>(['domain', 'add', 'alias.test', '--alias-of', 'EXAMPLE.test'])
  assert.deepEqual(added, { name: 'alias.test', aliasOf: 'example.test', catchAll: null, principals: 0 })
  assertOneLineError(await run(['domain', 'add', 'alias2.test', '--alias-of', 'missing.test']), /missing\.test does not exist/)
  await json(['domain', 'remove', 'alias.test'])
})

test('bin/tidings.js runs the CLI on the bundled Node 24, whatever node runs it', async () => {
  const systemNode = ['/usr/bin/node', '/usr/local/bin/node'].find((p) => existsSync(p)) ?? process.execPath
  const result = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
    const child = spawn(systemNode, [join(ROOT, 'bin', 'tidings.js'), 'config', '--docs'], { env: cliEnv({ dataDir }) })
    let stdout = ''
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c))
    child.on('close', (code) => resolve({ code, stdout }))
  })
  assert.equal(result.code, 0)
  assert.match(result.stdout, /\| `data_dir` \|/)
})

test('user add with --password - reads stdin; list --json parses; show', async () => {
  const added = await run(['user', 'add', 'Alice@example.test', '--name', 'Alice Example', '--password', '-', '--quota', '2G'], 'stdin-secret\n')
  assert.equal(added.code, 0, added.stderr)
  await run(['user', 'add', 'bob@example.test', '--password', 'bob-pw'])
  const users = await json<Array<{ address: string; name: string; quotaBytes: number | null }>>(['user', 'list'])
  assert.deepEqual(users.map((u) => u.address), ['alice@example.test', 'bob@example.test'])
  assert.equal(users[0].name, 'Alice Example')
  assert.equal(users[0].quotaBytes, 2 * 1024 ** 3)
  const shown = await json<{ address: string; account: { quotaBytes: number | null; usedMessages: number } | null }>(['user', 'show', 'alice@example.test'])
  assert.equal(shown.address, 'alice@example.test')
  assert.ok(shown.account, 'the store account was provisioned')
  assert.equal(shown.account.usedMessages, 0)
  const human = await run(['user', 'show', 'alice@example.test'])
  assert.match(human.stdout, /Address:\s+alice@example\.test/)
})

test('passwd then authenticate with the new password (stdin password, not the old one)', async () => {
  const changed = await run(['user', 'passwd', 'alice@example.test', '--password', '-'], 'changed-secret\n')
  assert.equal(changed.code, 0, changed.stderr)
  const data = await openData(loadConfig({ env: {}, overrides: { data_dir: dataDir } }))
  try {
    const remote = { remote: '127.0.0.1', protocol: 'imap' as const }
    const principal = await data.directory.authenticate({ username: 'alice@example.test', password: 'changed-secret' }, remote)
    assert.equal(principal.address, 'alice@example.test')
    await assert.rejects(data.directory.authenticate({ username: 'alice@example.test', password: 'stdin-secret' }, remote))
  } finally {
    await data.close()
  }
})

test('a duplicate user → exit 1, one line', async () => {
  assertOneLineError(await run(['user', 'add', 'ALICE@example.test', '--password', 'x']), /^tidings: alice@example\.test already exists$/)
})

test('an invalid address → exit 1, one line', async () => {
  assertOneLineError(await run(['user', 'add', 'not an address', '--password', 'x']), /is not an email address/)
  assertOneLineError(await run(['user', 'add', 'carol@nowhere.test', '--password', 'x']), /not served here/)
  assertOneLineError(await run(['user', 'show', 'ghost@example.test']), /No user or group ghost@example\.test/)
})

test('an unknown command or missing option → exit 1', async () => {
  const unknown = await run(['frobnicate'])
  assert.equal(unknown.code, 1)
  assert.match(unknown.stderr, /unknown command/)
  const missing = await run(['group', 'add', 'x@example.test'])
  assert.equal(missing.code, 1)
  assert.match(missing.stderr, /--members/)
})

test('group add, members (expanded), alias add/remove', async () => {
  const group = await json<{ address: string; members: string[] }>(['group', 'add', 'team@example.test', '--members', 'alice@example.test, bob@example.test,partner@remote.test', '--internal-only'])
  assert.deepEqual(group.members, ['alice@example.test', 'bob@example.test', 'partner@remote.test'])
  await json(['alias', 'add', 'sales@example.test', 'team@example.test'])
  const members = await json<{ members: string[]; destinations: string[] }>(['group', 'members', 'team@example.test', '--set', 'alice@example.test,sales@example.test'])
  assert.deepEqual(members.members, ['alice@example.test', 'sales@example.test'])
  // sales → team → loop: expansion stops, alice appears once.
  assert.deepEqual(members.destinations, ['alice@example.test'])
  const aliases = await json<Array<{ address: string; target: string }>>(['alias', 'list'])
  assert.deepEqual(aliases, [{ address: 'sales@example.test', target: 'team@example.test' }])
  const typo = await run(['group', 'members', 'team@example.test', '--set', 'alice@example.test,alcie@example.test'])
  assert.equal(typo.code, 0)
  assert.match(typo.stderr, /warning: alcie@example\.test is not a user, group or alias/)
  await json(['group', 'members', 'team@example.test', '--set', 'alice@example.test,sales@example.test'])
  const multi = await json<Array<{ target: string }>>(['alias', 'add', 'info@example.test', 'alice@example.test, bob@example.test'])
  assert.deepEqual(multi.map((a) => a.target), ['alice@example.test', 'bob@example.test'])
  await json(['alias', 'remove', 'info@example.test'])
  assert.equal((await run(['alias', 'remove', 'sales@example.test'])).code, 0)
  assertOneLineError(await run(['alias', 'remove', 'sales@example.test']), /does not exist/)
})

test('disable, enable, quota and remove a user', async () => {
  await json(['user', 'add', 'temp@example.test', '--password', 'pw'])
  assert.equal((await json<{ disabled: boolean }>(['user', 'disable', 'temp@example.test'])).disabled, true)
  assert.equal((await json<{ disabled: boolean }>(['user', 'enable', 'temp@example.test'])).disabled, false)
  assert.equal((await json<{ quotaBytes: number }>(['user', 'quota', 'temp@example.test', '100M'])).quotaBytes, 100 * 1024 * 1024)
  await json(['user', 'remove', 'temp@example.test'])
  assertOneLineError(await run(['user', 'show', 'temp@example.test']), /No user/)
})

test('status --json reports counts, schema version and no running server', async () => {
  const status = await json<{ dataDir: string; schemaVersion: number; domains: number; users: number; groups: number; running: boolean; databaseBytes: number }>(['status'])
  assert.equal(status.dataDir, dataDir)
  assert.ok(status.schemaVersion >= 1)
  assert.equal(status.domains, 2)
  assert.equal(status.users, 2)
  assert.equal(status.groups, 1)
  assert.equal(status.running, false)
  assert.ok(status.databaseBytes > 0)
})

test('read-only commands refuse a data dir without a database instead of creating one', async () => {
  const missing = join(dataDir, 'typo')
  const result = await runCli(['status'], { dataDir: missing })
  assertOneLineError(result, /No Tidings data in .*typo/)
  assert.equal(existsSync(missing), false)
})

test('verify reports every blob consistent', async () => {
  const report = await json<{ ok: boolean; checked: number }>(['verify'])
  assert.equal(report.ok, true)
})

test('verify finds a corrupted message blob and exits 1', async () => {
  const data = await openData(loadConfig({ env: {}, overrides: { data_dir: dataDir } }))
  let blobId: string
  try {
    const alice = await data.admin.getPrincipal('alice@example.test')
    const inbox = await data.store.folders.byRole(alice.id, 'inbox')
    // Large enough to be a blob file (smaller blobs live in the database: src/store/blobs/tiered.ts).
    const raw = new TextEncoder().encode('From: a@example.test\r\nSubject: verify me\r\n\r\n' + 'body line\r\n'.repeat(7000))
    blobId = (await data.store.emails.append(alice.id, inbox!.id, { raw })).blobId
  } finally {
    await data.close()
  }
  assert.equal((await json<{ ok: boolean }>(['verify'])).ok, true)
  const file = join(dataDir, 'blobs', blobId.slice(0, 2), blobId.slice(2, 4), blobId)
  const bytes = readFileSync(file)
  bytes[bytes.length - 1] ^= 0xff
  writeFileSync(file, bytes)
  const result = await run(['verify', '--json'])
  assert.equal(result.code, 1)
  const report = JSON.parse(result.stdout) as { ok: boolean; mismatched: string[] }
  assert.equal(report.ok, false)
  assert.deepEqual(report.mismatched, [blobId])
})

test('config --docs prints the key table; --data and --json are global', async () => {
  const docs = await run(['config', '--docs'])
  assert.equal(docs.code, 0)
  assert.match(docs.stdout, /^\| Key \(TOML\) \|/)
  assert.match(docs.stdout, /\| `listen\.imap` \| `TIDINGS_LISTEN_IMAP` \|/)
  const config = await runCliJson<Record<string, unknown>>(['--data', '/tmp/elsewhere', 'config'], { dataDir })
  assert.equal(config.data_dir, '/tmp/elsewhere')
})
