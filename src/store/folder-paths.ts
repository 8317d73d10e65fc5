import { StoreError } from './errors.ts'

/** Longest folder path in characters: bounds rows and the LIST output a client can force. */
export const MAX_PATH_LENGTH = 1000
/** Deepest hierarchy: a client creating a/a/a/… a thousand levels deep must stop somewhere. */
export const MAX_PATH_DEPTH = 40
export const SEPARATOR = '/'
export const INBOX = 'INBOX'

/**
 * NFC, '/'-separated, no empty levels; "inbox" in any case is the inbox (RFC 9051 5.1), and so is
 * the "INBOX" prefix of its children.
 */
export function normalizePath(path: string): string {
  if (typeof path !== 'string') throw new StoreError('invalid', 'A folder path must be a string')
  let out = path.normalize('NFC')
  if (/^inbox(\/|$)/i.test(out)) out = INBOX + out.slice(INBOX.length)
  if (out.length === 0) throw new StoreError('invalid', 'A folder path cannot be empty')
  if (out.length > MAX_PATH_LENGTH) throw new StoreError('limit', `Folder path longer than ${MAX_PATH_LENGTH} characters`)
  if (/[\x00-\x1f\x7f]/.test(out)) throw new StoreError('invalid', `Folder path ${JSON.stringify(out)} contains control characters`)
  const levels = out.split(SEPARATOR)
  if (levels.some((level) => level.length === 0)) throw new StoreError('invalid', `Folder path ${JSON.stringify(out)} has an empty level`)
  if (levels.length > MAX_PATH_DEPTH) throw new StoreError('limit', `Folder path deeper than ${MAX_PATH_DEPTH} levels`)
  return out
}

/** "a/b/c" → ["a", "a/b"]. */
export function parentsOf(path: string): string[] {
  const levels = path.split(SEPARATOR)
  const out: string[] = []
  for (let i = 1; i < levels.length; i++) out.push(levels.slice(0, i).join(SEPARATOR))
  return out
}
