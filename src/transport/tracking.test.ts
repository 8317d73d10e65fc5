import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SqliteEngine } from '../db/sqlite.ts'
import { appendEvents, pruneEvents, queryEvents, type TrackingEvent } from './tracking.ts'

let dir: string
let engine: SqliteEngine

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tidings-tracking-'))
  engine = new SqliteEngine(join(dir, 'db'), { durable: false })
  await engine.migrate()
  const e = (at: number, queueId: string, event: TrackingEvent['event'], sender: string, recipient: string, messageId: string | null): TrackingEvent =>
    ({ at, queueId, event, sender, recipient, messageId, detail: null })
  await engine.write((tx) => appendEvents(tx, [
    e(1000, 'Q1', 'received', 'Alice@Example.test', 'bob@remote.test', 'm1@x'),
    e(2000, 'Q1', 'deferred', 'Alice@Example.test', 'bob@remote.test', 'm1@x'),
    e(3000, 'Q1', 'delivered', 'Alice@Example.test', 'bob@remote.test', 'm1@x'),
    e(5000, 'Q2', 'received', '', 'alice@example.test', null),
  ]))
})
after(async () => {
  await engine.close()
  rmSync(dir, { recursive: true, force: true })
})

test('events are found by sender (case-insensitive), recipient, Message-ID (with or without <>) and time', async () => {
  assert.deepEqual((await queryEvents(engine, { from: 'alice@example.test' })).map((e) => e.event), ['received', 'deferred', 'delivered'])
  assert.deepEqual((await queryEvents(engine, { to: 'BOB@remote.test' })).map((e) => e.queueId), ['Q1', 'Q1', 'Q1'])
  assert.equal((await queryEvents(engine, { messageId: '<m1@x>' })).length, 3)
  assert.deepEqual((await queryEvents(engine, { from: '' })).map((e) => e.queueId), ['Q2'])
  assert.deepEqual((await queryEvents(engine, { since: 2500 })).map((e) => e.at), [3000, 5000])
  assert.equal((await queryEvents(engine, { limit: 2 })).length, 2)
})

test('pruning removes only events older than the cut-off', async () => {
  assert.equal(await pruneEvents(engine, 2500), 2)
  assert.deepEqual((await queryEvents(engine, {})).map((e) => e.at), [3000, 5000])
})
