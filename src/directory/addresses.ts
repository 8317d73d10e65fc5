import { domainToASCII } from 'node:url'
import { DirectoryError } from './errors.ts'

/** RFC 5321 4.5.3.1.1: a local part is at most 64 octets. */
export const MAX_LOCAL_PART_OCTETS = 64
/** RFC 5321 4.5.3.1.2: a domain is at most 255 octets; DNS makes it 253 characters in text. */
export const MAX_DOMAIN_LENGTH = 253
/** RFC 5321 4.5.3.1.3: a path holds at most 256 octets, so an address at most 254. */
export const MAX_ADDRESS_OCTETS = 254

/**
 * Dot-atom local part: RFC 5322 3.2.3 atext, extended by RFC 6531 3.3 with any non-ASCII
 * character (SMTPUTF8). Quoted strings are refused: nobody needs one for a mailbox here, and
 * they carry relay tricks (`"a@b"@c`).
 */
const ATOM = /^[\p{L}\p{N}\p{M}!#$%&'*+\-/=?^_`{|}~\u0080-\u{10FFFF}]+$/u
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/

export interface Address {
  local: string
  domain: string
}

/**
 * Normalises a domain name: IDN to A-label (punycode), lower-case, no trailing dot. Throws
 * DirectoryError 'invalid' for anything that is not a host name (IP literals included).
 */
export function normalizeDomain(input: string): string {
  const text = input.trim().replace(/\.$/, '')
  if (text === '' || text.startsWith('[')) throw invalid(`"${input}" is not a domain name`)
  const ascii = domainToASCII(text.normalize('NFC')).toLowerCase()
  if (ascii === '' || ascii.length > MAX_DOMAIN_LENGTH) throw invalid(`"${input}" is not a domain name`)
  const labels = ascii.split('.')
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l)) || /^\d+$/.test(labels[labels.length - 1])) {
    throw invalid(`"${input}" is not a domain name (expected something like example.org)`)
  }
  return ascii
}

/**
 * Splits and normalises an address: the local part NFC and lower-cased (addresses here are
 * case-insensitive, RFC 5321 2.4 lets the receiving host decide), the domain as an A-label.
 */
export function parseAddress(input: string): Address {
  const text = input.trim().replace(/^<(.*)>$/, '$1')
  const at = text.lastIndexOf('@')
  if (at <= 0 || at === text.length - 1) throw invalid(`"${input}" is not an email address (expected name@domain)`)
  const local = text.slice(0, at).normalize('NFC').toLowerCase().normalize('NFC')
  if (Buffer.byteLength(local) > MAX_LOCAL_PART_OCTETS) throw invalid(`"${input}": the part before @ is longer than 64 bytes`)
  const dotAtom = local.split('.')
  if (!dotAtom.every((atom) => ATOM.test(atom))) throw invalid(`"${input}" is not an email address (the part before @ has characters that need quoting)`)
  const domain = normalizeDomain(text.slice(at + 1))
  if (Buffer.byteLength(local) + 1 + domain.length > MAX_ADDRESS_OCTETS) throw invalid(`"${input}" is longer than 254 bytes`)
  return { local, domain }
}

/** The canonical form of an address, as stored in the directory. */
export function normalizeAddress(input: string): string {
  const { local, domain } = parseAddress(input)
  return `${local}@${domain}`
}

/** `alice+tag` → `alice` (subaddressing, RFC 5233); null when there is no tag. */
export function withoutSubaddress(local: string): string | null {
  const plus = local.indexOf('+')
  return plus > 0 ? local.slice(0, plus) : null
}

export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1)
}

function invalid(message: string): DirectoryError {
  return new DirectoryError('invalid', message)
}
