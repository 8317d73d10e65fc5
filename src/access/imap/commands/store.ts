import { SELECTED, type ImapCommand } from '../command.ts'
import type { KeywordChange, StoreKeywordsResult } from '../../../store/store.ts'
import { ImapSyntaxError } from '../wire/syntax-error.ts'
import { ImapError } from '../responses.ts'
import { flagToKeyword, flagList } from '../flags.ts'
import { compressUids } from '../uid-set.ts'

/** RFC 9051 §6.4.6 with UNCHANGEDSINCE → [MODIFIED] (RFC 7162 §3.1.3). */
export const store: ImapCommand = {
  name: 'STORE',
  states: SELECTED,
  seqs: 'uses',
  uid: true,
  async run(session, args, call) {
    const view = session.selected
    const set = args.sequenceSet()
    let unchangedSince: number | undefined
    if (args.peek()?.type === 'list') {
      const mods = args.list('store modifiers')
      while (!mods.done) {
        const mod = mods.atom('store modifier').toUpperCase()
        if (mod !== 'UNCHANGEDSINCE') throw new ImapSyntaxError(`Unknown STORE modifier ${mod.slice(0, 20)}`)
        unchangedSince = mods.number('modseq', Number.MAX_SAFE_INTEGER)
      }
      session.condstore = true
    }
    const action = args.atom('store action').toUpperCase()
    const m = /^([+-]?)FLAGS(\.SILENT)?$/.exec(action)
    if (!m) throw new ImapSyntaxError('Expected FLAGS, +FLAGS or -FLAGS')
    const flags = args.listOrOne('flags')
    const keywords: string[] = []
    while (!flags.done) keywords.push(flagToKeyword(flags.atom('flag')))
    args.end()
    if (view.readOnly) throw new ImapError('NO', 'CANNOT', 'Mailbox is read-only')
    const op: KeywordChange = m[1] === '+' ? 'add' : m[1] === '-' ? 'remove' : 'set'
    const uids = view.resolve(set, call.uid, session.saved)
    const silent = Boolean(m[2])
    if (uids.length === 0) {
      session.tagged('OK', 'STORE completed')
      return
    }
    let result: StoreKeywordsResult | null = null
    if (op !== 'set' && unchangedSince === undefined) {
      // A STORE that changes nothing (+FLAGS \Seen on seen messages) is answered from a read: no
      // write, so no wait for a commit and its fsync. Linearizable: it is as if it ran at the read.
      const current = await session.store.emails.flags(session.account, view.folder.id, uids)
      // Reported as the store reports it: only messages whose flags changed get a FETCH.
      if (current.every((m) => unchanged(m.keywords, op, keywords))) result = { updated: [], modified: [] }
    }
    if (!result) {
      result = await session.store.emails.setKeywords(session.account, view.folder.id, uids, { op, keywords, unchangedSince })
      for (const u of result.updated) view.own.set(u.uid, u.modseq)
    }
    for (const u of result.updated) {
      const msn = view.msnOf(u.uid)
      // .SILENT still reports MODSEQ when UNCHANGEDSINCE was given (RFC 7162 §3.1.3).
      if (!msn || (silent && unchangedSince === undefined)) continue
      const parts = [call.uid ? `UID ${u.uid}` : '']
      if (!silent) parts.push(`FLAGS ${flagList(u.keywords)}`)
      if (session.condstore) parts.push(`MODSEQ (${u.modseq})`)
      await session.untagged(`${msn} FETCH (${parts.filter(Boolean).join(' ')})`)
    }
    if (result.modified.length) {
      const ids = call.uid ? result.modified : result.modified.map((uid) => view.msnOf(uid)).filter(Boolean)
      session.tagged('OK', `[MODIFIED ${compressUids([...ids].sort((a, b) => a - b))}] Conditional STORE failed for some messages`)
      return
    }
    session.tagged('OK', 'STORE completed')
  },
}

/** Whether adding or removing `change` leaves `current` as it is (keywords compare case-insensitively). */
function unchanged(current: readonly string[], op: 'add' | 'remove', change: readonly string[]): boolean {
  const have = new Set(current.map((k) => k.toLowerCase()))
  return change.every((k) => have.has(k.toLowerCase()) === (op === 'add'))
}
