import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { createLogger } from './log.ts'

function sink() {
  const lines: string[] = []
  const stream = new Writable({ write(chunk, _enc, done) { lines.push(...String(chunk).split('\n').filter(Boolean)); done() } })
  return { stream, lines }
}

test('JSON lines at the configured level; lower levels are dropped', () => {
  const { stream, lines } = sink()
  const log = createLogger({ level: 'info', destination: stream })
  log.debug('hidden')
  log.info({ service: 'imap', port: 143 }, 'listening')
  assert.equal(lines.length, 1)
  const entry = JSON.parse(lines[0])
  assert.equal(entry.msg, 'listening')
  assert.equal(entry.service, 'imap')
  assert.equal(entry.level, 30)
  assert.match(entry.time, /^\d{4}-\d\d-\d\dT/)
})

test('an unknown level is refused naming log_level', () => {
  assert.throws(() => createLogger({ level: 'loud' }), /log_level must be one of/)
})
