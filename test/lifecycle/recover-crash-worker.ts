/**
 * Child process of recover-crash.test.ts: appends, expunges and restores in a loop on the store at
 * argv[2], printing each acknowledged step (`A|E|R <subject>`), until it is killed.
 */
import { join } from 'node:path'
import { SqliteEngine } from '../../src/db/sqlite.ts'
import { FsBlobStore } from '../../src/store/blobs/fs.ts'
import { createStore } from '../../src/store/open.ts'

const dir = process.argv[2]
const start = Number(process.argv[3])
const engine = new SqliteEngine(join(dir, 'tidings.db'), { durable: false })
await engine.migrate()
const store = createStore({ engine, blobs: new FsBlobStore(join(dir, 'blobs'), { durable: false }), retention: { retentionMs: 86_400_000, quotaBytes: 0 } })
const inbox = (await store.folders.byRole(1, 'inbox'))!
const say = (line: string) => new Promise<void>((resolve) => process.stdout.write(line + '\n', () => resolve()))
for (let i = start; ; i++) {
  const subject = `m${i}`
  // Every third message is big enough to be a blob file, so a kill can cut a file write too.
  const body = i % 3 === 0 ? 'z'.repeat(70_000) : `body ${i}`
  const a = await store.emails.append(1, inbox.id, { raw: new TextEncoder().encode(`Subject: ${subject}\r\nMessage-ID: <${subject}@x>\r\n\r\n${body}\r\n`), keywords: ['$seen'] })
  await say(`A ${subject}`)
  await store.emails.expunge(1, inbox.id, [a.uid])
  await say(`E ${subject}`)
  if (i % 2 === 0) {
    const items = await store.recoverable.list(1)
    const subjects = new Map(items.map((item) => [item.id, item.subject]))
    for (const r of await store.recoverable.restore(1, items.map((item) => item.id))) await say(`R ${subjects.get(r.id)}`)
  }
}
