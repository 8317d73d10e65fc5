import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ByteBudget } from './byte-budget.ts'

test('ByteBudget: holds requests past the limit until bytes are released, in order', async () => {
  const budget = new ByteBudget(100)
  const a = await budget.acquire(60)
  const order: string[] = []
  const b = budget.acquire(50).then((release) => { order.push('b'); return release })
  const c = budget.acquire(10).then((release) => { order.push('c'); return release })
  await new Promise((r) => setImmediate(r))
  assert.deepEqual(order, [], 'b does not fit, and c waits behind it')
  assert.equal(budget.used, 60)
  a()
  a()
  const [releaseB, releaseC] = await Promise.all([b, c])
  assert.deepEqual(order, ['b', 'c'])
  assert.equal(budget.used, 60)
  releaseB()
  releaseC()
  assert.equal(budget.used, 0)
})

test('ByteBudget: a request larger than the whole budget runs alone', async () => {
  const budget = new ByteBudget(100)
  const small = await budget.acquire(1)
  let granted = false
  const big = budget.acquire(1_000).then((release) => { granted = true; return release })
  await new Promise((r) => setImmediate(r))
  assert.equal(granted, false)
  small()
  ;(await big)()
  assert.equal(granted, true)
  assert.equal(budget.used, 0)
})
