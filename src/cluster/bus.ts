/** Publish/subscribe for committed changes. In-process now; PostgreSQL LISTEN/NOTIFY in a cluster. */
export interface Bus<E> {
  publish(event: E): void
  /** Returns the function that unsubscribes. */
  subscribe(listener: (event: E) => void): () => void
}
