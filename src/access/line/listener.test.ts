import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect, type Socket } from 'node:net'
import { loadConfig } from '../../config/load.ts'
import { createMetrics } from '../../observability/metrics.ts'
import type { ServerContext } from '../../server-context.ts'
import { startLineListener } from './listener.ts'

/** Only what a plain (not implicit-TLS) listener reads from the context. */
function context(): ServerContext {
  const config = loadConfig({ env: {}, overrides: { 'listen.pop3': '127.0.0.1:0' } })
  return { config, metrics: createMetrics() } as unknown as ServerContext
}

/** Connects and resolves with the first line the server sends. */
function firstLine(port: number): Promise<{ socket: Socket; line: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port })
    let text = ''
    socket.on('error', reject)
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1')
      const end = text.indexOf('\r\n')
      if (end >= 0) resolve({ socket, line: text.slice(0, end) })
    })
  })
}

test('connections over maxConnections are refused whatever their address, and slots come back when clients leave', async () => {
  const service = await startLineListener(context(), {
    name: 'pop3',
    key: 'listen.pop3',
    implicitTls: false,
    maxConnectionsPerIp: 100,
    maxConnections: 2,
    refuse: (socket) => socket.end('-ERR full\r\n'),
    onConnection: (connection) => connection.socket.write('+OK hello\r\n'),
  })
  assert.ok(service)
  const port = service.address!.port
  const sockets: Socket[] = []
  try {
    for (let i = 0; i < 2; i++) {
      const { socket, line } = await firstLine(port)
      sockets.push(socket)
      assert.equal(line, '+OK hello')
    }
    const third = await firstLine(port)
    sockets.push(third.socket)
    assert.equal(third.line, '-ERR full')
    const first = sockets.shift()!
    await new Promise<void>((resolve) => {
      first.once('close', () => resolve())
      first.destroy()
    })
    // The server sees the close on its side too; then a new client is let in.
    let again = await firstLine(port)
    for (let i = 0; again.line !== '+OK hello' && i < 50; i++) {
      again.socket.destroy()
      await new Promise((resolve) => setTimeout(resolve, 20))
      again = await firstLine(port)
    }
    sockets.push(again.socket)
    assert.equal(again.line, '+OK hello')
  } finally {
    for (const socket of sockets) socket.destroy()
    await service.close()
  }
})
