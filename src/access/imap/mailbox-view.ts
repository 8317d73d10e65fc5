/**
 * What a session knows of its selected mailbox: the MSN → UID table (RFC 9051 §2.3.1.2) and the
 * modseqs up to which changes were reported. Kept lean: one number per message.
 */
import type { Folder } from '../../store/store.ts'
import type { SequenceSet } from './wire/parser.ts'
import { ImapError } from './responses.ts'

export class MailboxView {
  readonly folder: Folder
  readonly readOnly: boolean
  /** uids[msn - 1]; ascending. */
  uids: number[]
  /** Flag changes and new messages are reported up to this modseq. */
  modseq: number
  /** Expunges are reported up to this modseq (they can be held back during FETCH/STORE/SEARCH). */
  expungeModseq: number
  /** Another session (or this one) changed the mailbox since the last sync. */
  dirty = false
  /** Keyword changes this session already reported itself: uid → modseq (not echoed again). */
  own = new Map<number, number>()

  constructor(folder: Folder, uids: number[], readOnly: boolean) {
    this.folder = folder
    this.uids = uids
    this.readOnly = readOnly
    this.modseq = folder.modseq
    this.expungeModseq = folder.modseq
  }

  get exists(): number {
    return this.uids.length
  }

  /** 1-based sequence number of a UID, or 0 when it is not in the table. */
  msnOf(uid: number): number {
    let lo = 0
    let hi = this.uids.length - 1
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      const v = this.uids[mid]
      if (v === uid) return mid + 1
      if (v < uid) lo = mid + 1
      else hi = mid - 1
    }
    return 0
  }

  /**
   * UIDs named by a sequence set, ascending, only those in the table. `*` is the last message;
   * `n:m` with n > m is the same as `m:n` (RFC 9051 §9 seq-range). `saved` is `$` (RFC 5182).
   */
  resolve(set: SequenceSet, byUid: boolean, saved: readonly number[]): number[] {
    if (set.saved) return saved.filter((uid) => this.msnOf(uid) > 0)
    const n = this.uids.length
    if (byUid) {
      const last = n ? this.uids[n - 1] : 0
      const out = new Set<number>()
      for (const r of set.ranges) {
        let a = r.start === '*' ? last : r.start
        let b = r.end === '*' ? last : r.end
        if (a > b) [a, b] = [b, a]
        // `*` in an empty mailbox, or a range past the end, selects nothing (or the last UID).
        let i = lowerBound(this.uids, a)
        for (; i < n && this.uids[i] <= b; i++) out.add(this.uids[i])
      }
      return [...out].sort((x, y) => x - y)
    }
    const picked = new Set<number>()
    for (const r of set.ranges) {
      // "1:*" in an empty mailbox names nothing (lenient, as Cyrus; a plain "5" there is BAD).
      if (n === 0 && (r.start === '*' || r.end === '*')) continue
      let a = r.start === '*' ? n : r.start
      let b = r.end === '*' ? n : r.end
      if (a > b) [a, b] = [b, a]
      if (b > n || a < 1) throw new ImapError('BAD', null, 'Invalid message sequence number')
      for (let msn = a; msn <= b; msn++) picked.add(this.uids[msn - 1])
    }
    return [...picked].sort((x, y) => x - y)
  }

  /** Removes expunged UIDs; returns the sequence numbers to announce, in announcement order. */
  remove(expunged: readonly number[]): number[] {
    const gone = new Set(expunged)
    const msns: number[] = []
    const kept: number[] = []
    for (let i = 0; i < this.uids.length; i++) {
      const uid = this.uids[i]
      if (gone.has(uid)) msns.push(i + 1 - msns.length)
      else kept.push(uid)
    }
    this.uids = kept
    return msns
  }
}

function lowerBound(sorted: readonly number[], value: number): number {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (sorted[mid] < value) lo = mid + 1
    else hi = mid
  }
  return lo
}
