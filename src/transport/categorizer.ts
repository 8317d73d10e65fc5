/**
 * The categorizer (Exchange's name): resolves each RCPT TO once through the directory into final
 * destinations (mailbox, alias and group expansion, catch-all, remote) or a refusal.
 */
import type { Directory, Destination } from '../directory/directory.ts'
import { REPLIES, reject, toSmtpError } from './smtp/replies.ts'
import { isRelayTrick, splitAddress } from './address.ts'

export interface LocalDestination {
  kind: 'local'
  address: string
  accountId: number
}
export interface RemoteDestination {
  kind: 'remote'
  address: string
  domain: string
}
export type FinalDestination = LocalDestination | RemoteDestination

export interface CategorizeOptions {
  /** May this sender reach other domains (an authenticated submission, a trusted network)? */
  mayRelay: boolean
  /** Is the sender inside the organization (authenticated or trusted)? Internal-only groups need it. */
  internalSender: boolean
}

/**
 * Resolves one recipient. Throws an SmtpReplyError for a refusal: unknown user (550 5.1.1), relay
 * denied (550 5.7.1), tricks (550 5.7.1), bad syntax (501 5.1.3), directory down (451 4.3.0).
 */
export async function categorize(directory: Directory, address: string, options: CategorizeOptions): Promise<FinalDestination[]> {
  if (isRelayTrick(address)) throw reject(REPLIES.relayTrick.code, REPLIES.relayTrick.text)
  if (!splitAddress(address)) throw reject(REPLIES.badAddress.code, REPLIES.badAddress.text)
  let recipient
  try {
    recipient = await directory.resolve(address)
  } catch (error) {
    throw toSmtpError(error)
  }
  switch (recipient.kind) {
    case 'mailbox':
      if (recipient.principal.disabled) throw reject(REPLIES.disabledMailbox.code, REPLIES.disabledMailbox.text)
      return [{ kind: 'local', address: recipient.principal.address, accountId: recipient.principal.id }]
    case 'alias':
      return expand(recipient.members)
    case 'group':
      if (recipient.internalOnly && !options.internalSender) throw reject(REPLIES.internalOnly.code, REPLIES.internalOnly.text)
      return expand(recipient.members)
    case 'remote': {
      if (!options.mayRelay) throw reject(REPLIES.relayDenied.code, REPLIES.relayDenied.text)
      return [{ kind: 'remote', address: recipient.address, domain: splitAddress(recipient.address)!.domain }]
    }
    case 'unknown':
      throw reject(REPLIES.unknownUser.code, REPLIES.unknownUser.text)
  }
}

/** Alias and group members, deduplicated (a person in two nested groups gets one copy). */
function expand(members: readonly Destination[]): FinalDestination[] {
  const out = new Map<string, FinalDestination>()
  for (const m of members) {
    if (m.kind === 'mailbox') {
      if (m.principal.disabled) continue
      const key = `local:${m.principal.id}`
      if (!out.has(key)) out.set(key, { kind: 'local', address: m.principal.address, accountId: m.principal.id })
    } else {
      const split = splitAddress(m.address)
      if (!split) continue
      const key = `remote:${m.address.toLowerCase()}`
      if (!out.has(key)) out.set(key, { kind: 'remote', address: m.address, domain: split.domain })
    }
  }
  if (out.size === 0) throw reject(REPLIES.unknownUser.code, REPLIES.unknownUser.text)
  return [...out.values()]
}
