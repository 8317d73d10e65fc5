/**
 * The anchor as one mail system: Postfix (SMTP, queue) → Dovecot LMTP → Maildir, read by Dovecot
 * IMAP/POP3. Verified with one message sent by SMTP and read back by IMAP before it is measured.
 */
import { DovecotAnchor, type DovecotMode } from '../anchors/dovecot.ts'
import { PostfixAnchor } from '../anchors/postfix.ts'
import { ImapClient } from '../lib/imap-client.ts'
import { SmtpClient } from '../lib/smtp-client.ts'
import { makeMessage } from '../lib/message.ts'
import { TargetUnavailable, type BenchUser, type MailTarget } from './target.ts'

export interface AnchorOptions {
  mode: DovecotMode
  users: readonly BenchUser[]
  domain?: string
  /** Start Postfix too (SMTP scenarios); IMAP-only scenarios skip it. */
  withPostfix?: boolean
  maxConnections?: number
  /** Dovecot serves IMAPS too (implicit TLS). */
  imaps?: boolean
}

export class PostfixDovecotTarget implements MailTarget {
  readonly name: string
  readonly domain: string
  readonly dovecot: DovecotAnchor
  readonly postfix: PostfixAnchor | undefined

  private constructor(name: string, domain: string, dovecot: DovecotAnchor, postfix: PostfixAnchor | undefined) {
    this.name = name
    this.domain = domain
    this.dovecot = dovecot
    this.postfix = postfix
  }

  get smtpPort(): number | undefined { return this.postfix?.port }
  get imapPort(): number { return this.dovecot.imapPort }
  get pop3Port(): number { return this.dovecot.pop3Port }
  get imapsPort(): number | undefined { return this.dovecot.imapsPort }

  /** Starts and verifies the anchor; any failure is a TargetUnavailable saying exactly why. */
  static async start(options: AnchorOptions): Promise<PostfixDovecotTarget> {
    // `npm run bench -- --tidings-only` (profiling, quick checks of Tidings alone).
    if (process.env.BENCH_TIDINGS_ONLY === '1') throw new TargetUnavailable('not started (--tidings-only)')
    const domain = options.domain ?? 'bench.test'
    let dovecot: DovecotAnchor
    try {
      dovecot = await DovecotAnchor.start({ mode: options.mode, users: options.users, maxConnections: options.maxConnections, tls: options.imaps })
    } catch (error) {
      throw new TargetUnavailable((error as Error).message, { cause: error })
    }
    let postfix: PostfixAnchor | undefined
    if (options.withPostfix) {
      try {
        postfix = await PostfixAnchor.start({ domain, lmtpSocket: dovecot.lmtpSocket, maxConnections: options.maxConnections })
      } catch (error) {
        await dovecot.stop()
        throw new TargetUnavailable((error as Error).message, { cause: error })
      }
    }
    const name = (postfix ? 'postfix+' : '') + `dovecot ${dovecot.version.split(' ')[0]} (${options.mode})`
    const target = new PostfixDovecotTarget(name, domain, dovecot, postfix)
    try {
      await verify(target, options.users[0])
    } catch (error) {
      await target.stop()
      throw new TargetUnavailable(`${name} failed its check: ${(error as Error).message}`, { cause: error })
    }
    return target
  }

  pids(): number[] {
    const pids = [this.dovecot.pid]
    if (this.postfix) {
      try {
        pids.push(this.postfix.pid)
      } catch {
        // Postfix gone: its CPU can no longer be read.
      }
    }
    return pids
  }

  async inboxCount(address: string): Promise<number> {
    return this.dovecot.inboxCount(address)
  }

  log(): string {
    return (this.postfix?.log() ?? '') + this.dovecot.log()
  }

  async stop(): Promise<void> {
    await this.postfix?.stop()
    await this.dovecot.stop()
  }
}

/** One message in by SMTP (or APPEND when there is no Postfix), read back by IMAP, then removed. */
async function verify(target: PostfixDovecotTarget, user: BenchUser): Promise<void> {
  const imap = await ImapClient.connect(target.imapPort)
  try {
    await imap.login(user.address, user.password)
    const raw = makeMessage({ size: 1024, from: 'check@bench.test', to: user.address, id: 'anchor-check-' + Date.now() })
    if (target.postfix) {
      const smtp = await SmtpClient.connect(target.postfix.port)
      const reply = await smtp.send('check@bench.test', [user.address], raw)
      await smtp.quit()
      if (reply.code !== 250) throw new Error(`SMTP refused the check message: ${reply.code} ${reply.text}`)
      const deadline = Date.now() + 15_000
      while ((await target.inboxCount(user.address)) === 0) {
        if (Date.now() > deadline) throw new Error(`the check message was not delivered in 15 s; postfix log: ${target.postfix.log().trim().split('\n').slice(-2).join(' | ')}`)
        await new Promise((r) => setTimeout(r, 50))
      }
    } else {
      const appended = await imap.append('INBOX', raw)
      if (appended.status !== 'OK') throw new Error(`APPEND refused: ${appended.status} ${appended.text}`)
    }
    await imap.ok('SELECT INBOX')
    const fetched = await imap.ok('FETCH 1 (BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])')
    if (!fetched.untagged.some((l) => l.includes('anchor-check-'))) throw new Error('IMAP FETCH did not return the check message')
    await imap.ok('STORE 1:* +FLAGS.SILENT (\\Deleted)')
    await imap.ok('EXPUNGE')
    await imap.logout()
  } finally {
    imap.close()
  }
}
