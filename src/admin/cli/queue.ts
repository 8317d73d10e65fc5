import type { Command } from 'commander'
import pino from 'pino'
import type { AdminContext } from './context.ts'
import { QueueStore } from '../../transport/queue/queue-store.ts'
import { Queue } from '../../transport/queue/queue.ts'
import { QueueWorker } from '../../transport/queue/worker.ts'
import { openSpool } from '../../transport/queue/spool.ts'
import type { QueuedMessage, QueuedRecipient } from '../../transport/queue/types.ts'
import { queryEvents } from '../../transport/tracking.ts'
import { createMetrics } from '../../observability/metrics.ts'

type Open = () => Promise<AdminContext>

/** `tidings queue list|show|retry|delete|bounce`: the outbound queue, safe while `serve` runs. */
export function registerQueue(program: Command, open: Open): void {
  const queue = program.command('queue').description('Inspect and act on the mail queue')

  queue.command('list')
    .description('Messages waiting for delivery, oldest first')
    .action(() => withQueue(open, async (admin, tools) => {
      const messages = await tools.store.list()
      admin.print(
        messages.length === 0 ? 'The queue is empty' : messages.map(summary),
        messages.map((m) => ({ ...m, recipients: m.recipients.map(recipientJson) })),
      )
    }))

  queue.command('show <id>')
    .description('One queued message: envelope, each recipient\'s state and last reply, its tracking events')
    .action((id: string) => withQueue(open, async (admin, tools) => {
      const message = await tools.store.message(id)
      if (!message) throw new Error(`No queued message ${id}`)
      const recipients = await tools.store.recipients(id)
      const events = await queryEvents(tools.store.engine, { queueId: id })
      admin.print([
        summary({ ...message, recipients }),
        `  sender: <${message.sender}>  origin: ${message.origin}  size: ${message.size}  message-id: ${message.messageId ?? '-'}`,
        ...recipients.map((r) => `  ${r.address}${r.original !== r.address ? ` (via ${r.original})` : ''}: ${r.state}, ${r.attempts} attempt(s), next ${new Date(r.nextAttempt).toISOString()}${r.lastReply ? `, last: ${r.lastReply}` : ''}`),
        ...events.map((e) => `  ${new Date(e.at).toISOString()} ${e.event} ${e.recipient ?? ''} ${e.detail ?? ''}`.trimEnd()),
      ], { ...message, recipients: recipients.map(recipientJson), events })
    }))

  queue.command('retry [id]')
    .description('Try now instead of waiting for the next retry (one message, or --all)')
    .option('--all', 'every queued message')
    .action((id: string | undefined, options: { all?: boolean }) => withQueue(open, async (admin, tools) => {
      if (!id && !options.all) throw new Error('Name a queue id, or pass --all')
      const n = await tools.store.retryNow(options.all ? null : id!, Date.now())
      if (id && n === 0) throw new Error(`No pending recipients for ${id}`)
      admin.print(`${n} recipient(s) due now; a running server picks them up within a second`, { due: n })
    }))

  queue.command('delete <id>')
    .description('Remove a message from the queue without telling the sender')
    .action((id: string) => withQueue(open, async (admin, tools) => {
      if (!(await tools.worker.remove(id))) throw new Error(`No queued message ${id}`)
      admin.print(`Deleted ${id}`, { deleted: id })
    }))

  queue.command('bounce <id>')
    .description('Fail every pending recipient now; the sender gets a DSN')
    .action((id: string) => withQueue(open, async (admin, tools) => {
      const n = await tools.worker.bounce(id, '550 5.0.0 Returned to sender by the administrator')
      if (n === 0) throw new Error(`No pending recipients for ${id}`)
      admin.print(`Bounced ${n} recipient(s) of ${id}`, { bounced: n })
    }))
}

interface QueueTools {
  store: QueueStore
  worker: QueueWorker
}

async function withQueue(open: Open, work: (admin: AdminContext, tools: QueueTools) => Promise<void>): Promise<void> {
  const admin = await open()
  try {
    const store = new QueueStore(admin.engine)
    const queue = new Queue({ store, spool: openSpool(admin.config) })
    const worker = new QueueWorker({
      queue, store: admin.store, directory: admin.directory, config: () => admin.config, log: pino({ level: 'silent' }),
      metrics: createMetrics(), now: Date.now, runDsns: false,
      // The CLI never delivers: a running server does.
      deliverRemote: async (job) => job.recipients.map((r) => ({ address: r.address, result: 'deferred' as const, reply: '451 4.3.0 not delivered by the CLI' })),
    })
    await work(admin, { store, worker })
  } finally {
    await admin.close()
  }
}

function summary(m: QueuedMessage & { recipients: QueuedRecipient[] }): string {
  const pending = m.recipients.filter((r) => r.state === 'queued')
  const next = pending.length ? new Date(Math.min(...pending.map((r) => r.nextAttempt))).toISOString() : '-'
  const last = pending.find((r) => r.lastReply)?.lastReply
  return `${m.id}  ${new Date(m.receivedAt).toISOString()}  <${m.sender}>  ${m.size} B  ${pending.length}/${m.recipients.length} pending  next ${next}${last ? `  last: ${last}` : ''}`
}

function recipientJson(r: QueuedRecipient) {
  return { address: r.address, original: r.original, kind: r.kind, state: r.state, attempts: r.attempts, nextAttempt: new Date(r.nextAttempt).toISOString(), lastReply: r.lastReply, notify: r.notify, orcpt: r.orcpt }
}
