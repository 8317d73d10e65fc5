/** The only list of POP3 verbs (STYLE.md): keyword → module. The session dispatches through it. */
import type { Pop3Command } from '../command.ts'
import { capa } from './capa.ts'
import { stls } from './stls.ts'
import { user } from './user.ts'
import { pass } from './pass.ts'
import { auth } from './auth.ts'
import { stat } from './stat.ts'
import { list } from './list.ts'
import { uidl } from './uidl.ts'
import { retr } from './retr.ts'
import { top } from './top.ts'
import { dele } from './dele.ts'
import { rset } from './rset.ts'
import { noop } from './noop.ts'
import { quit } from './quit.ts'

export const COMMANDS: ReadonlyMap<string, Pop3Command> = new Map(
  [capa, stls, user, pass, auth, stat, list, uidl, retr, top, dele, rset, noop, quit].map((c) => [c.name, c]),
)
