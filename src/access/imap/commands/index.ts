/** The only list of IMAP verbs (STYLE.md): name → module. The session dispatches through it. */
import type { ImapCommand } from '../command.ts'
import { capability } from './capability.ts'
import { noop } from './noop.ts'
import { logout } from './logout.ts'
import { starttls } from './starttls.ts'
import { login } from './login.ts'
import { authenticate } from './authenticate.ts'
import { enable } from './enable.ts'
import { id } from './id.ts'
import { namespace } from './namespace.ts'
import { select } from './select.ts'
import { examine } from './examine.ts'
import { list } from './list.ts'
import { lsub } from './lsub.ts'
import { status } from './status.ts'
import { create } from './create.ts'
import { del } from './delete.ts'
import { rename } from './rename.ts'
import { subscribe } from './subscribe.ts'
import { unsubscribe } from './unsubscribe.ts'
import { append } from './append.ts'
import { idle } from './idle.ts'
import { check } from './check.ts'
import { close } from './close.ts'
import { unselect } from './unselect.ts'
import { expunge } from './expunge.ts'
import { search } from './search.ts'
import { fetch } from './fetch.ts'
import { store } from './store.ts'
import { copy } from './copy.ts'
import { move } from './move.ts'
import { sort } from './sort.ts'
import { thread } from './thread.ts'
import { getquota } from './getquota.ts'
import { getquotaroot } from './getquotaroot.ts'
import { compress } from './compress.ts'

const ALL: readonly ImapCommand[] = [
  capability, noop, logout, starttls, login, authenticate, enable, id, namespace, select, examine,
  list, lsub, status, create, del, rename, subscribe, unsubscribe, append, idle, check, close,
  unselect, expunge, search, fetch, store, copy, move, sort, thread, getquota, getquotaroot, compress,
]

export const COMMANDS: ReadonlyMap<string, ImapCommand> = new Map(ALL.map((c) => [c.name, c]))
