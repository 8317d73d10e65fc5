import { AUTHENTICATED, type ImapCommand } from '../command.ts'
import type { FolderRole } from '../../../store/store.ts'
import { ImapError } from '../responses.ts'
import { roleOfAttribute } from '../list-attributes.ts'
import { ImapSyntaxError } from '../wire/syntax-error.ts'

/** Longest mailbox name accepted (deep paths would make every LIST and pattern match costly). */
export const MAX_MAILBOX_NAME = 1024

/** RFC 9051 §6.3.4 with CREATE-SPECIAL-USE (RFC 6154 §3). */
export const create: ImapCommand = {
  name: 'CREATE',
  states: AUTHENTICATED,
  async run(session, args) {
    const raw = args.mailbox()
    let role: FolderRole | null = null
    if (!args.done) {
      const params = args.list('create parameters')
      while (!params.done) {
        const param = params.atom('create parameter').toUpperCase()
        if (param !== 'USE') throw new ImapSyntaxError(`Unknown CREATE parameter ${param.slice(0, 20)}`)
        const uses = params.list('special-use attributes')
        while (!uses.done) {
          const attr = uses.atom('special-use attribute')
          role = roleOfAttribute(attr)
          if (!role) throw new ImapError('NO', 'USEATTR', `Unsupported special-use attribute ${attr.slice(0, 20)}`)
        }
      }
    }
    args.end()
    // A trailing delimiter only declares the intent to hold children (RFC 9051 §6.3.4).
    const name = raw.replace(/\/+$/, '')
    if (!validMailboxName(name)) throw new ImapError('NO', 'CANNOT', 'Invalid mailbox name')
    if (name === 'INBOX') throw new ImapError('NO', 'ALREADYEXISTS', 'INBOX always exists')
    const folder = await session.store.folders.create(session.account, name, { type: 'mail', role })
    // RFC 8474 §4.1: the new mailbox's id comes with the OK.
    session.tagged('OK', `[MAILBOXID (F${folder.id})] CREATE completed`)
  },
}

/**
 * A name we store: not empty, no empty level ("a//b", "/a"), no LIST wildcards (a mailbox called
 * "*" could never be listed alone) and no control characters.
 */
export function validMailboxName(name: string): boolean {
  return name !== '' && name.length <= MAX_MAILBOX_NAME && !name.split('/').some((p) => p === '') && !/[*%\x00-\x1f\x7f]/.test(name)
}
