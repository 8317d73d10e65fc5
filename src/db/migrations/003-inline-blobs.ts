import type { Migration } from './migration.ts'

/**
 * Small blobs inside the database (src/store/blobs/inline.ts): their bytes are written in the
 * same transaction as the `blobs` row that counts their references, so one group-committed WAL
 * sync makes a whole batch of deliveries durable instead of one file fsync (plus directory
 * fsyncs) per message. `data` is one format byte (0 raw, 1 zstd) then the payload, exactly the
 * layout of a blob file, so the one decoder serves both. A row here always has its `blobs` row;
 * both are deleted together by the sweep.
 */
export const inlineBlobs: Migration = {
  version: 3,
  name: 'inline-blobs',
  sqlite: `
CREATE TABLE blob_data (
  id TEXT PRIMARY KEY,                 -- sha256 hex of the original bytes, as blobs.id
  data BLOB NOT NULL                   -- format byte + payload (raw or zstd)
) WITHOUT ROWID;
`,
}
