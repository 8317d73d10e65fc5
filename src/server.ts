import type { Logger } from 'pino'
import type { Config } from './config/load.ts'
import { CONFIG_KEYS } from './config/schema.ts'
import type { ServerContext, Service } from './server-context.ts'
import { SERVICE_STARTERS } from './services.ts'
import { openData, type OpenData } from './open-data.ts'
import { loadTlsMaterial, type ReloadableTls } from './tls/certificates.ts'
import { createMetrics } from './observability/metrics.ts'
import { createLogger } from './observability/log.ts'

export interface RunningServer {
  ctx: ServerContext
  data: OpenData
  tls: ReloadableTls
  services: Service[]
  /** Listener key (`listen.imap`) → bound address, for every listener that is on. */
  listening: Map<string, { host: string; port: number }>
  /** Stops every service (newest first), then closes the store and the database. Idempotent. */
  close(): Promise<void>
}

/**
 * The composition root, shared by `tidings serve` and the test fixture: config → engine → store,
 * directory → TLS → metrics → every registered service. A service that cannot start (a port in
 * use) stops everything started so far and the error propagates unchanged.
 */
export async function startServer(config: Config, options: { log?: Logger } = {}): Promise<RunningServer> {
  const log = options.log ?? createLogger({ level: config.string('log_level') })
  const data = await openData(config)
  const services: Service[] = []
  const stop = async () => {
    for (const service of services.reverse()) {
      try {
        await service.close()
      } catch (error) {
        log.warn({ err: error, service: service.name }, 'service did not close cleanly')
      }
    }
    services.length = 0
    await data.close()
  }
  try {
    const tls = await loadTlsMaterial({
      certPath: config.string('tls.cert'),
      keyPath: config.string('tls.key'),
      minVersion: config.string('tls.min_version'),
      hostname: config.string('hostname'),
      dataDir: data.dataDir,
      log,
    })
    const ctx: ServerContext = {
      config,
      store: data.store,
      directory: data.directory,
      log,
      tls,
      metrics: createMetrics(),
      engine: data.engine,
      blobs: data.blobs,
    }
    for (const starter of SERVICE_STARTERS) {
      const started = await starter.start(ctx)
      services.push(...started)
    }
    let closing: Promise<void> | undefined
    return {
      ctx,
      data,
      tls,
      services,
      listening: listenerMap(services),
      close: () => (closing ??= stop()),
    }
  } catch (error) {
    await stop()
    throw error
  }
}

const LISTENER_KEYS = new Set<string>(CONFIG_KEYS.filter((s) => s.type === 'listener').map((s) => s.key))

function listenerMap(services: readonly Service[]): Map<string, { host: string; port: number }> {
  const out = new Map<string, { host: string; port: number }>()
  for (const service of services) {
    if (!service.address) continue
    const key = service.key ?? `listen.${service.name}`
    if (LISTENER_KEYS.has(key)) out.set(key, service.address)
  }
  return out
}
