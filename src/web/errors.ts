import type { FastifyError, FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { StoreError, type StoreErrorKind } from '../store/errors.ts'
import { DirectoryError, type DirectoryErrorKind } from '../directory/errors.ts'

/** StoreError kind → HTTP status: the one mapping for everything under `src/web/` (STYLE "Errors"). */
export const STORE_ERROR_STATUS: Record<StoreErrorKind, number> = {
  notFound: 404,
  expunged: 404,
  exists: 409,
  noPermission: 403,
  overQuota: 507,
  tooBig: 413,
  limit: 413,
  inUse: 423,
  invalid: 400,
  unavailable: 503,
}

const DIRECTORY_ERROR_STATUS: Record<DirectoryErrorKind, number> = {
  badCredentials: 401,
  disabled: 403,
  throttled: 429,
  unavailable: 503,
  invalid: 400,
  exists: 409,
  notFound: 404,
}

/** The status and client-safe message for any error; unknown errors are 500 with no detail. */
export function httpError(error: unknown): { status: number; message: string; retryAfterMs?: number } {
  if (error instanceof StoreError) return { status: STORE_ERROR_STATUS[error.kind], message: error.message }
  if (error instanceof DirectoryError) {
    const status = DIRECTORY_ERROR_STATUS[error.kind]
    const message = status === 401 ? 'Authentication failed' : error.message
    return { status, message, retryAfterMs: error.kind === 'throttled' ? error.retryAfterMs : undefined }
  }
  const statusCode = (error as FastifyError | undefined)?.statusCode
  // Fastify's own client errors (400 bad JSON, 413 body too large, 415 …) carry safe messages.
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return { status: statusCode, message: (error as Error).message }
  }
  return { status: 500, message: 'Internal Server Error' }
}

/** Installs the error and not-found handlers: plain text, never a stack trace. */
export function installErrorHandlers(app: FastifyInstance, log: Logger): void {
  app.setErrorHandler((error, request, reply) => {
    const { status, message, retryAfterMs } = httpError(error)
    if (status >= 500) log.error({ err: error, reqId: request.id, url: request.url }, 'web request failed')
    if (retryAfterMs) reply.header('retry-after', String(Math.ceil(retryAfterMs / 1000)))
    if (status === 401) reply.header('www-authenticate', 'Basic realm="Tidings", charset="UTF-8"')
    reply.code(status).type('text/plain; charset=utf-8').send(`${message}\n`)
  })
  app.setNotFoundHandler((_request, reply) => {
    reply.code(404).type('text/plain; charset=utf-8').send('Not Found\n')
  })
}
