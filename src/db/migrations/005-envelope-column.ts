import type { Migration } from './migration.ts'

/**
 * The envelope JSON of a `meta` value, with `sender` and `replyTo` left out when they repeat
 * `from`, as they do in nearly every message (ingest fills them from From when absent); readers
 * put `from` back in their place. Removing a path that does not exist changes nothing.
 */
function envelopeOf(meta: string): string {
  const same = (field: string) => `json_extract(${meta}, '$.envelope.${field}') = json_extract(${meta}, '$.envelope.from')`
  return `json_remove(json_extract(${meta}, '$.envelope'),
    CASE WHEN ${same('sender')} THEN '$.sender' ELSE '$.none' END,
    CASE WHEN ${same('replyTo')} THEN '$.replyTo' ELSE '$.none' END)`
}

/**
 * The envelope in a column of its own, so that FETCH ENVELOPE (a client listing a folder of
 * 100,000 messages) reads and parses a few hundred bytes per message instead of the whole `meta`
 * JSON with its MIME tree. Existing rows are filled here, in the migration's transaction; new
 * rows by a trigger, so every writer fills it, whatever schema version its code was written for
 * (the upgrade test fills a data dir with the oldest schema using today's store code).
 * `meta` keeps its envelope too: BODYSTRUCTURE of an encapsulated message reads it from there.
 */
export const envelopeColumn: Migration = {
  version: 5,
  name: 'envelope-column',
  sqlite: `
ALTER TABLE email_meta ADD COLUMN envelope TEXT;  -- JSON: meta's envelope (see envelopeOf); NULL = read meta
UPDATE email_meta SET envelope = ${envelopeOf('meta')};
CREATE TRIGGER email_meta_envelope AFTER INSERT ON email_meta BEGIN
  UPDATE email_meta SET envelope = ${envelopeOf('NEW.meta')} WHERE id = NEW.id;
END;
`,
}
