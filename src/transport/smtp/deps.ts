import type { ServerContext } from '../../server-context.ts'
import type { Queue } from '../queue/queue.ts'
import type { TrustedNetworks } from '../trusted-networks.ts'

export const SMTP_ROLES = ['mx', 'submission', 'submissions'] as const
/** mx: port 25, inbound for local domains; submission (587, STARTTLS) and submissions (465, TLS): AUTH. */
export type SmtpRole = (typeof SMTP_ROLES)[number]

/** What every SMTP hook factory gets. */
export interface SmtpDeps {
  ctx: ServerContext
  role: SmtpRole
  queue: Queue
  trusted: TrustedNetworks
  /** Open connections per client address, shared by every SMTP listener. */
  connectionsByIp: Map<string, number>
  now: () => number
}
