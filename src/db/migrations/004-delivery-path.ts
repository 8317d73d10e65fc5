import type { Migration } from './migration.ts'

/**
 * The delivery path (bench: durable deliveries/s), two changes.
 *
 * 1. The full-text index queue (src/store/search-indexer.ts). Indexing a message in FTS5 inside its
 * delivery transaction cost more than everything else the delivery wrote: FTS5 flushes its
 * pending terms to a new segment at every savepoint, so each delivery of a group commit made its
 * own segment and merge work. A delivery now only records its document here, in its own
 * transaction (so the queue is as durable as the mail); a background indexer indexes the queue in
 * batches and deletes what it indexed. A crash before indexing leaves the rows here, and the next
 * open indexes them. Searches index what is queued before they run, so they never miss mail.
 *
 * 2. `blob_data` becomes a rowid table. As WITHOUT ROWID (migration 3) its ~2 KiB rows sat in
 * sha256 order, so every delivery inserted a big row at a random place in the tree: page splits
 * and several pages written to the WAL per message (measured: ~300 µs of insert and COMMIT per
 * row, 2 KiB rows, against ~100 µs now). Now rows are appended in insertion order and only the
 * small primary-key index entry lands at a random place. Same columns, same statements.
 */
export const deliveryPath: Migration = {
  version: 4,
  name: 'delivery-path',
  sqlite: `
CREATE TABLE blob_data_by_rowid (
  id TEXT PRIMARY KEY,                 -- sha256 hex of the original bytes, as blobs.id
  data BLOB NOT NULL                   -- format byte + payload (raw or zstd)
);
INSERT INTO blob_data_by_rowid (id, data) SELECT id, data FROM blob_data;
DROP TABLE blob_data;
ALTER TABLE blob_data_by_rowid RENAME TO blob_data;

CREATE TABLE text_pending (
  id INTEGER PRIMARY KEY,              -- the email_text rowid to index (= the email that brought the bytes)
  blob_id TEXT NOT NULL                -- whose bytes hold the text; the row is dropped if the blob no longer names this document
);
`,
}
