// The browser's cid-inspect.ts (#cid-inspect): browsers have no util.inspect, so nothing to set up.

/** Does nothing in browsers. @internal */
export function showCidsAs(_cls: { prototype: { toString(): string } }): void {}
