/**
 * Messages written by a composer we did not write (nodemailer) are read back by ingest and by
 * mailparser; both must agree on the subject, names, text and every attachment's bytes, which
 * checks the byte offsets of each leaf part against an independent parser.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import nodemailer from 'nodemailer'
import type { SendMailOptions } from 'nodemailer'
import { simpleParser } from 'mailparser'
import { parseMessage } from './ingest.ts'
import { decodeTransfer } from './ingest/transfer-decode.ts'
import type { MimePart } from './mime.ts'

const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' })

async function compose(mail: SendMailOptions): Promise<Buffer> {
  const info = await transport.sendMail(mail)
  return info.message as unknown as Buffer
}

function leaves(part: MimePart, out: MimePart[] = []): MimePart[] {
  if (part.parts) for (const child of part.parts) leaves(child, out)
  else if (part.message) out.push(part) // mailparser keeps an attached message whole, as one attachment
  else out.push(part)
  return out
}

function squash(text: string): string {
  return text.replace(/\s+/g, ' ').trim()
}

async function agree(raw: Buffer, body: string): Promise<void> {
  const ours = parseMessage(raw)
  const theirs = await simpleParser(raw)
  assert.equal(ours.subject, theirs.subject ?? '')
  assert.equal(ours.messageId, theirs.messageId?.replace(/^<|>$/g, '') ?? null)
  assert.ok(squash(ours.text).includes(squash(body)), 'the text body is indexed')
  const parts = leaves(ours.mime)
  for (const attachment of theirs.attachments) {
    const name = attachment.filename ?? ''
    const part = parts.find((p) => (p.disposition?.params.filename ?? p.params.name) === name)
    assert.ok(part, `attachment ${JSON.stringify(name)} is a part with that file name`)
    const bytes = decodeTransfer(raw.subarray(part.bodyStart, part.bodyEnd), part.encoding)
    assert.deepEqual(bytes, attachment.content, `attachment ${JSON.stringify(name)} has the same bytes`)
    assert.ok(ours.attachmentNames.includes(name))
  }
}

test('nodemailer message with html, unicode names, text, binary and message attachments', async () => {
  const inner = await compose({ from: 'inner@example.test', to: 'x@example.test', subject: 'Inner', text: 'inner text' })
  const body = 'Plain body with ünïcödé and a long line ' + 'word '.repeat(40)
  const raw = await compose({
    from: { name: 'Jürgen Größe', address: 'juergen@example.test' },
    to: [{ name: 'Zoë, "the" Boss', address: 'zoe@example.test' }, 'plain@example.test'],
    subject: 'Quarterly résumé — 第一 ' + 'long '.repeat(20),
    messageId: '<composed-1@example.test>',
    text: body,
    html: '<p>Html body</p>',
    attachments: [
      { filename: 'notes — ünïcödé ' + 'x'.repeat(60) + '.txt', content: 'attachment words: marmalade xylophone\n' },
      { filename: 'data.bin', content: Buffer.from([0, 1, 2, 255, 254, 10, 13, 0]) },
      { filename: 'forwarded.eml', content: inner, contentType: 'message/rfc822' },
    ],
  })
  await agree(raw, body)
  const ours = parseMessage(raw)
  assert.equal(ours.from, 'Jürgen Größe <juergen@example.test>')
  assert.equal(ours.sortTo, 'zoe@example.test')
  assert.match(ours.text, /marmalade xylophone/)
})

test('property: nodemailer messages with arbitrary subjects, names and contents read the same as mailparser reads them', async () => {
  const text = fc.string({ unit: 'grapheme', maxLength: 200 })
  const name = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 80 }).filter((s) => s.trim() !== '' && !/[\\/\0]/.test(s))
  await fc.assert(
    fc.asyncProperty(text, text, fc.array(fc.tuple(name, fc.uint8Array({ maxLength: 300 })), { maxLength: 3 }), async (subject, body, files) => {
      const names = new Set<string>()
      const attachments = files.filter(([n]) => !names.has(n.trim()) && names.add(n.trim())).map(([filename, content]) => ({ filename: filename.trim(), content: Buffer.from(content) }))
      const raw = await compose({ from: 'a@example.test', to: 'b@example.test', subject, text: body, attachments })
      await agree(raw, body)
    }),
    { numRuns: 60 },
  )
})
