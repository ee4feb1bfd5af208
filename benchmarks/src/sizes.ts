/** `100MB`, `1GB`, `1.5GB`: powers of 1000, as the harness names its inputs. */
export function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(KB|MB|GB)$/i.exec(text)
  if (match === null) throw new Error(`a size is e.g. 100MB or 1GB, got ${text}`)
  const unit = { KB: 1e3, MB: 1e6, GB: 1e9 }[(match[2] as string).toUpperCase() as 'KB' | 'MB' | 'GB']
  return Math.round(Number(match[1]) * unit)
}
