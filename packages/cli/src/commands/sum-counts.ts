/**
 * Adds count records key by key: numbers, and records of numbers one level down (FlattenStats: `rowsByTable`,
 * unknown kinds by name). The stats of a sharded load are the sums of its workers' stats.
 */
export function sumCounts<T extends object>(all: readonly T[]): T {
  const total: Record<string, number | Record<string, number>> = {}
  for (const counts of all) {
    for (const [key, value] of Object.entries(counts)) {
      if (typeof value === 'number') {
        total[key] = ((total[key] as number | undefined) ?? 0) + value
        continue
      }
      const into = (total[key] ??= {}) as Record<string, number>
      for (const [inner, count] of Object.entries(value as Record<string, number>)) into[inner] = (into[inner] ?? 0) + count
    }
  }
  return total as T
}
