/**
 * Limits of the ingest parser. Every message comes from the network, so each loop the parser runs
 * is bounded by one of these, named for the attack it stops (postal-mime's MAX_RFC822_NESTING_DEPTH).
 */

/**
 * Multipart/message nesting deeper than this is kept as an opaque application/octet-stream part.
 * Stops stack exhaustion and depth × size rescanning by a message of 10 000 nested multiparts.
 */
export const MAX_MIME_DEPTH = 32

/**
 * At most this many MIME parts per message; later parts are left out of the tree (their bytes stay
 * in the message). Stops a 1 MB message of 100 000 empty parts from making a 100 MB metadata row.
 */
export const MAX_MIME_PARTS = 2000

/**
 * Only this much of a header block is read for fields (the block's extent is still found exactly).
 * Stops 1 MB header lines and million-field headers from costing memory and time per field.
 */
export const MAX_HEADER_BYTES = 256 * 1024

/** At most this many fields are kept per header block: a flood of tiny fields is the same attack. */
export const MAX_HEADER_FIELDS = 2000

/**
 * At most this much decoded text (UTF-16 code units) goes to the full-text index per message.
 * Stops a 50 MB text attachment from making a 50 MB index row (and the time to decode it).
 */
export const MAX_INDEXED_TEXT = 1024 * 1024

/** Comments nest (RFC 5322 3.2.2); deeper nesting than this is read as flat text. */
export const MAX_COMMENT_DEPTH = 32

/** RFC 2231 continuations beyond this index are ignored: `name*99999=` must not allocate a sparse array. */
export const MAX_PARAM_CONTINUATIONS = 1000
