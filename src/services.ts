/**
 * The listeners and background services `main.ts` starts, in order. Each protocol adds its one
 * line here when it lands; nothing else lists them.
 */
import type { ServerContext, Service } from './server-context.ts'
import { startWeb } from './web/server.ts'
import { startPop3 } from './access/pop3/server.ts'
import { startTransport } from './transport/transport.ts'
import { startImap } from './access/imap/server.ts'
import { startDeletedItemRetention } from './attendant/deleted-items.ts'

export type ServiceStarter = (ctx: ServerContext) => Promise<Service[]>

export const SERVICE_STARTERS: ReadonlyArray<{ name: string; start: ServiceStarter }> = [
  { name: 'pop3', start: startPop3 },
  { name: 'web', start: startWeb },
  { name: 'transport', start: (ctx) => startTransport(ctx) },
  { name: 'imap', start: startImap },
  { name: 'deleted-item-retention', start: startDeletedItemRetention },
]
