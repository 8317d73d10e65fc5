import { SELECTED, type ImapCommand } from '../command.ts'
import type { MessageInfo } from '../../../store/store.ts'
import type { ImapSession } from '../session.ts'
import { ImapSyntaxError } from '../wire/syntax-error.ts'
import { encodeNString, literalHeader } from '../wire/encoder.ts'
import { MONTH_NAMES } from '../wire/parser.ts'
import { flagList } from '../flags.ts'
import { compressUids } from '../uid-set.ts'
import { parseFetchItems, type FetchItem } from './fetch-items.ts'
import { encodeEnvelope } from './envelope.ts'
import { encodeBodyStructure } from './bodystructure.ts'
import { sectionBytes, binaryBytes } from './fetch-body.ts'

/** Messages whose metadata is read from the store at once: a FETCH 1:* over 100,000 messages streams. */
export const FETCH_CHUNK = 100
/**
 * BODY[] of a message up to this size is read in one piece (the blob store's cache, one read)
 * rather than streamed: a stream costs an open, several reads and a decompressor on the libuv
 * pool, where it queues behind fsyncs. Larger ones stream, so memory stays bounded per session.
 */
export const WHOLE_BODY_IN_ONE_READ = 256 * 1024
/** Items answered from keywords and modseq alone: a flag sync needs no metadata read or parse. */
const LEAN_ITEMS: ReadonlySet<FetchItem['kind']> = new Set(['UID', 'FLAGS', 'MODSEQ', 'EMAILID'])

/** RFC 9051 §6.4.5 with CONDSTORE CHANGEDSINCE and QRESYNC VANISHED (RFC 7162 §3.1.4, §3.2.6). */
export const fetch: ImapCommand = {
  name: 'FETCH',
  states: SELECTED,
  seqs: 'uses',
  uid: true,
  async run(session, args, call) {
    const view = session.selected
    const set = args.sequenceSet()
    const items = parseFetchItems(args)
    let changedSince: number | null = null
    let vanished = false
    if (!args.done) {
      const mods = args.list('fetch modifiers')
      while (!mods.done) {
        const mod = mods.atom('fetch modifier').toUpperCase()
        if (mod === 'CHANGEDSINCE') changedSince = mods.number('modseq', Number.MAX_SAFE_INTEGER)
        else if (mod === 'VANISHED' && call.uid && session.qresync) vanished = true
        else throw new ImapSyntaxError(`Unknown FETCH modifier ${mod.slice(0, 20)}`)
      }
      args.end()
      if (vanished && changedSince === null) throw new ImapSyntaxError('VANISHED needs CHANGEDSINCE')
    }
    if (changedSince !== null) session.condstore = true
    const uids = view.resolve(set, call.uid, session.saved)
    if (vanished && changedSince !== null) {
      const gone = await session.store.emails.expungedSince(session.account, view.folder.id, changedSince)
      const inSet = gone.filter((uid) => set.saved ? false : set.ranges.some((r) => within(uid, r.start, r.end)))
      if (inSet.length) await session.untagged(`VANISHED (EARLIER) ${compressUids(inSet)}`)
    }
    const plan = [...items]
    if (call.uid && !plan.some((i) => i.kind === 'UID')) plan.unshift({ kind: 'UID' })
    if ((changedSince !== null || session.condstore) && plan.some((i) => i.kind === 'FLAGS') && !plan.some((i) => i.kind === 'MODSEQ')) plan.push({ kind: 'MODSEQ' })
    if (changedSince !== null && !plan.some((i) => i.kind === 'MODSEQ')) plan.push({ kind: 'MODSEQ' })
    const setsSeen = !view.readOnly && plan.some((i) => i.kind === 'section' && !i.peek)
    const lean = plan.every((item) => LEAN_ITEMS.has(item.kind))
    for (let i = 0; i < uids.length; i += FETCH_CHUNK) {
      const chunk = uids.slice(i, i + FETCH_CHUNK)
      // writeMessage reads only the MessageFlags fields for a lean plan (LEAN_ITEMS).
      let infos = lean
        ? await session.store.emails.flags(session.account, view.folder.id, chunk) as MessageInfo[]
        : await session.store.emails.info(session.account, view.folder.id, chunk)
      if (changedSince !== null) infos = infos.filter((info) => info.modseq > changedSince)
      const seenNow = setsSeen ? await markSeen(session, infos) : null
      for (const info of infos) {
        const msn = view.msnOf(info.uid)
        const update = seenNow?.get(info.uid)
        if (msn) await writeMessage(session, msn, update ? { ...info, keywords: update.keywords, modseq: update.modseq } : info, plan, Boolean(update))
      }
    }
    session.tagged('OK', `${call.uid ? 'UID ' : ''}FETCH completed`)
  },
}

/** For VANISHED (EARLIER): is an expunged UID inside a range? `*` reaches past the last UID. */
function within(uid: number, start: number | '*', end: number | '*'): boolean {
  let a = start === '*' ? Infinity : start
  let b = end === '*' ? Infinity : end
  if (a > b) [a, b] = [b, a]
  return uid >= a && uid <= b
}

/**
 * Fetching a body without .PEEK sets \Seen (RFC 9051 §6.4.5); returns the messages that changed,
 * whose new FLAGS go in the response.
 */
async function markSeen(session: ImapSession, infos: MessageInfo[]): Promise<Map<number, { keywords: string[]; modseq: number }>> {
  const unseen = infos.filter((info) => !info.keywords.includes('$seen')).map((info) => info.uid)
  const changed = new Map<number, { keywords: string[]; modseq: number }>()
  if (!unseen.length) return changed
  const view = session.selected
  const result = await session.store.emails.setKeywords(session.account, view.folder.id, unseen, { op: 'add', keywords: ['$seen'] })
  for (const u of result.updated) {
    view.own.set(u.uid, u.modseq)
    changed.set(u.uid, u)
  }
  return changed
}

export function internalDate(ms: number): string {
  const d = new Date(ms)
  const pad = (n: number) => String(n).padStart(2, '0')
  return `"${pad(d.getUTCDate())}-${MONTH_NAMES[d.getUTCMonth()]}-${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000"`
}

async function writeMessage(session: ImapSession, msn: number, info: MessageInfo, plan: readonly FetchItem[], flagsChanged: boolean): Promise<void> {
  const utf8 = session.utf8Names
  let flagsSent = false
  // Items in the order asked, each written as it is read (at most one body part in memory).
  await session.write(`* ${msn} FETCH (`)
  let first = true
  const emit = async (chunk: string) => {
    await session.write((first ? '' : ' ') + chunk)
    first = false
  }
  for (const item of plan) {
    switch (item.kind) {
      case 'UID': await emit(`UID ${info.uid}`); break
      case 'FLAGS': await emit(`FLAGS ${flagList(info.keywords)}`); flagsSent = true; break
      case 'INTERNALDATE': await emit(`INTERNALDATE ${internalDate(info.receivedAt)}`); break
      case 'RFC822.SIZE': await emit(`RFC822.SIZE ${info.size}`); break
      case 'ENVELOPE': await emit(`ENVELOPE ${encodeEnvelope(info.envelope, utf8)}`); break
      case 'BODY': await emit(`BODY ${encodeBodyStructure(info.mime, false, utf8)}`); break
      case 'BODYSTRUCTURE': await emit(`BODYSTRUCTURE ${encodeBodyStructure(info.mime, true, utf8)}`); break
      case 'MODSEQ': await emit(`MODSEQ (${info.modseq})`); break
      case 'EMAILID': await emit(`EMAILID (M${info.emailId})`); break
      case 'THREADID': await emit(`THREADID (T${info.threadId})`); break
      case 'PREVIEW': await emit(`PREVIEW ${encodeNString(info.preview || null, utf8)}`); break
      case 'BINARY.SIZE': {
        const bytes = await binaryBytes(session, info, item.section)
        await emit(`${item.label} ${bytes ? bytes.length : 0}`)
        break
      }
      case 'section': {
        if (!item.binary && item.section.part.length === 0 && item.section.text === '') {
          await writeWhole(session, info, item.label, item.partial, emit)
          break
        }
        let bytes = item.binary ? await binaryBytes(session, info, item.section) : await sectionBytes(session, info, item.section)
        let label = item.label
        if (item.partial) {
          label += `<${item.partial.start}>`
          bytes = bytes ? bytes.subarray(Math.min(item.partial.start, bytes.length), Math.min(item.partial.start + item.partial.length, bytes.length)) : bytes
        }
        if (bytes === null) {
          await emit(`${label} NIL`)
        } else {
          // BINARY output with NUL must be literal8 (RFC 3516 §4.3).
          await emit(`${label} ${literalHeader(bytes.length, item.binary && bytes.includes(0))}`)
          await session.write(bytes)
        }
        break
      }
    }
  }
  if (!flagsSent && flagsChanged) {
    await emit(`FLAGS ${flagList(info.keywords)}`)
  }
  await session.write(')\r\n')
}

/**
 * BODY[] / RFC822 (with or without a partial): the stored bytes go out as they are read from the
 * blob, so a 50 MB message never sits whole in memory.
 */
async function writeWhole(session: ImapSession, info: MessageInfo, label: string, partial: { start: number; length: number } | null, emit: (chunk: string) => Promise<void>): Promise<void> {
  const store = session.store.emails
  if (partial) {
    const start = Math.min(partial.start, info.size)
    const end = Math.min(start + partial.length, info.size)
    await emit(`${label}<${partial.start}> ${literalHeader(end - start)}`)
    if (end > start) await session.write(Buffer.from(await store.body(session.account, info.blobId, { start, end })))
    return
  }
  await emit(`${label} ${literalHeader(info.size)}`)
  if (info.size <= WHOLE_BODY_IN_ONE_READ) {
    const bytes = await store.body(session.account, info.blobId)
    if (bytes.byteLength >= info.size) {
      await session.write(Buffer.from(bytes.buffer, bytes.byteOffset, info.size))
      return
    }
    // The literal promised info.size bytes; anything less desynchronises the client for good.
    session.ctx.log.error({ session: session.id, blobId: info.blobId, sent: bytes.byteLength, size: info.size }, 'stored message shorter than its size')
    session.connection.socket.destroy()
    return
  }
  let sent = 0
  for await (const chunk of await store.stream(session.account, info.blobId)) {
    const bytes = chunk as Buffer
    const take = bytes.subarray(0, Math.max(0, info.size - sent))
    sent += take.length
    await session.write(take)
  }
  if (sent !== info.size) {
    // The literal promised info.size bytes; anything else desynchronises the client for good.
    session.ctx.log.error({ session: session.id, blobId: info.blobId, sent, size: info.size }, 'stored message shorter than its size')
    session.connection.socket.destroy()
  }
}
