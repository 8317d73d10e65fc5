/**
 * The shape of a parsed message, computed once at ingest (`ingest.ts`) and kept in `emails.meta`,
 * so IMAP BODYSTRUCTURE, ENVELOPE and BODY[n.m] are answered without re-parsing the message.
 * All offsets are byte offsets into the stored (byte-identical) message.
 */

/** An address as IMAP ENVELOPE wants it (RFC 9051 7.5.2). Strings are raw (encoded-words kept). */
export interface EnvelopeAddress {
  name: string | null
  /** Obsolete source route; always null in practice. */
  adl: string | null
  /** Local part; for group syntax: the group name at the start, null at the end (host null). */
  mailbox: string | null
  host: string | null
}

export interface Envelope {
  date: string | null
  subject: string | null
  from: EnvelopeAddress[]
  sender: EnvelopeAddress[]
  replyTo: EnvelopeAddress[]
  to: EnvelopeAddress[]
  cc: EnvelopeAddress[]
  bcc: EnvelopeAddress[]
  inReplyTo: string | null
  messageId: string | null
}

export interface MimePart {
  /** Offset of the part's first header byte (for the root: 0). */
  headerStart: number
  /** Offset of the first body byte (after the blank line). */
  bodyStart: number
  /** Offset just past the body. */
  bodyEnd: number
  /** Lower-case media type and subtype; defaults per RFC 2045 (text/plain, or message/rfc822 in multipart/digest). */
  type: string
  subtype: string
  /** Content-Type parameters, names lower-case, RFC 2231 continuations joined and decoded to UTF-8. */
  params: Record<string, string>
  /**
   * Content-Type parameters as written (name lower-case), for IMAP BODYSTRUCTURE as Dovecot sends them:
   * RFC 2231 continuations merged into one still-encoded `name*`, and text/* gets charset us-ascii if absent.
   */
  rawParams: Array<[string, string]>
  id: string | null
  description: string | null
  /** Lower-case Content-Transfer-Encoding; '7bit' when absent. */
  encoding: string
  md5: string | null
  disposition: { type: string; params: Record<string, string>; rawParams: Array<[string, string]> } | null
  language: string[] | null
  location: string | null
  /** Body size in octets (bodyEnd - bodyStart). */
  size: number
  /** Body lines, for text/* and message/rfc822 (RFC 9051 BODYSTRUCTURE). */
  lines: number
  /** Children of a multipart. */
  parts?: MimePart[]
  /** The encapsulated message of a message/rfc822 (or message/global) part. */
  message?: { envelope: Envelope; root: MimePart }
}

/** What ingest hands the store besides the raw bytes. */
export interface ParsedMessage {
  envelope: Envelope
  mime: MimePart
  /** Raw header block of the root, including the terminating blank line. */
  header: Uint8Array
  /** Decoded subject (RFC 2047), '' when absent. */
  subject: string
  /** RFC 5256 base subject, for SORT and THREAD. */
  baseSubject: string
  /** Date: header as ms since epoch, null when absent or unparsable. */
  sentAt: number | null
  messageId: string | null
  /** In-Reply-To and References ids, in order, without angle brackets. */
  references: string[]
  /** Decoded address header values, for search and sort ("Name <a@b>" joined by ', '). */
  from: string
  to: string
  cc: string
  bcc: string
  /** First From address (lower-case addr-spec), for SORT FROM (RFC 5256 uses the mailbox). */
  sortFrom: string
  sortTo: string
  sortCc: string
  /** Decoded text of text/* parts (HTML as text), for the full-text index. */
  text: string
  /** Attachment file names, space-separated. */
  attachmentNames: string
  /** First ~256 characters of readable text (RFC 8970 PREVIEW, JMAP preview). */
  preview: string
}
