/**
 * Remote delivery of one message to the recipients of one domain: route (MX or smarthost),
 * MX lookup, then each host in preference order until one answers; STARTTLS when offered (or
 * required by the route); one transaction per DSN parameter set on a reused connection.
 * 2xx → delivered, 4xx → deferred, 5xx → bounced, per recipient.
 */
import type { Logger } from 'pino'
import type { AttemptOutcome, QueuedMessage, QueuedRecipient } from '../queue/types.ts'
import { routeFor, type RouteTable } from '../router.ts'
import { DnsFailure, resolveMxHosts, type DnsResolver } from './mx.ts'
import type { ConnectionPool } from './connection-pool.ts'
import { SmtpClient, type SmtpFailure } from './smtp-client.ts'

/** Addresses tried per attempt: enough for a primary and backups, not a scan of a big pool. */
const MAX_ADDRESSES_PER_ATTEMPT = 5
/** Connect, greeting and per-command timeout (RFC 5321 4.5.3.2 suggests minutes; we retry later). */
const SMTP_TIMEOUT_MS = 60_000

export interface OutboundJob {
  domain: string
  message: QueuedMessage
  recipients: readonly QueuedRecipient[]
  raw: Uint8Array
}

export interface OutboundDeps {
  resolver: DnsResolver
  routes: RouteTable
  pool: ConnectionPool
  hostname: string
  log: Logger
  /** Overrides the connect timeout (tests). */
  timeoutMs?: number
}

interface Target {
  name: string
  address: string
  port: number
}

export async function deliverRemote(deps: OutboundDeps, job: OutboundJob): Promise<AttemptOutcome[]> {
  const route = routeFor(deps.routes, job.domain)
  const all = (reply: string, result: AttemptOutcome['result'], remoteMta: string | null = null) =>
    job.recipients.map((r) => ({ address: r.address, result, reply, remoteMta }))
  // A domain routed "local" never leaves this server: anyone the directory doesn't know there
  // doesn't exist (an internal-only domain, or one being migrated in).
  if (route.type === 'local') return all(`550 5.1.1 No such mailbox: ${job.domain} is delivered only on this server`, 'bounced')
  let targets: Target[]
  if (route.type === 'smarthost') {
    targets = [{ name: route.host!, address: route.host!, port: route.port }]
  } else {
    try {
      const hosts = await resolveMxHosts(deps.resolver, job.domain)
      targets = hosts.flatMap((h) => h.addresses.map((address) => ({ name: h.name, address, port: route.port })))
    } catch (error) {
      if (error instanceof DnsFailure) return all(error.reply, error.permanent ? 'bounced' : 'deferred')
      throw error
    }
  }
  const destination = route.type === 'smarthost' ? `smarthost:${route.host}:${route.port}` : `mx:${job.domain}`
  const free = await deps.pool.slot(destination)
  try {
    let lastReply = `451 4.4.1 No answer from any mail host of ${job.domain}`
    for (const target of targets.slice(0, MAX_ADDRESSES_PER_ATTEMPT)) {
      const key = `${target.address}:${target.port}`
      let client = await deps.pool.reuse(key)
      if (!client) {
        try {
          client = await SmtpClient.open({
            host: target.address, port: target.port, servername: target.name, name: deps.hostname,
            requireTls: route.tls === 'required', verify: route.verify, auth: route.auth, timeoutMs: deps.timeoutMs ?? SMTP_TIMEOUT_MS,
          })
        } catch (error) {
          lastReply = failureReply(error as SmtpFailure, target)
          deps.log.debug({ err: error, host: target.name, address: target.address }, 'outbound connect failed')
          continue
        }
      }
      const outcome = await transact(client, job, target)
      deps.pool.release(key, client, outcome.healthy)
      if (outcome.results) return outcome.results
      lastReply = outcome.reply
    }
    return all(lastReply, 'deferred')
  } finally {
    free()
  }
}

/**
 * Runs the transactions on one connection. `results` is null when the link failed before any
 * recipient got an answer, so the caller tries the next host.
 */
async function transact(client: SmtpClient, job: OutboundJob, target: Target): Promise<{ results: AttemptOutcome[] | null; reply: string; healthy: boolean }> {
  const results: AttemptOutcome[] = []
  const eightBit = job.raw.some((b) => b >= 0x80)
  for (const batch of batches(job.recipients)) {
    const first = batch[0]
    try {
      const sent = await client.send({
        from: job.message.sender,
        to: batch.map((r) => r.address),
        size: job.raw.length,
        eightBit,
        dsn: { ret: job.message.ret, envid: job.message.envid, notify: first.notify, orcpt: first.orcpt },
      }, job.raw)
      const rejected = new Map(sent.rejected.map((r) => [r.address.toLowerCase(), r.reply]))
      for (const r of batch) {
        const reply = rejected.get(r.address.toLowerCase())
        results.push(reply === undefined
          ? { address: r.address, result: 'delivered', reply: sent.response, remoteMta: target.name }
          : { address: r.address, result: classify(reply), reply, remoteMta: target.name })
      }
    } catch (error) {
      const e = error as SmtpFailure
      if (e.code === 'EENVELOPE' && e.rejectedErrors?.length) {
        const byAddress = new Map(e.rejectedErrors.map((x) => [String(x.recipient ?? '').toLowerCase(), String(x.response ?? e.response ?? '')]))
        for (const r of batch) {
          const reply = byAddress.get(r.address.toLowerCase()) ?? e.response ?? '451 4.4.0 Rejected'
          results.push({ address: r.address, result: classify(reply), reply, remoteMta: target.name })
        }
        continue
      }
      if (!e.responseCode && (e.code === 'EMESSAGE' || e.code === 'EENVELOPE')) {
        // Refused before a word was sent: the host's SIZE is below ours, or the envelope can't be
        // expressed to it. Asking again won't help.
        const reply = e.code === 'EMESSAGE' ? `552 5.3.4 ${target.name}: ${oneLine(e.message)}` : `554 5.5.0 ${oneLine(e.message)}`
        for (const r of batch) results.push({ address: r.address, result: 'bounced', reply, remoteMta: target.name })
        continue
      }
      if (e.responseCode && e.response) {
        for (const r of batch) results.push({ address: r.address, result: classify(e.response), reply: e.response, remoteMta: target.name })
        continue
      }
      // The link broke: before any answer, the next host may do better; after, retry the rest.
      const reply = failureReply(e, target)
      if (results.length === 0) return { results: null, reply, healthy: false }
      const done = new Set(results.map((x) => x.address))
      for (const r of job.recipients) if (!done.has(r.address)) results.push({ address: r.address, result: 'deferred', reply, remoteMta: target.name })
      return { results, reply, healthy: false }
    }
  }
  return { results, reply: '', healthy: true }
}

/**
 * Recipients sharing one transaction: those with the same NOTIFY and no ORCPT. nodemailer sends
 * one DSN parameter set per envelope, so a recipient with its own ORCPT gets its own transaction.
 */
function batches(recipients: readonly QueuedRecipient[]): QueuedRecipient[][] {
  const groups = new Map<string, QueuedRecipient[]>()
  const out: QueuedRecipient[][] = []
  for (const r of recipients) {
    if (r.orcpt) { out.push([r]); continue }
    const key = (r.notify ?? []).join(',')
    const list = groups.get(key) ?? []
    list.push(r)
    groups.set(key, list)
  }
  return [...groups.values(), ...out]
}

function classify(reply: string): AttemptOutcome['result'] {
  return reply.startsWith('5') ? 'bounced' : reply.startsWith('2') ? 'delivered' : 'deferred'
}

function failureReply(error: SmtpFailure, target: Target): string {
  if (error.response && /^[45]\d\d/.test(error.response)) {
    // A 5xx greeting or TLS/AUTH refusal from one host is not the domain's verdict: retry later.
    return error.response.startsWith('5') ? `451 4.4.0 ${target.name} refused us: ${oneLine(error.response)}` : oneLine(error.response)
  }
  return `451 4.4.1 Connection to ${target.name} [${target.address}]:${target.port} failed: ${oneLine(error.message ?? String(error))}`
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').slice(0, 300)
}
