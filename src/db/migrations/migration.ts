/** A numbered schema change, applied once in its own transaction. */
export interface Migration {
  readonly version: number
  readonly name: string
  /** SQL for the embedded engine. */
  readonly sqlite: string
}
