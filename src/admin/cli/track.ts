import type { Command } from 'commander'
import { parseDuration } from '../../config/load.ts'
import type { AdminContext } from './context.ts'
import { queryEvents } from '../../transport/tracking.ts'

interface TrackOptions {
  from?: string
  to?: string
  messageId?: string
  queueId?: string
  since?: string
  limit?: string
}

/** `tidings track`: the message-tracking log (received, delivered, deferred, bounced, expired …). */
export function registerTrack(program: Command, open: () => Promise<AdminContext>): void {
  program.command('track')
    .description('Search the message-tracking log')
    .option('--from <address>', 'envelope sender (use "" for the null sender of DSNs)')
    .option('--to <address>', 'a recipient')
    .option('--message-id <id>', 'the Message-ID header (with or without <>)')
    .option('--queue-id <id>', 'the queue id from the 250 reply')
    .option('--since <when>', 'a duration back from now (30m, 2h, 7d) or an ISO date')
    .option('--limit <n>', 'at most this many events', '1000')
    .action(async (options: TrackOptions) => {
      const admin = await open()
      try {
        const limit = Number(options.limit)
        if (!Number.isInteger(limit) || limit <= 0) throw new Error(`--limit must be a positive whole number, got "${options.limit}"`)
        const events = await queryEvents(admin.engine, {
          from: options.from, to: options.to, messageId: options.messageId, queueId: options.queueId,
          since: options.since === undefined ? undefined : sinceOf(options.since), limit,
        })
        admin.print(
          events.length === 0 ? 'No matching events' : events.map((e) =>
            `${new Date(e.at).toISOString()}  ${e.queueId}  ${e.event.padEnd(9)}  <${e.sender}> → ${e.recipient ?? '-'}${e.detail ? `  ${e.detail}` : ''}`),
          events.map((e) => ({ ...e, at: new Date(e.at).toISOString() })),
        )
      } finally {
        await admin.close()
      }
    })
}

function sinceOf(text: string): number {
  const ago = parseDuration(text)
  if (ago !== null && !/^\d{4}-/.test(text)) return Date.now() - ago
  const at = Date.parse(text)
  if (Number.isNaN(at)) throw new Error(`--since must be a duration (30m, 2h, 7d) or a date, got "${text}"`)
  return at
}
