/**
 * MAIL FROM: starts a transaction. Submission: a user may send only as one of their own addresses.
 * MX: a sender in one of our domains must have authenticated (anti-spoofing), unless trusted.
 */
import type { SMTPServerAddress, SMTPServerSession } from 'smtp-server'
import type { SmtpDeps } from './deps.ts'
import { REPLIES, reject, toSmtpError } from './replies.ts'
import { sessionState } from './session-state.ts'
import { withHookTimeout } from './hook-timeout.ts'
import { splitAddress } from '../address.ts'

export function onMailFrom(deps: SmtpDeps) {
  return (address: SMTPServerAddress, session: SMTPServerSession, callback: (err?: Error | null) => void): void => {
    withHookTimeout(check(deps, address, session)).then(() => callback(), (error: unknown) => callback(toSmtpError(error)))
  }
}

async function check(deps: SmtpDeps, address: SMTPServerAddress, session: SMTPServerSession): Promise<void> {
  const state = sessionState(session)
  state.recipients = new Map()
  const sender = address.address
  if (sender !== '' && !splitAddress(sender)) throw reject(REPLIES.badAddress.code, REPLIES.badAddress.text)
  if (state.principal) {
    // RFC 6409 6.1: the submission server may refuse a sender the user isn't entitled to.
    const mine = new Set(state.principal.addresses.map((a) => a.toLowerCase()))
    if (!mine.has(sender.toLowerCase())) throw reject(REPLIES.notYourAddress.code, REPLIES.notYourAddress.text)
    return
  }
  if (deps.role !== 'mx' || state.trusted || sender === '') return
  const domain = splitAddress(sender)!.domain
  if (domain.startsWith('[')) return
  if (await deps.ctx.directory.isLocalDomain(domain)) throw reject(REPLIES.spoofedLocalSender.code, REPLIES.spoofedLocalSender.text)
}
