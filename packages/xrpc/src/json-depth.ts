// Depth of parsed JSON, measured without recursion so hostile nesting cannot overflow the stack.

/** True when `value` nests arrays/objects no deeper than `maxDepth`. */
export function withinDepth(value: unknown, maxDepth: number): boolean {
  if (value === null || typeof value !== 'object') return true
  const stack: unknown[] = [value]
  const depths: number[] = [1]
  while (stack.length > 0) {
    const v = stack.pop() as object
    const d = depths.pop() as number
    if (d > maxDepth) return false
    const children = Array.isArray(v) ? v : Object.values(v)
    for (const c of children) {
      if (c !== null && typeof c === 'object') {
        stack.push(c)
        depths.push(d + 1)
      }
    }
  }
  return true
}
