import { test } from 'node:test'
import assert from 'node:assert/strict'
import Fastify from 'fastify'
import pino from 'pino'
import { StoreError, STORE_ERROR_KINDS } from '../store/errors.ts'
import { DirectoryError } from '../directory/errors.ts'
import { installErrorHandlers, STORE_ERROR_STATUS } from './errors.ts'
import { installSecurityHeaders } from './security-headers.ts'

async function appThrowing(error: unknown) {
  const app = Fastify()
  installSecurityHeaders(app, { secure: false })
  installErrorHandlers(app, pino({ level: 'silent' }))
  app.get('/', async () => {
    throw error
  })
  return app
}

test('StoreError kinds map to the documented statuses', () => {
  assert.deepEqual(
    { notFound: 404, exists: 409, noPermission: 403, overQuota: 507, tooBig: 413, inUse: 423, unavailable: 503 },
    Object.fromEntries(['notFound', 'exists', 'noPermission', 'overQuota', 'tooBig', 'inUse', 'unavailable'].map((k) => [k, STORE_ERROR_STATUS[k as keyof typeof STORE_ERROR_STATUS]])),
  )
})

for (const kind of STORE_ERROR_KINDS) {
  test(`a StoreError "${kind}" thrown by a route is answered ${STORE_ERROR_STATUS[kind]} with its message`, async () => {
    const app = await appThrowing(new StoreError(kind, `Cannot do it: ${kind}`))
    const res = await app.inject({ method: 'GET', url: '/' })
    assert.equal(res.statusCode, STORE_ERROR_STATUS[kind])
    assert.equal(res.body, `Cannot do it: ${kind}\n`)
    assert.equal(res.headers['x-content-type-options'], 'nosniff')
  })
}

test('a throttled login gets 429 with Retry-After; bad credentials 401 without details', async () => {
  let res = await (await appThrowing(new DirectoryError('throttled', 'Too many failures', { retryAfterMs: 2500 }))).inject({ url: '/' })
  assert.equal(res.statusCode, 429)
  assert.equal(res.headers['retry-after'], '3')
  res = await (await appThrowing(new DirectoryError('badCredentials', 'no such user bob'))).inject({ url: '/' })
  assert.equal(res.statusCode, 401)
  assert.equal(res.body, 'Authentication failed\n')
})

test('an unexpected error is a bare 500: no message, no stack', async () => {
  const app = await appThrowing(new TypeError('secret internal detail at /srv/x.ts:12'))
  const res = await app.inject({ url: '/' })
  assert.equal(res.statusCode, 500)
  assert.equal(res.body, 'Internal Server Error\n')
})
