import type { Migration } from './migration.ts'

/**
 * The transport's own persistence: the durable outbound queue (one row per message, one per
 * recipient with its own state and retry schedule) and the append-only message-tracking log.
 * The message bytes live in the queue's blob spool; `blob_id` names them.
 */
export const queue: Migration = {
  version: 2,
  name: 'queue',
  sqlite: `
CREATE TABLE queue_messages (
  id TEXT PRIMARY KEY,                 -- queue id, also the delivery id for idempotent local delivery
  blob_id TEXT NOT NULL,               -- sha256 of the spooled bytes (trace headers included)
  size INTEGER NOT NULL,
  sender TEXT NOT NULL,                -- envelope MAIL FROM; '' is the null sender (never bounced to)
  message_id TEXT,                     -- the Message-ID header, for tracking searches
  envid TEXT,                          -- RFC 3461 ENVID
  ret TEXT,                            -- RFC 3461 RET: FULL | HDRS | NULL
  auth_user TEXT,                      -- submission: who sent it
  client TEXT,                         -- remote address it came from
  origin TEXT NOT NULL,                -- mx | submission | dsn
  received_at INTEGER NOT NULL,
  warned INTEGER NOT NULL DEFAULT 0    -- a delay DSN was sent
);

CREATE TABLE queue_recipients (
  queue_id TEXT NOT NULL REFERENCES queue_messages(id) ON DELETE CASCADE,
  address TEXT NOT NULL,               -- final destination address
  original TEXT NOT NULL,              -- the RCPT TO it came from (alias/group), for DSNs
  orcpt TEXT,                          -- RFC 3461 ORCPT as received
  notify TEXT,                         -- RFC 3461 NOTIFY, comma-separated, NULL when absent
  kind TEXT NOT NULL CHECK (kind IN ('local', 'remote')),
  account_id INTEGER,                  -- local: the mailbox
  domain TEXT NOT NULL,                -- remote: routing key
  state TEXT NOT NULL CHECK (state IN ('queued', 'delivered', 'bounced', 'expired')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt INTEGER NOT NULL,
  last_attempt INTEGER,
  last_reply TEXT,
  remote_mta TEXT,
  PRIMARY KEY (queue_id, address)
);
CREATE INDEX queue_recipients_due ON queue_recipients(state, next_attempt);

CREATE TABLE tracking_events (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  queue_id TEXT NOT NULL,
  event TEXT NOT NULL,                 -- received | delivered | deferred | bounced | expired | delayed
  sender TEXT NOT NULL,
  recipient TEXT,
  message_id TEXT,
  detail TEXT                          -- the remote reply or the reason
);
CREATE INDEX tracking_events_at ON tracking_events(at);
CREATE INDEX tracking_events_queue ON tracking_events(queue_id);
`,
}
