import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MaildirFolderWriter, maildirFolderDir } from './maildir-write.ts'
import { readMaildir } from './maildir-read.ts'
import { keywordsOfName, maildirInfo } from './maildir-flags.ts'
import { decodeMutf7, encodeMutf7 } from './mutf7.ts'
import { isFolder, isProblem, type SourceItem } from './source.ts'

async function collect(items: AsyncIterable<SourceItem>) {
  const out = []
  for await (const item of items) {
    if (isFolder(item)) continue
    if (isProblem(item)) out.push({ folder: item.folder, error: item.error })
    else out.push({ folder: item.folder, keywords: item.keywords, receivedAt: item.receivedAt, raw: Buffer.from(await item.load()).toString() })
  }
  return out
}

test('modified UTF-7 names round-trip, "." escaped for Maildir++', () => {
  for (const name of ['Entwürfe', 'Ünïcödé & Co', '日本語', 'a.b', 'plain']) {
    assert.equal(decodeMutf7(encodeMutf7(name, '.')), name)
    assert.ok(!encodeMutf7(name, '.').includes('.'))
  }
  assert.equal(encodeMutf7('Entwürfe'), 'Entw&APw-rfe')
  assert.equal(encodeMutf7('A&B'), 'A&-B')
})

test('maildir info: flags in ASCII order, keywords as letters', () => {
  const letters = new Map([['Work', 'a'], ['$label1', 'b']])
  assert.equal(maildirInfo(['$seen', '$draft', '$answered', 'Work'], letters), ':2,DRSa')
  assert.deepEqual(keywordsOfName('123.M1.host,S=5:2,DRSa', new Map([['a', 'Work']])), ['$answered', '$draft', '$seen', 'Work'])
  assert.deepEqual(keywordsOfName('123.M1.host!2,F', new Map()), ['$flagged'])
  assert.deepEqual(keywordsOfName('123.M1.host', new Map()), [])
})

test('Maildir++ written by us reads back: folders, flags, keywords, dates, order', async () => {
  const root = mkdtempSync(join(tmpdir(), 'tidings-maildir-'))
  try {
    const t = Date.UTC(2025, 0, 2, 3, 4, 5)
    for (const [path, n] of [['INBOX', 3], ['Work/Ünïcödé', 2], ['a.b', 1]] as const) {
      const w = new MaildirFolderWriter(maildirFolderDir(root, path))
      await w.open()
      for (let i = 0; i < n; i++) await w.write(Buffer.from(`Subject: ${path} ${i}\r\n\r\nx\r\n`), i === 0 ? ['$seen', 'Work'] : [], t + i * 1000)
      await w.close()
    }
    assert.ok(readdirSync(root).includes('.Work.&ANw-n&AO8-c&APY-d&AOk-'))
    const items = await collect(readMaildir(root))
    assert.deepEqual(items.map((i) => i.folder), ['INBOX', 'INBOX', 'INBOX', 'Work/Ünïcödé', 'Work/Ünïcödé', 'a.b'].sort((a, b) => (a === 'INBOX' ? -1 : b === 'INBOX' ? 1 : a < b ? -1 : 1)))
    assert.deepEqual(items[0], { folder: 'INBOX', keywords: ['$seen', 'Work'], receivedAt: t, raw: 'Subject: INBOX 0\r\n\r\nx\r\n' })
    assert.equal(items[2].raw, 'Subject: INBOX 2\r\n\r\nx\r\n')
    assert.equal(items[2].receivedAt, t + 2000)
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
})

test('Courier/Dovecot trees: new/ without flags, dovecot-uidlist order, LAYOUT=fs nesting', async () => {
  const root = mkdtempSync(join(tmpdir(), 'tidings-maildir-'))
  try {
    for (const d of ['cur', 'new', 'tmp', '.Sent/cur', '.Sent/new', 'Lists/dev/cur']) mkdirSync(join(root, d), { recursive: true })
    writeFileSync(join(root, 'new', '1500.M2.h'), 'Subject: new\n\n')
    writeFileSync(join(root, 'cur', '1600.M1.h:2,S'), 'Subject: old\n\n')
    writeFileSync(join(root, 'dovecot-uidlist'), '3 V1 N9\n7 :1600.M1.h\n8 :1500.M2.h\n')
    writeFileSync(join(root, '.Sent', 'cur', '1.M.h:2,RSa'), 'Subject: s\n\n')
    writeFileSync(join(root, '.Sent', 'dovecot-keywords'), '0 $Forwarded\n')
    writeFileSync(join(root, 'Lists', 'dev', 'cur', '2.M.h:2,'), 'Subject: l\n\n')
    const items = await collect(readMaildir(root))
    assert.deepEqual(items.map((i) => [i.folder, String(i.raw).split('\n')[0], 'keywords' in i ? i.keywords : null]), [
      ['INBOX', 'Subject: old', ['$seen']],
      ['INBOX', 'Subject: new', []],
      ['Lists/dev', 'Subject: l', []],
      ['Sent', 'Subject: s', ['$Forwarded', '$answered', '$seen']],
    ])
    assert.equal(items[0].receivedAt, Math.floor(statSync(join(root, 'cur', '1600.M1.h:2,S')).mtimeMs))
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
})
