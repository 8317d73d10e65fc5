/**
 * Where mail for a domain goes (RFC 5321 5.1): its MX hosts by preference, else the domain itself
 * (implicit MX, A/AAAA); RFC 7505 null MX means "accepts no mail" and bounces at once.
 * The resolver is injected (node:dns's Resolver in production, stubs in tests).
 */

/** The subset of `node:dns/promises` Resolver we use. */
export interface DnsResolver {
  resolveMx(hostname: string): Promise<Array<{ exchange: string; priority: number }>>
  resolve4(hostname: string): Promise<string[]>
  resolve6(hostname: string): Promise<string[]>
}

/** A domain with many MX hosts must not make us try them all (each costs a connection attempt). */
const MAX_MX_HOSTS = 10

export interface MxHost {
  name: string
  addresses: string[]
}

/** A lookup failure, with the reply to record: permanent ones bounce, others retry. */
export class DnsFailure extends Error {
  readonly permanent: boolean
  readonly reply: string
  constructor(reply: string, permanent: boolean) {
    super(reply)
    this.name = 'DnsFailure'
    this.reply = reply
    this.permanent = permanent
  }
}

/** The hosts to try, in order, with their addresses; throws DnsFailure. */
export async function resolveMxHosts(resolver: DnsResolver, domain: string): Promise<MxHost[]> {
  let records: Array<{ exchange: string; priority: number }>
  try {
    records = await resolver.resolveMx(domain)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOTFOUND') throw new DnsFailure(`550 5.1.2 Domain ${domain} does not exist`, true)
    if (code !== 'ENODATA') throw new DnsFailure(`451 4.4.3 DNS lookup of MX for ${domain} failed (${code ?? 'error'})`, false)
    records = []
  }
  const isNull = (r: { exchange: string }) => r.exchange === '' || r.exchange === '.'
  // RFC 7505 3: a single MX with the root as exchange: the domain sends no mail and accepts none.
  if (records.length === 1 && isNull(records[0])) throw new DnsFailure(`556 5.1.10 Domain ${domain} accepts no mail (null MX, RFC 7505)`, true)
  const names = records.length === 0
    ? [domain] // RFC 5321 5.1: no MX records → the domain itself is the implicit MX
    : records.filter((r) => !isNull(r)).sort((a, b) => a.priority - b.priority).map((r) => r.exchange.replace(/\.$/, '')).slice(0, MAX_MX_HOSTS)
  const hosts: MxHost[] = []
  let lastCode = 'ENODATA'
  for (const name of names) {
    const addresses: string[] = []
    for (const lookup of [resolver.resolve4.bind(resolver), resolver.resolve6.bind(resolver)]) {
      try {
        addresses.push(...await lookup(name))
      } catch (error) {
        lastCode = (error as NodeJS.ErrnoException).code ?? 'error'
      }
    }
    if (addresses.length > 0) hosts.push({ name, addresses })
  }
  if (hosts.length === 0) {
    if (records.length === 0 && (lastCode === 'ENODATA' || lastCode === 'ENOTFOUND')) throw new DnsFailure(`550 5.1.2 Domain ${domain} has no MX and no address`, true)
    throw new DnsFailure(`451 4.4.3 No address found for the mail hosts of ${domain} (${lastCode})`, false)
  }
  return hosts
}
