/**
 * DATA: reads the message (never more than the size limit), refuses NUL bytes, normalises bare
 * line ends, adds trace (and for submission Message-ID/Date) headers, then queues it durably —
 * blob fsynced, rows committed — BEFORE the 250. Local recipients are delivered right away.
 */
import { randomBytes } from 'node:crypto'
import type { SMTPServerDataStream, SMTPServerSession } from 'smtp-server'
import type { SmtpDeps } from './deps.ts'
import { REPLIES, isExpected, reject, toSmtpError } from './replies.ts'
import { sessionState } from './session-state.ts'
import { receivedHeader, rfc5322Date } from './received.ts'
import { appendHeaders, hasNul, headerText, headerValue, normalizeLineEnds, prependHeaders } from '../message-bytes.ts'
import { newQueueId } from '../queue/queue-id.ts'
import addressparser from 'nodemailer/lib/addressparser/index.js'
import type { NewRecipient } from '../queue/types.ts'

/** Local delivery is awaited before the 250 only this long; after it the queue finishes it. */
const INLINE_DELIVERY_WAIT_MS = 10_000
/**
 * RFC 5321 6.3: a message with more Received headers than this is in a mail loop (two servers
 * forwarding to each other); refusing it ends the loop. 100 is the RFC's suggested minimum.
 */
const MAX_HOPS = 100

export function onData(deps: SmtpDeps) {
  return (stream: SMTPServerDataStream, session: SMTPServerSession, callback: (err?: Error | null, message?: string) => void): void => {
    receive(deps, stream, session).then(
      (text) => callback(null, text),
      (error: unknown) => {
        if (!isExpected(error)) deps.ctx.log.error({ err: error, session: session.id }, 'smtp DATA failed unexpectedly')
        callback(toSmtpError(error))
      },
    )
  }
}

async function receive(deps: SmtpDeps, stream: SMTPServerDataStream, session: SMTPServerSession): Promise<string> {
  const max = deps.ctx.config.number('smtp.max_message_size')
  const raw = await readLimited(stream, max)
  if (raw === null) throw reject(REPLIES.tooBig.code, REPLIES.tooBig.text)
  if (hasNul(raw)) throw reject(REPLIES.nulBytes.code, REPLIES.nulBytes.text)
  const state = sessionState(session)
  if (state.recipients.size === 0) throw reject(REPLIES.noRecipients.code, REPLIES.noRecipients.text)

  const now = deps.now()
  const queueId = newQueueId(now)
  const hostname = deps.ctx.config.string('hostname')
  let bytes = normalizeLineEnds(raw)
  const header = headerText(bytes)
  if ((header.match(/^Received:/gim)?.length ?? 0) > MAX_HOPS) throw reject(REPLIES.tooManyHops.code, REPLIES.tooManyHops.text)
  if (state.principal) {
    // Send-as: the From header too must be one of the user's own addresses (RFC 6409 6.1 lets
    // the MSA enforce this), or anyone could sign as the CEO with their own envelope sender.
    const mine = new Set(state.principal.addresses.map((a) => a.toLowerCase()))
    const from = headerValue(Buffer.from(header, 'latin1').toString('utf8'), 'from')
    const authors = from === null ? [] : addressparser(from, { flatten: true }).map((a) => a.address.toLowerCase())
    if (authors.some((a) => !mine.has(a))) throw reject(REPLIES.notYourAddress.code, REPLIES.notYourAddress.text)
  }
  if (deps.role !== 'mx') {
    // RFC 6409 8.2-8.3: the submission server may add a missing Message-ID and Date.
    const missing: string[] = []
    if (headerValue(header, 'message-id') === null) missing.push(`Message-ID: <${randomBytes(12).toString('hex')}.${queueId}@${hostname}>`)
    if (headerValue(header, 'date') === null) missing.push(`Date: ${rfc5322Date(new Date(now))}`)
    bytes = appendHeaders(bytes, missing)
  }
  const rcpts = [...state.recipients.values()]
  const single = rcpts.length === 1 ? rcpts[0].address : null
  bytes = prependHeaders(bytes, [receivedHeader(session, { hostname, queueId, recipient: single, at: new Date(now) })])
  if (bytes.length > max) throw reject(REPLIES.tooBig.code, REPLIES.tooBig.text)

  // Several RCPTs may expand to one mailbox (an alias, a group and the person): one copy each.
  const unique = new Map<string, NewRecipient>()
  for (const r of rcpts) {
    for (const d of r.destinations) {
      const key = `${d.kind}:${d.address.toLowerCase()}`
      if (unique.has(key)) continue
      unique.set(key, {
        address: d.address,
        original: r.address,
        orcpt: r.orcpt,
        notify: r.notify,
        kind: d.kind,
        accountId: d.kind === 'local' ? d.accountId : null,
        domain: d.kind === 'remote' ? d.domain : d.address.slice(d.address.lastIndexOf('@') + 1),
      })
    }
  }
  const recipients = [...unique.values()]
  const from = session.envelope.mailFrom
  const dsn = session.envelope.dsn
  await deps.queue.accept({
    id: queueId,
    bytes,
    sender: from ? from.address : '',
    messageId: headerValue(headerText(bytes), 'message-id'),
    envid: dsn?.envid ?? null,
    ret: dsn?.ret === 'FULL' || dsn?.ret === 'HDRS' ? dsn.ret : null,
    authUser: state.principal?.address ?? null,
    client: session.remoteAddress,
    origin: deps.role === 'mx' ? 'mx' : 'submission',
    recipients,
    now,
  })
  deps.ctx.metrics.messages.inc({ outcome: 'received' })
  deps.ctx.log.info({ queueId, role: deps.role, from: from ? from.address : '', recipients: recipients.length, size: bytes.length, client: session.remoteAddress, user: state.principal?.address }, 'message queued')
  // Durable now: the 250 may go. Give local delivery a moment so the Inbox has it on return.
  await Promise.race([deps.queue.deliverLocalNow(queueId), new Promise((r) => setTimeout(r, INLINE_DELIVERY_WAIT_MS).unref())])
  return `2.0.0 Ok: queued as ${queueId}`
}

/** The whole message, or null when it went over `max` (the rest is drained, not kept). */
function readLimited(stream: SMTPServerDataStream, max: number): Promise<Uint8Array | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let over = false
    stream.on('data', (chunk: Buffer) => {
      if (over) return
      size += chunk.length
      if (size > max || stream.sizeExceeded) {
        over = true
        chunks.length = 0
        return
      }
      chunks.push(chunk)
    })
    stream.once('error', reject)
    stream.once('end', () => resolve(over || stream.sizeExceeded ? null : Buffer.concat(chunks, size)))
  })
}
