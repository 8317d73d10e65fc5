/**
 * Decompressed blobs kept in memory for repeated FETCHes of the same message, least recently used
 * out first, bounded in bytes (a client fetching many messages cannot grow it past `maxBytes`).
 */
export class ByteCache {
  readonly #entries = new Map<string, Uint8Array>()
  readonly #maxBytes: number
  readonly #maxEntry: number
  #bytes = 0

  constructor(maxBytes: number, maxEntry: number) {
    this.#maxBytes = maxBytes
    this.#maxEntry = maxEntry
  }

  get(id: string): Uint8Array | undefined {
    const hit = this.#entries.get(id)
    if (hit) {
      // Refresh its place in the LRU order.
      this.#entries.delete(id)
      this.#entries.set(id, hit)
    }
    return hit
  }

  set(id: string, bytes: Uint8Array): void {
    // One big blob must not evict every small message.
    if (bytes.byteLength > this.#maxEntry || this.#entries.has(id)) return
    this.#entries.set(id, bytes)
    this.#bytes += bytes.byteLength
    for (const [key, value] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) break
      this.#entries.delete(key)
      this.#bytes -= value.byteLength
    }
  }

  delete(id: string): void {
    const hit = this.#entries.get(id)
    if (!hit) return
    this.#entries.delete(id)
    this.#bytes -= hit.byteLength
  }
}
