import { AUTHENTICATED, type ImapCommand } from '../command.ts'
import { encodeMailbox } from '../wire/encoder.ts'
import { compilePattern } from '../list-pattern.ts'
import { listAttributes } from '../list-attributes.ts'
import { patternText, sortFolders } from './list.ts'

/** RFC 3501 §6.3.9 (deprecated by RFC 9051, still used by IMAP4rev1 clients). */
export const lsub: ImapCommand = {
  name: 'LSUB',
  states: AUTHENTICATED,
  async run(session, args) {
    const reference = patternText(args, session.utf8Names)
    const pattern = patternText(args, session.utf8Names)
    args.end()
    const matcher = compilePattern(reference, pattern)
    const all = (await session.store.folders.list(session.account)).filter((f) => f.type === 'mail')
    for (const folder of sortFolders(all)) {
      if (!folder.subscribed || !matcher.test(folder.path)) continue
      const attrs = listAttributes(folder, all, false).filter((a) => !a.endsWith('Children'))
      await session.untagged(`LSUB (${attrs.join(' ')}) "/" ${encodeMailbox(folder.path, session.utf8Names)}`)
    }
    session.tagged('OK', 'LSUB completed')
  },
}
