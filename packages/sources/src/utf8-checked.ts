import { isUtf8 } from 'node:buffer'
import { Transform } from 'node:stream'
import { InvalidUtf8Error } from '@labelpipe/core'
import { incompleteTailStart, invalidOffsets } from './line-scanner.js'

/**
 * Passes the bytes of a text file on unchanged, and fails with InvalidUtf8Error (file, line, byte) at the first
 * byte that is not UTF-8. Why: split2 decodes with a StringDecoder, which turns such a byte into U+FFFD, so a
 * frame's feature id or answer would change without a word, and the line's byte length with it (readV2Export and
 * readV1Export refuse the same bytes). A multi-byte sequence cut by a chunk's end is checked with the next chunk.
 */
export function utf8Checked(file: string): Transform {
  let carried: Buffer = Buffer.alloc(0)
  /** The absolute offset of the next byte to check (carried[0] when a sequence is carried). */
  let checkedTo = 0
  let line = 1
  let lineStart = 0
  const invalid = (byte: number) => new InvalidUtf8Error(byte, { file, line, byteOffset: lineStart })
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      const bytes = carried.length === 0 ? chunk : Buffer.concat([carried, chunk])
      const cut = incompleteTailStart(bytes)
      const whole = cut === -1 ? bytes : bytes.subarray(0, cut)
      const bad = isUtf8(whole) ? undefined : (invalidOffsets(whole, 0, whole.length)[0] as number)
      const end = bad ?? whole.length
      for (let at = whole.indexOf(0x0a); at !== -1 && at < end; at = whole.indexOf(0x0a, at + 1)) {
        line++
        lineStart = checkedTo + at + 1
      }
      if (bad !== undefined) {
        callback(invalid(checkedTo + bad))
        return
      }
      checkedTo += whole.length
      carried = cut === -1 ? Buffer.alloc(0) : Buffer.from(bytes.subarray(cut))
      callback(null, chunk)
    },
    flush(callback) {
      // The file ends inside a multi-byte sequence.
      callback(carried.length > 0 ? invalid(checkedTo) : null)
    },
  })
}
