import type { Folder } from '../../store/store.ts'
import type { ImapSession } from './session.ts'
import { ImapError } from './responses.ts'

/** The mail folder of this name, or NO [NONEXISTENT] (or [TRYCREATE] for COPY/MOVE/APPEND targets). */
export async function findMailbox(session: ImapSession, name: string, options: { tryCreate?: boolean } = {}): Promise<Folder> {
  const folder = await session.store.folders.byPath(session.account, name)
  if (!folder || folder.type !== 'mail') {
    throw new ImapError('NO', options.tryCreate ? 'TRYCREATE' : 'NONEXISTENT', 'Mailbox does not exist')
  }
  return folder
}
