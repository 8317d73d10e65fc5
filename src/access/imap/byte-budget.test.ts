import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ByteBudget } from './byte-budget.ts'

test('ByteBudget grants within the limit and queues the rest in order', async () => {
  const budget = new ByteBudget(100)
  const a = await budget.acquire(60)
  const order: string[] = []
  const b = budget.acquire(50).then((release) => { order.push('b'); return release })
  const c = budget.acquire(10).then((release) => { order.push('c'); return release })
  await Promise.resolve()
  assert.deepEqual(order, [], 'b does not fit; c waits behind b (no starvation of big requests)')
  a()
  const releaseB = await b
  const releaseC = await c
  assert.deepEqual(order, ['b', 'c'])
  assert.equal(budget.used, 60)
  releaseB()
  releaseB() // twice is harmless
  releaseC()
  assert.equal(budget.used, 0)
})

test('ByteBudget lets a request bigger than the whole budget through alone', async () => {
  const budget = new ByteBudget(10)
  const small = await budget.acquire(5)
  let got = false
  const big = budget.acquire(1000).then((release) => { got = true; return release })
  await Promise.resolve()
  assert.equal(got, false)
  small()
  ;(await big)()
  assert.equal(budget.used, 0)
})
