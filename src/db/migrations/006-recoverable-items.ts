import type { Migration } from './migration.ts'

/**
 * Exchange's Recoverable Items ("deleted item retention"): an email destroyed by an expunge or a
 * folder deletion is kept here, with everything needed to put it back, until
 * `store.deleted_item_retention` has passed. The row holds the email's reference on its blob (so
 * the bytes, full-text document and metadata stay), but it is in no folder, has no UID and counts
 * against no quota: protocols cannot see it. No foreign keys: the folder it left may be gone
 * (restore then uses "Recovered Items"), and removing an account releases its rows itself.
 */
export const recoverableItems: Migration = {
  version: 6,
  name: 'recoverable-items',
  sqlite: `
CREATE TABLE recoverable_items (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id INTEGER NOT NULL,
  folder_id INTEGER NOT NULL,          -- the folder it left (ids are never reused)
  folder_path TEXT NOT NULL,           -- its path then, for listing when the folder is gone
  email_id INTEGER NOT NULL,           -- the destroyed email (its full-text document may bear this id)
  deleted_at INTEGER NOT NULL,         -- ms
  blob_id TEXT NOT NULL,               -- one reference in blobs.refs, held until restore or purge
  thread_id INTEGER NOT NULL,
  text_id INTEGER,
  size INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  sent_at INTEGER,
  flags INTEGER NOT NULL,
  keywords TEXT,
  message_id TEXT,
  subject TEXT NOT NULL,
  base_subject TEXT NOT NULL,
  from_addr TEXT NOT NULL,
  to_addr TEXT NOT NULL,
  cc_addr TEXT NOT NULL,
  from_text TEXT NOT NULL,
  to_text TEXT NOT NULL,
  cc_text TEXT NOT NULL,
  bcc_text TEXT NOT NULL
);
CREATE INDEX recoverable_items_account ON recoverable_items(account_id, deleted_at);
CREATE INDEX recoverable_items_deleted ON recoverable_items(deleted_at);
CREATE INDEX recoverable_items_blob ON recoverable_items(blob_id);

-- What each account retains, kept exact by the triggers below, so that checking the Recoverable
-- Items quota on every expunge reads one row instead of summing a dumpster of any size.
CREATE TABLE recoverable_usage (
  account_id INTEGER PRIMARY KEY,
  bytes INTEGER NOT NULL DEFAULT 0,
  items INTEGER NOT NULL DEFAULT 0
);
CREATE TRIGGER recoverable_items_added AFTER INSERT ON recoverable_items BEGIN
  INSERT OR IGNORE INTO recoverable_usage (account_id) VALUES (NEW.account_id);
  UPDATE recoverable_usage SET bytes = bytes + NEW.size, items = items + 1 WHERE account_id = NEW.account_id;
END;
CREATE TRIGGER recoverable_items_removed AFTER DELETE ON recoverable_items BEGIN
  UPDATE recoverable_usage SET bytes = bytes - OLD.size, items = items - 1 WHERE account_id = OLD.account_id;
END;
`,
}
