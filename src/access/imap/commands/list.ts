import { AUTHENTICATED, type ImapCommand } from '../command.ts'
import type { Folder } from '../../../store/store.ts'
import type { ImapArgs } from '../wire/parser.ts'
import { decodeMutf7 } from '../wire/utf7.ts'
import { ImapSyntaxError } from '../wire/syntax-error.ts'
import { encodeMailbox } from '../wire/encoder.ts'
import { compilePattern } from '../list-pattern.ts'
import { listAttributes, hasChildren, ROLE_ATTRIBUTES } from '../list-attributes.ts'
import { parseStatusItems, writeStatus, type StatusItem } from '../status-items.ts'

/** Patterns in one LIST (RFC 5258 multiple patterns). */
export const MAX_PATTERNS = 50

/**
 * RFC 9051 §6.3.9 with LIST-EXTENDED (RFC 5258): selection options SUBSCRIBED, SPECIAL-USE,
 * RECURSIVEMATCH; return options SUBSCRIBED, CHILDREN, SPECIAL-USE, STATUS (RFC 5819).
 */
export const list: ImapCommand = {
  name: 'LIST',
  states: AUTHENTICATED,
  async run(session, args) {
    const select = new Set<string>()
    if (args.peek()?.type === 'list') {
      const opts = args.list('selection options')
      while (!opts.done) select.add(opts.atom('selection option').toUpperCase())
    }
    const reference = patternText(args, session.utf8Names)
    const patterns: string[] = []
    if (args.peek()?.type === 'list') {
      const pats = args.list('patterns')
      while (!pats.done) patterns.push(patternText(pats, session.utf8Names))
    } else patterns.push(patternText(args, session.utf8Names))
    if (patterns.length > MAX_PATTERNS) throw new ImapSyntaxError('Too many patterns')
    const ret = new Set<string>()
    let statusItems: StatusItem[] | null = null
    if (args.accept('RETURN')) {
      const opts = args.list('return options')
      while (!opts.done) {
        const opt = opts.atom('return option').toUpperCase()
        if (opt === 'STATUS') statusItems = parseStatusItems(opts.list('status items'))
        else ret.add(opt)
      }
    }
    args.end()

    if (patterns.length === 1 && patterns[0] === '' && select.size === 0) {
      // RFC 9051 §6.3.9: the hierarchy delimiter and root.
      await session.untagged('LIST (\\Noselect) "/" ""')
      session.tagged('OK', 'LIST completed')
      return
    }
    const matchers = patterns.map((p) => compilePattern(reference, p))
    const all = (await session.store.folders.list(session.account)).filter((f) => f.type === 'mail')
    const subscribedOnly = select.has('SUBSCRIBED')
    const showSubscribed = subscribedOnly || ret.has('SUBSCRIBED')
    for (const folder of sortFolders(all)) {
      if (!matchers.some((m) => m.test(folder.path))) continue
      if (subscribedOnly && !folder.subscribed) continue
      if (select.has('SPECIAL-USE') && !(folder.role && ROLE_ATTRIBUTES[folder.role])) continue
      // Children and special-use attributes are always sent (RFC 6154 §1 and RFC 5258 §4 allow it).
      const attrs = listAttributes(folder, all, showSubscribed)
      await session.untagged(`LIST (${attrs.join(' ')}) "/" ${encodeMailbox(folder.path, session.utf8Names)}`)
      if (statusItems) await writeStatus(session, folder, statusItems)
    }
    if (subscribedOnly && select.has('RECURSIVEMATCH')) {
      // Parents with subscribed children that are not subscribed themselves (RFC 5258 §3.5).
      for (const folder of all) {
        if (folder.subscribed || !hasChildren(folder, all.filter((f) => f.subscribed))) continue
        if (!matchers.some((m) => m.test(folder.path))) continue
        await session.untagged(`LIST () "/" ${encodeMailbox(folder.path, session.utf8Names)} ("CHILDINFO" ("SUBSCRIBED"))`)
      }
    }
    session.tagged('OK', 'LIST completed')
  },
}

/** A reference or pattern: like a mailbox name, but wildcards allowed and INBOX left to the matcher. */
export function patternText(args: ImapArgs, utf8: boolean): string {
  const raw = args.string('mailbox pattern')
  return (utf8 ? raw : decodeMutf7(raw)).normalize('NFC')
}

/** INBOX first, then by name. */
export function sortFolders(folders: readonly Folder[]): Folder[] {
  return [...folders].sort((a, b) => (a.path === 'INBOX' ? -1 : b.path === 'INBOX' ? 1 : a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}
