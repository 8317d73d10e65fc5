/**
 * POP3 load: log in, STAT, RETR 1..N one after another (a client downloading a maildrop), QUIT
 * without DELE so the next run finds the same messages. Runs inside a worker (see workers.ts).
 */
import { Pop3Client } from '../lib/pop3-client.ts'

export interface Pop3RetrieverInput {
  port: number
  address: string
  password: string
  /** Messages to retrieve (fewer if the maildrop holds fewer). */
  count: number
}

export interface Pop3RetrieverResult {
  retrieved: number
  bytes: number
  seconds: number
  firstError: string | null
}

export async function run(input: Pop3RetrieverInput): Promise<Pop3RetrieverResult> {
  const result: Pop3RetrieverResult = { retrieved: 0, bytes: 0, seconds: 0, firstError: null }
  const client = await Pop3Client.connect(input.port)
  try {
    await client.login(input.address, input.password)
    const count = Math.min(input.count, await client.stat())
    const t0 = performance.now()
    for (let i = 1; i <= count; i++) {
      const reply = await client.command(`RETR ${i}`, true)
      if (!reply.ok) {
        result.firstError ??= `RETR ${i}: ${reply.text}`
        continue
      }
      result.retrieved++
      result.bytes += reply.bodyBytes
    }
    result.seconds = (performance.now() - t0) / 1000
    await client.quit()
  } catch (error) {
    result.firstError ??= (error as Error).message
    client.socket.destroy()
  }
  return result
}
