import { join, resolve } from 'node:path'
import type { Config } from '../../config/load.ts'
import { FsBlobStore } from '../../store/blobs/fs.ts'

/**
 * The queue's spool: message bytes waiting for delivery, content-addressed like the store's blobs
 * but in their own directory (`<data_dir>/queue`), so `tidings verify` never mistakes a queued
 * message for an orphaned store blob. Shared by the server and the `tidings queue` commands.
 */
export function openSpool(config: Config): FsBlobStore {
  return new FsBlobStore(join(resolve(config.string('data_dir')), 'queue'), { durable: config.boolean('durable') })
}
