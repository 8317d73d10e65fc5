import { pino, type Logger } from 'pino'
import pretty from 'pino-pretty'

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

/**
 * The server's logger: pino JSON lines (one object per event, for log shippers), or pino-pretty
 * when a person is watching a terminal. Pretty printing runs in-process (no worker thread), so
 * the last lines before an exit are never lost.
 */
export function createLogger(options: { level: string; pretty?: boolean; destination?: NodeJS.WritableStream }): Logger {
  if (!(LOG_LEVELS as readonly string[]).includes(options.level)) {
    throw new RangeError(`log_level must be one of ${LOG_LEVELS.join(', ')}, got "${options.level}"`)
  }
  const destination = options.destination ?? process.stdout
  const wantPretty = options.pretty ?? (destination === process.stdout && process.stdout.isTTY === true)
  const base = { level: options.level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime }
  if (wantPretty) {
    return pino(base, pretty({ colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname', destination: 1, sync: true }))
  }
  return pino(base, destination as pino.DestinationStream)
}
