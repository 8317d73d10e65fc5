import type { MimePart } from '../../../store/mime.ts'
import { encodeNString, encodeString } from '../wire/encoder.ts'
import { encodeEnvelope } from './envelope.ts'

/**
 * BODY / BODYSTRUCTURE (RFC 9051 §7.5.2) from the MIME tree computed at delivery. Parameters are
 * sent as written in the message (RFC 2231 continuations and encoded-words untouched), as
 * Dovecot does, so clients decode them the way they already do for Dovecot.
 */
export function encodeBodyStructure(part: MimePart, extensible: boolean, utf8: boolean): string {
  const s = (v: string | null) => encodeNString(v, utf8)
  if (part.parts && part.parts.length) {
    let out = '(' + part.parts.map((p) => encodeBodyStructure(p, extensible, utf8)).join('') + ' ' + encodeString(part.subtype, utf8)
    if (extensible) out += ` ${params(part.rawParams, utf8)} ${disposition(part, utf8)} ${language(part, utf8)} ${s(part.location)}`
    return out + ')'
  }
  let out = `(${encodeString(part.type, utf8)} ${encodeString(part.subtype, utf8)} ${params(part.rawParams, utf8)} ${s(part.id)} ${s(part.description)} ${encodeString(part.encoding, utf8)} ${part.size}`
  if (part.message && (part.type === 'message' && (part.subtype === 'rfc822' || part.subtype === 'global'))) {
    out += ` ${encodeEnvelope(part.message.envelope, utf8)} ${encodeBodyStructure(part.message.root, extensible, utf8)} ${part.lines}`
  } else if (part.type === 'text') {
    out += ` ${part.lines}`
  }
  if (extensible) out += ` ${s(part.md5)} ${disposition(part, utf8)} ${language(part, utf8)} ${s(part.location)}`
  return out + ')'
}

function params(pairs: ReadonlyArray<[string, string]>, utf8: boolean): string {
  if (!pairs.length) return 'NIL'
  return '(' + pairs.map(([k, v]) => `${encodeString(k, utf8)} ${encodeString(v, utf8)}`).join(' ') + ')'
}

function disposition(part: MimePart, utf8: boolean): string {
  const d = part.disposition
  if (!d) return 'NIL'
  return `(${encodeString(d.type, utf8)} ${params(d.rawParams, utf8)})`
}

function language(part: MimePart, utf8: boolean): string {
  if (!part.language || !part.language.length) return 'NIL'
  return '(' + part.language.map((l) => encodeString(l, utf8)).join(' ') + ')'
}
