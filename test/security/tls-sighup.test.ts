/**
 * `tidings serve` reloads its certificate on SIGHUP (src/admin/cli/serve.ts) without dropping
 * connections: an IMAPS session opened before the signal keeps working, connections after it get
 * the new certificate, and the process does not exit.
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect as connectTls } from 'node:tls'
import { setTimeout as sleep } from 'node:timers/promises'
import { generate } from 'selfsigned'
import { LineClient } from '../support/line-client.ts'
import { startChild, type ChildServer } from '../crash/child-server.ts'

const dir = mkdtempSync(join(tmpdir(), 'tidings-sighup-'))
let server: ChildServer | undefined

after(async () => {
  await server?.stop()
  rmSync(dir, { recursive: true, force: true })
})

async function writeCertificate(commonName: string): Promise<void> {
  const pems = await generate([{ name: 'commonName', value: commonName }], {
    keyType: 'ec', curve: 'P-256', algorithm: 'sha256',
  } as Parameters<typeof generate>[1])
  writeFileSync(join(dir, 'key.pem'), pems.private)
  writeFileSync(join(dir, 'cert.pem'), pems.cert)
}

/** The certificate subject a new IMAPS connection is served (after one round trip: the greeting). */
function subject(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connectTls({ host: '127.0.0.1', port, rejectUnauthorized: false })
    socket.once('data', () => {
      resolve(String(socket.getPeerCertificate().subject?.CN ?? ''))
      socket.destroy()
    })
    socket.once('error', reject)
  })
}

test('SIGHUP reloads the certificate; an open IMAPS session survives it', async () => {
  await writeCertificate('before.example.test')
  server = await startChild(join(dir, 'data'), ['imaps'], {
    TIDINGS_TLS_CERT: join(dir, 'cert.pem'),
    TIDINGS_TLS_KEY: join(dir, 'key.pem'),
  })
  const port = server.ports.imaps
  assert.equal(await subject(port), 'before.example.test')
  const old = await LineClient.connect(port, { tls: true })
  try {
    assert.match(await old.readLine(), /^\* OK/)
    await old.expectTagged('a', 'NOOP')
    await writeCertificate('after.example.test')
    server.child.kill('SIGHUP')
    // The reload is asynchronous to the signal: poll until it has happened.
    let seen = ''
    for (let i = 0; i < 50 && seen !== 'after.example.test'; i++) {
      seen = await subject(port)
      if (seen !== 'after.example.test') await sleep(100)
    }
    assert.equal(seen, 'after.example.test', 'new connections still get the old certificate')
    await old.expectTagged('b', 'NOOP')
    await old.expectTagged('c', 'CAPABILITY')
    assert.equal(server.child.exitCode, null, 'the server exited on SIGHUP')
  } finally {
    old.close()
  }
})
