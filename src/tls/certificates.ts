import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs'
import { X509Certificate } from 'node:crypto'
import { join } from 'node:path'
import { createSecureContext, type SecureContextOptions } from 'node:tls'
import type { Logger } from 'pino'
import { generate } from 'selfsigned'
import type { TlsMaterial } from '../server-context.ts'

/**
 * TLS 1.2 suites: forward secrecy and AEAD only (Mozilla "intermediate"); TLS 1.3 suites are all
 * modern and left to OpenSSL's default.
 */
export const MODERN_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDHE-RSA-CHACHA20-POLY1305',
].join(':')
const TLS_VERSIONS = ['TLSv1.2', 'TLSv1.3'] as const
/** A generated certificate is renewed this long before it expires. */
const RENEW_BEFORE_MS = 30 * 86_400_000
const SELF_SIGNED_DAYS = 825

export interface TlsOptions {
  /** PEM paths; both empty means a self-signed certificate in `dataDir/tls/`. */
  certPath: string
  keyPath: string
  minVersion: string
  hostname: string
  dataDir: string
  log?: Logger
}

export interface ReloadableTls extends TlsMaterial {
  /** Re-reads the files (SIGHUP); existing connections keep the context they started with. */
  reload(): Promise<void>
  /** Where the certificate came from: the configured path or the generated file. */
  readonly certPath: string
  onReload(listener: () => void): () => void
}

export async function loadTlsMaterial(options: TlsOptions): Promise<ReloadableTls> {
  if (!(TLS_VERSIONS as readonly string[]).includes(options.minVersion)) {
    throw new RangeError(`tls.min_version must be TLSv1.2 or TLSv1.3, got "${options.minVersion}"`)
  }
  if ((options.certPath === '') !== (options.keyPath === '')) {
    throw new RangeError('tls.cert and tls.key must be set together (or both left empty for a self-signed certificate)')
  }
  let certPath = options.certPath
  let keyPath = options.keyPath
  if (certPath === '') {
    const dir = join(options.dataDir, 'tls')
    certPath = join(dir, 'self-signed.crt')
    keyPath = join(dir, 'self-signed.key')
    if (!usable(certPath, options.hostname)) {
      await generateSelfSigned(dir, certPath, keyPath, options.hostname)
      options.log?.info({ cert: certPath, hostname: options.hostname }, 'generated a self-signed TLS certificate; set tls.cert and tls.key for a real one')
    }
  }
  const minVersion = options.minVersion as 'TLSv1.2' | 'TLSv1.3'
  const read = (): SecureContextOptions => {
    const cert = readPem(certPath, 'tls.cert')
    const key = readPem(keyPath, 'tls.key')
    const options: SecureContextOptions = { cert, key, minVersion, ciphers: MODERN_CIPHERS, honorCipherOrder: true }
    // Build one context now so a key that does not match its certificate fails here, in one line,
    // rather than at the first client's handshake.
    try {
      createSecureContext(options)
    } catch (error) {
      throw new Error(`TLS certificate ${certPath} and key ${keyPath} are unusable: ${(error as Error).message}`, { cause: error })
    }
    return options
  }
  let current = read()
  const listeners = new Set<() => void>()
  return {
    certPath,
    current: () => current,
    onReload(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    async reload() {
      current = read() // Throws, keeping the old material, if the new files are bad.
      for (const listener of listeners) {
        try {
          listener()
        } catch (error) {
          options.log?.error({ err: error }, 'a TLS listener could not take the reloaded certificate')
        }
      }
      options.log?.info({ cert: certPath }, 'TLS certificate reloaded')
    },
  }
}

/** A generated certificate is reused while it names the hostname and is not about to expire. */
function usable(certPath: string, hostname: string): boolean {
  if (!existsSync(certPath)) return false
  try {
    const cert = new X509Certificate(readFileSync(certPath))
    return cert.checkHost(hostname) !== undefined && Date.parse(cert.validTo) - Date.now() > RENEW_BEFORE_MS
  } catch {
    return false
  }
}

async function generateSelfSigned(dir: string, certPath: string, keyPath: string, hostname: string): Promise<void> {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const now = new Date()
  const pems = await generate([{ name: 'commonName', value: hostname }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now.getTime() - 86_400_000),
    notAfterDate: new Date(now.getTime() + SELF_SIGNED_DAYS * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: hostname }, { type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] },
    ],
  })
  // Written aside then renamed, key first: a crash never leaves a certificate without its key.
  writeFileSync(keyPath + '.tmp', pems.private, { mode: 0o600 })
  renameSync(keyPath + '.tmp', keyPath)
  writeFileSync(certPath + '.tmp', pems.cert)
  renameSync(certPath + '.tmp', certPath)
}

function readPem(path: string, key: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    throw new Error(`Cannot read ${key} file ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`, { cause: error })
  }
}
