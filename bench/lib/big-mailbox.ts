/**
 * A target whose user has one big INBOX (100,000 messages in the full run), for FETCH and SEARCH.
 * Every 100th message carries the word SEARCH BODY looks for; senders rotate over 100 addresses.
 * Tidings is filled through the store API before it starts (tidings-fast-path.ts, durability off
 * for the build); Dovecot through Maildir files, then one SELECT outside the measurement builds
 * its index (its time is reported as "first SELECT"). Both are built once and kept across runs
 * in bench/.cache/ (data-cache.ts): fetch and search, and the next run, copy them.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { makeMessage } from './message.ts'
import { writeMaildir } from './populate.ts'
import { fillMailbox } from './tidings-fast-path.ts'
import { ImapClient } from './imap-client.ts'
import { progress } from './measure.ts'
import { cached, cacheEntry, pruneEntries, restoreEntry, saveEntry } from './data-cache.ts'
import { benchUsers, type BenchUser, type MailTarget } from '../targets/target.ts'
import { TidingsTarget } from '../targets/tidings.ts'
import { PostfixDovecotTarget } from '../targets/postfix-dovecot.ts'

export const BODY_WORD = 'zebrafish'
export const FROM_WORD = 'sender7@'
const MESSAGE_SIZE = 2048

export function bigMailboxMessage(address: string) {
  return (i: number) => makeMessage({
    size: MESSAGE_SIZE,
    from: `sender${i % 100}@load.test`,
    to: address,
    id: `big.${i}`,
    subject: `Report ${i} for the weekly review`,
    date: new Date(Date.UTC(2025, 0, 1) + i * 60_000),
    marker: i % 100 === 0 ? BODY_WORD : undefined,
  })
}

export function bigMailboxUser(): BenchUser {
  return benchUsers(1)[0]
}

export async function startTidingsWithBigMailbox(count: number): Promise<TidingsTarget> {
  const user = bigMailboxUser()
  return await TidingsTarget.start({
    users: [user], needs: ['imap'], cache: `inbox ${count}`,
    prepare: async (dir) => {
      const t0 = performance.now()
      await fillMailbox(dir, user.address, count, bigMailboxMessage(user.address))
      progress(`tidings: ${count} messages stored in ${((performance.now() - t0) / 1000).toFixed(1)} s (store API, durability off)`)
    },
  })
}

export async function startDovecotWithBigMailbox(count: number): Promise<PostfixDovecotTarget> {
  const user = bigMailboxUser()
  const target = await PostfixDovecotTarget.start({ mode: 'stock', users: [user] })
  const t0 = performance.now()
  const entry = cacheEntry('maildir', `inbox ${count}`, user.address)
  const maildir = target.dovecot.maildir(user.address)
  if (!cached(entry)) {
    const build = mkdtempSync('/tmp/bench-maildir-')
    try {
      writeMaildir(build, count, bigMailboxMessage(user.address))
      saveEntry(build, entry, { link: true })
      pruneEntries(entry)
    } finally {
      rmSync(build, { recursive: true, force: true })
    }
    progress(`dovecot: ${count} Maildir files written in ${((performance.now() - t0) / 1000).toFixed(1)} s, kept in ${entry}`)
  }
  const t1 = performance.now()
  // Hard links: Dovecot renames message files (flags) but never rewrites them.
  restoreEntry(entry, maildir, { link: true, merge: true })
  target.dovecot.fixOwnership(user.address)
  progress(`dovecot: ${count}-message Maildir linked from the cache in ${((performance.now() - t1) / 1000).toFixed(1)} s`)
  return target
}

/** Logs in and SELECTs INBOX; resolves with the session, the message count and the SELECT time. */
export async function openBigInbox(target: MailTarget): Promise<{ imap: ImapClient; exists: number; selectSeconds: number }> {
  const user = bigMailboxUser()
  const imap = await ImapClient.connect(target.imapPort!)
  await imap.login(user.address, user.password)
  const t0 = performance.now()
  const reply = await imap.ok('SELECT INBOX')
  const selectSeconds = (performance.now() - t0) / 1000
  const exists = Number(/\* (\d+) EXISTS/i.exec(reply.untagged.join('\n'))?.[1] ?? 0)
  return { imap, exists, selectSeconds }
}
