/**
 * Adds count records key by key: numbers, and records of numbers one level down (FlattenStats: `rowsByTable`,
 * unknown kinds by name). The stats of a sharded load are the sums of its workers' stats.
 */
export function sumCounts<T extends object>(all: readonly T[]): T {
  // Maps, made objects at the end: inner keys are input (an unknown kind named `constructor` or `__proto__`),
  // which a plain object would read from, or write to, Object.prototype.
  const total = new Map<string, number | Map<string, number>>()
  for (const counts of all) {
    for (const [key, value] of Object.entries(counts)) {
      if (typeof value === 'number') {
        total.set(key, ((total.get(key) as number | undefined) ?? 0) + value)
        continue
      }
      let into = total.get(key) as Map<string, number> | undefined
      if (into === undefined) total.set(key, (into = new Map()))
      for (const [inner, count] of Object.entries(value as Record<string, number>)) into.set(inner, (into.get(inner) ?? 0) + count)
    }
  }
  return Object.fromEntries([...total].map(([key, value]) => [key, typeof value === 'number' ? value : Object.fromEntries(value)])) as T
}
