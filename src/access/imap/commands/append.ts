import { AUTHENTICATED, type ImapCommand } from '../command.ts'
import type { AppendResult } from '../../../store/store.ts'
import { ImapSyntaxError } from '../wire/syntax-error.ts'
import { parseDateTime } from '../wire/parser.ts'
import { ImapError } from '../responses.ts'
import { flagToKeyword } from '../flags.ts'
import { findMailbox } from '../find-mailbox.ts'
import { compressUids } from '../uid-set.ts'

interface Message {
  raw: Buffer
  keywords: string[]
  receivedAt?: number
}

/**
 * RFC 9051 §6.3.12 with MULTIAPPEND (RFC 3502), APPENDUID (RFC 4315), literal8 (RFC 3516) and
 * `UTF8 (~{n}…)` (RFC 6855 §4). Every message is parsed before any is stored.
 */
export const append: ImapCommand = {
  name: 'APPEND',
  states: AUTHENTICATED,
  async run(session, args) {
    const name = args.mailbox()
    const messages: Message[] = []
    while (!args.done) {
      const message: Message = { raw: Buffer.alloc(0), keywords: [] }
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
      messages.push(message)
    }
    if (!messages.length) throw new ImapSyntaxError('APPEND needs a message')
    const folder = await findMailbox(session, name, { tryCreate: true })
    const results: AppendResult[] = []
    for (const m of messages) {
      if (m.raw.length === 0) throw new ImapError('NO', 'CANNOT', 'Empty message')
      results.push(await session.store.emails.append(session.account, folder.id, { raw: m.raw, keywords: m.keywords, receivedAt: m.receivedAt }))
    }
    const uids = results.map((r) => r.uid)
    const set = uids.every((v, i) => i === 0 || v > uids[i - 1]) ? compressUids(uids) : uids.join(',')
    session.tagged('OK', `[APPENDUID ${results[0].uidValidity} ${set}] APPEND completed`)
  },
}
