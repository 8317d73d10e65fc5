/**
 * Subjects longer than this are cut before the base subject is computed: the leader loop below
 * rescans the head of the subject once per removed blob, which a 200 KB subject of "[]" would make
 * quadratic. No real subject comes near it.
 */
const MAX_BASE_SUBJECT_INPUT = 2048

const TRAILER = /(?:[ ]|\(fwd\))$/i
const REFWD = /^(?:\[[^[\]]*\][ ]*)*(?:re|fwd?)[ ]*(?:\[[^[\]]*\][ ]*)?:/i
const BLOB = /^\[[^[\]]*\][ ]*/
const FWD_HDR = /^\[fwd:(.*)\]$/is

/**
 * The base subject of RFC 5256 2.1, for SORT SUBJECT and THREAD: reply/forward markers, [list]
 * blobs and (fwd) trailers removed, white space collapsed. Takes the decoded subject; keeps case
 * (comparisons are i;unicode-casemap, made by the caller).
 */
export function baseSubject(subject: string): string {
  // (1) tabs and continuations to a space, runs of spaces to one.
  let s = subject.slice(0, MAX_BASE_SUBJECT_INPUT).replace(/[\t\r\n ]+/g, ' ')
  while (true) {
    // (2) remove trailing "(fwd)" and white space, repeatedly.
    let end = s.length
    let t = s
    while (end > 0 && TRAILER.test(t)) {
      t = t.endsWith(' ') ? t.slice(0, -1) : t.slice(0, -5)
      end = t.length
    }
    s = t
    // (3) and (4) until neither changes anything.
    let changed = true
    while (changed) {
      changed = false
      // (3) subj-leader: *subj-blob subj-refwd, or white space.
      let leader = true
      while (leader) {
        leader = false
        if (s.startsWith(' ')) {
          s = s.slice(1)
          leader = changed = true
          continue
        }
        const m = REFWD.exec(s)
        if (m !== null) {
          s = s.slice(m[0].length)
          leader = changed = true
        }
      }
      // (4) a leading subj-blob goes if something other than white space remains.
      const blob = BLOB.exec(s)
      if (blob !== null && s.slice(blob[0].length).trim() !== '') {
        s = s.slice(blob[0].length)
        changed = true
      }
    }
    // (5) "[fwd: ... ]" wraps the base subject: unwrap and start again from (2).
    const fwd = FWD_HDR.exec(s)
    if (fwd === null) return s
    s = fwd[1]
  }
}
