// How Node's console and util.inspect show a Cid: `CID(bafy...)`, without importing node:util.
// Browsers get cid-inspect.browser.ts instead (#cid-inspect).

/** Gives `cls` instances the `CID(<string>)` form in Node's util.inspect. @internal */
export function showCidsAs(cls: { prototype: { toString(): string } }): void {
  Object.defineProperty(cls.prototype, Symbol.for('nodejs.util.inspect.custom'), {
    value(this: { toString(): string }): string {
      return `CID(${this.toString()})`
    },
  })
}
