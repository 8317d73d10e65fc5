import { AUTHENTICATED, type ImapCommand } from '../command.ts'
import type { ImapSession } from '../session.ts'
import type { ImapArgs } from '../wire/parser.ts'
import { ImapSyntaxError } from '../wire/syntax-error.ts'
import { ImapError } from '../responses.ts'
import { MailboxView } from '../mailbox-view.ts'
import { findMailbox } from '../find-mailbox.ts'
import { SYSTEM_FLAGS, flagList } from '../flags.ts'
import { compressUids } from '../uid-set.ts'
import { encodeMailbox } from '../wire/encoder.ts'
import { listAttributes } from '../list-attributes.ts'

/** RFC 9051 §6.3.2, with CONDSTORE and QRESYNC parameters (RFC 7162 §3.1.8, §3.2.5). */
export const select: ImapCommand = {
  name: 'SELECT',
  states: AUTHENTICATED,
  run: (session, args) => open(session, args, false),
}

interface Qresync {
  uidValidity: number
  modseq: number
  known: string | null
}

/** SELECT and EXAMINE: the same but for READ-ONLY. */
export async function open(session: ImapSession, args: ImapArgs, readOnly: boolean): Promise<void> {
  const name = args.mailbox()
  let qresync: Qresync | null = null
  if (!args.done) {
    const params = args.list('select parameters')
    while (!params.done) {
      const param = params.atom('select parameter').toUpperCase()
      if (param === 'CONDSTORE') session.condstore = true
      else if (param === 'QRESYNC') {
        if (!session.qresync) throw new ImapError('BAD', null, 'QRESYNC is not enabled')
        const q = params.list('QRESYNC parameters')
        qresync = { uidValidity: q.number('uidvalidity'), modseq: q.number('modseq', Number.MAX_SAFE_INTEGER), known: null }
        if (!q.done) {
          const t = q.peek()
          if (t?.type === 'atom') qresync.known = q.atom('known uids')
          if (!q.done) q.list('sequence match data')
        }
        q.end()
      } else throw new ImapSyntaxError(`Unknown SELECT parameter ${param.slice(0, 20)}`)
    }
    args.end()
  }
  if (session.state.kind === 'selected') {
    session.unselect()
    await session.untagged('OK [CLOSED] Previous mailbox closed')
  }
  // The folder (and its modseq) is read before the message list: anything committed in between
  // is newer than view.modseq and is reported by the sync right after this command.
  const folder = await findMailbox(session, name)
  const refs = await session.store.emails.list(session.account, folder.id)
  const view = new MailboxView(folder, refs.map((r) => r.uid), readOnly)
  const status = await session.store.folders.status(session.account, folder.id)
  await session.untagged(`FLAGS (${SYSTEM_FLAGS.join(' ')})`)
  await session.untagged(`OK [PERMANENTFLAGS (${readOnly ? '' : SYSTEM_FLAGS.join(' ') + ' \\*'})] Flags permitted`)
  await session.untagged(`${view.exists} EXISTS`)
  if (!session.rev2) {
    await session.untagged('0 RECENT')
    if (status.unseen > 0) {
      const unseen = await session.store.emails.search(session.account, folder.id, { keyword: '$seen', present: false })
      if (unseen.length) await session.untagged(`OK [UNSEEN ${view.msnOf(unseen[0])}] First unseen`)
    }
  }
  await session.untagged(`OK [UIDVALIDITY ${folder.uidValidity}] UIDs valid`)
  await session.untagged(`OK [UIDNEXT ${status.uidNext}] Predicted next UID`)
  await session.untagged(`OK [HIGHESTMODSEQ ${view.modseq}] Highest`)
  await session.untagged(`OK [MAILBOXID (F${folder.id})] Ok`)
  if (session.rev2) {
    // RFC 9051 §6.3.2: a LIST response with accurate attributes.
    const all = await session.store.folders.list(session.account)
    await session.untagged(`LIST (${listAttributes(folder, all, false).join(' ')}) "/" ${encodeMailbox(folder.path, session.utf8Names)}`)
  }
  if (qresync && qresync.uidValidity === folder.uidValidity) {
    let vanished = await session.store.emails.expungedSince(session.account, folder.id, qresync.modseq)
    if (qresync.known) {
      const ranges = parseKnown(qresync.known)
      vanished = vanished.filter((uid) => ranges.some((r) => uid >= (r.start as number) && uid <= (r.end as number)))
    }
    if (vanished.length) await session.untagged(`VANISHED (EARLIER) ${compressUids(vanished)}`)
    const changed = await session.store.emails.changedSince(session.account, folder.id, qresync.modseq)
    for (let i = 0; i < changed.length; i += 500) {
      const infos = await session.store.emails.flags(session.account, folder.id, changed.slice(i, i + 500).map((r) => r.uid))
      for (const info of infos) {
        const msn = view.msnOf(info.uid)
        if (msn) await session.untagged(`${msn} FETCH (UID ${info.uid} FLAGS ${flagList(info.keywords)} MODSEQ (${info.modseq}))`)
      }
    }
  }
  // Events published while we were reading were not routed to this view yet: look once more.
  view.dirty = true
  session.select(view)
  session.tagged('OK', `[${readOnly ? 'READ-ONLY' : 'READ-WRITE'}] ${readOnly ? 'EXAMINE' : 'SELECT'} completed`)
}

function parseKnown(text: string): Array<{ start: number; end: number }> {
  return text.split(',').map((part) => {
    const m = /^(\d+)(?::(\d+))?$/.exec(part)
    if (!m) throw new ImapSyntaxError('Bad known-uids')
    const a = Number(m[1])
    const b = m[2] ? Number(m[2]) : a
    return { start: Math.min(a, b), end: Math.max(a, b) }
  })
}
