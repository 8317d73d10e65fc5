import { SELECTED, type ImapCommand } from '../command.ts'
import { SORT_KEYS, type SortKey } from '../../../store/store.ts'
import { ImapSyntaxError } from '../wire/syntax-error.ts'
import { ImapError } from '../responses.ts'
import { parseSearch } from '../search-keys.ts'

/** RFC 5256 SORT. DISPLAYFROM/DISPLAYTO (RFC 5957) are not offered. */
export const sort: ImapCommand = {
  name: 'SORT',
  states: SELECTED,
  seqs: 'uses',
  uid: true,
  async run(session, args, call) {
    const view = session.selected
    const criteria = args.list('sort criteria')
    const keys: SortKey[] = []
    let reverse = false
    while (!criteria.done) {
      const word = criteria.atom('sort key').toLowerCase()
      if (word === 'reverse') {
        reverse = true
        continue
      }
      if (!(SORT_KEYS as readonly string[]).includes(word)) throw new ImapSyntaxError(`Unknown sort key ${word.slice(0, 20)}`)
      keys.push({ key: word as SortKey['key'], reverse })
      reverse = false
    }
    if (!keys.length || reverse) throw new ImapSyntaxError('Bad sort criteria')
    const charset = args.string('charset').toUpperCase()
    if (charset !== 'UTF-8' && charset !== 'US-ASCII') throw new ImapError('NO', 'BADCHARSET (UTF-8 US-ASCII)', 'Unsupported charset')
    const key = parseSearch(session, args)
    const uids = (await session.store.emails.sort(session.account, view.folder.id, keys, key)).filter((uid) => view.msnOf(uid) > 0)
    const ids = call.uid ? uids : uids.map((uid) => view.msnOf(uid))
    await session.untagged(`SORT${ids.map((n) => ' ' + n).join('')}`)
    session.tagged('OK', `${call.uid ? 'UID ' : ''}SORT completed`)
  },
}
