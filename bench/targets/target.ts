/** A mail system under measurement: Tidings, or the Postfix + Dovecot anchor. Ports on 127.0.0.1. */
export interface MailTarget {
  /** Shown in tables: "tidings", "postfix+dovecot (stock)", … */
  readonly name: string
  readonly domain: string
  /** SMTP that accepts mail for local users without AUTH (MX). Undefined: not served. */
  readonly smtpPort?: number
  readonly imapPort?: number
  readonly pop3Port?: number
  /** Roots of the server's process trees, for CPU and memory. */
  pids(): number[]
  /** Messages in a user's INBOX right now (delivered and visible). */
  inboxCount(address: string): Promise<number>
  /** The tail of the server's own log, shown when a measurement fails. */
  log?(): string
  stop(): Promise<void>
}

export interface BenchUser {
  address: string
  password: string
}

/** `count` users user1@domain … userN@domain, all with one password (hashing is paid per login, not per user). */
export function benchUsers(count: number, domain = 'bench.test'): BenchUser[] {
  return Array.from({ length: count }, (_, i) => ({ address: `user${i + 1}@${domain}`, password: 'bench-password-1' }))
}

/** A target that could not be started: the scenario prints `reason` and reports n/a. */
export class TargetUnavailable extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'TargetUnavailable'
  }
}
