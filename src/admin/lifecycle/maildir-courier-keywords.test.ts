import { test } from 'node:test'
import assert from 'node:assert/strict'
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { readCourierKeywords } from './maildir-courier-keywords.ts'
import { importMessages } from './import.ts'
import { openSource } from './open-source.ts'
import { openFixture, tempDir } from '../../../test/lifecycle/fixture.ts'
import { ROOT } from '../../../test/support/cli.ts'

/** A Courier-IMAP Maildir++ tree: `:list`, a newer `.3.` update replacing a `.1.` one, a subfolder. */
const FIXTURE = join(ROOT, 'test', 'fixtures', 'maildir-courier')

test('courierimapkeywords: :list entries, the newest update file wins, a plain-name update outranks all', async () => {
  const inbox = await readCourierKeywords(FIXTURE)
  assert.deepEqual(Object.fromEntries(inbox), {
    '1700000001.M1P1.mail': ['$Label1', 'Work'],
    '1700000002.M2P2.mail': ['NonJunk', 'Work'],
    '1700000003.M3P3.mail': [],
  })
  assert.deepEqual(Object.fromEntries(await readCourierKeywords(join(FIXTURE, '.Archive'))), { '1700000005.M5P5.mail': ['ProjectX'] })
  assert.deepEqual(await readCourierKeywords(join(FIXTURE, 'cur')), new Map(), 'no courierimapkeywords/: nothing')

  const dir = tempDir('courier')
  try {
    cpSync(FIXTURE, dir, { recursive: true })
    writeFileSync(join(dir, 'courierimapkeywords', '1700000002.M2P2.mail'), 'Final\n')
    // Hostile input: indexes out of range and junk lines are ignored, not fatal.
    writeFileSync(join(dir, 'courierimapkeywords', ':list'), 'A\n\n1700000001.M1P1.mail:0 7 x\nnot a line\n1700000003.M3P3.mail:9\n')
    mkdirSync(join(dir, 'courierimapkeywords', '.9.somedir'))
    const read = await readCourierKeywords(dir)
    assert.deepEqual(read.get('1700000002.M2P2.mail'), ['Final'])
    assert.deepEqual(read.get('1700000003.M3P3.mail'), [])
    assert.equal(read.has('1700000001.M1P1.mail'), false, '"0 7 x" is not an index list')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('tidings import of a Courier Maildir keeps its custom keywords beside the flags', async () => {
  const fx = await openFixture()
  try {
    const alice = await fx.addUser('alice@example.test')
    const source = await openSource(FIXTURE)
    const summary = await importMessages(fx.store, alice, source.items)
    assert.equal(summary.imported, 5)
    const got: Record<string, string[]> = {}
    for (const folder of await fx.store.folders.list(alice)) {
      const refs = await fx.store.emails.list(alice, folder.id)
      for (const info of await fx.store.emails.info(alice, folder.id, refs.map((r) => r.uid))) got[`${folder.path}: ${info.subject}`] = info.keywords
    }
    assert.deepEqual(got, {
      'INBOX: Tagged one': ['$Label1', '$seen', 'Work'],
      'INBOX: Tagged two': ['NonJunk', 'Work'],
      'INBOX: No keywords': ['$answered', '$seen'],
      'INBOX: Brand new': [],
      'Archive: Archived': ['$seen', 'ProjectX'],
    })
  } finally {
    await fx.remove()
  }
})
