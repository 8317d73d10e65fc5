/**
 * An in-process Tidings with only the transport started, so a test can inject DNS, routes and
 * the queue timings (the shared `startTestServer` starts every registered service with defaults).
 * Same pieces as `src/server.ts`: openData → TLS → metrics → startTransport.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../../../src/config/load.ts'
import { openData, type OpenData } from '../../../src/open-data.ts'
import { loadTlsMaterial } from '../../../src/tls/certificates.ts'
import { createMetrics } from '../../../src/observability/metrics.ts'
import { createLogger } from '../../../src/observability/log.ts'
import type { ServerContext, Service } from '../../../src/server-context.ts'
import type { Principal } from '../../../src/directory/directory.ts'
import { startTransport, type TransportOptions } from '../../../src/transport/transport.ts'
import type { MessageInfo } from '../../../src/store/store.ts'

export const HOSTNAME = 'mail.example.test'
export const DOMAIN = 'example.test'

export interface SmtpFixture {
  ctx: ServerContext
  data: OpenData
  dataDir: string
  ports: { mx: number; submission: number; submissions: number }
  addUser(address: string, password: string, quotaBytes?: number | null): Promise<Principal>
  /** Inbox messages of a user, with their bytes. */
  inbox(principal: Principal): Promise<Array<MessageInfo & { raw: Buffer }>>
  /** Polls until `check` holds (the queue works in the background). */
  until<T>(check: () => Promise<T | undefined | false | null>, what: string, timeoutMs?: number): Promise<T>
  stop(): Promise<void>
}

export async function startSmtpFixture(options: { config?: Record<string, unknown>; transport?: TransportOptions } = {}): Promise<SmtpFixture> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tidings-smtp-'))
  const config = loadConfig({
    env: {},
    overrides: {
      data_dir: dataDir,
      hostname: HOSTNAME,
      durable: true,
      log_level: process.env.TIDINGS_TEST_LOG ?? 'silent',
      'listen.smtp': '127.0.0.1:0',
      'listen.submission': '127.0.0.1:0',
      'listen.submissions': '127.0.0.1:0',
      ...options.config,
    },
  })
  const log = createLogger({ level: config.string('log_level') })
  const data = await openData(config)
  const tls = await loadTlsMaterial({
    certPath: '', keyPath: '', minVersion: config.string('tls.min_version'), hostname: HOSTNAME, dataDir, log,
  })
  const ctx: ServerContext = { config, store: data.store, directory: data.directory, log, tls, metrics: createMetrics(), engine: data.engine, blobs: data.blobs }
  await data.admin.addDomain(DOMAIN)
  let services: Service[]
  try {
    // No test reaches real DNS: unless a test injects its own, every lookup is a temporary failure.
    const offline = async (): Promise<never> => { throw Object.assign(new Error('offline'), { code: 'ESERVFAIL' }) }
    services = await startTransport(ctx, { resolver: { resolveMx: offline, resolve4: offline, resolve6: offline }, ...options.transport })
  } catch (error) {
    await data.close()
    rmSync(dataDir, { recursive: true, force: true })
    throw error
  }
  const port = (name: string) => services.find((s) => s.name === name)?.address?.port ?? 0
  return {
    ctx, data, dataDir,
    ports: { mx: port('smtp'), submission: port('submission'), submissions: port('submissions') },
    async addUser(address, password, quotaBytes = null) {
      const principal = await data.admin.addUser({ address, password, name: address, quotaBytes })
      await data.store.accounts.provision(principal.id, { bytes: quotaBytes })
      return principal
    },
    async inbox(principal) {
      const inbox = await data.store.folders.byRole(principal.id, 'inbox')
      if (!inbox) return []
      const refs = await data.store.emails.list(principal.id, inbox.id)
      const infos = await data.store.emails.info(principal.id, inbox.id, refs.map((r) => r.uid))
      const out = []
      for (const info of infos) out.push({ ...info, raw: Buffer.from(await data.store.emails.body(principal.id, info.blobId)) })
      return out
    },
    async until(check, what, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const value = await check()
        if (value) return value as never
        if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`)
        await new Promise((r) => setTimeout(r, 50))
      }
    },
    async stop() {
      for (const s of services.reverse()) await s.close()
      await data.close()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
