/**
 * SMTP load: `connections` sessions, each sending messages back to back with PIPELINING until
 * the worker's share of `messages` is gone. Every message has a unique Message-ID. Runs inside a
 * worker (see workers.ts); exported `run` is its entry.
 */
import { SmtpClient } from '../lib/smtp-client.ts'
import { makeMessage } from '../lib/message.ts'

export interface SmtpSenderInput {
  port: number
  connections: number
  /** Stop after this many messages, or at `durationMs`, whichever comes first. */
  messages: number
  durationMs: number
  size: number
  from: string
  /** Recipients, used round-robin, one per message. */
  recipients: string[]
  /** Makes Message-IDs unique across workers and runs. */
  idPrefix: string
}

export interface SmtpSenderResult {
  accepted: number
  refused: number
  /** The first refusal or connection error, verbatim. */
  firstError: string | null
  /** performance.timeOrigin-based wall-clock ms, comparable across workers. */
  startedAt: number
  endedAt: number
}

export async function run(input: SmtpSenderInput): Promise<SmtpSenderResult> {
  const result: SmtpSenderResult = { accepted: 0, refused: 0, firstError: null, startedAt: now(), endedAt: 0 }
  let next = 0
  const deadline = now() + input.durationMs
  const session = async (c: number) => {
    let client: SmtpClient
    try {
      client = await SmtpClient.connect(input.port)
    } catch (error) {
      result.firstError ??= `connect: ${(error as Error).message}`
      return
    }
    try {
      while (next < input.messages && now() < deadline) {
        const n = next++
        const to = input.recipients[n % input.recipients.length]
        const raw = makeMessage({ size: input.size, from: input.from, to, id: `${input.idPrefix}.${c}.${n}` })
        const reply = await client.send(input.from, [to], raw)
        if (reply.code === 250) result.accepted++
        else {
          result.refused++
          result.firstError ??= `${reply.code} ${reply.text}`
        }
      }
      await client.quit()
    } catch (error) {
      result.firstError ??= (error as Error).message
      client.socket.destroy()
    }
  }
  await Promise.all(Array.from({ length: input.connections }, (_, c) => session(c)))
  result.endedAt = now()
  return result
}

function now(): number {
  return performance.timeOrigin + performance.now()
}
