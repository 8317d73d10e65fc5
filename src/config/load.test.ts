import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError, loadConfig, parseDuration, parseSize } from './load.ts'

function withToml(text: string, run: (file: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'tidings-config-'))
  try {
    const file = join(dir, 'tidings.toml')
    writeFileSync(file, text)
    run(file)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

test('precedence: defaults < TOML < environment < overrides', () => {
  assert.equal(loadConfig({ env: {} }).string('hostname'), 'localhost')
  withToml('hostname = "toml.example.test"\n[listen]\nimap = "127.0.0.1:1143"\n[smtp]\nmax_message_size = "10M"\n', (file) => {
    const fromFile = loadConfig({ file, env: {} })
    assert.equal(fromFile.string('hostname'), 'toml.example.test')
    assert.deepEqual(fromFile.listener('listen.imap'), { host: '127.0.0.1', port: 1143 })
    assert.equal(fromFile.number('smtp.max_message_size'), 10 * 1024 * 1024)
    const fromEnv = loadConfig({ file, env: { TIDINGS_HOSTNAME: 'env.example.test', TIDINGS_LISTEN_IMAP: '' } })
    assert.equal(fromEnv.string('hostname'), 'env.example.test')
    assert.equal(fromEnv.listener('listen.imap'), null)
    // TIDINGS_CONFIG names the file when no --config is given.
    assert.equal(loadConfig({ env: { TIDINGS_CONFIG: file } }).string('hostname'), 'toml.example.test')
    assert.equal(loadConfig({ file, env: { TIDINGS_HOSTNAME: 'env' }, overrides: { hostname: 'flag' } }).string('hostname'), 'flag')
  })
})

test('an unknown key stops loading with one line naming it', () => {
  withToml('hostnme = "typo"\n', (file) => {
    assert.throws(() => loadConfig({ file, env: {} }), (e: unknown) => e instanceof ConfigError && /hostnme/.test(e.message) && !e.message.includes('\n'))
  })
  assert.throws(() => loadConfig({ env: { TIDINGS_LISTEN_IMAPX: '1' } }), /TIDINGS_LISTEN_IMAPX/)
})

test('a bad port, size, duration or boolean is refused naming the key', () => {
  assert.throws(() => loadConfig({ env: { TIDINGS_LISTEN_SMTP: '127.0.0.1:99999' } }), /listen\.smtp|TIDINGS_LISTEN_SMTP/)
  assert.throws(() => loadConfig({ env: { TIDINGS_LISTEN_SMTP: 'nonsense' } }), /TIDINGS_LISTEN_SMTP/)
  assert.throws(() => loadConfig({ env: { TIDINGS_SMTP_MAX_MESSAGE_SIZE: 'huge' } }), /smtp\.max_message_size/)
  assert.throws(() => loadConfig({ env: { TIDINGS_QUEUE_RETRY_FIRST: 'soon' } }), /queue\.retry_first/)
  assert.throws(() => loadConfig({ env: { TIDINGS_DURABLE: 'maybe' } }), /durable/)
  withToml('[smtp]\nmax_recipients = -1\n', (file) => assert.throws(() => loadConfig({ file, env: {} }), /smtp\.max_recipients/))
  withToml('this is = not toml', (file) => assert.throws(() => loadConfig({ file, env: {} }), /not valid TOML/))
  assert.throws(() => loadConfig({ file: '/nonexistent/tidings.toml', env: {} }), /Cannot read config file/)
})

test('sizes and durations parse with units', () => {
  assert.equal(parseSize('2G'), 2 * 1024 ** 3)
  assert.equal(parseSize('512k'), 512 * 1024)
  assert.equal(parseSize(100), 100)
  assert.equal(parseSize('lots'), null)
  assert.equal(parseDuration('5m'), 300_000)
  assert.equal(parseDuration('250ms'), 250)
  assert.equal(parseDuration('30'), 30_000)
  assert.equal(parseDuration('-1s'), null)
})

test('IPv6 listeners parse; empty turns a listener off', () => {
  assert.deepEqual(loadConfig({ env: { TIDINGS_LISTEN_IMAP: '[::1]:143' } }).listener('listen.imap'), { host: '::1', port: 143 })
  assert.equal(loadConfig({ env: { TIDINGS_LISTEN_POP3: '' } }).listener('listen.pop3'), null)
})
