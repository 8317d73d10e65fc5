import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { sql } from './engine.ts'
import { DatabaseError, SqliteEngine } from './sqlite.ts'
import { MIGRATIONS } from './migrations/index.ts'

const root = mkdtempSync(join(tmpdir(), 'tidings-sqlite-'))
after(() => rmSync(root, { recursive: true, force: true }))
let counter = 0
function dbPath(): string {
  return join(root, `db-${++counter}`, 'tidings.db')
}
const latest = MIGRATIONS[MIGRATIONS.length - 1].version

test('migrate from an empty file applies every migration', async () => {
  const engine = new SqliteEngine(dbPath())
  try {
    assert.equal(await engine.schemaVersion(), 0)
    assert.deepEqual(await engine.migrate(), { from: 0, to: latest })
    assert.equal(await engine.schemaVersion(), latest)
    assert.deepEqual(await engine.migrate(), { from: latest, to: latest }, 'a second run is a no-op')
    const tables = await engine.all<{ name: string }>(sql`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
    for (const name of ['accounts', 'folders', 'emails', 'memberships', 'blobs', 'changes', 'deliveries']) {
      assert.ok(tables.some((t) => t.name === name), name)
    }
  } finally {
    await engine.close()
  }
})

test('migrate from schema N-1 keeps the data and reaches N', async () => {
  const path = dbPath()
  const previous = MIGRATIONS[MIGRATIONS.length - 2]?.version ?? 0
  let engine = new SqliteEngine(path)
  assert.deepEqual(await engine.migrate({ upTo: previous }), { from: 0, to: previous })
  if (previous >= 1) {
    await engine.write((tx) => tx.run(sql`INSERT INTO domains (name, created_at) VALUES ('example.test', 1)`))
  }
  await engine.close()
  engine = new SqliteEngine(path)
  try {
    assert.deepEqual(await engine.migrate(), { from: previous, to: latest })
    if (previous >= 1) assert.equal((await engine.one<{ n: number }>(sql`SELECT count(*) AS n FROM domains`))?.n, 1)
  } finally {
    await engine.close()
  }
})

test('a database made by a newer Tidings is refused and left untouched', async () => {
  const path = dbPath()
  const engine = new SqliteEngine(path)
  await engine.migrate()
  await engine.write((tx) => tx.run(sql`INSERT INTO schema_migrations (version, name, applied_at) VALUES (${latest + 1}, 'future', 1)`))
  await engine.close()
  const before = readFileSync(path)
  const again = new SqliteEngine(path)
  try {
    await assert.rejects(again.migrate(), (error: unknown) => {
      assert.ok(error instanceof DatabaseError)
      assert.match(error.message, /newer/)
      assert.ok(!error.message.includes('\n'), 'one line')
      return true
    })
    assert.equal(await again.schemaVersion(), latest + 1)
  } finally {
    await again.close()
  }
  assert.deepEqual(readFileSync(path).subarray(0, 100), before.subarray(0, 100), 'header unchanged')
})

test('a file that is not a database gives one DatabaseError line', () => {
  const path = dbPath()
  mkdirSync(join(path, '..'), { recursive: true })
  writeFileSync(path, Buffer.alloc(8192, 'this is not sqlite '))
  assert.throws(() => new SqliteEngine(path), (error: unknown) => {
    assert.ok(error instanceof DatabaseError)
    assert.ok(error.message.includes(path))
    assert.ok(!error.message.includes('\n'), 'one line')
    return true
  })
})

test('group commit: concurrent writes share commits; one failure rolls back only itself', async () => {
  const path = dbPath()
  const engine = new SqliteEngine(path)
  try {
    await engine.migrate()
    await engine.write((tx) => tx.run(sql`CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)`))
    const commitsBefore = engine.commits
    const writes = Array.from({ length: 200 }, (_, i) => engine.write(async (tx) => {
      await tx.run(sql`INSERT INTO t (id, v) VALUES (${i}, ${'row ' + i})`)
      if (i === 57) throw new Error('job 57 fails after writing')
      return i
    }))
    const results = await Promise.allSettled(writes)
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 199)
    const failed = results[57]
    assert.ok(failed.status === 'rejected' && (failed.reason as Error).message === 'job 57 fails after writing')
    assert.ok(engine.commits - commitsBefore < 200 / 10, `${engine.commits - commitsBefore} commits for 200 writes`)
    const count = await engine.one<{ n: number }>(sql`SELECT count(*) AS n FROM t`)
    assert.equal(count?.n, 199)
    assert.equal(await engine.one(sql`SELECT id FROM t WHERE id = 57`), undefined, 'the failed job left nothing')
  } finally {
    await engine.close()
  }
  // A fresh connection (another process) sees every acknowledged write.
  const raw = new DatabaseSync(path)
  assert.equal((raw.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n, 199)
  raw.close()
})

test('a constraint violation in one write rejects it with the cause, and the engine goes on', async () => {
  const engine = new SqliteEngine(dbPath())
  try {
    await engine.migrate()
    await engine.write((tx) => tx.run(sql`CREATE TABLE u (k TEXT PRIMARY KEY)`))
    await engine.write((tx) => tx.run(sql`INSERT INTO u (k) VALUES ('a')`))
    await assert.rejects(engine.write((tx) => tx.run(sql`INSERT INTO u (k) VALUES ('a')`)), /UNIQUE/)
    await engine.write((tx) => tx.run(sql`INSERT INTO u (k) VALUES ('b')`))
    assert.equal((await engine.one<{ n: number }>(sql`SELECT count(*) AS n FROM u`))?.n, 2)
  } finally {
    await engine.close()
  }
  await assert.rejects(engine.write(async () => 1), DatabaseError, 'closed engine refuses writes')
})

test('close waits for queued writes; durable off also commits', async () => {
  const path = dbPath()
  const engine = new SqliteEngine(path, { durable: false })
  await engine.migrate()
  await engine.write((tx) => tx.run(sql`CREATE TABLE w (id INTEGER PRIMARY KEY)`))
  const pending = Array.from({ length: 20 }, (_, i) => engine.write((tx) => tx.run(sql`INSERT INTO w (id) VALUES (${i})`)))
  await engine.close()
  await Promise.all(pending)
  const raw = new DatabaseSync(path)
  assert.equal((raw.prepare('SELECT count(*) AS n FROM w').get() as { n: number }).n, 20)
  raw.close()
})

test('full-text index: words match whole tokens, user text cannot inject FTS syntax', async () => {
  const engine = new SqliteEngine(dbPath())
  try {
    await engine.migrate()
    await engine.write(async (tx) => {
      await engine.text.put(tx, 1, { subject: 'Café meeting', addresses: 'alice@example.test', body: 'Agenda: budget review', attachments: 'plan.pdf' })
      await engine.text.put(tx, 2, { subject: 'Lunch', addresses: 'bob@example.test', body: 'Sandwiches NEAR the park', attachments: '' })
    })
    const ids = async (field: Parameters<typeof engine.text.matching>[0], query: string) =>
      (await engine.all<{ id: number }>(engine.text.matching(field, query))).map((r) => r.id).sort()
    assert.deepEqual(await ids('body', 'budget'), [1])
    assert.deepEqual(await ids('subject', 'cafe'), [1], 'diacritics folded')
    assert.deepEqual(await ids('any', 'alice'), [1])
    assert.deepEqual(await ids('body', 'budget review'), [1])
    assert.deepEqual(await ids('body', 'budget park'), [])
    assert.deepEqual(await ids('body', 'NEAR(" park" *'), [2], 'operators are plain words')
    assert.deepEqual(await ids('body', '"'), [])
    await engine.write((tx) => engine.text.remove(tx, 1))
    assert.deepEqual(await ids('body', 'budget'), [])
  } finally {
    await engine.close()
  }
})
