/**
 * DATA: streams the message into the spool (never more than the size limit, never whole in
 * memory), refuses NUL bytes, normalises bare line ends, adds trace (and for submission
 * Message-ID/Date) headers, then queues it durably — spool file fsynced, rows committed — BEFORE
 * the 250. Local recipients are delivered right away.
 */
import { randomBytes } from 'node:crypto'
import type { SMTPServerDataStream, SMTPServerSession } from 'smtp-server'
import type { SmtpDeps } from './deps.ts'
import { REPLIES, SmtpReplyError, isExpected, isStorageFault, reject, toSmtpError } from './replies.ts'
import { sessionState, type AcceptedRecipient } from './session-state.ts'
import { canDeliverBeforeReply, deliverBeforeReply } from '../local/deliver-before-reply.ts'
import { receivedHeader, rfc5322Date } from './received.ts'
import { LineEndNormalizer, appendHeaders, hasNul, headerText, headerValue, headerValues } from '../message-bytes.ts'
import type { SpoolFile } from '../queue/spool-file.ts'
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
/**
 * The header section is held in memory only this far (the rest of a message streams to the
 * spool). A header section longer than this could hide a From field from the send-as check, so
 * submission refuses it; the MX checks hops in what it scanned (our Received lines come first).
 * 20 connections from one address × this stays far below one whole message.
 */
const MAX_HEADER_SCAN = 64 * 1024

export function onData(deps: SmtpDeps) {
  return (stream: SMTPServerDataStream, session: SMTPServerSession, callback: (err?: Error | null, message?: string) => void): void => {
    receive(deps, stream, session).then(
      (text) => callback(null, text),
      (error: unknown) => {
        if (isStorageFault(error)) deps.ctx.log.warn({ err: error, session: session.id }, 'smtp DATA refused: storage full or failing')
        else if (!isExpected(error)) deps.ctx.log.error({ err: error, session: session.id }, 'smtp DATA failed unexpectedly')
        callback(toSmtpError(error))
      },
    )
  }
}

async function receive(deps: SmtpDeps, stream: SMTPServerDataStream, session: SMTPServerSession): Promise<string> {
  const state = sessionState(session)
  const rcpts = [...state.recipients.values()]
  const now = deps.now()
  const queueId = newQueueId(now)
  const hostname = deps.ctx.config.string('hostname')
  const single = rcpts.length === 1 ? rcpts[0].address : null
  const received = receivedHeader(session, { hostname, queueId, recipient: single, at: new Date(now) })
  const recipients = uniqueRecipients(rcpts)
  const from = session.envelope.mailFrom
  const sender = from ? from.address : ''
  const origin = deps.role === 'mx' ? 'mx' : 'submission'
  const spool = deps.queue.openSpoolFile()
  let spooled: { id: string; size: number }
  let messageId: string | null
  try {
    messageId = (await spoolData(deps, stream, session, { spool, received, queueId, now, hostname, noRecipients: rcpts.length === 0 })).messageId
    const held = spool.held()
    if (held !== null && canDeliverBeforeReply(recipients)) {
      const direct = { queueId, raw: held, sender, messageId: messageId && stripAngles(messageId), origin, recipients, now } as const
      if (await deliverBeforeReply({ store: deps.ctx.store, engine: deps.queue.store.engine, metrics: deps.ctx.metrics, log: deps.ctx.log }, direct)) {
        await spool.abort()
        deps.ctx.metrics.messages.inc({ outcome: 'received' })
        deps.ctx.log.info({ queueId, role: deps.role, from: sender, recipients: recipients.length, size: held.byteLength, client: session.remoteAddress, user: state.principal?.address }, 'message delivered before the reply')
        return `2.0.0 Ok: queued as ${queueId}`
      }
    }
    spooled = await spool.commit()
  } catch (error) {
    await spool.abort()
    throw error
  }

  const dsn = session.envelope.dsn
  await deps.queue.accept({
    id: queueId,
    blob: spooled,
    sender,
    messageId,
    envid: dsn?.envid ?? null,
    ret: dsn?.ret === 'FULL' || dsn?.ret === 'HDRS' ? dsn.ret : null,
    authUser: state.principal?.address ?? null,
    client: session.remoteAddress,
    origin,
    recipients,
    now,
  })
  deps.ctx.metrics.messages.inc({ outcome: 'received' })
  deps.ctx.log.info({ queueId, role: deps.role, from: sender, recipients: recipients.length, size: spooled.size, client: session.remoteAddress, user: state.principal?.address }, 'message queued')
  // Durable now: the 250 may go. Give local delivery a moment so the Inbox has it on return.
  await Promise.race([deps.queue.deliverLocalNow(queueId), new Promise((r) => setTimeout(r, INLINE_DELIVERY_WAIT_MS).unref())])
  return `2.0.0 Ok: queued as ${queueId}`
}

/** Several RCPTs may expand to one mailbox (an alias, a group and the person): one copy each. */
function uniqueRecipients(rcpts: readonly AcceptedRecipient[]): NewRecipient[] {
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
  return [...unique.values()]
}

/** Tracking stores Message-IDs without their angle brackets, as the queue does. */
function stripAngles(id: string): string {
  return id.trim().replace(/^<(.*)>$/s, '$1')
}

interface SpoolJob {
  spool: SpoolFile
  /** Our Received line (RFC 5321 4.4), written first. */
  received: string
  queueId: string
  now: number
  hostname: string
  noRecipients: boolean
}

/**
 * Streams DATA into the spool file: line ends normalised, NULs and the size watched, the header
 * section held back (at most MAX_HEADER_SCAN bytes) until it can be checked and completed. A
 * refusal stops the writing but the rest is still read (and dropped): SMTP replies only after the
 * final dot. Resolves with the Message-ID; throws the refusal (or the spool's error) at the end.
 */
async function spoolData(deps: SmtpDeps, stream: SMTPServerDataStream, session: SMTPServerSession, job: SpoolJob): Promise<{ messageId: string | null }> {
  const max = deps.ctx.config.number('smtp.max_message_size')
  const { spool } = job
  const normalizer = new LineEndNormalizer()
  let seen = 0
  let over = false
  let nul = false
  let refusal: SmtpReplyError | null = null
  let failure: unknown = null
  let head: Buffer | null = Buffer.alloc(0)
  let messageId: string | null = null
  const stopped = () => over || nul || refusal !== null || failure !== null

  const write = async (bytes: Uint8Array): Promise<void> => {
    if (spool.size + bytes.byteLength > max) {
      over = true
      return
    }
    try {
      await spool.write(bytes)
    } catch (error) {
      failure = error
    }
  }
  const endHeader = async (block: Buffer, complete: boolean): Promise<void> => {
    head = null
    const checked = checkHeader(deps, session, block, complete, job)
    if (checked instanceof SmtpReplyError) {
      refusal = checked
      return
    }
    messageId = headerValue(headerText(checked), 'message-id')
    await write(Buffer.from(job.received + '\r\n', 'utf8'))
    if (!stopped()) await write(checked)
  }
  const take = async (bytes: Uint8Array): Promise<void> => {
    if (stopped() || bytes.byteLength === 0) return
    if (hasNul(bytes)) {
      nul = true
      return
    }
    if (head === null) return write(bytes)
    head = Buffer.concat([head, bytes])
    const blank = head.indexOf('\r\n\r\n')
    if (blank !== -1 || head.length >= MAX_HEADER_SCAN) await endHeader(head, blank !== -1)
  }

  for await (const chunk of stream as AsyncIterable<Buffer>) {
    seen += chunk.length
    if (seen > max || stream.sizeExceeded) over = true
    await take(normalizer.push(chunk))
  }
  await take(normalizer.end())
  if (head !== null && !stopped()) await endHeader(head, true)
  if (over || stream.sizeExceeded) throw reject(REPLIES.tooBig.code, REPLIES.tooBig.text)
  if (nul) throw reject(REPLIES.nulBytes.code, REPLIES.nulBytes.text)
  if (job.noRecipients) throw reject(REPLIES.noRecipients.code, REPLIES.noRecipients.text)
  if (refusal) throw refusal
  if (failure) throw failure
  return { messageId }
}

/**
 * The policy checks on the header section, and its completion; returns the block to spool (with
 * any added fields) or the refusal. `complete`: the block holds the whole header section.
 */
function checkHeader(deps: SmtpDeps, session: SMTPServerSession, block: Buffer, complete: boolean, job: SpoolJob): Uint8Array | SmtpReplyError {
  const state = sessionState(session)
  const header = headerText(block)
  if ((header.match(/^Received:/gim)?.length ?? 0) > MAX_HOPS) return reject(REPLIES.tooManyHops.code, REPLIES.tooManyHops.text)
  if (!state.principal && deps.role === 'mx') return block
  // A From field past what we scan would escape the send-as check below: refuse instead.
  if (!complete) return reject(REPLIES.headerTooBig.code, REPLIES.headerTooBig.text)
  if (state.principal) {
    // Send-as: the From header too must be one of the user's own addresses (RFC 6409 6.1 lets
    // the MSA enforce this), or anyone could sign as the CEO with their own envelope sender.
    const mine = new Set(state.principal.addresses.map((a) => a.toLowerCase()))
    // Every From and Sender field counts: a second From, or `From :`, must not slip past.
    const text = Buffer.from(header, 'latin1').toString('utf8')
    const authors = [...headerValues(text, 'from'), ...headerValues(text, 'sender')]
      .flatMap((value) => addressparser(value, { flatten: true }))
      .map((a) => (a.address ?? '').toLowerCase())
      .filter(Boolean)
    if (authors.some((a) => !mine.has(a))) return reject(REPLIES.notYourAddress.code, REPLIES.notYourAddress.text)
  }
  if (deps.role === 'mx') return block
  // RFC 6409 8.2-8.3: the submission server may add a missing Message-ID and Date.
  const missing: string[] = []
  if (headerValue(header, 'message-id') === null) missing.push(`Message-ID: <${randomBytes(12).toString('hex')}.${job.queueId}@${job.hostname}>`)
  if (headerValue(header, 'date') === null) missing.push(`Date: ${rfc5322Date(new Date(job.now))}`)
  return appendHeaders(block, missing)
}
