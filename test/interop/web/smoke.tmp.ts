import { startWeb } from '/work/main/src/web/server.ts'
import { loadConfig } from '/work/main/src/config/load.ts'
import { createMetrics } from '/work/main/src/observability/metrics.ts'
import pino from 'pino'
import selfsigned from 'selfsigned'
const pems = await (selfsigned as any).generate([{ name: 'commonName', value: 'mail.example.test' }], { days: 1, keySize: 2048 })
const config = loadConfig({ env: {}, overrides: { 'listen.http': '127.0.0.1:0', 'listen.https': '127.0.0.1:0', hostname: 'mail.example.test' } })
const ctx: any = { config, log: pino({ level: 'silent' }), metrics: createMetrics(), tls: { current: () => ({ cert: pems.cert, key: pems.private }) },
  store: { accounts: { get: async (id: number) => id < 3 ? { id, usedBytes: 10, usedMessages: 1 } : undefined } },
  directory: { authenticate: async () => { throw new Error('x') } } }
const services = await startWeb(ctx)
console.log(services.map(s => s.address))
ctx.config = config.with({ 'listen.imaps': '0.0.0.0:993', 'listen.imap': '0.0.0.0:143', 'listen.submission': '0.0.0.0:587' })
const base = `http://127.0.0.1:${services[0].address!.port}`
for (const p of ['/healthz', '/readyz', '/metrics', '/mail/config-v1.1.xml?emailaddress=a@example.test', '/nope']) {
  const r = await fetch(base + p); console.log(p, r.status, [...r.headers].length, (await r.text()).slice(0, 1500))
}
const body = `<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><Request><EMailAddress>a@example.test</EMailAddress><AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema></Request></Autodiscover>`
let r = await fetch(base + '/autodiscover/autodiscover.xml', { method: 'POST', body, headers: { 'content-type': 'text/xml' } })
console.log(r.status, await r.text())
r = await fetch(base + '/autodiscover/autodiscover.xml', { method: 'POST', body: '<a><b></a>', headers: { 'content-type': 'text/xml' } })
console.log(r.status, await r.text())
r = await fetch(base + '/mobileconfig'); console.log(r.status, await r.text())
await Promise.all(services.map(s => s.close()))
