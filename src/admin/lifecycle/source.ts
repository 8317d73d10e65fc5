/**
 * What every import source (mbox, Maildir, a folder of .eml, an IMAP server) yields: messages with
 * their folder, keywords and internal date, or a problem to report and skip.
 */

export interface SourceMessage {
  /** Folder path, '/'-separated; "INBOX" for the inbox. */
  folder: string
  /** Where it came from ("Sent.mbox@12345", "cur/1700000000.M1P2.host:2,S"), for reports. */
  label: string
  /** JMAP-form keywords (`$seen`, `$flagged`, custom ones as they are). */
  keywords: string[]
  /** Internal date in ms; now when absent. */
  receivedAt?: number
  /** RFC 6154 special use of the source folder (`\Sent`), when the source names one. */
  specialUse?: string
  /** The message bytes; read lazily so a big Maildir is never all in memory. */
  load(): Promise<Uint8Array>
}

export interface SourceProblem {
  folder: string
  label: string
  error: string
}

/** A folder to create even if it turns out to hold no messages. */
export interface SourceFolder {
  folder: string
  specialUse?: string
  kind: 'folder'
}

export type SourceItem = SourceMessage | SourceProblem | SourceFolder

export function isProblem(item: SourceItem): item is SourceProblem {
  return 'error' in item
}

export function isFolder(item: SourceItem): item is SourceFolder {
  return 'kind' in item && item.kind === 'folder'
}

/** Maps a system flag as IMAP spells it (`\Seen`) to the JMAP keyword the store keeps. */
export function keywordOfFlag(flag: string): string | null {
  const system: Record<string, string> = {
    '\\seen': '$seen', '\\answered': '$answered', '\\flagged': '$flagged', '\\deleted': '$deleted', '\\draft': '$draft',
  }
  const lower = flag.toLowerCase()
  if (lower in system) return system[lower]
  if (flag.startsWith('\\')) return null // \Recent and unknown system flags are not stored
  return flag
}
