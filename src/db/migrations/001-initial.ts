import type { Migration } from './migration.ts'

/** The directory and the Information Store. */
export const initial: Migration = {
  version: 1,
  name: 'initial',
  sqlite: `
CREATE TABLE domains (
  name TEXT PRIMARY KEY,             -- lower-case, IDN as A-label (punycode)
  alias_of TEXT REFERENCES domains(name) ON DELETE CASCADE,
  catch_all TEXT,                    -- address that receives mail for unknown local parts
  created_at INTEGER NOT NULL
);

CREATE TABLE principals (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('user', 'group', 'shared', 'room', 'equipment')),
  address TEXT NOT NULL UNIQUE,      -- primary address, normalised
  name TEXT NOT NULL DEFAULT '',
  secret TEXT,                       -- scrypt hash with its parameters
  quota_bytes INTEGER,
  quota_messages INTEGER,
  disabled INTEGER NOT NULL DEFAULT 0,
  admin INTEGER NOT NULL DEFAULT 0,
  internal_only INTEGER NOT NULL DEFAULT 0,  -- groups: accept only senders of local domains
  created_at INTEGER NOT NULL
);

-- Every address a principal answers to: its primary one and proxy addresses.
CREATE TABLE addresses (
  address TEXT PRIMARY KEY,
  principal_id INTEGER NOT NULL REFERENCES principals(id) ON DELETE CASCADE
);
CREATE INDEX addresses_principal ON addresses(principal_id);

-- Aliases that forward to other addresses (local or remote).
CREATE TABLE aliases (
  address TEXT NOT NULL,
  target TEXT NOT NULL,
  PRIMARY KEY (address, target)
) WITHOUT ROWID;

CREATE TABLE group_members (
  group_id INTEGER NOT NULL REFERENCES principals(id) ON DELETE CASCADE,
  member TEXT NOT NULL,              -- an address: user, group (nesting), alias or remote
  PRIMARY KEY (group_id, member)
) WITHOUT ROWID;

-- The Information Store: one account (mailbox) per principal that holds items. The id is the
-- principal's, but there is no foreign key: the store stands alone (its conformance suite runs
-- without a directory), and removing a principal must go through store.accounts.remove so that
-- blob references are released.
CREATE TABLE accounts (
  id INTEGER PRIMARY KEY,
  modseq INTEGER NOT NULL DEFAULT 1,  -- one counter, bumped by every change
  used_bytes INTEGER NOT NULL DEFAULT 0,
  used_messages INTEGER NOT NULL DEFAULT 0,
  quota_bytes INTEGER,
  quota_messages INTEGER,
  last_uid_validity INTEGER NOT NULL DEFAULT 0  -- UIDVALIDITY is never reused (RFC 9051 2.3.1.1)
);

CREATE TABLE folders (
  id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: ids appear in change tombstones
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  path TEXT NOT NULL,                 -- full name, '/'-separated, NFC
  type TEXT NOT NULL CHECK (type IN ('mail', 'calendar', 'contacts', 'tasks', 'notes')),
  role TEXT,                          -- inbox, drafts, sent, trash, junk, archive, …
  uid_validity INTEGER NOT NULL,
  uid_next INTEGER NOT NULL DEFAULT 1,
  subscribed INTEGER NOT NULL DEFAULT 1,
  modseq INTEGER NOT NULL,            -- last change to the folder or its contents
  created_modseq INTEGER NOT NULL,
  UNIQUE (account_id, path)
);

-- Blobs are content-addressed and shared by every mailbox that holds them.
CREATE TABLE blobs (
  id TEXT PRIMARY KEY,                -- sha256, hex
  size INTEGER NOT NULL,
  refs INTEGER NOT NULL DEFAULT 0,
  text_id INTEGER,                    -- its document in email_text: indexed once, like the bytes
  created_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE emails (
  id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: ids appear in tombstones and the FTS index
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  blob_id TEXT NOT NULL REFERENCES blobs(id),
  thread_id INTEGER NOT NULL,
  text_id INTEGER,                     -- its email_text document when not its own id (a later copy of the bytes)
  size INTEGER NOT NULL,
  received_at INTEGER NOT NULL,        -- IMAP internal date, ms
  sent_at INTEGER,                     -- Date: header, ms
  flags INTEGER NOT NULL DEFAULT 0,    -- bitmask of $seen $answered $flagged $deleted $draft
  keywords TEXT,                       -- JSON array of other keywords, or NULL
  message_id TEXT,
  subject TEXT NOT NULL DEFAULT '',
  base_subject TEXT NOT NULL DEFAULT '', -- RFC 5256 base subject, for SORT/THREAD
  from_addr TEXT NOT NULL DEFAULT '',  -- first From address, for SORT
  to_addr TEXT NOT NULL DEFAULT '',
  cc_addr TEXT NOT NULL DEFAULT '',
  from_text TEXT NOT NULL DEFAULT '',  -- decoded header values, for SEARCH FROM/TO/CC/BCC
  to_text TEXT NOT NULL DEFAULT '',
  cc_text TEXT NOT NULL DEFAULT '',
  bcc_text TEXT NOT NULL DEFAULT '',
  modseq INTEGER NOT NULL
);
CREATE INDEX emails_account ON emails(account_id);
CREATE INDEX emails_thread ON emails(account_id, thread_id);
CREATE INDEX emails_message_id ON emails(account_id, message_id);
CREATE INDEX emails_blob ON emails(blob_id);

-- What parsing the bytes once gave, kept once per blob (like the bytes and the full-text
-- document, under the same id: the first email that brought these bytes). Apart from emails so
-- that scans over a big folder (SEARCH, STATUS) read small rows.
CREATE TABLE email_meta (
  id INTEGER PRIMARY KEY,             -- = coalesce(emails.text_id, emails.id) = the email_text rowid
  meta TEXT NOT NULL,                 -- JSON: envelope, MIME tree with offsets, references
  header BLOB NOT NULL,               -- the raw header block, so header fetches skip the blob
  preview TEXT NOT NULL DEFAULT ''
);

-- An email in a mail folder, with its IMAP UID.
CREATE TABLE memberships (
  folder_id INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
  uid INTEGER NOT NULL,
  email_id INTEGER NOT NULL REFERENCES emails(id) ON DELETE CASCADE,
  modseq INTEGER NOT NULL,
  text_id INTEGER NOT NULL,           -- the email's email_text document: text SEARCH reads only this table
  flags INTEGER NOT NULL,             -- = emails.flags, and the size: STATUS and flag searches read only this table
  size INTEGER NOT NULL,
  PRIMARY KEY (folder_id, uid)
) WITHOUT ROWID;
CREATE INDEX memberships_text ON memberships(text_id, folder_id);  -- full-text hits → UIDs
CREATE INDEX memberships_email ON memberships(email_id);
CREATE INDEX memberships_modseq ON memberships(folder_id, modseq);

-- Expunged UIDs per folder, for QRESYNC VANISHED.
CREATE TABLE expunged (
  folder_id INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
  uid INTEGER NOT NULL,
  modseq INTEGER NOT NULL,
  PRIMARY KEY (folder_id, uid)
) WITHOUT ROWID;
CREATE INDEX expunged_modseq ON expunged(folder_id, modseq);

-- Thread lookup: message ids seen in an account and the thread they joined.
CREATE TABLE thread_refs (
  account_id INTEGER NOT NULL,
  message_id TEXT NOT NULL,
  thread_id INTEGER NOT NULL,
  PRIMARY KEY (account_id, message_id)
) WITHOUT ROWID;

-- Calendar, contact, task and note items: a blob plus the fields queries need.
CREATE TABLE items (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  folder_id INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
  type TEXT NOT NULL,
  uid TEXT NOT NULL,                   -- iCalendar UID / vCard UID
  blob_id TEXT NOT NULL REFERENCES blobs(id),
  fields TEXT NOT NULL DEFAULT '{}',   -- JSON of indexed fields
  modseq INTEGER NOT NULL,
  UNIQUE (folder_id, uid)
);
CREATE INDEX items_blob ON items(blob_id);
CREATE INDEX items_account ON items(account_id);

-- The change log: the latest change per object, tombstones included (destroyed = 1).
CREATE TABLE changes (
  account_id INTEGER NOT NULL,
  type TEXT NOT NULL,                  -- folder, email, item
  object_id INTEGER NOT NULL,
  created_modseq INTEGER NOT NULL,
  modseq INTEGER NOT NULL,
  destroyed INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (account_id, type, object_id)
) WITHOUT ROWID;
CREATE INDEX changes_modseq ON changes(account_id, modseq);

-- Local deliveries already done, so a replayed queue entry does not deliver twice.
CREATE TABLE deliveries (
  delivery_id TEXT NOT NULL,
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  result TEXT NOT NULL,                -- JSON of the first AppendResult
  created_at INTEGER NOT NULL,
  PRIMARY KEY (delivery_id, account_id)
) WITHOUT ROWID;

CREATE VIRTUAL TABLE email_text USING fts5(
  subject, addresses, body, attachments,
  content = '', contentless_delete = 1,
  tokenize = 'unicode61 remove_diacritics 2'
);
`,
}
