/**
 * Every configuration key: its type, default, environment name and doc. The README's table is
 * generated from this list (`tidings config --docs`), so the two cannot drift.
 * TOML names are the dotted `key`s; environment names are `TIDINGS_` + key upper-cased, dots → '_'.
 */

export type KeyType = 'string' | 'listener' | 'integer' | 'size' | 'duration' | 'boolean' | 'list'

export interface KeySpec {
  readonly key: string
  readonly type: KeyType
  readonly default: string | number | boolean | readonly string[]
  readonly doc: string
  /** Overrides the derived environment name (DESIGN.md names a few explicitly). */
  readonly env?: string
}

const MIB = 1024 * 1024

export const CONFIG_KEYS = [
  // Core
  { key: 'data_dir', type: 'string', default: './data', doc: 'Where the database, blobs, queue and certificates live.' },
  { key: 'hostname', type: 'string', default: 'localhost', doc: 'This server\'s name: SMTP greeting, Received headers, certificate subject.' },
  { key: 'log_level', type: 'string', default: 'info', doc: 'pino level: fatal, error, warn, info, debug, trace, silent.' },
  { key: 'tls.cert', type: 'string', default: '', doc: 'PEM certificate chain path; empty: a self-signed one is generated into the data dir.' },
  { key: 'tls.key', type: 'string', default: '', doc: 'PEM private key path (with tls.cert).' },
  { key: 'tls.min_version', type: 'string', default: 'TLSv1.2', doc: 'Lowest TLS version accepted: TLSv1.2 or TLSv1.3.' },
  { key: 'trusted_networks', type: 'list', default: [], doc: 'CIDRs (e.g. 127.0.0.0/8) where plaintext authentication is allowed without TLS.' },
  { key: 'durable', type: 'boolean', default: true, doc: 'fsync blobs and the database before acknowledging. Turn off only for throwaway test data.' },
  // Listeners: host:port, empty turns one off.
  { key: 'listen.smtp', env: 'TIDINGS_LISTEN_SMTP', type: 'listener', default: '0.0.0.0:25', doc: 'SMTP MX listener (inbound mail, no auth, STARTTLS offered).' },
  { key: 'listen.submission', env: 'TIDINGS_LISTEN_SUBMISSION', type: 'listener', default: '0.0.0.0:587', doc: 'Submission with STARTTLS; AUTH required.' },
  { key: 'listen.submissions', env: 'TIDINGS_LISTEN_SUBMISSIONS', type: 'listener', default: '0.0.0.0:465', doc: 'Submission over implicit TLS (RFC 8314); AUTH required.' },
  { key: 'listen.imap', env: 'TIDINGS_LISTEN_IMAP', type: 'listener', default: '0.0.0.0:143', doc: 'IMAP with STARTTLS.' },
  { key: 'listen.imaps', env: 'TIDINGS_LISTEN_IMAPS', type: 'listener', default: '0.0.0.0:993', doc: 'IMAP over implicit TLS.' },
  { key: 'listen.pop3', env: 'TIDINGS_LISTEN_POP3', type: 'listener', default: '0.0.0.0:110', doc: 'POP3 with STLS.' },
  { key: 'listen.pop3s', env: 'TIDINGS_LISTEN_POP3S', type: 'listener', default: '0.0.0.0:995', doc: 'POP3 over implicit TLS.' },
  { key: 'listen.http', env: 'TIDINGS_LISTEN_HTTP', type: 'listener', default: '0.0.0.0:80', doc: 'HTTP: autoconfig, health, metrics (later JMAP, DAV, webmail).' },
  { key: 'listen.https', env: 'TIDINGS_LISTEN_HTTPS', type: 'listener', default: '0.0.0.0:443', doc: 'HTTPS, same certificate as the mail listeners.' },
  { key: 'listen.managesieve', env: 'TIDINGS_LISTEN_MANAGESIEVE', type: 'listener', default: '', doc: 'ManageSieve (not yet served).' },
  // SMTP
  { key: 'smtp.max_message_size', type: 'size', default: 50 * MIB, doc: 'Largest message accepted (SIZE), e.g. 50M.' },
  { key: 'smtp.max_recipients', type: 'integer', default: 500, doc: 'Recipients per message; more get 452 4.5.3.' },
  { key: 'smtp.max_connections_per_ip', type: 'integer', default: 20, doc: 'Concurrent SMTP connections from one client address.' },
  { key: 'smtp.socket_timeout', type: 'duration', default: 300_000, doc: 'Idle time before an SMTP connection is closed (RFC 5321 4.5.3.2: 5 min).' },
  { key: 'smtp.command_timeout', type: 'duration', default: 300_000, doc: 'Time from the first byte of an SMTP command line to its end (not reset by traffic: stops slowloris clients; RFC 5321 4.5.3.2: 5 min); 0 turns it off.' },
  { key: 'smtp.data_timeout', type: 'duration', default: 180_000, doc: 'How far a client may fall behind smtp.data_min_rate during DATA before 421 (RFC 5321 4.5.3.2: 3 min per data block); 0 turns it off.' },
  { key: 'smtp.data_min_rate', type: 'integer', default: 500, doc: 'Bytes per second a message must average during DATA, past the smtp.data_timeout allowance (stops slow-DATA clients); at least 1.' },
  { key: 'smtp.login_timeout', type: 'duration', default: 300_000, doc: 'Time from connect to a successful AUTH or MAIL FROM (not reset by traffic: stops slowloris and idle squatters); 0 turns it off.' },
  // Queue
  { key: 'queue.retry_first', type: 'duration', default: 5 * 60_000, doc: 'Delay before the first retry of a deferred remote delivery.' },
  { key: 'queue.retry_max', type: 'duration', default: 4 * 3_600_000, doc: 'Longest delay between retries (backoff grows up to it).' },
  { key: 'queue.lifetime', type: 'duration', default: 5 * 86_400_000, doc: 'How long a message is retried before it bounces as expired.' },
  { key: 'queue.delay_warning', type: 'duration', default: 4 * 3_600_000, doc: 'Send a delay DSN after this long undelivered; 0 turns it off.' },
  { key: 'queue.concurrency', type: 'integer', default: 50, doc: 'Outbound deliveries in flight at once.' },
  { key: 'queue.per_destination', type: 'integer', default: 5, doc: 'Outbound connections at once to one destination.' },
  { key: 'tracking.retention', type: 'duration', default: 30 * 86_400_000, doc: 'How long message-tracking events are kept.' },
  // IMAP / POP3
  { key: 'imap.max_connections_per_user', type: 'integer', default: 50, doc: 'Concurrent IMAP sessions of one user.' },
  { key: 'imap.max_connections_per_ip', type: 'integer', default: 100, doc: 'Concurrent IMAP connections from one client address.' },
  { key: 'imap.max_literal', type: 'size', default: 50 * MIB, doc: 'Largest literal (APPEND size); bigger gets NO [TOOBIG].' },
  { key: 'imap.login_timeout', type: 'duration', default: 60_000, doc: 'Time from connect to a successful login (not reset by traffic: stops slowloris clients).' },
  { key: 'imap.idle_timeout', type: 'duration', default: 30 * 60_000, doc: 'Inactivity before a logged-in IMAP session is closed (RFC 9051 5.4: at least 30 minutes).' },
  { key: 'imap.command_timeout', type: 'duration', default: 60_000, doc: 'Time from the first byte of an IMAP command to its last, plus 1 s per KiB of its literals (not reset by traffic: stops slowloris clients; IDLE is exempt); 0 turns it off.' },
  { key: 'pop3.max_connections_per_ip', type: 'integer', default: 50, doc: 'Concurrent POP3 connections from one client address.' },
  { key: 'pop3.command_timeout', type: 'duration', default: 60_000, doc: 'Time from the first byte of a POP3 command line to its end (not reset by traffic: stops slowloris clients); 0 turns it off.' },
  { key: 'pop3.login_timeout', type: 'duration', default: 60_000, doc: 'Time from connect to a successful login (not reset by traffic: stops slowloris clients); 0 turns it off.' },
  // Store
  { key: 'store.default_quota', type: 'size', default: 0, doc: 'Quota in bytes for new users without --quota; 0 means unlimited.' },
  { key: 'store.deleted_item_retention', type: 'duration', default: 14 * 86_400_000, doc: 'How long an expunged or deleted message stays recoverable (`tidings recover`) before its space is reclaimed; 0 keeps nothing.' },
  { key: 'store.recoverable_quota', type: 'size', default: 30 * 1024 * MIB, doc: 'Recoverable (deleted) mail kept per user, apart from the mailbox quota; past it the oldest goes first. 0 means unlimited.' },
] as const satisfies readonly KeySpec[]

export type ConfigKey = (typeof CONFIG_KEYS)[number]['key']

/** Environment variable name of a key. */
export function envName(spec: KeySpec): string {
  return spec.env ?? 'TIDINGS_' + spec.key.toUpperCase().replaceAll('.', '_')
}
