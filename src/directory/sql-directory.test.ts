import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { SqliteEngine } from '../db/sqlite.ts'
import { DirectoryAdmin } from './admin.ts'
import { SqlDirectory } from './sql-directory.ts'
import { DirectoryError } from './errors.ts'
import { AuthThrottle } from './throttle.ts'
import { hashPassword } from './passwords.ts'
import { sql } from '../db/engine.ts'
import type { Destination, Recipient } from './directory.ts'

const FAST = { N: 1024, r: 8, p: 1 }
const remote = { remote: '192.0.2.1', protocol: 'imap' as const }
let engine: SqliteEngine
let admin: DirectoryAdmin
let directory: SqlDirectory

before(async () => {
  engine = new SqliteEngine(':memory:', { durable: false })
  await engine.migrate()
  admin = new DirectoryAdmin(engine, { scrypt: FAST })
  directory = new SqlDirectory(engine, { scrypt: FAST })
  await admin.addDomain('example.test')
  await admin.addDomain('other.test')
  await admin.addDomain('alias.test', { aliasOf: 'example.test' })
  await admin.addUser({ address: 'Alice@Example.test', password: 'alice-pw', name: 'Alice Example' })
  await admin.addUser({ address: 'bob@example.test', password: 'bob-pw' })
  await admin.addUser({ address: 'carol@other.test', password: 'carol-pw' })
})
after(() => engine.close())

/** Final destinations: a mailbox by its principal's primary address, a remote one by its address. */
const addresses = (r: Recipient) =>
  'members' in r ? r.members.map((m: Destination) => (m.kind === 'mailbox' ? m.principal.address : m.address)).sort() : []

test('a user resolves to its mailbox, case-insensitively', async () => {
  const r = await directory.resolve('ALICE@example.TEST')
  assert.equal(r.kind, 'mailbox')
  assert.equal(r.kind === 'mailbox' && r.principal.address, 'alice@example.test')
  assert.equal(r.kind === 'mailbox' && r.principal.name, 'Alice Example')
})

test('plus-addressing: alice+tag@ resolves to alice', async () => {
  const r = await directory.resolve('alice+lists@example.test')
  assert.equal(r.kind, 'mailbox')
  assert.equal(r.kind === 'mailbox' && r.principal.address, 'alice@example.test')
  assert.equal(r.address, 'alice+lists@example.test')
})

test('a domain alias maps to its target domain', async () => {
  const r = await directory.resolve('bob@alias.test')
  assert.equal(r.kind === 'mailbox' && r.principal.address, 'bob@example.test')
  assert.equal(await directory.isLocalDomain('ALIAS.test'), true)
  assert.equal(await directory.isLocalDomain('elsewhere.test'), false)
})

test('remote vs unknown: another domain is remote, a nobody in a local domain is unknown', async () => {
  assert.deepEqual(await directory.resolve('someone@elsewhere.test'), { kind: 'remote', address: 'someone@elsewhere.test' })
  assert.deepEqual(await directory.resolve('nobody@example.test'), { kind: 'unknown', address: 'nobody@example.test' })
})

test('invalid addresses throw DirectoryError invalid', async () => {
  await assert.rejects(directory.resolve('"a@b"@example.test'), (e: unknown) => e instanceof DirectoryError && e.kind === 'invalid')
})

test('aliases forward to local and remote targets, expanded and deduplicated', async () => {
  await admin.addAlias('sales@example.test', 'alice@example.test')
  await admin.addAlias('sales@example.test', 'ALICE+x@example.test')
  await admin.addAlias('sales@example.test', 'partner@elsewhere.test')
  const r = await directory.resolve('sales@example.test')
  assert.equal(r.kind, 'alias')
  assert.deepEqual(addresses(r), ['alice@example.test', 'partner@elsewhere.test'])
})

test('nested groups expand recursively, loop-safe and without duplicates', async () => {
  await admin.addGroup('team@example.test', ['alice@example.test', 'devs@example.test', 'outsider@elsewhere.test'])
  await admin.addGroup('devs@example.test', ['bob@example.test', 'alice@example.test', 'team@example.test', 'carol@other.test'], { internalOnly: true })
  const team = await directory.resolve('team@example.test')
  assert.equal(team.kind, 'group')
  assert.deepEqual(addresses(team), ['alice@example.test', 'bob@example.test', 'carol@other.test', 'outsider@elsewhere.test'])
  assert.equal(team.kind === 'group' && team.internalOnly, false)
  const devs = await directory.resolve('devs@example.test')
  assert.equal(devs.kind === 'group' && devs.internalOnly, true)
  assert.deepEqual(addresses(devs), ['alice@example.test', 'bob@example.test', 'carol@other.test', 'outsider@elsewhere.test'])
  const self = await admin.addGroup('self@example.test', ['self@example.test'])
  assert.deepEqual(addresses(await directory.resolve(self.address)), [])
})

test('catch-all receives mail for unknown local parts of its domain only', async () => {
  await admin.addDomain('catch.test')
  await admin.addUser({ address: 'postmaster@catch.test', password: 'pw' })
  await admin.setCatchAll('catch.test', 'postmaster@catch.test')
  const r = await directory.resolve('anything@catch.test')
  assert.equal(r.kind === 'mailbox' && r.principal.address, 'postmaster@catch.test')
  assert.equal((await directory.resolve('anything@example.test')).kind, 'unknown')
  await admin.setCatchAll('catch.test', null)
  assert.equal((await directory.resolve('anything@catch.test')).kind, 'unknown')
})

test('postmaster@ any local domain reaches an administrator when nobody has that address (RFC 5321 4.5.1)', async () => {
  assert.equal((await directory.resolve('postmaster@example.test')).kind, 'unknown')
  await admin.addUser({ address: 'root@other.test', password: 'pw', admin: true })
  const r = await directory.resolve('PostMaster@example.test')
  assert.equal(r.kind === 'mailbox' && r.principal.address, 'root@other.test')
  await admin.addUser({ address: 'boss@example.test', password: 'pw', admin: true })
  const own = await directory.resolve('postmaster@example.test')
  assert.equal(own.kind === 'mailbox' && own.principal.address, 'boss@example.test', 'the domain\'s own admin first')
  await admin.removePrincipal('root@other.test')
  await admin.removePrincipal('boss@example.test')
})

test('authenticate: right password → principal; wrong or unknown → badCredentials', async () => {
  const p = await directory.authenticate({ username: 'Alice@example.test', password: 'alice-pw' }, remote)
  assert.equal(p.address, 'alice@example.test')
  for (const credentials of [{ username: 'alice@example.test', password: 'nope' }, { username: 'ghost@example.test', password: 'x' }, { username: 'not an address', password: 'x' }]) {
    await assert.rejects(directory.authenticate(credentials, remote), (e: unknown) => e instanceof DirectoryError && e.kind === 'badCredentials')
  }
  // Login through a domain alias.
  assert.equal((await directory.authenticate({ username: 'alice@alias.test', password: 'alice-pw' }, remote)).address, 'alice@example.test')
})

test('a disabled user cannot log in; enabling restores it', async () => {
  await admin.setDisabled('bob@example.test', true)
  await assert.rejects(directory.authenticate({ username: 'bob@example.test', password: 'bob-pw' }, remote), (e: unknown) => e instanceof DirectoryError && e.kind === 'disabled')
  await admin.setDisabled('bob@example.test', false)
  assert.equal((await directory.authenticate({ username: 'bob@example.test', password: 'bob-pw' }, remote)).address, 'bob@example.test')
})

test('setPassword: the old password stops working, the new one works', async () => {
  await admin.setPassword('carol@other.test', 'new-pw')
  await assert.rejects(directory.authenticate({ username: 'carol@other.test', password: 'carol-pw' }, remote), DirectoryError)
  assert.equal((await directory.authenticate({ username: 'carol@other.test', password: 'new-pw' }, remote)).address, 'carol@other.test')
})

test('a hash with old parameters is upgraded at the next good login', async () => {
  const user = await admin.addUser({ address: 'old@example.test', password: 'x' })
  const old = await hashPassword('legacy-pw', { N: 2048, r: 4, p: 1 })
  await engine.write((tx) => tx.run(sql`UPDATE principals SET secret = ${old} WHERE id = ${user.id}`))
  await directory.authenticate({ username: 'old@example.test', password: 'legacy-pw' }, remote)
  const row = await engine.one<{ secret: string }>(sql`SELECT secret FROM principals WHERE id = ${user.id}`)
  assert.match(row!.secret, /^\$scrypt\$N=1024,r=8,p=1\$/)
  assert.equal((await directory.authenticate({ username: 'old@example.test', password: 'legacy-pw' }, remote)).id, user.id)
})

test('repeated failures throttle the account, even with the right password', async () => {
  let now = 0
  const throttled = new SqlDirectory(engine, { scrypt: FAST, throttle: new AuthThrottle({ now: () => now }) })
  await admin.addUser({ address: 'dave@example.test', password: 'dave-pw' })
  for (let i = 0; i < 4; i++) await assert.rejects(throttled.authenticate({ username: 'dave@example.test', password: 'wrong' }, remote))
  await assert.rejects(throttled.authenticate({ username: 'dave@example.test', password: 'dave-pw' }, remote),
    (e: unknown) => e instanceof DirectoryError && e.kind === 'throttled' && e.retryAfterMs > 0)
  now += 60_000
  assert.equal((await throttled.authenticate({ username: 'dave@example.test', password: 'dave-pw' }, remote)).address, 'dave@example.test')
})

test('admin refuses duplicates, unknown domains and addresses in alias domains', async () => {
  const kind = (k: string) => (e: unknown) => e instanceof DirectoryError && e.kind === k
  await assert.rejects(admin.addUser({ address: 'ALICE@example.test', password: 'x' }), kind('exists'))
  await assert.rejects(admin.addUser({ address: 'x@nowhere.test', password: 'x' }), kind('notFound'))
  await assert.rejects(admin.addUser({ address: 'x@alias.test', password: 'x' }), kind('invalid'))
  await assert.rejects(admin.addAlias('alice@example.test', 'bob@example.test'), kind('exists'))
  await assert.rejects(admin.addDomain('EXAMPLE.test'), kind('exists'))
  await assert.rejects(admin.removeDomain('example.test'), kind('invalid'))
  await assert.rejects(admin.addUser({ address: 'bad address@example.test', password: 'x' }), kind('invalid'))
})

test('listPrincipals, getPrincipal, removePrincipal; domains list with counts', async () => {
  const users = await admin.listPrincipals({ kind: 'user', domain: 'other.test' })
  assert.deepEqual(users.map((u) => u.address), ['carol@other.test'])
  const removed = await admin.removePrincipal('carol@other.test')
  assert.equal(removed.address, 'carol@other.test')
  await assert.rejects(admin.getPrincipal('carol@other.test'), DirectoryError)
  assert.equal((await directory.resolve('carol@other.test')).kind, 'unknown')
  const domains = await admin.listDomains()
  assert.deepEqual(domains.find((d) => d.name === 'alias.test'), { name: 'alias.test', aliasOf: 'example.test', catchAll: null, principals: 0 })
  await admin.removeDomain('other.test')
  assert.equal(await directory.isLocalDomain('other.test'), false)
})

test('resources, shared mailboxes and proxy addresses', async () => {
  const room = await admin.addResource({ address: 'room1@example.test', name: 'Room 1', kind: 'room' })
  assert.equal(room.kind, 'room')
  const shared = await admin.addShared({ address: 'info@example.test' })
  assert.equal((await directory.resolve('info@example.test')).kind, 'mailbox')
  await assert.rejects(directory.authenticate({ username: 'info@example.test', password: '' }, remote), DirectoryError)
  const alice = await admin.addAddress('alice@example.test', 'a.example@example.test')
  assert.deepEqual(alice.addresses, ['alice@example.test', 'a.example@example.test'])
  assert.equal((await directory.principalByAddress('A.Example@alias.test'))?.id, alice.id)
  assert.equal(shared.kind, 'shared')
})
