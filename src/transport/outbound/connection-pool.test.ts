import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ConnectionPool } from './connection-pool.ts'
import type { SmtpClient } from './smtp-client.ts'

test('at most queue.per_destination deliveries at once to one destination; others wait their turn', async () => {
  const pool = new ConnectionPool({ perDestination: 2 })
  const a = await pool.slot('mx:remote.test')
  await pool.slot('mx:remote.test')
  let third = false
  const waiting = pool.slot('mx:remote.test').then((free) => { third = true; return free })
  const elsewhere = await pool.slot('mx:other.test') // another destination is not held up
  await new Promise((r) => setImmediate(r))
  assert.equal(third, false)
  a()
  a() // releasing twice frees one slot only
  ;(await waiting)()
  assert.equal(third, true)
  elsewhere()
})

test('a healthy connection is reused once; a broken one is closed, not pooled', async () => {
  const pool = new ConnectionPool({ perDestination: 1 })
  let closed = 0
  let resets = 0
  const client = (alive: boolean) => ({ alive, async reset() { resets++ }, close() { closed++ } }) as unknown as SmtpClient
  const good = client(true)
  pool.release('192.0.2.1:25', good, true)
  assert.equal(await pool.reuse('192.0.2.1:25'), good)
  assert.equal(resets, 1)
  assert.equal(await pool.reuse('192.0.2.1:25'), null)
  pool.release('192.0.2.1:25', client(true), false)
  assert.equal(closed, 1)
  assert.equal(await pool.reuse('192.0.2.1:25'), null)
  pool.closeAll()
})

test('queue.concurrency bounds all destinations together', async () => {
  const pool = new ConnectionPool({ perDestination: 5, total: 2 })
  const a = await pool.slot('mx:a.test')
  await pool.slot('mx:b.test')
  let third = false
  const waiting = pool.slot('mx:c.test').then((free) => { third = true; return free })
  await new Promise((r) => setImmediate(r))
  assert.equal(third, false)
  a()
  ;(await waiting)()
  assert.equal(third, true)
})
