// TEMPORARY (deleted before the report): phase timings of SMTP DATA under load.
import { startTestServer } from '../../support/start-server.ts'
import { RawSmtp } from './raw-smtp.ts'
import { Queue } from '../../../src/transport/queue/queue.ts'
import { QueueWorker } from '../../../src/transport/queue/worker.ts'

const CONNS = Number(process.env.CONNS ?? 10)
const PER = Number(process.env.PER ?? 20)
const stats = new Map<string, number[]>()
const timed = (name: string, fn: Function) => async function (this: unknown, ...args: unknown[]) {
  const t = performance.now()
  try { return await fn.apply(this, args) } finally { (stats.get(name) ?? stats.set(name, []).get(name)!).push(performance.now() - t) }
}
const server = await startTestServer({ config: { trusted_networks: ['127.0.0.0/8'] } })
const users = []
for (let i = 0; i < 10; i++) { await server.addUser(`u${i}@example.test`, 'pass-pass-pass-1'); users.push(`u${i}@example.test`) }
const qp = Queue.prototype as any
qp.accept = timed('queue.accept', qp.accept)
const store = server.ctx.store as any
store.emails.deliver = timed('store.deliver', store.emails.deliver.bind(store.emails))
const eng = (server.ctx as any).engine
eng.write = timed('engine.write', eng.write.bind(eng))
const body = 'x'.repeat(76) + '\r\n'
const msg = (id: string) => `From: <s@load.test>\r\nTo: <u0@example.test>\r\nSubject: ${id}\r\nMessage-ID: <${id}@load.test>\r\n\r\n${body.repeat(52)}.\r\n`
const lat: number[] = []
const t0 = performance.now()
await Promise.all(Array.from({ length: CONNS }, async (_, c) => {
  const s = await RawSmtp.open(server.ports['listen.smtp'])
  await s.command('EHLO load.test')
  for (let i = 0; i < PER; i++) {
    const t = performance.now()
    s.write(`MAIL FROM:<s@load.test>\r\n${users.map((u) => `RCPT TO:<${u}>\r\n`).join('')}DATA\r\n`)
    for (let k = 0; k < users.length + 2; k++) await s.reply()
    s.write(msg(`${c}.${i}.${Date.now()}`))
    const r = await s.reply()
    if (r.code !== 250) console.log(r.text)
    lat.push(performance.now() - t)
  }
  s.close()
}))
const secs = (performance.now() - t0) / 1000
const avg = (a: number[]) => (a.reduce((x, y) => x + y, 0) / a.length).toFixed(1)
console.log(`conns ${CONNS}: ${(CONNS * PER / secs).toFixed(1)} msg/s, per message ${avg(lat)} ms`)
for (const [k, v] of stats) console.log(`${k}: n=${v.length} avg ${avg(v)} ms`)
await server.stop()
process.exit(0)
