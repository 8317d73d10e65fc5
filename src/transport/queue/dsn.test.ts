import { test } from 'node:test'
import assert from 'node:assert/strict'
import { simpleParser } from 'mailparser'
import { buildDsn } from './dsn.ts'
import type { QueuedMessage, QueuedRecipient } from './types.ts'

const message: QueuedMessage = {
  id: 'Q1', blobId: 'b', size: 10, sender: 'alice@example.test', messageId: 'm@x', envid: 'env+2B1', ret: null,
  authUser: 'alice@example.test', client: '127.0.0.1', origin: 'submission', receivedAt: Date.UTC(2026, 0, 2), warned: false,
}
const recipient = (address: string, orcpt: string | null = null): QueuedRecipient => ({
  queueId: 'Q1', address, original: address, orcpt, notify: null, kind: 'remote', accountId: null, domain: 'remote.test',
  state: 'queued', attempts: 1, nextAttempt: 0, lastAttempt: null, lastReply: null, remoteMta: null,
})
const original = Buffer.from('Subject: hello\r\nMessage-ID: <m@x>\r\n\r\nsecret body\r\n')

test('a failure DSN is a multipart/report with delivery-status fields and the original message', async () => {
  const bytes = buildDsn({
    hostname: 'mail.example.test', message, original, now: Date.UTC(2026, 0, 3), expiresAt: 0,
    recipients: [{ recipient: recipient('bob@remote.test', 'rfc822;bob+2Bold@remote.test'), action: 'failed', reply: '550 5.1.1 no such user', remoteMta: 'mx.remote.test' }],
  })
  const parsed = await simpleParser(Buffer.from(bytes))
  const type = parsed.headers.get('content-type') as { value: string; params: Record<string, string> }
  assert.equal(type.value, 'multipart/report')
  assert.equal(type.params['report-type'], 'delivery-status')
  assert.equal(parsed.headers.get('auto-submitted'), 'auto-replied')
  const text = Buffer.from(bytes).toString()
  assert.match(text, /Reporting-MTA: dns; mail\.example\.test/)
  assert.match(text, /Original-Envelope-Id: env\+1/)
  assert.match(text, /Original-Recipient: rfc822; bob\+old@remote\.test/)
  assert.match(text, /Final-Recipient: rfc822; bob@remote\.test\r\nAction: failed\r\nStatus: 5\.1\.1\r\nRemote-MTA: dns; mx\.remote\.test\r\nDiagnostic-Code: smtp; 550 5\.1\.1 no such user/)
  assert.match(text, /Content-Type: message\/rfc822\r\n\r\nSubject: hello[\s\S]*secret body/)
})

test('RET=HDRS returns only the header block', () => {
  const text = Buffer.from(buildDsn({
    hostname: 'h', message: { ...message, ret: 'HDRS' }, original, now: 0, expiresAt: 0,
    recipients: [{ recipient: recipient('bob@remote.test'), action: 'failed', reply: '554 no', remoteMta: null }],
  })).toString()
  assert.match(text, /Content-Type: text\/rfc822-headers\r\n\r\nSubject: hello\r\nMessage-ID: <m@x>\r\n\r\n--/)
  assert.doesNotMatch(text, /secret body/)
  assert.match(text, /Status: 5\.0\.0\r\nDiagnostic-Code: smtp; 554 no/)
})

test('a delay DSN says when we give up', () => {
  const text = Buffer.from(buildDsn({
    hostname: 'h', message, original, now: 0, expiresAt: Date.UTC(2026, 0, 7),
    recipients: [{ recipient: recipient('bob@remote.test'), action: 'delayed', reply: '451 4.4.1 timeout', remoteMta: null }],
  })).toString()
  assert.match(text, /Action: delayed\r\nStatus: 4\.4\.1/)
  assert.match(text, /Will-Retry-Until: Wed, 7 Jan 2026 00:00:00 \+0000/)
  assert.match(text, /Subject: Delivery Status Notification \(Delay\)/)
})
