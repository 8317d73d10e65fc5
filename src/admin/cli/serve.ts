import type { Command } from 'commander'
import { configFrom } from './context.ts'
import { resolve } from 'node:path'
import { removePidFile, runningServer, writePidFile } from './pid-file.ts'

/** A shutdown that takes longer than this is cut short: a stuck client must not hold the process. */
const SHUTDOWN_GRACE_MS = 15_000

/** True once `serve` runs: the process must then stay up after the command returns. */
export let serving = false

/** `tidings serve`: starts every listener and service; SIGTERM/SIGINT stop it, SIGHUP reloads TLS. */
export function registerServe(program: Command): void {
  program.command('serve')
    .description('Run the server (all configured listeners)')
    .action(async (_options: unknown, command: Command) => {
      const { config } = configFrom(command)
      // Loaded here, not at the top: the other commands need none of the protocol code.
      const { createLogger } = await import('../../observability/log.ts')
      const { startServer } = await import('../../server.ts')
      const log = createLogger({ level: config.string('log_level') })
      // Two servers on one data directory would both run the queue and the maintenance tasks.
      const other = runningServer(resolve(config.string('data_dir')))
      if (other && other.pid !== process.pid) {
        throw new Error(`Another Tidings server (pid ${other.pid}) is already running on ${resolve(config.string('data_dir'))}; stop it first`)
      }
      const server = await startServer(config, { log })
      const dataDir = server.data.dataDir
      const listening: Record<string, string> = {}
      for (const [key, at] of server.listening) listening[key] = `${at.host}:${at.port}`
      serving = true
      writePidFile(dataDir, { pid: process.pid, startedAt: new Date().toISOString(), listening })

      for (const service of server.services) {
        if (service.address) log.info({ service: service.name, address: `${service.address.host}:${service.address.port}` }, `${service.name} listening on ${service.address.host}:${service.address.port}`)
        else log.info({ service: service.name }, `${service.name} started`)
      }
      if (server.services.length === 0) log.warn('no services are registered or every listener is turned off')
      const users = await server.data.admin.listPrincipals({ kind: 'user' })
      if (users.length === 0) {
        log.info('no users yet; add the first one with: npx tidings domain add example.org && npx tidings user add alice@example.org --name "Alice" --password -')
      }
      log.info({ dataDir, hostname: config.string('hostname') }, 'Tidings is ready')

      // Nothing else may keep the event loop alive when every listener is off; this does until shutdown.
      const keepAlive = setInterval(() => {}, 1 << 30)
      let stopping = false
      const shutdown = (signal: string) => {
        if (stopping) {
          log.warn({ signal }, 'second signal: exiting now')
          process.exit(1)
        }
        stopping = true
        log.info({ signal }, 'shutting down')
        const force = setTimeout(() => {
          log.error('shutdown took too long; exiting')
          process.exit(1)
        }, SHUTDOWN_GRACE_MS)
        force.unref()
        server.close().then(
          () => {
            removePidFile(dataDir, process.pid)
            clearInterval(keepAlive)
            log.info('stopped')
            log.flush?.()
            // A library timer left behind must not keep a stopped server alive.
            process.exit(0)
          },
          (error: unknown) => {
            log.error({ err: error }, 'error while shutting down')
            removePidFile(dataDir, process.pid)
            process.exit(1)
          },
        )
      }
      // A rejected promise nobody awaited is one session's bug: log it, keep serving everyone else.
      process.on('unhandledRejection', (reason) => log.error({ err: reason }, 'unhandled promise rejection (a bug)'))
      // A synchronous throw escaped to the event loop: state may be inconsistent, so stop; the
      // durability promise (nothing acknowledged before it is committed) makes this safe.
      process.on('uncaughtException', (error) => {
        log.fatal({ err: error }, 'uncaught exception (a bug); exiting')
        removePidFile(dataDir, process.pid)
        process.exit(1)
      })
      process.on('SIGTERM', () => shutdown('SIGTERM'))
      process.on('SIGINT', () => shutdown('SIGINT'))
      process.on('SIGHUP', () => {
        server.tls.reload().catch((error: unknown) => log.error({ err: error }, 'TLS reload failed; keeping the old certificate'))
      })
    })
}
