import type { Bus } from './bus.ts'

/** The in-process bus: listeners run synchronously; one that throws cannot break the others. */
export class LocalBus<E> implements Bus<E> {
  #listeners = new Set<(event: E) => void>()

  publish(event: E): void {
    for (const listener of this.#listeners) {
      try {
        listener(event)
      } catch {
        // A subscriber's bug must not stop delivery to the rest.
      }
    }
  }

  subscribe(listener: (event: E) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }
}
