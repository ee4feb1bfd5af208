import { once } from 'node:events'
import type { WriteStream } from 'node:fs'
import { type FileHandle, mkdir, open } from 'node:fs/promises'
import { dirname } from 'node:path'
import { createInterface } from 'node:readline'
import { finished } from 'node:stream/promises'
import { type DeadLetter, type DeadLetterSink, deadLetter, formatFieldPath, isLabelpipeError, SinkError } from '@labelpipe/core'
import { messageOf } from '../part-file.js'

/** An append-only NDJSON file of dead letters, made by `deadLetterFile()`. */
export interface DeadLetterFile {
  /**
   * Appends one letter as one line. The promise resolves as soon as the line is buffered while the file keeps
   * up, and waits for 'drain' when it does not, so a source that awaits it slows down instead of buffering.
   * Never throws synchronously: a failure (a folder that cannot be created, a full disk) rejects the pending
   * promise, every later one, and `close()`.
   */
  readonly write: DeadLetterSink
  /** Ends the file and waits until it is on disk (fsync) and closed. No letter written: no file, resolves at once. */
  close(): Promise<void>
  /** Letters accepted so far. */
  readonly count: number
}

/**
 * Dead letters as NDJSON at `path`, appended (`a`), one `DeadLetter` per line with the keys of the interface:
 * `{"file","line","byteOffset","code","reason","raw"}`. The file, and its folder, are created on the first
 * letter, so a clean run leaves none.
 */
export function deadLetterFile(path: string): DeadLetterFile {
  let stream: Promise<WriteStream> | undefined
  let failure: SinkError | undefined
  let closing: Promise<void> | undefined
  let count = 0

  const fail = (cause: unknown): SinkError => {
    failure ??= isLabelpipeError(cause)
      ? new SinkError(cause.message, { cause })
      : new SinkError(`dead letters: cannot write ${path}: ${messageOf(cause)}`, { cause })
    return failure
  }

  const openStream = async (): Promise<WriteStream> => {
    await mkdir(dirname(path), { recursive: true })
    const handle = await open(path, 'a')
    // flush: fsync before close (Node >= 20.10), so letters are on disk once close() resolves.
    const opened = handle.createWriteStream({ flush: true })
    opened.on('error', fail)
    return opened
  }

  const write = (letter: DeadLetter): Promise<void> => {
    if (failure !== undefined) return Promise.reject(failure)
    if (closing !== undefined) return Promise.reject(new SinkError(`dead letters: ${path} is closed; cannot write another letter`))
    let line: string
    try {
      line = `${JSON.stringify({
        file: letter.file,
        line: letter.line,
        byteOffset: letter.byteOffset,
        code: letter.code,
        reason: letter.reason,
        raw: letter.raw,
      })}\n`
    } catch (error) {
      return Promise.reject(fail(error))
    }
    count++
    // Every write chains on the same opening, so lines keep their order while the file is being opened.
    stream ??= openStream()
    return stream.then(
      async (opened) => {
        if (failure !== undefined) throw failure
        if (opened.write(line)) return
        try {
          await once(opened, 'drain')
        } catch (error) {
          throw fail(error)
        }
      },
      (error: unknown) => {
        throw fail(error)
      },
    )
  }

  const end = async (): Promise<void> => {
    if (stream === undefined) return
    let opened: WriteStream
    try {
      opened = await stream
      opened.end()
      await finished(opened)
    } catch (error) {
      throw fail(error)
    }
    if (failure !== undefined) throw failure
  }

  const close = (): Promise<void> => {
    closing ??= end()
    return closing
  }

  return {
    write,
    close,
    get count() {
      return count
    },
  }
}

/**
 * The letters of a file written by `deadLetterFile`, in order, read line by line (a Postgres run's dead letters
 * go into its `dead_letters` table from such a file: postgresSink's `deadLetters`). No file: none. A line that is
 * not a dead letter throws SinkError naming the file and line.
 */
export async function* readDeadLetters(path: string): AsyncGenerator<DeadLetter> {
  let handle: FileHandle
  try {
    handle = await open(path, 'r')
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return
    throw new SinkError(`dead letters: cannot read ${path}: ${messageOf(cause)}`, { cause })
  }
  const lines = createInterface({ input: handle.createReadStream(), crlfDelay: Number.POSITIVE_INFINITY })
  let line = 0
  try {
    for await (const text of lines) {
      line++
      yield parseLetter(text, `${path} line ${line}`)
    }
  } finally {
    lines.close()
    await handle.close().catch(() => undefined)
  }
}

function parseLetter(text: string, where: string): DeadLetter {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (cause) {
    throw new SinkError(`dead letters: ${where} is not JSON: ${messageOf(cause)}`, { cause })
  }
  const parsed = deadLetter.safeParse(value)
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0]
  const field =
    issue === undefined || issue.path.length === 0
      ? ''
      : `${formatFieldPath(issue.path.map((key) => (typeof key === 'number' ? key : String(key))))}: `
  throw new SinkError(`dead letters: ${where} is not a dead letter: ${field}${issue?.message ?? 'invalid'}`, { cause: parsed.error })
}
