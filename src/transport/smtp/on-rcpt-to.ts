/**
 * RCPT TO: resolves the recipient once (the categorizer) and refuses what we won't accept —
 * unknown local users (550 5.1.1) and, unless the client authenticated, any non-local domain
 * whatever the trick (550 5.7.1). Never an open relay.
 */
import type { SMTPServerAddress, SMTPServerSession } from 'smtp-server'
import type { SmtpDeps } from './deps.ts'
import { REPLIES, reject, toSmtpError } from './replies.ts'
import { sessionState, type SessionState } from './session-state.ts'
import { withHookTimeout } from './hook-timeout.ts'
import { categorize, type FinalDestination } from '../categorizer.ts'

/** Final destinations of one message after alias and group expansion (one queue row each). */
const MAX_EXPANDED_RECIPIENTS = 20_000
/**
 * A session that sends message after message to the same recipients reuses their resolution
 * (directory lookup, group expansion, quota check) for this long instead of repeating it for
 * every message. Short, so a disabled or deleted user stops receiving within a second or two;
 * the store refuses a delivery to a removed account anyway, and the queue then retries/bounces.
 */
const RESOLUTION_REUSE_MS = 2_000
/** Resolutions a session remembers: the recipients of one message at most (smtp.max_recipients). */
const MAX_REMEMBERED_RESOLUTIONS = 1_000

export function onRcptTo(deps: SmtpDeps) {
  return (address: SMTPServerAddress, session: SMTPServerSession, callback: (err?: Error | null) => void): void => {
    withHookTimeout(accept(deps, address, session)).then(() => callback(), (error: unknown) => {
      if (!(error instanceof Error && 'responseCode' in error)) deps.ctx.log.error({ err: error, session: session.id }, 'smtp RCPT failed unexpectedly')
      callback(toSmtpError(error))
    })
  }
}

async function accept(deps: SmtpDeps, address: SMTPServerAddress, session: SMTPServerSession): Promise<void> {
  const state = sessionState(session)
  const key = address.address.toLowerCase()
  // smtp-server counts only accepted recipients; a repeated one replaces itself, so this is exact.
  const max = deps.ctx.config.number('smtp.max_recipients')
  if (!state.recipients.has(key) && state.recipients.size >= max) throw reject(REPLIES.tooManyRecipients.code, REPLIES.tooManyRecipients.text)
  // Only an authenticated sender relays. `trusted_networks` allows plaintext AUTH and counts as
  // inside the organization (internal-only groups), but never makes an unauthenticated relay.
  const internal = state.principal !== null || state.trusted
  const destinations = await resolve(deps, state, address.address, internal)
  // Expansion multiplies work (a group of 10 000 per RCPT): bound the queue rows of one message.
  const expanded = [...state.recipients.values()].reduce((n, r) => n + (r.address.toLowerCase() === key ? 0 : r.destinations.length), 0)
  if (expanded + destinations.length > MAX_EXPANDED_RECIPIENTS) throw reject(REPLIES.tooManyRecipients.code, REPLIES.tooManyRecipients.text)
  state.recipients.set(key, {
    address: address.address,
    destinations,
    notify: address.dsn?.notify ?? null,
    orcpt: address.dsn?.orcpt ?? null,
  })
}

/** `categorize` and the full-mailbox check, reused within the session for RESOLUTION_REUSE_MS. */
async function resolve(deps: SmtpDeps, state: SessionState, address: string, internal: boolean): Promise<FinalDestination[]> {
  const key = `${state.principal !== null ? 1 : 0}${internal ? 1 : 0}:${address.toLowerCase()}`
  // The monotonic clock: an injected test clock that stands still must not make this last forever.
  const now = performance.now()
  const known = state.resolved.get(key)
  if (known && now - known.at >= 0 && now - known.at < RESOLUTION_REUSE_MS) return known.destinations
  const destinations = await categorize(deps.ctx.directory, address, { mayRelay: state.principal !== null, internalSender: internal })
  // A full mailbox, addressed directly, is refused now (452 4.2.2) so the sender's server keeps
  // the message and retries, instead of us queuing it and bouncing days later. Groups and aliases
  // go on: one full member must not block the others.
  if (destinations.length === 1 && destinations[0].kind === 'local' && await isFull(deps, destinations[0].accountId)) {
    throw reject(REPLIES.mailboxFull.code, REPLIES.mailboxFull.text)
  }
  if (state.resolved.size >= MAX_REMEMBERED_RESOLUTIONS) state.resolved.clear()
  state.resolved.set(key, { at: now, destinations })
  return destinations
}

async function isFull(deps: SmtpDeps, accountId: number): Promise<boolean> {
  const account = await deps.ctx.store.accounts.get(accountId)
  if (!account) return false
  return (account.quotaBytes !== null && account.quotaBytes > 0 && account.usedBytes >= account.quotaBytes)
    || (account.quotaMessages !== null && account.quotaMessages > 0 && account.usedMessages >= account.quotaMessages)
}
