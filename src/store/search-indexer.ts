import { sql, type Engine, type TextDocument, type Tx } from '../db/engine.ts'
import type { BlobStore } from './blobs/blob-store.ts'
import { parseMessage } from './ingest.ts'
import type { ParsedMessage } from './mime.ts'

/**
 * Queued documents indexed per write. One FTS5 segment per batch instead of one per delivery;
 * bounded so that the batch's write (which shares a group commit with deliveries) stays short.
 */
export const INDEX_BATCH = 500
/**
 * The background indexer waits for this long a pause in deliveries before it indexes: FTS5
 * costs more CPU per message (~0.15-0.3 ms for 4 KiB) than the delivery itself, so under a
 * burst it stands aside, as Dovecot's lazy indexing does; searches catch it up when they run.
 */
const INDEX_IDLE_MS = 50
/** …but never for longer than this, so a steady stream of mail is still indexed in the background… */
const INDEX_MAX_DEFER_MS = 2_000
/**
 * …nor past this many queued messages: a search that has to catch the index up first (the
 * first search after a burst) waits for at most about this many documents' indexing.
 */
const INDEX_MAX_BACKLOG = 5_000
/**
 * Text kept in memory from delivery (already parsed) until its batch is indexed; past this a
 * queued message is parsed again from its blob instead, so a burst of big deliveries can't grow
 * memory without bound.
 */
const MAX_HELD_TEXT_CHARS = 32 * 1024 * 1024

/** The full-text document of a parsed message: what TEXT and BODY searches match. */
export function textDocument(p: ParsedMessage): TextDocument {
  return {
    subject: p.subject,
    addresses: [p.from, p.to, p.cc, p.bcc].filter(Boolean).join(' '),
    body: p.text,
    attachments: p.attachmentNames,
  }
}

/**
 * Queues documents for the indexer in one statement inside the delivery's own write (so the
 * queue is as durable as the mail), and holds their text in memory for it; on a schema without
 * the queue, indexes them right there.
 */
export async function queueTexts(
  ctx: { readonly engine: Engine; readonly indexer: TextIndexer },
  tx: Tx,
  docs: ReadonlyArray<{ id: number; blobId: string; doc: TextDocument }>,
): Promise<void> {
  if (docs.length === 0) return
  if (!(await ctx.indexer.queueReady())) {
    for (const { id, doc } of docs) await ctx.engine.text.put(tx, id, doc)
    return
  }
  await tx.run(sql`INSERT OR REPLACE INTO text_pending (id, blob_id) VALUES ${sql.rows(docs.map((d) => [d.id, d.blobId]))}`)
  for (const { id, blobId, doc } of docs) ctx.indexer.hold(id, blobId, doc)
}

/**
 * Indexes the `text_pending` queue (migration 4) in the background, in batches, each in one
 * write. Deliveries only queue (cheap); searches call `catchUp` first, so a search sees every
 * message delivered before it started. The queue is durable: what a crash leaves in it is indexed
 * after the next open.
 */
export class TextIndexer {
  readonly #engine: Engine
  readonly #blobs: BlobStore
  /** Documents from delivery, by text id, so that the indexer need not parse the bytes again. */
  readonly #held = new Map<number, { blobId: string; doc: TextDocument; chars: number }>()
  #heldChars = 0
  /** Serialises batches: the background loop and searches' catch-ups take turns. */
  #turn: Promise<unknown> = Promise.resolve()
  #timer: NodeJS.Timeout | null = null
  #background: Promise<void> | null = null
  #closed = false
  /** Deliveries since the background indexer last started, and when the first of them came. */
  #backlog = 0
  #deferredSince: number | null = null
  #missed = false
  #ready: Promise<boolean> | null = null

  readonly #inBackground: boolean

  constructor(engine: Engine, blobs: BlobStore, options: { background?: boolean } = {}) {
    this.#engine = engine
    this.#blobs = blobs
    this.#inBackground = options.background ?? true
  }

  /**
   * Whether the schema has the queue (migration 4). A store opened on an older schema (only ever
   * by tools and tests; the server migrates first) indexes inside the delivery's write instead.
   */
  queueReady(): Promise<boolean> {
    this.#ready ??= this.#engine.one(sql`SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = 'text_pending'`)
      .then((row) => row !== undefined)
    return this.#ready
  }

  /**
   * Called inside the delivery's write, right after it queued `id`: keeps the document so the
   * batch need not re-read and re-parse the blob. If the write rolls back, the entry is dropped
   * when a batch passes its id (ids only grow, and a batch takes the lowest first).
   */
  hold(id: number, blobId: string, doc: TextDocument): void {
    const chars = doc.subject.length + doc.addresses.length + doc.body.length + doc.attachments.length
    if (this.#heldChars + chars > MAX_HELD_TEXT_CHARS) return
    const old = this.#held.get(id)
    if (old) this.#heldChars -= old.chars
    this.#held.set(id, { blobId, doc, chars })
    this.#heldChars += chars
  }

  /** After a write that queued documents: index them in the background, after a pause (INDEX_IDLE_MS). */
  kick(): void {
    if (this.#closed || !this.#inBackground) return
    if (this.#background) {
      this.#missed = true
      return
    }
    const now = Date.now()
    this.#deferredSince ??= now
    this.#backlog++
    const overdue = now - this.#deferredSince >= INDEX_MAX_DEFER_MS || this.#backlog >= INDEX_MAX_BACKLOG
    if (this.#timer) {
      if (!overdue) this.#timer.refresh()
      return
    }
    this.#timer = setTimeout(() => {
      this.#timer = null
      this.#deferredSince = null
      this.#backlog = 0
      this.#background = this.#drain(Infinity).catch(() => {}).finally(() => {
        this.#background = null
        // Deliveries committed while it ran may have come after its last batch.
        if (this.#missed) {
          this.#missed = false
          this.kick()
        }
      })
    }, overdue ? 0 : INDEX_IDLE_MS)
    // Never keeps a process alive: what is left is indexed after the next open.
    this.#timer.unref()
  }

  /** Indexes everything queued before this call (searches call this first). */
  async catchUp(): Promise<void> {
    if (!(await this.queueReady())) return
    const top = await this.#engine.one<{ id: number | null }>(sql`SELECT max(id) AS id FROM text_pending`)
    if (top?.id == null) return
    await this.#drain(top.id)
  }

  /** Stops the background indexer; what is still queued stays queued (durable) for the next open. */
  async close(): Promise<void> {
    this.#closed = true
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
    await this.#background
    await this.#turn.catch(() => {})
  }

  /** Batches until nothing queued at or below `upTo` is left; yields to the event loop between them. */
  async #drain(upTo: number): Promise<void> {
    if (!(await this.queueReady())) return
    for (;;) {
      const more = await this.#exclusive(() => this.#batch(upTo))
      if (!more || (this.#closed && upTo === Infinity)) return
      await new Promise((resolve) => setImmediate(resolve))
    }
  }

  #exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#turn.then(work, work)
    this.#turn = run.catch(() => {})
    return run
  }

  /** Indexes one batch of the queue; whether more is queued at or below `upTo`. */
  async #batch(upTo: number): Promise<boolean> {
    const limit = Number.isFinite(upTo) ? upTo : Number.MAX_SAFE_INTEGER
    const rows = await this.#engine.all<{ id: number; blob_id: string }>(sql`SELECT id, blob_id FROM text_pending
      WHERE id <= ${limit} ORDER BY id LIMIT ${INDEX_BATCH}`)
    if (rows.length === 0) return false
    const docs = new Map<number, TextDocument>()
    for (const row of rows) {
      const held = this.#held.get(row.id)
      if (held && held.blobId === row.blob_id) docs.set(row.id, held.doc)
      else {
        // Queued before a restart, or not held: parse the stored bytes again. Bytes that are gone
        // (a damaged store, which verify reports) index as nothing.
        const bytes = await this.#blobs.get(row.blob_id).catch(() => null)
        if (bytes) docs.set(row.id, textDocument(parseMessage(bytes)))
      }
    }
    const last = rows[rows.length - 1].id
    const ids = rows.map((r) => r.id)
    await this.#engine.write(async (tx) => {
      // Under the write lock: only documents their blob still names (a sweep may have deleted
      // the blob, and with it the document, since the rows were read).
      const live = await tx.all<{ id: number }>(sql`SELECT p.id FROM text_pending p JOIN blobs b ON b.id = p.blob_id AND b.text_id = p.id
        WHERE p.id IN (${sql.list(ids)})`)
      for (const { id } of live) {
        const doc = docs.get(id)
        if (doc) await this.#engine.text.put(tx, id, doc)
      }
      await tx.run(sql`DELETE FROM text_pending WHERE id IN (${sql.list(ids)})`)
    })
    for (const [id, held] of this.#held) {
      if (id > last) continue
      this.#held.delete(id)
      this.#heldChars -= held.chars
    }
    return rows.length === INDEX_BATCH
  }
}
