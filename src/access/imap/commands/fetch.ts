import { isAscii } from 'node:buffer'
import { SELECTED, type ImapCommand } from '../command.ts'
import type { MessageInfo } from '../../../store/store.ts'
import type { ImapSession } from '../session.ts'
import { StoreError } from '../../../store/errors.ts'
import { ImapSyntaxError } from '../wire/syntax-error.ts'
import { literalHeader } from '../wire/encoder.ts'
import { flagList } from '../flags.ts'
import { compressUids } from '../uid-set.ts'
import { parseFetchItems, type FetchItem } from './fetch-items.ts'
import { sectionBytes, binaryBytes } from './fetch-body.ts'
import { answeredFromMetadata, INLINE_LITERAL_MAX, metadataItem, partsFor, renderFromMetadata } from './fetch-metadata.ts'

/** Messages whose metadata is read from the store at once: a FETCH 1:* over 100,000 messages streams. */
export const FETCH_CHUNK = 100
/**
 * BODY[] of a message up to this size is read in one piece (the blob store's cache, one read)
 * rather than streamed: a stream costs an open, several reads and a decompressor on the libuv
 * pool, where it queues behind fsyncs. Larger ones stream, so memory stays bounded per session.
 */
export const WHOLE_BODY_IN_ONE_READ = 256 * 1024
/** Responses joined before a write: 100 ENVELOPEs or 400 header lines in one socket write. */
const RESPONSE_BATCH = 64 * 1024
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
    const parts = partsFor(plan)
    const fromMetadata = plan.every(answeredFromMetadata)
    const utf8 = session.utf8Names
    let lost = false
    for (let i = 0; i < uids.length; i += FETCH_CHUNK) {
      const chunk = uids.slice(i, i + FETCH_CHUNK)
      // writeMessage reads only the MessageFlags fields for a lean plan (LEAN_ITEMS).
      let infos = lean
        ? await session.store.emails.flags(session.account, view.folder.id, chunk) as MessageInfo[]
        : await session.store.emails.info(session.account, view.folder.id, chunk, { parts })
      if (changedSince !== null) infos = infos.filter((info) => info.modseq > changedSince)
      const seenNow = setsSeen ? await markSeen(session, infos) : null
      // Responses answered from metadata are joined and written a few at a time (one await per
      // batch, not per message); one that reads the blob flushes them first to keep the order.
      let batch = ''
      for (const info of infos) {
        const msn = view.msnOf(info.uid)
        const update = seenNow?.get(info.uid)
        if (!msn) continue
        // Set in place, not spread: a spread would copy every field of the info.
        if (update) {
          info.keywords = update.keywords
          info.modseq = update.modseq
        }
        const text = fromMetadata ? renderFromMetadata(msn, info, plan, Boolean(update), utf8) : null
        if (text !== null) {
          batch += text
          if (batch.length >= RESPONSE_BATCH) {
            await session.write(batch)
            batch = ''
          }
          continue
        }
        if (batch) {
          await session.write(batch)
          batch = ''
        }
        try {
          await writeMessage(session, msn, info, plan, Boolean(update))
        } catch (error) {
          // Expunged by another session after its metadata was read: its body is gone. The rest
          // is still sent; the client learns why (RFC 5530 EXPUNGEISSUED) and sees it at NOOP.
          if (!(error instanceof StoreError && error.kind === 'notFound')) throw error
          lost = true
        }
      }
      if (batch) await session.write(batch)
    }
    if (lost) session.tagged('NO', '[EXPUNGEISSUED] Some of the requested messages no longer exist')
    else session.tagged('OK', `${call.uid ? 'UID ' : ''}FETCH completed`)
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

/**
 * One `* n FETCH (…)` response. Items that are text are gathered into one string and written
 * once: a 100,000-message FETCH ENVELOPE is 100,000 writes, not half a million awaited ones.
 * Body items flush that text, then write their bytes (at most one body part in memory).
 */
async function writeMessage(session: ImapSession, msn: number, info: MessageInfo, plan: readonly FetchItem[], flagsChanged: boolean): Promise<void> {
  const utf8 = session.utf8Names
  let flagsSent = false
  // Items in the order asked.
  let text = `* ${msn} FETCH (`
  let first = true
  const add = (chunk: string) => {
    text += first ? chunk : ' ' + chunk
    first = false
  }
  // Body items write their literal themselves: what is gathered goes out first.
  const emit = async (chunk: string) => {
    add(chunk)
    const out = text
    text = ''
    await session.write(out)
  }
  try {
    for (const item of plan) {
      switch (item.kind) {
        case 'BINARY.SIZE': {
          const bytes = await binaryBytes(session, info, item.section)
          add(`${item.label} ${bytes ? bytes.length : 0}`)
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
            add(`${label} NIL`)
          } else if (!item.binary && bytes.length <= INLINE_LITERAL_MAX && isAscii(bytes)) {
            // A small ASCII header block (HEADER.FIELDS of a message list) joins the text: one
            // string, one write. ASCII only: the writer encodes strings as UTF-8.
            add(`${label} ${literalHeader(bytes.length)}${bytes.toString('latin1')}`)
          } else {
            // BINARY output with NUL must be literal8 (RFC 3516 §4.3).
            await emit(`${label} ${literalHeader(bytes.length, item.binary && bytes.includes(0))}`)
            await session.write(bytes)
          }
          break
        }
        default:
          add(metadataItem(info, item, utf8))
          if (item.kind === 'FLAGS') flagsSent = true
      }
    }
  } catch (error) {
    // Part of this response is out (a literal): close its list so the client stays in step and
    // reads the tagged reply as one (issue #8). Nothing out yet: it is dropped whole.
    if (!text.startsWith('* ')) await session.write(')\r\n')
    throw error
  }
  if (!flagsSent && flagsChanged) add(`FLAGS ${flagList(info.keywords)}`)
  await session.write(text + ')\r\n')
}

/**
 * BODY[] / RFC822 (with or without a partial): the stored bytes go out as they are read from the
 * blob, so a 50 MB message never sits whole in memory.
 */
async function writeWhole(session: ImapSession, info: MessageInfo, label: string, partial: { start: number; length: number } | null, emit: (chunk: string) => Promise<void>): Promise<void> {
  const store = session.store.emails
  // Every read that can fail (another session expunged the message since its metadata was read)
  // happens before `{n}` is announced: once it is, the client counts n bytes whatever comes, and a
  // tagged NO inside them left it waiting forever (the full-mix hang, issue #8).
  if (partial) {
    const start = Math.min(partial.start, info.size)
    const end = Math.min(start + partial.length, info.size)
    const bytes = end > start ? await store.body(session.account, info.blobId, { start, end }) : null
    await emit(`${label}<${partial.start}> ${literalHeader(end - start)}`)
    if (bytes) await session.write(Buffer.from(bytes))
    return
  }
  if (info.size <= WHOLE_BODY_IN_ONE_READ) {
    const bytes = await store.body(session.account, info.blobId)
    if (bytes.byteLength >= info.size) {
      await emit(`${label} ${literalHeader(info.size)}`)
      await session.write(Buffer.from(bytes.buffer, bytes.byteOffset, info.size))
      return
    }
    // The literal would promise info.size bytes; anything less desynchronises the client for good.
    session.ctx.log.error({ session: session.id, blobId: info.blobId, sent: bytes.byteLength, size: info.size }, 'stored message shorter than its size')
    session.connection.socket.destroy()
    return
  }
  const stream = await store.stream(session.account, info.blobId)
  await emit(`${label} ${literalHeader(info.size)}`)
  let sent = 0
  try {
    for await (const chunk of stream) {
      const bytes = chunk as Buffer
      const take = bytes.subarray(0, Math.max(0, info.size - sent))
      sent += take.length
      await session.write(take)
    }
  } catch (error) {
    // Mid-literal: no answer can follow that the client would read as one. Hang up.
    session.connection.socket.destroy()
    throw error
  }
  if (sent !== info.size) {
    // The literal promised info.size bytes; anything else desynchronises the client for good.
    session.ctx.log.error({ session: session.id, blobId: info.blobId, sent, size: info.size }, 'stored message shorter than its size')
    session.connection.socket.destroy()
  }
}
