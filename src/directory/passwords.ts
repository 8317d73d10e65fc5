import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto'

/**
 * scrypt password hashes with their parameters in the string, so parameters can be raised later
 * and old hashes still verify (and get upgraded at the next good login):
 * `$scrypt$N=32768,r=8,p=1$<salt base64>$<hash base64>`.
 */
export interface ScryptParams {
  N: number
  r: number
  p: number
}

/** 32 MiB and ~50 ms per hash: costly for an offline attacker, bearable for a login storm. */
export const DEFAULT_SCRYPT_PARAMS: ScryptParams = { N: 32768, r: 8, p: 1 }
const SALT_BYTES = 16
const KEY_BYTES = 32
/** A stored hash can't make us allocate more than this (a tampered N=2^30 would eat the host). */
const MAX_SCRYPT_MEMORY = 512 * 1024 * 1024
/** Longer passwords are refused before hashing: the work is ours, the bytes are the attacker's. */
export const MAX_PASSWORD_BYTES = 1024

const FORMAT = /^\$scrypt\$N=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/

export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT_PARAMS): Promise<string> {
  const salt = randomBytes(SALT_BYTES)
  const key = await derive(password, salt, params, KEY_BYTES)
  return `$scrypt$N=${params.N},r=${params.r},p=${params.p}$${salt.toString('base64')}$${key.toString('base64')}`
}

/** Constant-time check of a password against a stored hash; false for a malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored)
  if (!parsed || Buffer.byteLength(password) > MAX_PASSWORD_BYTES) return false
  const key = await derive(password, parsed.salt, parsed.params, parsed.key.length)
  return timingSafeEqual(key, parsed.key)
}

/** True when the hash was made with other parameters than `params` (upgrade it at login). */
export function needsRehash(stored: string, params: ScryptParams = DEFAULT_SCRYPT_PARAMS): boolean {
  const parsed = parseHash(stored)
  return !parsed || parsed.params.N !== params.N || parsed.params.r !== params.r || parsed.params.p !== params.p
}

function parseHash(stored: string): { params: ScryptParams; salt: Buffer; key: Buffer } | null {
  const m = FORMAT.exec(stored)
  if (!m) return null
  const params = { N: Number(m[1]), r: Number(m[2]), p: Number(m[3]) }
  const key = Buffer.from(m[5], 'base64')
  if (key.length < 16 || 128 * params.N * params.r * params.p > MAX_SCRYPT_MEMORY) return null
  return { params, salt: Buffer.from(m[4], 'base64'), key }
}

function derive(password: string, salt: Buffer, params: ScryptParams, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const maxmem = 256 * params.N * params.r * params.p
    scrypt(password.normalize('NFC'), salt, length, { ...params, maxmem }, (error, key) => (error ? reject(error) : resolve(key)))
  })
}
