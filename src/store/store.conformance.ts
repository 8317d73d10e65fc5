/**
 * The store's behaviour, written once and run against every engine (STYLE: one suite, many
 * implementations): `sqlite.test.ts` runs it on SQLite; a PostgreSQL run calls it the same way.
 */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { sql, type Engine } from '../db/engine.ts'
import { StoreError } from './errors.ts'
import type { AccountId, Store, StoreEvent } from './store.ts'

export interface OpenedForTest {
  store: Store
  engine: Engine
  /** Closes the store and its engine; the data stays for `reopen`. */
  close(): Promise<void>
  /** Opens the same data again (after `close`). */
  reopen(): Promise<OpenedForTest>
  /** Damages the stored bytes of a blob (flips bytes in its file or row), for verify. */
  corruptBlob?(id: string): Promise<void>
}

const encoder = new TextEncoder()

/** A small RFC 5322 message; `n` makes it unique. */
export function message(options: { n?: number; subject?: string; body?: string; from?: string; to?: string; messageId?: string; inReplyTo?: string; date?: string; extra?: string } = {}): Uint8Array {
  const n = options.n ?? 1
  const lines = [
    `From: ${options.from ?? 'Alice Example <alice@example.test>'}`,
    `To: ${options.to ?? 'Bob <bob@example.test>'}`,
    `Subject: ${options.subject ?? `Message ${n}`}`,
    `Date: ${options.date ?? 'Mon, 02 Mar 2026 10:00:00 +0000'}`,
    `Message-ID: <${options.messageId ?? `m${n}.${Math.random().toString(36).slice(2)}@example.test`}>`,
  ]
  if (options.inReplyTo) lines.push(`In-Reply-To: <${options.inReplyTo}>`, `References: <${options.inReplyTo}>`)
  if (options.extra) lines.push(options.extra)
  lines.push('MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', options.body ?? `Body of message ${n}.`, '')
  return encoder.encode(lines.join('\r\n'))
}

async function expectStoreError(promise: Promise<unknown>, kind: StoreError['kind']): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof StoreError, `expected a StoreError, got ${String(error)}`)
    assert.equal(error.kind, kind)
    return true
  })
}

async function blobCount(store: Store): Promise<number> {
  const report = await store.verify()
  return report.checked
}

export function describeStore(name: string, open: () => Promise<OpenedForTest>): void {
  describe(`store conformance: ${name}`, () => {
    async function withStore(fn: (s: OpenedForTest) => Promise<void>): Promise<void> {
      const opened = await open()
      try {
        await fn(opened)
      } finally {
        await opened.close().catch(() => {})
      }
    }
    async function inbox(store: Store, account: AccountId) {
      const folder = await store.folders.byRole(account, 'inbox')
      assert.ok(folder)
      return folder
    }

    test('provisioning creates the default folders with their roles and types, idempotently', () => withStore(async ({ store }) => {
      await store.accounts.provision(1)
      await store.accounts.provision(1)
      const folders = await store.folders.list(1)
      const byPath = new Map(folders.map((f) => [f.path, f]))
      for (const [path, role] of [['INBOX', 'inbox'], ['Drafts', 'drafts'], ['Sent', 'sent'], ['Trash', 'trash'], ['Junk', 'junk'], ['Archive', 'archive']]) {
        assert.equal(byPath.get(path)?.role, role, path)
        assert.equal(byPath.get(path)?.type, 'mail', path)
      }
      for (const [path, type] of [['Calendar', 'calendar'], ['Contacts', 'contacts'], ['Tasks', 'tasks'], ['Notes', 'notes']]) {
        assert.equal(byPath.get(path)?.type, type, path)
      }
      assert.equal(folders.length, 10)
      assert.equal(new Set(folders.map((f) => f.uidValidity)).size, 10, 'every folder has its own UIDVALIDITY')
      assert.equal((await store.folders.byPath(1, 'inbox'))?.role, 'inbox', 'INBOX is case-insensitive')
    }))

    test('append stores the bytes exactly and answers list, info, body ranges and stream', () => withStore(async ({ store }) => {
      await store.accounts.provision(1)
      const box = await inbox(store, 1)
      const raw = message({ n: 1, subject: 'Hello world', body: 'The quick brown fox' })
      const result = await store.emails.append(1, box.id, { raw, keywords: ['$seen', 'Work'], receivedAt: Date.UTC(2026, 2, 2, 12) })
      assert.equal(result.uid, 1)
      assert.equal(result.uidValidity, box.uidValidity)
      assert.equal(result.size, raw.byteLength)
      const list = await store.emails.list(1, box.id)
      assert.deepEqual(list, [{ uid: 1, emailId: result.emailId, modseq: result.modseq }])
      const [info] = await store.emails.info(1, box.id, [1, 99])
      assert.equal(info.subject, 'Hello world')
      assert.deepEqual(info.keywords, ['$seen', 'Work'])
      assert.deepEqual(await store.emails.flags(1, box.id, [1, 99]), [{ uid: 1, emailId: result.emailId, modseq: result.modseq, keywords: ['$seen', 'Work'] }])
      assert.equal(info.receivedAt, Date.UTC(2026, 2, 2, 12))
      assert.equal(info.envelope.subject, 'Hello world')
      assert.equal(info.mime.type, 'text')
      assert.ok(Buffer.from(info.header).toString().startsWith('From: Alice'))
      assert.deepEqual(Buffer.from(await store.emails.body(1, info.blobId)), Buffer.from(raw))
      assert.deepEqual(Buffer.from(await store.emails.body(1, info.blobId, { start: 6, end: 11 })), Buffer.from('Alice'))
      const chunks: Buffer[] = []
      for await (const chunk of await store.emails.stream(1, info.blobId)) chunks.push(Buffer.from(chunk as Uint8Array))
      assert.deepEqual(Buffer.concat(chunks), Buffer.from(raw))
      const status = await store.folders.status(1, box.id)
      assert.deepEqual({ messages: status.messages, unseen: status.unseen, size: status.size, uidNext: status.uidNext },
        { messages: 1, unseen: 0, size: raw.byteLength, uidNext: 2 })
    }))

    test('one account cannot read another account\'s folders or blobs', () => withStore(async ({ store }) => {
      await store.accounts.provision(1)
      await store.accounts.provision(2)
      const box = await inbox(store, 1)
      const result = await store.emails.append(1, box.id, { raw: message() })
      await expectStoreError(store.emails.list(2, box.id), 'notFound')
      await expectStoreError(store.emails.body(2, result.blobId), 'notFound')
      await expectStoreError(store.emails.append(2, box.id, { raw: message() }), 'notFound')
      assert.equal(await store.folders.get(2, box.id), undefined)
    }))

    test('UIDs and MODSEQ only grow, across expunge and close/reopen', async () => {
      let opened = await open()
      try {
        await opened.store.accounts.provision(1)
        const box = await inbox(opened.store, 1)
        await opened.store.emails.append(1, box.id, { raw: message({ n: 1 }) })
        const second = await opened.store.emails.append(1, box.id, { raw: message({ n: 2 }) })
        await opened.store.emails.expunge(1, box.id, [second.uid])
        const before = (await opened.store.accounts.get(1))!.modseq
        await opened.close()
        opened = await opened.reopen()
        const third = await opened.store.emails.append(1, box.id, { raw: message({ n: 3 }) })
        assert.equal(third.uid, 3, 'an expunged UID is never reused')
        assert.ok(third.modseq > before)
        assert.equal((await opened.store.folders.get(1, box.id))?.uidValidity, box.uidValidity)
        assert.deepEqual(await opened.store.emails.expungedSince(1, box.id, 0), [2])
      } finally {
        await opened.close()
      }
    })

    test('concurrent appends get distinct, gap-free UIDs and distinct MODSEQs', () => withStore(async ({ store }) => {
      await store.accounts.provision(1)
      const box = await inbox(store, 1)
      const results = await Promise.all(Array.from({ length: 60 }, (_, i) =>
        i % 2 === 0
          ? store.emails.append(1, box.id, { raw: message({ n: i }) })
          : store.emails.deliver([1], { raw: message({ n: i }) }).then((r) => r.get(1) as { uid: number; modseq: number })))
      assert.deepEqual(results.map((r) => r.uid).sort((a, b) => a - b), Array.from({ length: 60 }, (_, i) => i + 1))
      assert.equal(new Set(results.map((r) => r.modseq)).size, 60)
      const status = await store.folders.status(1, box.id)
      assert.equal(status.messages, 60)
      assert.equal(status.highestModseq, Math.max(...results.map((r) => r.modseq)))
    }))

    test('a folder deleted and created again gets a new UIDVALIDITY', () => withStore(async ({ store }) => {
      await store.accounts.provision(1)
      const first = await store.folders.create(1, 'Projects')
      await store.folders.remove(1, first.id)
      const again = await store.folders.create(1, 'Projects')
      assert.notEqual(again.uidValidity, first.uidValidity)
      assert.notEqual(again.id, first.id)
    }))

    test('changes.since reports created, updated and destroyed folders and emails, with tombstones', () => withStore(async ({ store }) => {
      await store.accounts.provision(1)
      const box = await inbox(store, 1)
      const kept = await store.emails.append(1, box.id, { raw: message({ n: 1 }) })
      const doomed = await store.emails.append(1, box.id, { raw: message({ n: 2 }) })
      const oldFolder = await store.folders.create(1, 'Old')
      const start = (await store.accounts.get(1))!.modseq

      const fresh = await store.folders.create(1, 'Fresh')
      const added = await store.emails.append(1, fresh.id, { raw: message({ n: 3 }) })
      await store.emails.setKeywords(1, box.id, [kept.uid], { op: 'add', keywords: ['$flagged'] })
      await store.emails.expunge(1, box.id, [doomed.uid])
      await store.folders.remove(1, oldFolder.id)
      const ephemeral = await store.folders.create(1, 'Ephemeral')
      await store.folders.remove(1, ephemeral.id)

      const changes = await store.changes.since(1, start)
      const has = (list: Array<{ type: string; id: number }>, type: string, id: number) => list.some((c) => c.type === type && c.id === id)
      assert.ok(has(changes.created, 'folder', fresh.id))
      assert.ok(has(changes.created, 'email', added.emailId))
      assert.ok(has(changes.updated, 'email', kept.emailId))
      assert.ok(has(changes.updated, 'folder', box.id), 'the inbox changed (its counts)')
      assert.ok(has(changes.destroyed, 'email', doomed.emailId))
      assert.ok(has(changes.destroyed, 'folder', oldFolder.id))
      const all = [...changes.created, ...changes.updated, ...changes.destroyed]
      assert.ok(!all.some((c) => c.type === 'folder' && c.id === ephemeral.id), 'created and destroyed since: not reported')
      assert.equal(changes.modseq, (await store.accounts.get(1))!.modseq)
      const none = await store.changes.since(1, changes.modseq)
      assert.deepEqual([none.created, none.updated, none.destroyed], [[], [], []])
    }))

    test('the same 1 MiB attachment delivered to 100 mailboxes is stored once, with 100 references', () => withStore(async ({ store, engine }) => {
      const accounts = Array.from({ length: 100 }, (_, i) => 100 + i)
      for (const account of accounts) await store.accounts.provision(account)
      const attachment = Buffer.alloc(1024 * 1024)
      for (let i = 0; i < attachment.length; i++) attachment[i] = (i * 7919 + (i >> 11)) & 0xff
      const raw = encoder.encode([
        'From: a@example.test', 'To: all@example.test', 'Subject: Big', 'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary=b', '', '--b', 'Content-Type: text/plain', '', 'See attached.',
        '--b', 'Content-Type: application/octet-stream; name=data.bin', 'Content-Transfer-Encoding: base64', '',
        attachment.toString('base64').replace(/.{76}/g, '$&\r\n'), '--b--', '',
      ].join('\r\n'))
      const results = await store.emails.deliver(accounts, { raw })
      const ok = [...results.values()].filter((r) => !(r instanceof Error))
      assert.equal(ok.length, 100)
      const blobIds = new Set(ok.map((r) => (r as { blobId: string }).blobId))
      assert.equal(blobIds.size, 1)
      assert.equal(await blobCount(store), 1, 'one blob file')
      const row = await engine.one<{ refs: number }>(sql`SELECT refs FROM blobs WHERE id = ${[...blobIds][0]}`)
      assert.equal(row?.refs, 100)
      const report = await store.verify()
      assert.deepEqual([report.mismatched, report.missing, report.orphaned, report.badRefs], [[], [], [], []])
    }))

    test('a delivery over quota is refused and leaves nothing written', () => withStore(async ({ store }) => {
      await store.accounts.provision(1, { bytes: 1000 })
      const box = await inbox(store, 1)
      await store.emails.append(1, box.id, { raw: message({ n: 1 }) })
      const before = (await store.accounts.get(1))!
      const big = message({ n: 2, body: 'x'.repeat(2000) })
      await expectStoreError(store.emails.append(1, box.id, { raw: big }), 'overQuota')
      const results = await store.emails.deliver([1], { raw: big })
      assert.ok(results.get(1) instanceof StoreError)
      assert.equal((results.get(1) as StoreError).kind, 'overQuota')
      const after = (await store.accounts.get(1))!
      assert.deepEqual(after, before, 'usage and MODSEQ untouched')
      assert.equal((await store.emails.list(1, box.id)).length, 1)
      assert.equal(await blobCount(store), 1, 'the refused blob file is gone')
      const report = await store.verify()
      assert.deepEqual([report.orphaned, report.badRefs], [[], []])
      await store.accounts.setQuota(1, { bytes: null, messages: 2 })
      await store.emails.append(1, box.id, { raw: big })
      await expectStoreError(store.emails.append(1, box.id, { raw: message({ n: 3 }) }), 'overQuota')
      assert.equal((await store.accounts.get(1))!.usedMessages, 2)
    }))

    test('quota usage is exact through append, copy and expunge', () => withStore(async ({ store }) => {
      await store.accounts.provision(1)
      const box = await inbox(store, 1)
      const trash = (await store.folders.byRole(1, 'trash'))!
      const a = await store.emails.append(1, box.id, { raw: message({ n: 1 }) })
      const b = await store.emails.append(1, box.id, { raw: message({ n: 2, body: 'longer body here' }) })
      await store.emails.copy(1, box.id, [a.uid, b.uid], trash.id)
      let info = (await store.accounts.get(1))!
      assert.deepEqual([info.usedBytes, info.usedMessages], [2 * (a.size + b.size), 4])
      await store.emails.expunge(1, box.id, [a.uid, b.uid])
      await store.emails.expunge(1, trash.id, [1])
      info = (await store.accounts.get(1))!
      assert.deepEqual([info.usedBytes, info.usedMessages], [b.size, 1])
    }))

    test('full-text search finds a word inside a base64 text/plain attachment', () => withStore(async ({ store }) => {
      await store.accounts.provision(1)
      const box = await inbox(store, 1)
      const hidden = Buffer.from('The treasure is buried under the xylophonist oak.\r\n').toString('base64')
      const raw = encoder.encode([
        'From: a@example.test', 'To: b@example.test', 'Subject: Notes', 'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary=zz', '', '--zz', 'Content-Type: text/plain', '', 'Nothing here.',
        '--zz', 'Content-Type: text/plain; name=notes.txt', 'Content-Disposition: attachment; filename=notes.txt',
        'Content-Transfer-Encoding: base64', '', hidden, '--zz--', '',
      ].join('\r\n'))
      await store.emails.append(1, box.id, { raw: message({ n: 1, body: 'plain words only' }) })
      const hit = await store.emails.append(1, box.id, { raw })
      assert.deepEqual(await store.emails.search(1, box.id, { text: 'body', contains: 'xylophonist' }), [hit.uid])
      assert.deepEqual(await store.emails.search(1, box.id, { text: 'text', contains: 'XYLOPHONIST treasure' }), [hit.uid])
      assert.deepEqual(await store.emails.search(1, box.id, { text: 'body', contains: 'absent' }), [])
      // With many more messages than hits, the search starts from the index: same answers.
      for (let i = 2; i < 14; i++) await store.emails.append(1, box.id, { raw: message({ n: i, body: `filler ${i}` }), keywords: ['$seen'] })
      const other = await store.emails.append(1, (await store.folders.byRole(1, 'archive'))!.id, { raw: message({ n: 99, body: 'xylophonist elsewhere' }) })
      assert.ok(other.uid > 0)
      assert.deepEqual(await store.emails.search(1, box.id, { text: 'body', contains: 'xylophonist' }), [hit.uid], 'other folders do not leak in')
      assert.deepEqual(await store.emails.search(1, box.id, { and: [{ text: 'body', contains: 'xylophonist' }, { keyword: '$seen', present: false }] }), [hit.uid])
      assert.deepEqual(await store.emails.search(1, box.id, { and: [{ keyword: '$seen', present: true }, { text: 'body', contains: 'treasure' }] }), [])
      assert.deepEqual(await store.emails.search(1, box.id, { text: 'body', contains: 'filler' }), [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14])
    }))

    test('search translates every key: flags, headers, dates, sizes, uids, modseq, not/or/and', () => withStore(async ({ store }) => {
      await store.accounts.provision(1)
      const box = await inbox(store, 1)
      const a = await store.emails.append(1, box.id, {
        raw: message({ n: 1, subject: 'Quarterly report', from: 'Carol <carol@example.test>', extra: 'X-Priority: urgent', date: 'Sun, 01 Mar 2026 10:00:00 +0000' }),
        keywords: ['$seen', 'Project_X'], receivedAt: Date.UTC(2026, 2, 1, 23, 59),
      })
      const b = await store.emails.append(1, box.id, {
        raw: message({ n: 2, subject: '=?utf-8?q?Caf=C3=A9_news?=', body: 'y'.repeat(5000), date: 'Tue, 03 Mar 2026 10:00:00 +0000' }),
        receivedAt: Date.UTC(2026, 2, 3, 0, 0),
      })
      const search = (key: Parameters<Store['emails']['search']>[2]) => store.emails.search(1, box.id, key)
      assert.deepEqual(await search({ all: true }), [a.uid, b.uid])
      assert.deepEqual(await search({ keyword: '$seen', present: true }), [a.uid])
      assert.deepEqual(await search({ keyword: '$seen', present: false }), [b.uid])
      assert.deepEqual(await search({ keyword: 'project_x', present: true }), [a.uid])
      assert.deepEqual(await search({ keyword: 'Project%', present: true }), [], 'LIKE wildcards are escaped')
      assert.deepEqual(await search({ header: 'from', contains: 'CAROL' }), [a.uid])
      assert.deepEqual(await search({ header: 'subject', contains: 'café' }), [b.uid], 'decoded subject')
      assert.deepEqual(await search({ header: 'x-priority', contains: 'URGENT' }), [a.uid])
      assert.deepEqual(await search({ header: 'x-priority', contains: '' }), [a.uid])
      assert.deepEqual(await search({ date: 'received', op: 'on', day: '2026-03-01' }), [a.uid])
      assert.deepEqual(await search({ date: 'received', op: 'before', day: '2026-03-03' }), [a.uid])
      assert.deepEqual(await search({ date: 'received', op: 'since', day: '2026-03-03' }), [b.uid])
      assert.deepEqual(await search({ date: 'sent', op: 'on', day: '2026-03-03' }), [b.uid])
      assert.deepEqual(await search({ size: 'larger', bytes: 2000 }), [b.uid])
      assert.deepEqual(await search({ size: 'smaller', bytes: 2000 }), [a.uid])
      assert.deepEqual(await search({ uids: [{ start: 2, end: Infinity }] }), [b.uid])
      assert.deepEqual(await search({ modseqAtLeast: b.modseq }), [b.uid])
      assert.deepEqual(await search({ emailIds: [a.emailId] }), [a.uid])
      assert.deepEqual(await search({ not: { keyword: '$seen', present: true } }), [b.uid])
      assert.deepEqual(await search({ or: [{ header: 'from', contains: 'carol' }, { size: 'larger', bytes: 2000 }] }), [a.uid, b.uid])
      assert.deepEqual(await search({ and: [{ header: 'from', contains: 'carol' }, { size: 'larger', bytes: 2000 }] }), [])
      let deep: Parameters<Store['emails']['search']>[2] = { all: true }
      for (let i = 0; i < 1000; i++) deep = { not: deep }
      await expectStoreError(search(deep), 'limit')
    }))

    test('sort orders by RFC 5256 keys with UID as the tie-break', () => withStore(async ({ store }) => {
      await store.accounts.provision(1)
      const box = await inbox(store, 1)
      await store.emails.append(1, box.id, { raw: message({ n: 1, subject: 'Re: banana', from: 'zed@example.test', date: 'Mon, 02 Mar 2026 10:00:00 +0000' }), receivedAt: 3000 })
      await store.emails.append(1, box.id, { raw: message({ n: 2, subject: 'apple', from: 'Amy <amy@example.test>', date: 'Sun, 01 Mar 2026 10:00:00 +0000', body: 'z'.repeat(300) }), receivedAt: 1000 })
      await store.emails.append(1, box.id, { raw: message({ n: 3, subject: 'Fwd: Cherry', from: 'bob@example.test', date: 'Mon, 02 Mar 2026 10:00:00 +0000' }), receivedAt: 2000 })
      const sort = (keys: Parameters<Store['emails']['sort']>[2]) => store.emails.sort(1, box.id, keys, { all: true })
      assert.deepEqual(await sort([{ key: 'subject' }]), [2, 1, 3])
      assert.deepEqual(await sort([{ key: 'from' }]), [2, 3, 1])
      assert.deepEqual(await sort([{ key: 'arrival' }]), [2, 3, 1])
      assert.deepEqual(await sort([{ key: 'date' }]), [2, 1, 3], 'equal dates keep UID order')
      assert.deepEqual(await sort([{ key: 'date', reverse: true }]), [1, 3, 2], 'reverse, ties still by UID')
      assert.equal((await sort([{ key: 'size', reverse: true }]))[0], 2)
      assert.equal((await sort([{ key: 'size' }]))[2], 2)
    }))

    test('copy shares the blob and keeps keywords; move re-homes atomically; expunge frees the blob last', () => withStore(async ({ store }) => {
      await store.accounts.provision(1)
      const box = await inbox(store, 1)
      const archive = (await store.folders.byRole(1, 'archive'))!
      const trash = (await store.folders.byRole(1, 'trash'))!
      const a = await store.emails.append(1, box.id, { raw: message({ n: 1 }), keywords: ['$flagged'] })
      const b = await store.emails.append(1, box.id, { raw: message({ n: 2 }) })
      const copied = await store.emails.copy(1, box.id, [a.uid, b.uid, 77], archive.id)
      assert.deepEqual(copied.mapping, [{ from: a.uid, to: 1 }, { from: b.uid, to: 2 }])
      assert.equal(copied.uidValidity, archive.uidValidity)
      const [copyInfo] = await store.emails.info(1, archive.id, [1])
      assert.deepEqual(copyInfo.keywords, ['$flagged'])
      assert.deepEqual(await store.emails.search(1, archive.id, { keyword: '$flagged', present: true }), [1], 'flags travel with the copy')
      assert.equal(copyInfo.blobId, a.blobId)
      assert.notEqual(copyInfo.emailId, a.emailId)
      assert.equal(await blobCount(store), 2)

      const moved = await store.emails.move(1, box.id, [a.uid], trash.id)
      assert.deepEqual(moved.mapping, [{ from: a.uid, to: 1 }])
      assert.deepEqual((await store.emails.list(1, box.id)).map((m) => m.uid), [b.uid])
      assert.deepEqual(await store.emails.expungedSince(1, box.id, a.modseq), [a.uid])
      const [movedInfo] = await store.emails.info(1, trash.id, [1])
      assert.equal(movedInfo.emailId, a.emailId, 'a moved email keeps its id')
      assert.deepEqual(await store.emails.search(1, trash.id, { and: [{ keyword: '$flagged', present: true }, { size: 'larger', bytes: 10 }] }), [1])
      assert.equal((await store.folders.status(1, trash.id)).size, a.size)

      assert.deepEqual(await store.emails.expunge(1, trash.id, [1, 2, 3]), [1])
      assert.equal(await blobCount(store), 2, 'the archive copy still holds the blob')
      await store.emails.expunge(1, archive.id, [1])
      assert.equal(await blobCount(store), 1, 'the last reference gone: the file goes')
      assert.deepEqual(await store.emails.search(1, archive.id, { all: true }), [2])
      const report = await store.verify()
      assert.deepEqual([report.mismatched, report.missing, report.orphaned, report.badRefs], [[], [], [], []])
    }))

    test('renaming INBOX moves its messages to the new folder and leaves INBOX empty', () => withStore(async ({ store }) => {
      await store.accounts.provision(1)
      const box = await inbox(store, 1)
      await store.emails.append(1, box.id, { raw: message({ n: 1 }) })
      await store.emails.append(1, box.id, { raw: message({ n: 2 }) })
      await store.folders.create(1, 'INBOX/Child')
      const renamed = await store.folders.rename(1, box.id, 'Old Mail/2026')
      assert.equal(renamed.path, 'Old Mail/2026')
      assert.notEqual(renamed.id, box.id)
      assert.deepEqual((await store.emails.list(1, renamed.id)).map((m) => m.uid), [1, 2])
      assert.deepEqual(await store.emails.list(1, box.id), [])
      const after = await store.folders.get(1, box.id)
      assert.equal(after?.path, 'INBOX')
      assert.equal(after?.uidNext, 3, 'INBOX UIDs are not reused')
      const paths = (await store.folders.list(1)).map((f) => f.path)
      assert.ok(paths.includes('INBOX/Child'), 'children of INBOX are not renamed')
      assert.ok(paths.includes('Old Mail'), 'missing parents are created')
      const next = await store.emails.append(1, box.id, { raw: message({ n: 3 }) })
      assert.equal(next.uid, 3)
    }))

    test('rename moves children; remove refuses INBOX and a folder with children', () => withStore(async ({ store }) => {
      await store.accounts.provision(1)
      const work = await store.folders.create(1, 'Work/2025/Q1')
      assert.equal(work.path, 'Work/2025/Q1')
      const parent = (await store.folders.byPath(1, 'Work'))!
      const renamed = await store.folders.rename(1, parent.id, 'Job')
      assert.equal(renamed.id, parent.id)
      const paths = (await store.folders.list(1)).map((f) => f.path)
      assert.ok(paths.includes('Job/2025/Q1') && !paths.some((p) => p.startsWith('Work')))
      assert.equal((await store.folders.get(1, work.id))?.uidValidity, work.uidValidity)
      await expectStoreError(store.folders.create(1, 'Job'), 'exists')
      await expectStoreError(store.folders.rename(1, parent.id, 'Job/2025/Inside'), 'invalid')
      await expectStoreError(store.folders.rename(1, parent.id, 'Sent'), 'exists')
      await expectStoreError(store.folders.remove(1, (await inbox(store, 1)).id), 'inUse')
      await expectStoreError(store.folders.remove(1, parent.id), 'exists')
      await expectStoreError(store.folders.create(1, 'a//b'), 'invalid')
      await expectStoreError(store.folders.create(1, Array(100).fill('x').join('/')), 'limit')
    }))

    test('setKeywords honours UNCHANGEDSINCE and bumps MODSEQ only for messages that changed', () => withStore(async ({ store }) => {
      await store.accounts.provision(1)
      const box = await inbox(store, 1)
      const a = await store.emails.append(1, box.id, { raw: message({ n: 1 }), keywords: ['$seen'] })
      const b = await store.emails.append(1, box.id, { raw: message({ n: 2 }) })
      // a's modseq < b's: UNCHANGEDSINCE a.modseq lets a through and refuses b (RFC 7162 3.1.3).
      const first = await store.emails.setKeywords(1, box.id, [a.uid, b.uid], { op: 'add', keywords: ['$flagged'], unchangedSince: a.modseq })
      assert.deepEqual(first.modified, [b.uid])
      assert.deepEqual(first.updated.map((u) => [u.uid, u.keywords]), [[a.uid, ['$flagged', '$seen']]])
      const afterFirst = (await store.accounts.get(1))!.modseq
      const noop = await store.emails.setKeywords(1, box.id, [a.uid], { op: 'add', keywords: ['$seen'] })
      assert.deepEqual(noop.updated, [])
      assert.equal((await store.accounts.get(1))!.modseq, afterFirst, 'no change, no MODSEQ')
      const zero = await store.emails.setKeywords(1, box.id, [a.uid], { op: 'remove', keywords: ['$seen'], unchangedSince: 0 })
      assert.deepEqual(zero.modified, [a.uid])
      const set = await store.emails.setKeywords(1, box.id, [a.uid, b.uid], { op: 'set', keywords: ['Custom', '$answered'] })
      assert.deepEqual(set.updated.map((u) => u.keywords), [['$answered', 'Custom'], ['$answered', 'Custom']])
      assert.equal((await store.folders.status(1, box.id)).unseen, 2, 'STATUS follows keyword changes')
      assert.deepEqual(await store.emails.search(1, box.id, { keyword: '$answered', present: true }), [a.uid, b.uid])
      assert.deepEqual(await store.emails.search(1, box.id, { keyword: '$seen', present: true }), [])
      const removed = await store.emails.setKeywords(1, box.id, [b.uid], { op: 'remove', keywords: ['custom'] })
      assert.deepEqual(removed.updated[0].keywords, ['$answered'], 'keywords compare case-insensitively')
      const changed = await store.emails.changedSince(1, box.id, afterFirst)
      assert.deepEqual(changed.map((m) => m.uid), [a.uid, b.uid])
      assert.ok(changed.every((m) => m.modseq > afterFirst))
      await expectStoreError(store.emails.setKeywords(1, box.id, [a.uid], { op: 'add', keywords: ['bad word'] }), 'invalid')
    }))

    test('deliveryId makes delivery idempotent: a replay returns the first result, no second copy', () => withStore(async ({ store }) => {
      await store.accounts.provision(1)
      await store.accounts.provision(2)
      const raw = message({ n: 1 })
      const first = await store.emails.deliver([1, 2], { raw, deliveryId: 'queue-42' })
      const again = await store.emails.deliver([1, 2], { raw, deliveryId: 'queue-42' })
      assert.deepEqual(again, first)
      assert.equal((await store.emails.list(1, (await inbox(store, 1)).id)).length, 1)
      assert.equal((await store.emails.list(2, (await inbox(store, 2)).id)).length, 1)
      const other = await store.emails.deliver([1], { raw, deliveryId: 'queue-43' })
      assert.equal((other.get(1) as { uid: number }).uid, 2, 'another delivery id is another delivery')
      const unknown = await store.emails.deliver([1, 999], { raw: message({ n: 2 }) })
      assert.ok(!(unknown.get(1) instanceof Error))
      assert.ok(unknown.get(999) instanceof StoreError)
    }))

    test('events are published after the commit, with the folder and MODSEQ', () => withStore(async ({ store }) => {
      await store.accounts.provision(1)
      const box = await inbox(store, 1)
      const seen: StoreEvent[] = []
      const unsubscribe = store.bus.subscribe((event) => {
        seen.push(event)
      })
      let visibleAtEvent = -1
      const off = store.bus.subscribe(() => {
        void store.emails.list(1, box.id).then((list) => { if (visibleAtEvent < 0) visibleAtEvent = list.length })
      })
      const a = await store.emails.append(1, box.id, { raw: message({ n: 1 }) })
      await store.emails.setKeywords(1, box.id, [a.uid], { op: 'add', keywords: ['$seen'] })
      await store.emails.expunge(1, box.id, [a.uid])
      unsubscribe()
      off()
      assert.deepEqual(seen.map((e) => e.kind), ['append', 'flags', 'expunge'])
      assert.ok(seen.every((e) => e.account === 1 && e.folders.includes(box.id)))
      assert.ok(seen[0].modseq < seen[1].modseq && seen[1].modseq < seen[2].modseq)
      assert.equal(visibleAtEvent, 1, 'the appended message is readable when the event arrives')
    }))

    test('threads join by Message-ID, In-Reply-To and References, whatever the arrival order', () => withStore(async ({ store }) => {
      await store.accounts.provision(1)
      const box = await inbox(store, 1)
      const reply = await store.emails.append(1, box.id, { raw: message({ n: 2, messageId: 'child@x', inReplyTo: 'root@x' }) })
      const root = await store.emails.append(1, box.id, { raw: message({ n: 1, messageId: 'root@x' }) })
      const other = await store.emails.append(1, box.id, { raw: message({ n: 3 }) })
      const infos = await store.emails.info(1, box.id, [reply.uid, root.uid, other.uid])
      assert.equal(infos[0].threadId, infos[1].threadId)
      assert.notEqual(infos[2].threadId, infos[0].threadId)
      assert.deepEqual(await store.emails.search(1, box.id, { threadIds: [infos[0].threadId] }), [reply.uid, root.uid])
    }))

    test('verify is clean, then reports a corrupted blob as mismatched', () => withStore(async (opened) => {
      const { store } = opened
      await store.accounts.provision(1)
      const box = await inbox(store, 1)
      const a = await store.emails.append(1, box.id, { raw: message({ n: 1, body: 'compressible '.repeat(200) }) })
      await store.emails.append(1, box.id, { raw: message({ n: 2 }) })
      const clean = await store.verify()
      assert.equal(clean.checked, 2)
      assert.deepEqual([clean.mismatched, clean.missing, clean.orphaned, clean.badRefs], [[], [], [], []])
      if (!opened.corruptBlob) return
      await opened.corruptBlob(a.blobId)
      const report = await store.verify()
      assert.deepEqual(report.mismatched, [a.blobId])
    }))

    test('removing an account releases its blob references', () => withStore(async ({ store }) => {
      await store.accounts.provision(1)
      await store.accounts.provision(2)
      const raw = message({ n: 1 })
      await store.emails.deliver([1, 2], { raw })
      await store.emails.append(1, (await inbox(store, 1)).id, { raw: message({ n: 2 }) })
      await store.accounts.remove(1)
      assert.equal(await store.accounts.get(1), undefined)
      assert.deepEqual(await store.folders.list(1), [])
      assert.equal(await blobCount(store), 1)
      const report = await store.verify()
      assert.deepEqual([report.missing, report.orphaned, report.badRefs], [[], [], []])
    }))

    test('items: put by UID, replace, remove; the change log and blob references follow', () => withStore(async ({ store }) => {
      const items = store.items
      if (!items) return
      await store.accounts.provision(1)
      const calendar = (await store.folders.byPath(1, 'Calendar'))!
      const start = (await store.accounts.get(1))!.modseq
      const ics = (summary: string) => encoder.encode(`BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:ev1\r\nSUMMARY:${summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`)
      const created = await items.put(1, calendar.id, { uid: 'ev1', raw: ics('Lunch'), fields: { start: '2026-03-02T12:00:00Z' } })
      const other = await items.put(1, calendar.id, { uid: 'ev2', raw: ics('Dinner') })
      assert.equal(created.type, 'calendar')
      assert.deepEqual(created.fields, { start: '2026-03-02T12:00:00Z' })
      const middle = (await store.accounts.get(1))!.modseq
      const replaced = await items.put(1, calendar.id, { uid: 'ev1', raw: ics('Late lunch') })
      assert.equal(replaced.id, created.id)
      assert.notEqual(replaced.blobId, created.blobId)
      assert.equal(await items.remove(1, calendar.id, 'ev2'), true)
      assert.equal(await items.remove(1, calendar.id, 'ev2'), false)
      assert.deepEqual((await items.list(1, calendar.id)).map((i) => i.uid), ['ev1'])
      const since = await store.changes.since(1, middle)
      assert.deepEqual(since.updated.filter((c) => c.type === 'item'), [{ type: 'item', id: created.id }])
      assert.deepEqual(since.destroyed.filter((c) => c.type === 'item'), [{ type: 'item', id: other.id }])
      const all = await store.changes.since(1, start)
      assert.deepEqual(all.created.filter((c) => c.type === 'item'), [{ type: 'item', id: created.id }])
      await expectStoreError(items.put(1, (await inbox(store, 1)).id, { uid: 'x', raw: ics('x') }), 'invalid')
      assert.equal(await blobCount(store), 1, 'replaced and removed items gave their blobs back')
      const report = await store.verify()
      assert.deepEqual([report.missing, report.orphaned, report.badRefs], [[], [], []])
    }))

    test('bad input gets a StoreError, never a crash', () => withStore(async ({ store }) => {
      await store.accounts.provision(1)
      const box = await inbox(store, 1)
      await expectStoreError(store.emails.append(1, box.id, { raw: new Uint8Array(0) }), 'invalid')
      await expectStoreError(store.emails.append(1, 999_999, { raw: message() }), 'notFound')
      await expectStoreError(store.emails.append(1, (await store.folders.byPath(1, 'Calendar'))!.id, { raw: message() }), 'invalid')
      await expectStoreError(store.emails.body(1, 'not-a-blob-id'), 'notFound')
      await expectStoreError(store.emails.search(1, box.id, { date: 'received', op: 'on', day: 'yesterday' }), 'invalid')
      await expectStoreError(store.folders.create(1, ''), 'invalid')
      await expectStoreError(store.emails.setKeywords(1, box.id, [1], { op: 'toggle' as 'add', keywords: [] }), 'invalid')
      assert.equal(await blobCount(store), 0, 'refused appends leave no blob')
    }))
  })
}
