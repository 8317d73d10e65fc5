/** Shared set-up for the POP3 interop tests: a server, users with mail, and a Python runner. */
import { execFile } from 'node:child_process'
import type { TestServer } from '../../support/start-server.ts'

/** A message with a line that needs dot-stuffing and one that looks like the terminator. */
export function sampleMessage(subject: string, body = 'Hello.\r\n.leading dot\r\n.\r\nbye\r\n'): Buffer {
  return Buffer.from(
    `From: Bob <bob@example.test>\r\nTo: alice@example.test\r\nSubject: ${subject}\r\n` +
    `Message-ID: <${subject.replace(/\W/g, '')}@example.test>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\n${body}`,
  )
}

/** Creates a user and delivers `messages` to their Inbox; returns the account id. */
export async function userWithMail(server: TestServer, address: string, password: string, messages: Buffer[]): Promise<number> {
  const principal = await server.addUser(address, password)
  for (const raw of messages) {
    const result = (await server.ctx.store.emails.deliver([principal.id], { raw })).get(principal.id)
    if (result instanceof Error) throw result
  }
  return principal.id
}

/** Runs a Python 3 script (stdin) with `env`; resolves with its stdout, parsed as JSON. */
export function python<T>(script: string, env: Record<string, string | number>): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = execFile('python3', ['-c', script], {
      env: { ...process.env, ...Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)])) },
      timeout: 60_000,
      maxBuffer: 64 * 1024 * 1024,
    }, (error, stdout, stderr) => {
      if (error) reject(new Error(`python failed: ${error.message}\n${stderr}`))
      else {
        try {
          resolve(JSON.parse(stdout) as T)
        } catch {
          reject(new Error(`python printed no JSON: ${stdout.slice(0, 500)}\n${stderr}`))
        }
      }
    })
    child.stdin?.end()
  })
}

/** Runs a command; resolves with exit code, stdout and stderr (never rejects on exit status). */
export function run(file: string, args: string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: options.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024, env: options.env ?? process.env }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
      resolve({ code, stdout: String(stdout), stderr: String(stderr) })
    })
  })
}
