/** End to end: mail sent over SMTP (nodemailer) reaches an IMAP session waiting in IDLE. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import nodemailer from 'nodemailer'
import { startTestServer } from '../../support/start-server.ts'
import { LineClient } from '../../support/line-client.ts'

test('a message delivered over SMTP is announced to an IDLE session (EXISTS), then fetched', async () => {
  const server = await startTestServer({ config: { trusted_networks: ['127.0.0.0/8'] } })
  const c = await LineClient.connect(server.ports['listen.imap'])
  try {
    await server.addUser('frank@example.test', 'frank-secret')
    await c.readLine()
    await c.expectTagged('a', 'LOGIN frank@example.test frank-secret')
    await c.expectTagged('b', 'SELECT INBOX')
    c.send('c IDLE\r\n')
    assert.equal(await c.readLine(), '+ idling')
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: server.ports['listen.smtp'], secure: false, ignoreTLS: true })
    await transport.sendMail({ from: 'someone@remote.test', to: 'frank@example.test', subject: 'Over SMTP', text: 'Delivered while idling.' })
    assert.equal(await c.readLine(30_000), '* 1 EXISTS')
    c.send('DONE\r\n')
    const rest = await c.readTagged('c')
    assert.match(rest.tagged, /^c OK /)
    const fetched = await c.expectTagged('d', 'FETCH 1 (ENVELOPE BODY.PEEK[TEXT])')
    assert.match(fetched.join('\n'), /"Over SMTP"/)
    assert.match(fetched.join('\n'), /Delivered while idling\./)
  } finally {
    c.close()
    await server.stop()
  }
})
