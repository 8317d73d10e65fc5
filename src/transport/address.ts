/**
 * Envelope address checks the transport makes before asking the directory: splitting, and the
 * old relay tricks an open relay falls for (RFC 5321 3.6.1 source routes, RFC 1123 5.2.16 `%`
 * hack, UUCP `!` paths, quoted local parts hiding an `@`, address literals).
 */

/** RFC 5321 4.5.3.1.1-2: local part 64 octets, domain 255. Longer is an attack or garbage. */
const MAX_LOCAL_PART = 64
const MAX_DOMAIN = 255

export interface SplitAddress {
  local: string
  /** Lower-case; an address literal keeps its brackets. */
  domain: string
}

/** Splits at the last `@`; null when it isn't a plausible mailbox. */
export function splitAddress(address: string): SplitAddress | null {
  const at = address.lastIndexOf('@')
  if (at <= 0 || at === address.length - 1) return null
  const local = address.slice(0, at)
  const domain = address.slice(at + 1).toLowerCase()
  if (Buffer.byteLength(local) > MAX_LOCAL_PART || Buffer.byteLength(domain) > MAX_DOMAIN) return null
  // Control characters and spaces are never valid outside quotes; we accept no quotes at all.
  if (/[\x00-\x20\x7f<>()\[\],;\\]/.test(local)) return null
  if (!/^(\[[^\]]+\]|[^\s@\[\]]+)$/.test(domain)) return null
  return { local, domain }
}

/**
 * Is this address a routing trick rather than a mailbox? Such addresses are refused whether or not
 * the domain is local: a server that interprets them (or forwards them to one that does) relays.
 */
export function isRelayTrick(address: string): boolean {
  if (address.startsWith('@')) return true // source route @a,@b:user@c
  const at = address.lastIndexOf('@')
  const local = at < 0 ? address : address.slice(0, at)
  const domain = at < 0 ? '' : address.slice(at + 1)
  if (/[%!@:]/.test(local)) return true // user%other@us, host!user@us, "user@other"@us, route leftovers
  if (local.includes('"')) return true // quoted local parts hide the tricks above
  if (domain.startsWith('[')) return true // address literal: user@[192.0.2.1]
  return false
}
