import type { Migration } from './migration.ts'
import { initial } from './001-initial.ts'
import { queue } from './002-queue.ts'

/** Every migration, oldest first. Numbers are never reused; a released one is never edited. */
export const MIGRATIONS: readonly Migration[] = [initial, queue]
