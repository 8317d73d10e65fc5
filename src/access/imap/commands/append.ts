import { AUTHENTICATED, type ImapCommand } from '../command.ts'
import type { AppendResult } from '../../../store/store.ts'
import type { ImapSession } from '../session.ts'
import type { AppendSpool } from '../append-spool.ts'
import { ImapSyntaxError } from '../wire/syntax-error.ts'
import { parseDateTime } from '../wire/parser.ts'
import { ImapError } from '../responses.ts'
import { flagToKeyword } from '../flags.ts'
import { findMailbox } from '../find-mailbox.ts'
import { compressUids } from '../uid-set.ts'

interface Message {
  /** The literal, when it stayed in memory. */
  raw: Buffer
  /** The temp file the literal went to while it arrived (big messages), else undefined. */
  spool: AppendSpool | undefined
  keywords: string[]
  receivedAt?: number
}

/**
 * RFC 9051 §6.3.12 with MULTIAPPEND (RFC 3502), APPENDUID (RFC 4315), literal8 (RFC 3516) and
 * `UTF8 (~{n}…)` (RFC 6855 §4). Big literals arrived in temp files (session.ts); each message is
 * read into memory only for its ingest, under the hub's byte budget, so memory stays bounded
 * however many clients append at once. MULTIAPPEND is all or nothing (RFC 3502 §6.3.11): when a
 * message fails, the ones already stored by this command are expunged again.
 */
export const append: ImapCommand = {
  name: 'APPEND',
  states: AUTHENTICATED,
  async run(session, args) {
    const name = args.mailbox()
    const messages: Message[] = []
    while (!args.done) {
      const message: Message = { raw: Buffer.alloc(0), spool: undefined, keywords: [] }
      if (args.peek()?.type === 'list') {
        const flags = args.list('flags')
        while (!flags.done) message.keywords.push(flagToKeyword(flags.atom('flag')))
      }
      const next = args.peek()
      if (next?.type === 'string' && !next.literal) message.receivedAt = parseDateTime(args.string('date-time'))
      if (args.accept('UTF8')) {
        const inner = args.list('UTF8 message')
        message.raw = inner.bytes('message literal')
        inner.end()
      } else {
        const t = args.next('message literal')
        if (t.type !== 'string' || !t.literal) throw new ImapSyntaxError('APPEND needs the message as a literal')
        message.raw = t.value
      }
      message.spool = session.spooled(message.raw)
      messages.push(message)
    }
    if (!messages.length) throw new ImapSyntaxError('APPEND needs a message')
    if (messages.some((m) => sizeOf(m) === 0)) throw new ImapError('NO', 'CANNOT', 'Empty message')
    const folder = await findMailbox(session, name, { tryCreate: true })
    const results: AppendResult[] = []
    try {
      for (const m of messages) results.push(await ingest(session, folder.id, m))
    } catch (error) {
      if (results.length) {
        await session.store.emails.expunge(session.account, folder.id, results.map((r) => r.uid)).catch((undo: unknown) => {
          session.ctx.log.error({ err: undo, session: session.id }, 'MULTIAPPEND: could not remove the messages stored before the failure')
        })
      }
      throw error
    }
    const uids = results.map((r) => r.uid)
    const set = uids.every((v, i) => i === 0 || v > uids[i - 1]) ? compressUids(uids) : uids.join(',')
    session.tagged('OK', `[APPENDUID ${results[0].uidValidity} ${set}] APPEND completed`)
  },
}

function sizeOf(m: Message): number {
  return m.spool ? m.spool.size : m.raw.length
}

/** One message into the store, its bytes in memory only while the byte budget allows. */
async function ingest(session: ImapSession, folder: number, m: Message): Promise<AppendResult> {
  const release = await session.hub.appendBudget.acquire(sizeOf(m))
  try {
    const raw = m.spool ? await m.spool.read() : m.raw
    return await session.store.emails.append(session.account, folder, { raw, keywords: m.keywords, receivedAt: m.receivedAt })
  } finally {
    release()
  }
}
