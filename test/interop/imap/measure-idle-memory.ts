/**
 * Measures the server-side memory of idle IMAP connections (logged in, INBOX selected, in IDLE)
 * on the plaintext port. Not a test (no timings or sizes asserted): run by hand,
 *   ./node_modules/.bin/node --expose-gc test/interop/imap/measure-idle-memory.ts [connections]
 * The clients live in a child process so only the server's memory is counted.
 */
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { connect } from 'node:net'

const N = Number(process.argv[2] ?? 500)

if (process.argv[3] === 'client') {
  const port = Number(process.argv[4])
  const sockets = []
  for (let i = 0; i < N; i++) {
    const socket = connect({ port, host: '127.0.0.1' })
    let seen = ''
    await new Promise<void>((resolve) => {
      socket.on('data', (chunk) => {
        seen += chunk.toString()
        if (seen.includes('+ idling')) resolve()
      })
      socket.write('a LOGIN idle@example.test idle-secret\r\nb SELECT INBOX\r\nc IDLE\r\n')
    })
    socket.removeAllListeners('data')
    socket.on('data', () => {})
    sockets.push(socket)
  }
  process.send!('ready')
  process.on('message', () => process.exit(0))
} else {
  const { startTestServer } = await import('../../support/start-server.ts')
  const server = await startTestServer({ config: { trusted_networks: ['127.0.0.0/8'], 'imap.max_connections_per_ip': N + 10, 'imap.max_connections_per_user': N + 10 } })
  await server.addUser('idle@example.test', 'idle-secret')
  const gc = (globalThis as { gc?: () => void }).gc
  if (!gc) throw new Error('run with --expose-gc')
  const measure = () => {
    gc(); gc()
    const m = process.memoryUsage()
    return { heap: m.heapUsed, external: m.external + m.arrayBuffers, rss: m.rss }
  }
  // Warm up code paths with a few connections first so JIT and caches are not counted.
  const warm = fork(fileURLToPath(import.meta.url), ['5', 'client', String(server.ports['listen.imap'])])
  await new Promise((resolve) => warm.once('message', resolve))
  warm.send('exit')
  await new Promise((resolve) => warm.once('exit', resolve))
  await new Promise((resolve) => setTimeout(resolve, 500))
  const before = measure()
  const started = Date.now()
  const child = fork(fileURLToPath(import.meta.url), [String(N), 'client', String(server.ports['listen.imap'])])
  await new Promise((resolve) => child.once('message', resolve))
  await new Promise((resolve) => setTimeout(resolve, 500))
  const after = measure()
  const per = (k: 'heap' | 'external' | 'rss') => Math.round((after[k] - before[k]) / N)
  console.log(`${N} idle IMAP connections (login + SELECT + IDLE) in ${Date.now() - started} ms`)
  console.log(`per connection: heap ${per('heap')} B, external+arrayBuffers ${per('external')} B, rss ${per('rss')} B`)
  child.send('exit')
  await new Promise((resolve) => child.once('exit', resolve))
  await server.stop()
}
