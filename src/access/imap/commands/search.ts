import { SELECTED, type ImapCommand } from '../command.ts'
import { ImapSyntaxError } from '../wire/syntax-error.ts'
import { encodeString } from '../wire/encoder.ts'
import { parseSearch } from '../search-keys.ts'
import { compressUids } from '../uid-set.ts'

const RETURN_OPTIONS = new Set(['MIN', 'MAX', 'ALL', 'COUNT', 'SAVE'])

/**
 * RFC 9051 §6.4.4 with ESEARCH (RFC 4731: RETURN (MIN MAX ALL COUNT)), SEARCHRES (RFC 5182:
 * SAVE, `$`) and CONDSTORE (RFC 7162 §3.1.5: MODSEQ in the result).
 */
export const search: ImapCommand = {
  name: 'SEARCH',
  states: SELECTED,
  seqs: 'uses',
  uid: true,
  async run(session, args, call) {
    const view = session.selected
    let options: Set<string> | null = null
    if (args.accept('RETURN')) {
      options = new Set()
      const list = args.list('return options')
      while (!list.done) {
        const opt = list.atom('return option').toUpperCase()
        if (!RETURN_OPTIONS.has(opt)) throw new ImapSyntaxError(`Unknown RETURN option ${opt.slice(0, 20)}`)
        options.add(opt)
      }
      if (options.size === 0) options.add('ALL')
    }
    const key = parseSearch(session, args)
    const found = await session.store.emails.search(session.account, view.folder.id, key)
    const uids = found.filter((uid) => view.msnOf(uid) > 0)
    if (options?.has('SAVE')) session.saved = uids
    const ids = call.uid ? uids : uids.map((uid) => view.msnOf(uid))
    const modseqWanted = hasModseq(key)
    let highest = 0
    if (modseqWanted && uids.length) {
      for (let i = 0; i < uids.length; i += 500) {
        for (const info of await session.store.emails.flags(session.account, view.folder.id, uids.slice(i, i + 500))) highest = Math.max(highest, info.modseq)
      }
    }
    if (options === null && !session.rev2) {
      await session.untagged(`SEARCH${ids.map((n) => ' ' + n).join('')}${modseqWanted && ids.length ? ` (MODSEQ ${highest})` : ''}`)
    } else {
      const want = options ?? new Set(['ALL'])
      if (!(want.size === 1 && want.has('SAVE'))) {
        const parts = [`(TAG ${encodeString(call.tag)})`]
        if (call.uid) parts.push('UID')
        if (want.has('MIN') && ids.length) parts.push(`MIN ${ids[0]}`)
        if (want.has('MAX') && ids.length) parts.push(`MAX ${ids[ids.length - 1]}`)
        if (want.has('ALL') && ids.length) parts.push(`ALL ${compressUids(ids)}`)
        if (want.has('COUNT')) parts.push(`COUNT ${ids.length}`)
        if (modseqWanted && ids.length) parts.push(`MODSEQ ${highest}`)
        await session.untagged(`ESEARCH ${parts.join(' ')}`)
      }
    }
    session.tagged('OK', `${call.uid ? 'UID ' : ''}SEARCH completed`)
  },
}

function hasModseq(key: unknown): boolean {
  return JSON.stringify(key).includes('"modseqAtLeast"')
}
