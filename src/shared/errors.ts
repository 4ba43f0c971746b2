/** A memory budget was broken. Its name sets memory failures apart from assertion failures. */
export class MemoryBudgetError extends Error {
  override name = 'MemoryBudgetError'
  constructor(message: string) {
    super(message)
    // The harness's own frames say nothing about the test: show the message alone.
    this.stack = `${this.name}: ${message}`
  }
}
