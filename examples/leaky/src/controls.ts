// Patterns that look suspicious but do not leak. The harness must not flag them.

/** Parent and child point at each other; JavaScript's GC collects cycles. */
export class Node {
  children: Node[] = []
  parent: Node | undefined
  constructor(readonly value: number) {}
  add(child: Node): void {
    child.parent = this
    this.children.push(child)
  }
}

/** A cache with a size limit: it fills up once, then stays the same size. */
export class BoundedCache<V> {
  private map = new Map<string, V>()
  constructor(private readonly limit: number) {}
  set(key: string, value: V): void {
    if (this.map.has(key)) this.map.delete(key)
    this.map.set(key, value)
    if (this.map.size > this.limit) this.map.delete(this.map.keys().next().value!)
  }
  get size(): number {
    return this.map.size
  }
}
