/**
 * What protocols see of the directory: two verbs, authenticate and resolve (Stalwart's surface).
 * Admin writes (add user, group members …) live in `admin.ts`, used only by `src/admin/`.
 */
export const PRINCIPAL_KINDS = ['user', 'group', 'shared', 'room', 'equipment'] as const
export type PrincipalKind = (typeof PRINCIPAL_KINDS)[number]

export interface Principal {
  id: number
  kind: PrincipalKind
  /** Primary address, normalised (lower-case domain as A-label; local part case-folded). */
  address: string
  name: string
  disabled: boolean
  admin: boolean
  quotaBytes: number | null
  quotaMessages: number | null
  /** Every address the principal answers to, primary first. */
  addresses: string[]
}

/** A final destination after alias and group expansion. */
export type Destination =
  | { kind: 'mailbox'; principal: Principal; address: string }
  | { kind: 'remote'; address: string }

export type Recipient =
  | { kind: 'mailbox'; principal: Principal; address: string }
  /** An alias: `members` are its expanded final destinations, deduplicated. */
  | { kind: 'alias'; address: string; members: Destination[] }
  /** A distribution group, expanded recursively and loop-safe. */
  | { kind: 'group'; principal: Principal; address: string; members: Destination[]; internalOnly: boolean }
  /** Not a local domain. */
  | { kind: 'remote'; address: string }
  /** A local domain, but nobody by that name. */
  | { kind: 'unknown'; address: string }

export interface Credentials {
  /** Login name: an address (any of the principal's addresses). */
  username: string
  password: string
}

export interface AuthContext {
  /** Client IP address, for the per-address throttle. */
  remote: string
  protocol: 'imap' | 'pop3' | 'smtp' | 'http' | 'managesieve' | 'jmap' | 'dav' | 'eas'
}

export interface Directory {
  /** Checks credentials (constant-time); throws DirectoryError badCredentials/disabled/throttled. */
  authenticate(credentials: Credentials, context: AuthContext): Promise<Principal>
  /**
   * What mail to `address` reaches. Case-insensitive; `alice+tag@` falls back to `alice@`; domain
   * aliases map to their domain. Throws DirectoryError 'invalid' for a malformed address (quoted
   * local parts, IP literals, over-long parts).
   */
  resolve(address: string): Promise<Recipient>
  /** Is this domain (or domain alias) served here? */
  isLocalDomain(domain: string): Promise<boolean>
  principal(id: number): Promise<Principal | undefined>
  principalByAddress(address: string): Promise<Principal | undefined>
}
