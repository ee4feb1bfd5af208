// A small dependency-free SVG line chart for the benchmark results: one panel per measure (throughput, peak RSS),
// input size on a log x axis, one line per case. Enough for a README; not a plotting library.

export interface ChartSeries {
  readonly name: string
  /** x: input bytes; one value per panel, in panel order. */
  readonly points: readonly { readonly x: number; readonly values: readonly number[] }[]
}

export interface ChartPanel {
  readonly title: string
  /** A horizontal reference line (a goal), drawn dashed. */
  readonly goal?: { readonly value: number; readonly label: string }
}

const palette = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b']
const panelWidth = 420
const panelHeight = 260
const margin = { top: 36, right: 16, bottom: 44, left: 56 }

const escapeXml = (text: string) => text.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] as string)
const formatSize = (bytes: number) => (bytes >= 1e9 ? `${+(bytes / 1e9).toFixed(1)} GB` : `${Math.round(bytes / 1e6)} MB`)

/** The chart as an SVG document: panels side by side, a legend under them. */
export function lineChartSvg(title: string, panels: readonly ChartPanel[], series: readonly ChartSeries[]): string {
  const xs = series.flatMap((s) => s.points.map((p) => p.x))
  const [minX, maxX] = [Math.min(...xs), Math.max(...xs)]
  const logX = (x: number) => (maxX === minX ? 0.5 : (Math.log(x) - Math.log(minX)) / (Math.log(maxX) - Math.log(minX)))
  const legendHeight = 20 * series.length + 10
  const width = panels.length * panelWidth
  const height = panelHeight + legendHeight + 30
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
  ]
  panels.forEach((panel, p) => {
    const left = p * panelWidth + margin.left
    const top = 30 + margin.top
    const w = panelWidth - margin.left - margin.right
    const h = panelHeight - margin.top - margin.bottom
    const values = series.flatMap((s) => s.points.map((point) => point.values[p] as number))
    if (panel.goal !== undefined) values.push(panel.goal.value)
    const maxY = Math.max(...values) * 1.1 || 1
    const px = (x: number) => left + logX(x) * w
    const py = (y: number) => top + h - (y / maxY) * h
    parts.push(`<text x="${left + w / 2}" y="${top - 10}" text-anchor="middle" font-weight="bold">${escapeXml(panel.title)}</text>`)
    parts.push(`<line x1="${left}" y1="${top + h}" x2="${left + w}" y2="${top + h}" stroke="#333"/>`)
    parts.push(`<line x1="${left}" y1="${top}" x2="${left}" y2="${top + h}" stroke="#333"/>`)
    for (let i = 0; i <= 4; i++) {
      const y = (maxY * i) / 4
      parts.push(`<line x1="${left}" y1="${py(y)}" x2="${left + w}" y2="${py(y)}" stroke="#eee"/>`)
      parts.push(`<text x="${left - 6}" y="${py(y) + 4}" text-anchor="end">${Math.round(y)}</text>`)
    }
    for (const x of [...new Set(xs)].sort((a, b) => a - b)) {
      parts.push(`<text x="${px(x)}" y="${top + h + 16}" text-anchor="middle">${formatSize(x)}</text>`)
    }
    parts.push(`<text x="${left + w / 2}" y="${top + h + 34}" text-anchor="middle">input size (log scale)</text>`)
    if (panel.goal !== undefined) {
      const y = py(panel.goal.value)
      parts.push(`<line x1="${left}" y1="${y}" x2="${left + w}" y2="${y}" stroke="#888" stroke-dasharray="4 3"/>`)
      parts.push(`<text x="${left + w - 2}" y="${y - 4}" text-anchor="end" fill="#555">${escapeXml(panel.goal.label)}</text>`)
    }
    series.forEach((s, i) => {
      const color = palette[i % palette.length] as string
      const points = [...s.points].sort((a, b) => a.x - b.x).map((point) => `${px(point.x)},${py(point.values[p] as number)}`)
      parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${points.join(' ')}"/>`)
      for (const point of points) {
        const [cx, cy] = point.split(',')
        parts.push(`<circle cx="${cx}" cy="${cy}" r="3" fill="${color}"/>`)
      }
    })
  })
  series.forEach((s, i) => {
    const y = 30 + panelHeight + 10 + i * 20
    const color = palette[i % palette.length] as string
    parts.push(`<line x1="${margin.left}" y1="${y}" x2="${margin.left + 24}" y2="${y}" stroke="${color}" stroke-width="3"/>`)
    parts.push(`<text x="${margin.left + 30}" y="${y + 4}">${escapeXml(s.name)}</text>`)
  })
  parts.push('</svg>')
  return `${parts.join('\n')}\n`
}
