import { sql, type Engine } from '../db/engine.ts'
import { VerifiedCache } from './verified-cache.ts'
import type { AuthContext, Credentials, Directory, Principal, Recipient } from './directory.ts'
import { DirectoryError } from './errors.ts'
import { normalizeDomain, parseAddress } from './addresses.ts'
import { DEFAULT_SCRYPT_PARAMS, hashPassword, needsRehash, verifyPassword, type ScryptParams } from './passwords.ts'
import { principalRowByAddress, principalRowById, toPrincipal } from './principals.ts'
import { localDomain, resolveAddress } from './resolve.ts'
import { AuthThrottle } from './throttle.ts'

/** Usernames longer than this are refused before any lookup (no address is longer, RFC 5321 4.5.3.1.3). */
const MAX_USERNAME_BYTES = 320

export interface SqlDirectoryOptions {
  throttle?: AuthThrottle
  /** Parameters for new hashes; hashes made with others are upgraded at the next good login. */
  scrypt?: ScryptParams
}

/** The directory over the database (tables of migration 001): what protocols authenticate and resolve with. */
export class SqlDirectory implements Directory {
  readonly #engine: Engine
  readonly #throttle: AuthThrottle
  readonly #scrypt: ScryptParams
  /** Hash compared for unknown users, so they take as long as known ones (no enumeration by timing). */
  #dummyHash: Promise<string> | undefined
  readonly #verified = new VerifiedCache()

  constructor(engine: Engine, options: SqlDirectoryOptions = {}) {
    this.#engine = engine
    this.#throttle = options.throttle ?? new AuthThrottle()
    this.#scrypt = options.scrypt ?? DEFAULT_SCRYPT_PARAMS
  }

  async authenticate(credentials: Credentials, context: AuthContext): Promise<Principal> {
    const username = credentials.username.trim()
    let address: string
    try {
      if (Buffer.byteLength(username) > MAX_USERNAME_BYTES) throw new Error('too long')
      address = await this.#canonical(username)
    } catch {
      address = username.toLowerCase().slice(0, MAX_USERNAME_BYTES)
    }
    this.#throttle.check(address, context.remote)
    const row = await principalRowByAddress(this.#engine, address)
    const secret = row?.secret ?? null
    this.#dummyHash ??= hashPassword('not a password', this.#scrypt)
    const ok = secret !== null
      ? await this.#verified.verify(secret, credentials.password, () => verifyPassword(credentials.password, secret))
      : await verifyPassword(credentials.password, await this.#dummyHash)
    if (!row || secret === null || !ok) {
      this.#throttle.failed(address, context.remote)
      throw new DirectoryError('badCredentials', 'Invalid username or password')
    }
    this.#throttle.succeeded(address)
    if (row.disabled === 1) throw new DirectoryError('disabled', 'Account disabled')
    if (needsRehash(secret, this.#scrypt)) {
      const upgraded = await hashPassword(credentials.password, this.#scrypt)
      // Only if unchanged meanwhile: a concurrent `passwd` wins.
      await this.#engine.write((tx) => tx.run(sql`UPDATE principals SET secret = ${upgraded} WHERE id = ${row.id} AND secret = ${secret}`))
    }
    return toPrincipal(this.#engine, row)
  }

  resolve(address: string): Promise<Recipient> {
    return resolveAddress(this.#engine, address)
  }

  async isLocalDomain(domain: string): Promise<boolean> {
    let name: string
    try {
      name = normalizeDomain(domain)
    } catch {
      return false
    }
    return (await localDomain(this.#engine, name)) !== null
  }

  async principal(id: number): Promise<Principal | undefined> {
    const row = await principalRowById(this.#engine, id)
    return row ? toPrincipal(this.#engine, row) : undefined
  }

  /** Normalised, with a domain alias replaced by the domain it stands for. */
  async #canonical(address: string): Promise<string> {
    const { local, domain } = parseAddress(address)
    const served = await localDomain(this.#engine, domain)
    return `${local}@${served?.name ?? domain}`
  }

  async principalByAddress(address: string): Promise<Principal | undefined> {
    let normalized: string
    try {
      normalized = await this.#canonical(address)
    } catch {
      return undefined
    }
    const row = await principalRowByAddress(this.#engine, normalized)
    return row ? toPrincipal(this.#engine, row) : undefined
  }
}
