/**
 * Maildir file-name flags (https://cr.yp.to/proto/maildir.html, the `:2,` info) and Dovecot's
 * keyword letters (`dovecot-keywords`: "0 name" lines; letter a = keyword 0 … z = 25).
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'

/** Maildir letters for system flags, in the ASCII order the spec requires in file names. */
const FLAG_LETTERS: ReadonlyArray<[string, string]> = [
  ['D', '$draft'], ['F', '$flagged'], ['P', '$forwarded'], ['R', '$answered'], ['S', '$seen'], ['T', '$deleted'],
]
/** Dovecot has 26 keyword letters per folder (a–z). */
export const MAILDIR_MAX_KEYWORDS = 26
/** A keywords file bigger than this is not Dovecot's: stops a hostile file being read whole. */
const MAX_KEYWORDS_FILE_BYTES = 64 * 1024

/** The `:2,…` suffix for these keywords; `letters` maps custom keywords to their a–z letter. */
export function maildirInfo(keywords: readonly string[], letters: ReadonlyMap<string, string>): string {
  const set = new Set(keywords)
  const flags = FLAG_LETTERS.filter(([, k]) => set.has(k)).map(([letter]) => letter)
  const custom = keywords.map((k) => letters.get(k)).filter((l): l is string => l !== undefined).sort()
  return ':2,' + flags.join('') + custom.join('')
}

/** Keywords of a Maildir file name; `names` maps a–z letters to custom keywords. */
export function keywordsOfName(fileName: string, names: ReadonlyMap<string, string>): string[] {
  // ':' is the standard separator; '!' and ';' are what Windows-friendly tools write instead.
  const m = /[:!;]2,([A-Za-z]*)$/.exec(fileName)
  if (!m) return []
  const out = new Set<string>()
  for (const letter of m[1]) {
    const system = FLAG_LETTERS.find(([l]) => l === letter)
    if (system) out.add(system[1])
    else if (names.has(letter)) out.add(names.get(letter) as string)
  }
  return [...out].sort()
}

/** The part of a file name before its info, which stays the same when flags change. */
export function baseName(fileName: string): string {
  return fileName.replace(/[:!;]2,[A-Za-z]*$/, '')
}

/** Letter → keyword from a folder's `dovecot-keywords`; empty when absent or unreadable. */
export async function readKeywordNames(folderDir: string): Promise<Map<string, string>> {
  const names = new Map<string, string>()
  let text: string
  try {
    const bytes = await readFile(join(folderDir, 'dovecot-keywords'))
    if (bytes.length > MAX_KEYWORDS_FILE_BYTES) return names
    text = bytes.toString('utf8')
  } catch {
    return names
  }
  for (const line of text.split('\n')) {
    const m = /^(\d+) (\S+)/.exec(line)
    if (m && Number(m[1]) < MAILDIR_MAX_KEYWORDS) names.set(String.fromCharCode(0x61 + Number(m[1])), m[2])
  }
  return names
}

/** The `dovecot-keywords` text for keywords in letter order. */
export function keywordsFile(keywords: readonly string[]): string {
  return keywords.map((k, i) => `${i} ${k}\n`).join('')
}
