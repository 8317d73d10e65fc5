import type { Migration } from './migration.ts'
import { initial } from './001-initial.ts'
import { queue } from './002-queue.ts'
import { inlineBlobs } from './003-inline-blobs.ts'
import { deliveryPath } from './004-delivery-path.ts'
import { envelopeColumn } from './005-envelope-column.ts'
import { recoverableItems } from './006-recoverable-items.ts'

/** Every migration, oldest first. Numbers are never reused; a released one is never edited. */
export const MIGRATIONS: readonly Migration[] = [initial, queue, inlineBlobs, deliveryPath, envelopeColumn, recoverableItems]
