import { domainToASCII } from 'node:url'
import type { Command } from 'commander'
import type { Config } from '../../config/load.ts'
import { mailEndpoints, SRV_SERVICES } from '../../web/mail-endpoints.ts'
import { configFrom } from './context.ts'

/** TTL printed on every record: an hour is the usual trade-off between caching and change. */
const TTL = 3600

export interface DnsRecord {
  name: string
  ttl: number
  type: 'MX' | 'TXT' | 'SRV' | 'CNAME'
  value: string
}

/**
 * `tidings dns example.test`: the zone-file lines a domain needs to receive mail here and to let
 * clients configure themselves — MX, SPF, DMARC, RFC 6186 SRV records for IMAP/POP3/submission
 * (RFC 8314 implicit TLS first), and the autoconfig/Autodiscover names. Reads only the config.
 */
export function registerDns(program: Command): void {
  program.command('dns <domain>')
    .description('Print the DNS records (zone-file lines) a mail domain needs')
    .action((domain: string, _options: unknown, command: Command) => {
      const { config, json } = configFrom(command)
      const records = dnsRecords(config, domain)
      if (json) {
        process.stdout.write(JSON.stringify(records) + '\n')
        return
      }
      const hostname = config.string('hostname')
      const width = Math.max(...records.map((r) => r.name.length))
      const lines = [
        `; Mail records for ${records[0].name.slice(0, -1)}, served by ${hostname}`,
        ...(hostname === 'localhost' || !hostname.includes('.') ? [`; WARNING: hostname is "${hostname}"; set hostname (TIDINGS_HOSTNAME) to this server's public name first`] : []),
        `; ${hostname} itself needs A/AAAA records (and a matching PTR) pointing at this server.`,
        ...records.map((r) => `${r.name.padEnd(width)} ${r.ttl} IN ${r.type.padEnd(5)} ${r.value}`),
      ]
      process.stdout.write(lines.join('\n') + '\n')
    })
}

/** The records for `domain`, hostname and ports taken from the configuration. */
export function dnsRecords(config: Config, domain: string): DnsRecord[] {
  const ascii = domainToASCII(domain.trim().replace(/\.$/, '').toLowerCase())
  if (!ascii || !/^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/.test(ascii)) {
    throw new Error(`"${domain}" is not a domain name (like example.test)`)
  }
  const zone = ascii + '.'
  const host = domainToASCII(config.string('hostname').toLowerCase()) + '.'
  const records: DnsRecord[] = [
    { name: zone, ttl: TTL, type: 'MX', value: `10 ${host}` },
    // RFC 7208: only this domain's MX hosts send its mail; everything else fails.
    { name: zone, ttl: TTL, type: 'TXT', value: '"v=spf1 mx -all"' },
    // RFC 7489: quarantine what fails, reports to postmaster (RFC 5321 §4.5.1 requires it to exist).
    { name: `_dmarc.${zone}`, ttl: TTL, type: 'TXT', value: `"v=DMARC1; p=quarantine; rua=mailto:postmaster@${ascii}"` },
  ]
  const offered = new Map(mailEndpoints(config).map((e) => [e.srv, e]))
  for (const service of SRV_SERVICES) {
    const endpoint = offered.get(service)
    // RFC 6186 §4: a service not offered is published with the target "." so clients stop looking.
    const value = endpoint ? `${endpoint.security === 'tls' ? 0 : 10} 1 ${endpoint.port} ${host}` : '0 0 0 .'
    records.push({ name: `${service}.${zone}`, ttl: TTL, type: 'SRV', value })
  }
  records.push(
    { name: `autoconfig.${zone}`, ttl: TTL, type: 'CNAME', value: host },
    { name: `autodiscover.${zone}`, ttl: TTL, type: 'CNAME', value: host },
  )
  const https = config.listener('listen.https')
  if (https && https.port !== 0) {
    // Outlook's last Autodiscover step ([MS-OXDSCLI] §3.1.5.2): an SRV record naming the HTTPS host.
    records.push({ name: `_autodiscover._tcp.${zone}`, ttl: TTL, type: 'SRV', value: `0 1 ${https.port} ${host}` })
  }
  return records
}
