import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { once } from 'node:events'
import { X509Certificate } from 'node:crypto'
import { connect, createSecureContext, createServer, type TLSSocket } from 'node:tls'
import { loadTlsMaterial, MODERN_CIPHERS } from './certificates.ts'

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'tidings-tls-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

const base = { certPath: '', keyPath: '', minVersion: 'TLSv1.2', hostname: 'mail.example.test' }

test('no configured certificate: a self-signed one for the hostname is generated once and reused', async (t) => {
  const dataDir = tempDir(t)
  const first = await loadTlsMaterial({ ...base, dataDir })
  const pem = readFileSync(first.certPath, 'utf8')
  const cert = new X509Certificate(pem)
  assert.equal(cert.checkHost('mail.example.test'), 'mail.example.test')
  assert.equal(statSync(join(dataDir, 'tls', 'self-signed.key')).mode & 0o077, 0, 'the key is private to its owner')
  const second = await loadTlsMaterial({ ...base, dataDir })
  assert.equal(readFileSync(second.certPath, 'utf8'), pem)
  // A new hostname gets a new certificate.
  const renamed = await loadTlsMaterial({ ...base, hostname: 'mx.example.test', dataDir })
  assert.equal(new X509Certificate(readFileSync(renamed.certPath)).checkHost('mx.example.test'), 'mx.example.test')
})

test('current() gives a usable context: min version and modern ciphers; a TLS 1.2 handshake works', async (t) => {
  const dataDir = tempDir(t)
  const material = await loadTlsMaterial({ ...base, dataDir })
  const options = material.current()
  assert.equal(options.minVersion, 'TLSv1.2')
  assert.equal(options.ciphers, MODERN_CIPHERS)
  const server = createServer(options, (socket) => socket.end('hello\n'))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.after(() => server.close())
  const port = (server.address() as { port: number }).port
  const socket: TLSSocket = connect({ port, host: '127.0.0.1', rejectUnauthorized: false, maxVersion: 'TLSv1.2' })
  await once(socket, 'secureConnect')
  assert.equal(socket.getProtocol(), 'TLSv1.2')
  assert.match(socket.getCipher().name, /GCM|CHACHA20/)
  socket.destroy()
})

test('tls.min_version TLSv1.3 refuses a TLS 1.2 client', async (t) => {
  const dataDir = tempDir(t)
  const material = await loadTlsMaterial({ ...base, minVersion: 'TLSv1.3', dataDir })
  const server = createServer(material.current(), (socket) => socket.end())
  server.on('tlsClientError', () => {})
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.after(() => server.close())
  const port = (server.address() as { port: number }).port
  const socket = connect({ port, host: '127.0.0.1', rejectUnauthorized: false, maxVersion: 'TLSv1.2' })
  const [error] = await once(socket, 'error')
  assert.ok(error instanceof Error)
})

test('configured files are used and re-read by reload()', async (t) => {
  const dataDir = tempDir(t)
  const generated = await loadTlsMaterial({ ...base, dataDir })
  const certPath = join(dataDir, 'real.crt')
  const keyPath = join(dataDir, 'real.key')
  writeFileSync(certPath, readFileSync(generated.certPath))
  writeFileSync(keyPath, readFileSync(join(dataDir, 'tls', 'self-signed.key')))
  const material = await loadTlsMaterial({ ...base, certPath, keyPath, dataDir })
  assert.equal(material.certPath, certPath)
  const before = material.current()
  createSecureContext(before)
  const other = await loadTlsMaterial({ ...base, hostname: 'other.example.test', dataDir: tempDir(t) })
  writeFileSync(certPath, readFileSync(other.certPath))
  writeFileSync(keyPath, readFileSync(join(other.certPath, '..', 'self-signed.key')))
  assert.equal(material.current(), before, 'nothing changes until reload')
  await material.reload()
  assert.notEqual(material.current().cert, before.cert)
  assert.equal(new X509Certificate(String(material.current().cert)).checkHost('other.example.test'), 'other.example.test')
})

test('bad TLS settings are refused with a message naming the key', async (t) => {
  const dataDir = tempDir(t)
  await assert.rejects(loadTlsMaterial({ ...base, minVersion: 'TLSv1.0', dataDir }), /tls\.min_version/)
  await assert.rejects(loadTlsMaterial({ ...base, certPath: '/x.crt', dataDir }), /tls\.cert and tls\.key/)
  await assert.rejects(loadTlsMaterial({ ...base, certPath: '/nonexistent.crt', keyPath: '/nonexistent.key', dataDir }), /Cannot read tls\.cert file \/nonexistent\.crt: ENOENT/)
})

test('a key that does not match its certificate is refused; reload keeps the old material', async (t) => {
  const dataDir = tempDir(t)
  const a = await loadTlsMaterial({ ...base, dataDir })
  const otherDir = tempDir(t)
  await loadTlsMaterial({ ...base, dataDir: otherDir })
  const certPath = join(dataDir, 'c.crt')
  const keyPath = join(dataDir, 'c.key')
  writeFileSync(certPath, readFileSync(a.certPath))
  writeFileSync(keyPath, readFileSync(join(otherDir, 'tls', 'self-signed.key')))
  await assert.rejects(loadTlsMaterial({ ...base, certPath, keyPath, dataDir }), /unusable/)
  writeFileSync(keyPath, readFileSync(join(dataDir, 'tls', 'self-signed.key')))
  const material = await loadTlsMaterial({ ...base, certPath, keyPath, dataDir })
  const before = material.current()
  writeFileSync(keyPath, readFileSync(join(otherDir, 'tls', 'self-signed.key')))
  await assert.rejects(material.reload(), /unusable/)
  assert.equal(material.current(), before)
})

test('onReload listeners run after a successful reload only, and can unsubscribe', async (t) => {
  const dataDir = tempDir(t)
  const material = await loadTlsMaterial({ ...base, dataDir })
  let calls = 0
  const unsubscribe = material.onReload(() => calls++)
  await material.reload()
  assert.equal(calls, 1)
  writeFileSync(material.certPath, 'broken')
  await assert.rejects(material.reload())
  assert.equal(calls, 1)
  unsubscribe()
  await loadTlsMaterial({ ...base, dataDir })
  await material.reload()
  assert.equal(calls, 1)
})
