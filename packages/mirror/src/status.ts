/** The cursor `status` reports: the named stream's, else the highest held (a mirror usually follows one). */
export function pickCursor(cursors: Record<string, number>, stream: string | undefined): number | undefined {
  if (stream !== undefined) return cursors[stream]
  let best: number | undefined
  for (const v of Object.values(cursors)) if (best === undefined || v > best) best = v
  return best
}
