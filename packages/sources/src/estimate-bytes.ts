// V8 sizes on 64-bit Node with pointer compression off (Node 20 default): an object header plus 8-byte
// slots, a heap number 16, a sequential one-byte string 16 + its length (two-byte: twice). JSON.parse gives
// objects of one shape the same hidden class, and keys are internalised, so keys are counted as slots only.
const objectHeader = 32
const arrayHeader = 32
const slot = 8
const heapNumber = 16
const stringHeader = 16

/**
 * The approximate heap bytes of a value JSON.parse made: what groupV1Labels holds per label against its
 * memory budget. An estimate, within tens of percent: the budget bounds this sum, and peak RSS was checked
 * with /usr/bin/time -v on a generated 1 GB export whose data rows are spread across the array.
 */
export function estimateBytes(value: unknown): number {
  switch (typeof value) {
    case 'string':
      return stringHeader + value.length
    case 'number':
      return heapNumber
    case 'object': {
      if (value === null) return 0
      if (Array.isArray(value)) {
        let bytes = arrayHeader + slot * value.length
        for (let i = 0; i < value.length; i++) bytes += estimateBytes(value[i])
        return bytes
      }
      let bytes = objectHeader
      const record = value as Record<string, unknown>
      for (const key in record) bytes += slot + estimateBytes(record[key])
      return bytes
    }
    default:
      return 0
  }
}
