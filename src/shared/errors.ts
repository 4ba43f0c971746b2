/** An object a test expected to be garbage collected after it ended is still reachable. */
export class MemoryRetentionError extends Error {
  override name = 'MemoryRetentionError'
  constructor(message: string) {
    super(message)
    this.stack = `${this.name}: ${message}`
  }
}

/** A memory budget was broken. Its name sets memory failures apart from assertion failures. */
export class MemoryBudgetError extends Error {
  override name = 'MemoryBudgetError'
  constructor(message: string) {
    super(message)
    // The harness's own frames say nothing about the test: show the message alone.
    this.stack = `${this.name}: ${message}`
  }
}
