/** Connection admission: the per-address limit, metrics, trusted-network flag. */
import type { SMTPServerSession } from 'smtp-server'
import type { SmtpDeps } from './deps.ts'
import { REPLIES, reject } from './replies.ts'
import { sessionState } from './session-state.ts'
import { releaseSlowClientGuard } from './slow-client-guard.ts'

export function onConnect(deps: SmtpDeps) {
  return (session: SMTPServerSession, callback: (err?: Error | null) => void): void => {
    const ip = session.remoteAddress
    // One client must not hold every slot (smtp.max_connections_per_ip): a cheap flood otherwise.
    const limit = deps.ctx.config.number('smtp.max_connections_per_ip')
    const open = deps.connectionsByIp.get(ip) ?? 0
    if (limit > 0 && open >= limit) {
      callback(reject(REPLIES.tooManyConnections.code, REPLIES.tooManyConnections.text))
      return
    }
    deps.connectionsByIp.set(ip, open + 1)
    const state = sessionState(session)
    state.trusted = deps.trusted(ip)
    counted.add(session)
    deps.ctx.metrics.connections.inc({ protocol: 'smtp' })
    deps.ctx.metrics.activeConnections.inc({ protocol: 'smtp' })
    callback()
  }
}

const counted = new WeakSet<SMTPServerSession>()

export function onClose(deps: SmtpDeps) {
  return (session: SMTPServerSession): void => {
    releaseSlowClientGuard(session)
    if (!counted.has(session)) return
    counted.delete(session)
    const ip = session.remoteAddress
    const open = (deps.connectionsByIp.get(ip) ?? 1) - 1
    if (open <= 0) deps.connectionsByIp.delete(ip)
    else deps.connectionsByIp.set(ip, open)
    deps.ctx.metrics.activeConnections.dec({ protocol: 'smtp' })
  }
}
