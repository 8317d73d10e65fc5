/**
 * RETR of a large message to a client that stops reading: the server must wait for the socket
 * (backpressure), holding a few chunks, not the message. Measured as the growth of the process's
 * buffer memory while the client is stalled; the message is 32 MB, the allowance a third of it.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { connect } from 'node:tls'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { startTestServer, type TestServer } from '../../support/start-server.ts'
import { sampleMessage, userWithMail } from './fixture.ts'

const MESSAGE_BYTES = 32 * 1024 * 1024
const ALLOWED_GROWTH = MESSAGE_BYTES / 3

/** A full GC before each sample, so that what is measured is live memory, not garbage. */
setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

describe('POP3 RETR backpressure', () => {
  let server: TestServer
  before(async () => {
    server = await startTestServer()
  })
  after(async () => {
    await server?.stop()
  })

  test('a stalled client does not make the server buffer the message', async () => {
    // Base64 lines: realistic attachment text that does not compress to nothing.
    const body = randomBytes((MESSAGE_BYTES / 4) * 3).toString('base64').replace(/.{76}/g, '$&\r\n') + '\r\n'
    await userWithMail(server, 'slow@example.test', 'pw', [Buffer.concat([sampleMessage('huge', ''), Buffer.from(body)])])

    const socket = connect({ port: server.ports['listen.pop3s'], host: '127.0.0.1', rejectUnauthorized: false })
    try {
      let received = ''
      const waitFor = (pattern: RegExp) => new Promise<void>((resolve) => {
        const check = () => {
          if (pattern.test(received)) {
            socket.off('data', onData)
            resolve()
          }
        }
        const onData = (chunk: Buffer) => {
          received += chunk.toString('latin1')
          check()
        }
        socket.on('data', onData)
        check()
      })
      await waitFor(/^\+OK.*\r\n/)
      socket.write('USER slow@example.test\r\nPASS pw\r\n')
      await waitFor(/Logged in/)
      received = ''
      // Backing stores are released after the collection: collect, let them go, collect again.
      gc()
      await new Promise((r) => setTimeout(r, 50))
      gc()
      const baseline = process.memoryUsage().arrayBuffers
      socket.write('RETR 1\r\n')
      await waitFor(/octets\r\n/)
      // Stop reading: the kernel buffers fill, then the server must wait.
      socket.pause()
      let peak = 0
      for (let i = 0; i < 20; i++) {
        await new Promise((r) => setTimeout(r, 50))
        gc()
        peak = Math.max(peak, process.memoryUsage().arrayBuffers - baseline)
      }
      assert.ok(peak < ALLOWED_GROWTH, `buffer memory grew by ${(peak / 1048576).toFixed(1)} MB while the client was stalled`)
      // Reading resumes and the whole message arrives, terminated.
      let total = 0
      let tail = ''
      await new Promise<void>((resolve) => {
        socket.on('data', (chunk: Buffer) => {
          total += chunk.length
          tail = (tail + chunk.toString('latin1')).slice(-5)
          if (tail === '\r\n.\r\n') resolve()
        })
        socket.resume()
      })
      assert.ok(total >= MESSAGE_BYTES, `received ${total} bytes`)
    } finally {
      socket.destroy()
    }
  })
})
