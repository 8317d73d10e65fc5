/** More ids than this in one References field are dropped: a 256 KB field of ids helps no thread. */
const MAX_IDS = 1000

/**
 * The msg-ids of a Message-ID, In-Reply-To or References value (RFC 5322 3.6.4), without angle
 * brackets or white space, in order. When a broken value has no brackets at all, words with an '@'
 * are taken as ids. Linear; never throws.
 */
export function messageIds(value: string | null): string[] {
  if (value === null) return []
  const ids: string[] = []
  let pos = 0
  while (ids.length < MAX_IDS) {
    const open = value.indexOf('<', pos)
    if (open < 0) break
    const close = value.indexOf('>', open + 1)
    if (close < 0) break
    const next = value.lastIndexOf('<', close) // "<<a@b>": the id starts at the last '<'
    const id = value.slice(next + 1, close).replace(/\s+/g, '')
    if (id !== '') ids.push(id)
    pos = close + 1
  }
  if (ids.length === 0 && !value.includes('<')) {
    for (const word of value.split(/[\s,]+/)) if (word.includes('@') && ids.length < MAX_IDS) ids.push(word)
  }
  return ids
}
