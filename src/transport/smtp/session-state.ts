/**
 * What the transport remembers about an SMTP session beside smtp-server's own session object:
 * the authenticated principal and each accepted recipient's resolved destinations (resolved once,
 * at RCPT, and reused at DATA). Kept in a WeakMap so it dies with the session.
 */
import type { SMTPServerSession } from 'smtp-server'
import type { Principal } from '../../directory/directory.ts'
import type { FinalDestination } from '../categorizer.ts'

export interface AcceptedRecipient {
  /** The RCPT TO address as given. */
  address: string
  destinations: FinalDestination[]
  notify: string[] | null
  orcpt: string | null
}

export interface SessionState {
  principal: Principal | null
  /** Client address is in `trusted_networks`. */
  trusted: boolean
  /** Keyed by lower-cased RCPT address; reset by every MAIL FROM. */
  recipients: Map<string, AcceptedRecipient>
  /**
   * Recent RCPT resolutions of this session (a client sending many messages to the same people
   * over one connection), with when they were made; see `on-rcpt-to.ts` for how long they count.
   */
  resolved: Map<string, { at: number; destinations: FinalDestination[] }>
}

const STATES = new WeakMap<SMTPServerSession, SessionState>()

export function sessionState(session: SMTPServerSession): SessionState {
  let state = STATES.get(session)
  if (!state) {
    state = { principal: null, trusted: false, recipients: new Map(), resolved: new Map() }
    STATES.set(session, state)
  }
  return state
}
