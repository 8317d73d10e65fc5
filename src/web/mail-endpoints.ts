import type { Config } from '../config/load.ts'
import type { ConfigKey } from '../config/schema.ts'

/**
 * The mail services this server offers, as clients must be told about them (autoconfig,
 * Autodiscover, .mobileconfig, `tidings dns` SRV records). Taken from the configured listeners,
 * so what is advertised is what runs.
 */
export interface MailEndpoint {
  protocol: 'imap' | 'pop3' | 'smtp'
  /** `tls`: implicit TLS on connect (RFC 8314); `starttls`: upgrade in-band. */
  security: 'tls' | 'starttls'
  port: number
  /** The listener key it comes from. */
  key: ConfigKey
  /** The RFC 6186 SRV service label. */
  srv: string
}

/** Preferred first: implicit TLS before STARTTLS (RFC 8314 §3). */
const LISTENERS = [
  { key: 'listen.imaps', protocol: 'imap', security: 'tls', srv: '_imaps._tcp' },
  { key: 'listen.imap', protocol: 'imap', security: 'starttls', srv: '_imap._tcp' },
  { key: 'listen.pop3s', protocol: 'pop3', security: 'tls', srv: '_pop3s._tcp' },
  { key: 'listen.pop3', protocol: 'pop3', security: 'starttls', srv: '_pop3._tcp' },
  { key: 'listen.submissions', protocol: 'smtp', security: 'tls', srv: '_submissions._tcp' },
  { key: 'listen.submission', protocol: 'smtp', security: 'starttls', srv: '_submission._tcp' },
] as const

/**
 * Every enabled mail listener. One that is off (empty) or on an ephemeral port (0: the port is
 * only known inside the running process) is not advertised.
 */
export function mailEndpoints(config: Config): MailEndpoint[] {
  const out: MailEndpoint[] = []
  for (const l of LISTENERS) {
    const at = config.listener(l.key)
    if (at && at.port !== 0) out.push({ protocol: l.protocol, security: l.security, port: at.port, key: l.key, srv: l.srv })
  }
  return out
}

/** Every RFC 6186 service label, enabled or not (`tidings dns` prints "not offered" for the rest). */
export const SRV_SERVICES: readonly string[] = LISTENERS.map((l) => l.srv)
