import { describe, expect, it } from 'vitest'
import { formatBytes, formatProgressLine } from './format.js'

describe('formatProgressLine', () => {
  it('shows rows/s, MB/s, percent of bytes and ETA when the size is known', () => {
    const line = formatProgressLine({
      stages: [
        { name: 'readV2Export', records: 1000 },
        { name: 'flattenDataRows', records: 20_000 },
      ],
      bytesRead: 50 * 1024 * 1024,
      totalBytes: 200 * 1024 * 1024,
      elapsedMs: 10_000,
      done: false,
    })
    expect(line).toBe('1,000 data rows · 20,000 table rows (2,000/s) · 5.0 MB/s · 25.0% of 200.0 MiB · ETA 30s')
  })

  it('leaves out percent and ETA for stdin', () => {
    const line = formatProgressLine({ stages: [{ name: 's', records: 0 }], bytesRead: 0, totalBytes: undefined, elapsedMs: 0, done: false })
    expect(line).toBe('0 data rows · 0 table rows (0/s) · 0.0 MB/s')
  })

  it('formats byte counts', () => {
    expect([formatBytes(512), formatBytes(2048), formatBytes(3 * 1024 ** 2), formatBytes(5 * 1024 ** 3)]).toEqual([
      '512 B',
      '2.0 KiB',
      '3.0 MiB',
      '5.00 GiB',
    ])
  })
})
