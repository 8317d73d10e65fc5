/** Sorted numbers → an IMAP sequence set with ranges (`1:3,7,9:12`), as UIDPLUS and ESEARCH send. */
export function compressUids(sorted: readonly number[]): string {
  const parts: string[] = []
  let i = 0
  while (i < sorted.length) {
    let j = i
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++
    parts.push(j === i ? String(sorted[i]) : `${sorted[i]}:${sorted[j]}`)
    i = j + 1
  }
  return parts.join(',')
}
