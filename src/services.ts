/**
 * The listeners and background services `main.ts` starts, in order. Each protocol adds its one
 * line here when it lands; nothing else lists them.
 */
import type { ServerContext, Service } from './server-context.ts'

export type ServiceStarter = (ctx: ServerContext) => Promise<Service[]>

export const SERVICE_STARTERS: ReadonlyArray<{ name: string; start: ServiceStarter }> = [
]
