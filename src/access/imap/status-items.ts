/**
 * STATUS data items (RFC 9051 §6.3.11, RFC 8438 SIZE, RFC 7162 HIGHESTMODSEQ, RFC 7889
 * APPENDLIMIT, RFC 8474 MAILBOXID), shared by STATUS and LIST … RETURN (STATUS …).
 */
import type { Folder } from '../../store/store.ts'
import type { ImapSession } from './session.ts'
import type { ImapArgs } from './wire/parser.ts'
import { ImapSyntaxError } from './wire/syntax-error.ts'
import { encodeMailbox } from './wire/encoder.ts'

export const STATUS_ITEMS = ['MESSAGES', 'UIDNEXT', 'UIDVALIDITY', 'UNSEEN', 'DELETED', 'SIZE', 'HIGHESTMODSEQ', 'APPENDLIMIT', 'RECENT', 'MAILBOXID'] as const
export type StatusItem = (typeof STATUS_ITEMS)[number]

export function parseStatusItems(list: ImapArgs): StatusItem[] {
  const items: StatusItem[] = []
  while (!list.done) {
    const item = list.atom('status item').toUpperCase() as StatusItem
    if (!STATUS_ITEMS.includes(item)) throw new ImapSyntaxError(`Unknown STATUS item ${item.slice(0, 20)}`)
    items.push(item)
  }
  if (!items.length) throw new ImapSyntaxError('STATUS needs items')
  return items
}

/** Writes `* STATUS name (…)`. */
export async function writeStatus(session: ImapSession, folder: Folder, items: readonly StatusItem[]): Promise<void> {
  const s = await session.store.folders.status(session.account, folder.id)
  const values: string[] = []
  for (const item of items) {
    const value = item === 'MESSAGES' ? s.messages
      : item === 'UIDNEXT' ? s.uidNext
      : item === 'UIDVALIDITY' ? s.uidValidity
      : item === 'UNSEEN' ? s.unseen
      : item === 'DELETED' ? s.deleted
      : item === 'SIZE' ? s.size
      : item === 'HIGHESTMODSEQ' ? s.highestModseq
      : item === 'APPENDLIMIT' ? session.ctx.config.number('imap.max_literal')
      : item === 'MAILBOXID' ? `(F${folder.id})`
      : 0
    values.push(`${item} ${value}`)
  }
  await session.untagged(`STATUS ${encodeMailbox(folder.path, session.utf8Names)} (${values.join(' ')})`)
}
