import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { startTestServer } from '../../support/start-server.ts'
import { sampleMessage, userWithMail } from './fixture.ts'
const server = await startTestServer()
const body = randomBytes(48 * 1024 * 1024).toString('base64').replace(/.{76}/g, '$&\r\n') + '\r\n'
const raw = Buffer.concat([sampleMessage('huge', ''), Buffer.from(body)])
await userWithMail(server, 'm@example.test', 'pw', [raw])
for (const scheme of ['pop3s']) {
  const t0 = performance.now()
  execFileSync('curl', ['-sS', '-k', '-u', 'm@example.test:pw', `${scheme}://127.0.0.1:${server.ports['listen.pop3s']}/1`, '-o', '/dev/null'])
  const ms = performance.now() - t0
  console.log(`${scheme} RETR ${(raw.length / 1048576).toFixed(1)} MB in ${ms.toFixed(0)} ms = ${(raw.length / 1048576 / (ms / 1000)).toFixed(0)} MB/s, rss ${(process.memoryUsage().rss / 1048576).toFixed(0)} MB`)
}
const t1 = performance.now()
let n = 0
while (performance.now() - t1 < 3000) {
  await fetch(`http://127.0.0.1:${server.ports['listen.http']}/autodiscover/autodiscover.xml`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: '<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><Request><EMailAddress>a@example.test</EMailAddress><AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema></Request></Autodiscover>' }).then((r) => r.text())
  n++
}
console.log(`autodiscover sequential: ${(n / 3).toFixed(0)} req/s`)
await server.stop()
