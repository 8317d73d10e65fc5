/**
 * TLS policy on every listener, implicit TLS and STARTTLS alike: TLS 1.0/1.1 refused by default
 * (RFC 8996 deprecates them), TLS 1.2 with forward-secret AEAD suites only, TLS 1.3 working, and a
 * certificate reload (what SIGHUP triggers) that keeps existing connections and serves the new
 * certificate to new ones.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { connect as connectTcp, type Socket } from 'node:net'
import { connect as connectTls, type ConnectionOptions, type TLSSocket } from 'node:tls'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generate } from 'selfsigned'
import { MODERN_CIPHERS } from '../../src/tls/certificates.ts'
import { LineClient } from '../support/line-client.ts'
import { ALICE, ALICE_PASSWORD, quote, startSecurityServer, type SecurityServer } from './fixture.ts'

/** Listeners speaking TLS from the first byte. */
const IMPLICIT = ['listen.imaps', 'listen.pop3s', 'listen.submissions', 'listen.https']
/** Listeners upgraded in band: how to get each one to the handshake. */
const STARTTLS: Record<string, { greeting: RegExp; commands: string[]; go: RegExp }> = {
  'listen.imap': { greeting: /^\* OK/, commands: ['a STARTTLS'], go: /^a OK/ },
  'listen.pop3': { greeting: /^\+OK/, commands: ['STLS'], go: /^\+OK/ },
  'listen.smtp': { greeting: /^220 /, commands: ['EHLO c.example.test', 'STARTTLS'], go: /^220 / },
  'listen.submission': { greeting: /^220 /, commands: ['EHLO c.example.test', 'STARTTLS'], go: /^220 / },
}
/** The client side must itself allow old versions, or the test could not fail (OpenSSL 3 refuses them at level 1). */
const OLD_CLIENT: ConnectionOptions = { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' }

let s: SecurityServer
let certDir: string
const certPath = () => join(certDir, 'server.crt')
const keyPath = () => join(certDir, 'server.key')

async function writeCertificate(commonName: string): Promise<void> {
  const pems = await generate([{ name: 'commonName', value: commonName }], {
    keyType: 'ec', curve: 'P-256', algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: commonName }, { type: 7, ip: '127.0.0.1' }] }],
  } as Parameters<typeof generate>[1])
  writeFileSync(keyPath(), pems.private)
  writeFileSync(certPath(), pems.cert)
}

before(async () => {
  certDir = mkdtempSync(join(tmpdir(), 'tidings-tls-'))
  await writeCertificate('first.example.test')
  s = await startSecurityServer({ 'tls.cert': certPath(), 'tls.key': keyPath() })
})

after(async () => {
  await s?.stop()
  rmSync(certDir, { recursive: true, force: true })
})

/** Reads until `pattern` matches a line; returns that line. */
function readUntil(socket: Socket, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = ''
    const timer = setTimeout(() => done(new Error(`timed out waiting for ${pattern}: ${buffer}`)), 10_000)
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString('latin1')
      for (const line of buffer.split('\r\n').slice(0, -1)) if (pattern.test(line)) return done(null, line)
    }
    const done = (error: Error | null, line?: string) => {
      clearTimeout(timer)
      socket.off('data', onData)
      if (error) reject(error)
      else resolve(line!)
    }
    socket.on('data', onData)
    socket.once('close', () => done(new Error(`closed while waiting for ${pattern}: ${buffer}`)))
  })
}

export interface Handshake {
  protocol: string | null
  cipher: string
  subject: string
  socket: TLSSocket
}

/** Connects to a listener, upgrading in band where needed, and completes a TLS handshake with `options`. */
async function handshake(key: string, options: ConnectionOptions = {}): Promise<Handshake> {
  const port = s.port(key)
  let plain: Socket | undefined
  if (STARTTLS[key]) {
    const recipe = STARTTLS[key]
    plain = connectTcp({ host: '127.0.0.1', port })
    plain.on('error', () => {})
    await readUntil(plain, recipe.greeting)
    for (const [i, command] of recipe.commands.entries()) {
      plain.write(command + '\r\n')
      const last = i === recipe.commands.length - 1
      await readUntil(plain, last ? recipe.go : /^\d{3} |^[a-z] OK|^\+OK/)
    }
  }
  const socket = connectTls({
    ...(plain ? { socket: plain } : { host: '127.0.0.1', port }),
    servername: 'localhost',
    rejectUnauthorized: false,
    ...options,
  })
  return new Promise((resolve, reject) => {
    socket.once('secureConnect', async () => {
      // One round trip inside TLS before handing the socket back: the server has then seen the
      // handshake finish (a client that hangs up earlier leaves the server's handshake timer running).
      if (key !== 'listen.https') {
        if (plain) socket.write(key === 'listen.imap' ? 'z NOOP\r\n' : 'NOOP\r\n')
        await new Promise((r) => socket.once('data', r))
      }
      resolve({
        protocol: socket.getProtocol(),
        cipher: socket.getCipher().standardName ? socket.getCipher().name : '',
        subject: String(socket.getPeerCertificate().subject?.CN ?? ''),
        socket,
      })
    })
    socket.once('error', (error) => {
      socket.destroy()
      plain?.destroy()
      reject(error)
    })
  })
}

const ALL = [...IMPLICIT, ...Object.keys(STARTTLS)]

test('TLS 1.0 and 1.1 are refused on every listener (RFC 8996)', async () => {
  for (const key of ALL) {
    await assert.rejects(handshake(key, OLD_CLIENT), `${key} accepted TLS 1.1 or older`)
  }
})

test('TLS 1.2 and TLS 1.3 work on every listener; TLS 1.2 negotiates only forward-secret AEAD suites', async () => {
  const modern = new Set(MODERN_CIPHERS.split(':'))
  for (const key of ALL) {
    const v13 = await handshake(key, { minVersion: 'TLSv1.3' })
    assert.equal(v13.protocol, 'TLSv1.3', key)
    v13.socket.destroy()
    const v12 = await handshake(key, { maxVersion: 'TLSv1.2' })
    assert.equal(v12.protocol, 'TLSv1.2', key)
    assert.ok(modern.has(v12.cipher), `${key} negotiated ${v12.cipher}`)
    v12.socket.destroy()
  }
})

test('a TLS 1.2 client offering only legacy suites (RSA key exchange, CBC, 3DES, RC4) is refused', async () => {
  const legacy = 'AES128-SHA:AES256-SHA:AES128-SHA256:DES-CBC3-SHA:RC4-SHA:ECDHE-RSA-AES128-SHA:@SECLEVEL=0'
  for (const key of ALL) {
    await assert.rejects(handshake(key, { maxVersion: 'TLSv1.2', ciphers: legacy }), `${key} accepted a legacy suite`)
  }
})

test('certificate reload: an open IMAP session survives; new connections on every listener get the new certificate', async () => {
  for (const key of ALL) {
    const h = await handshake(key)
    assert.equal(h.subject, 'first.example.test', key)
    h.socket.destroy()
  }
  const old = await LineClient.connect(s.port('listen.imaps'), { tls: true })
  try {
    assert.match(await old.readLine(), /^\* OK/)
    await old.expectTagged('a', `LOGIN ${quote(ALICE)} ${quote(ALICE_PASSWORD)}`)
    await old.expectTagged('b', 'SELECT INBOX')
    await writeCertificate('second.example.test')
    await s.server.server.tls.reload()
    await old.expectTagged('c', 'NOOP')
    await old.expectTagged('d', 'STATUS INBOX (MESSAGES)')
    for (const key of ALL) {
      const h = await handshake(key)
      assert.equal(h.subject, 'second.example.test', `${key} still serves the old certificate after reload`)
      h.socket.destroy()
    }
    await old.expectTagged('e', 'NOOP')
  } finally {
    old.close()
  }
})

test('a reload with a broken key keeps the current certificate', async () => {
  writeFileSync(keyPath(), 'not a key')
  await assert.rejects(s.server.server.tls.reload())
  const h = await handshake('listen.imaps')
  assert.equal(h.subject, 'second.example.test')
  h.socket.destroy()
})

// Found here first: listener.ts swapped the context in a 'connection' listener that ran after
// tls.Server's own, so the first implicit-TLS connection after a reload still got the old certificate.
test('the very first connection after a reload gets the new certificate on every listener', async () => {
  await writeCertificate('third.example.test')
  await s.server.server.tls.reload()
  const stale: string[] = []
  for (const key of ALL) {
    const h = await handshake(key)
    if (h.subject !== 'third.example.test') stale.push(key)
    h.socket.destroy()
  }
  assert.deepEqual(stale, [])
})
