import { type FieldPath, formatFieldPath, formatPosition, type Position } from './position.js'

// Branded with Symbol.for so `isLabelpipeError` holds across duplicated package copies (undici lib/core/errors.js).
const kLabelpipeError = Symbol.for('labelpipe.error')

/** Every stable error code labelpipe throws; each is documented in the README's error table. */
export type LabelpipeErrorCode =
  | 'LP_ABORTED'
  | 'LP_EXPORT_FORMAT'
  | HttpFramesErrorCode
  | 'LP_INPUT'
  | 'LP_INVALID_OPTION'
  | 'LP_INVALID_UTF8'
  | 'LP_LINE_TOO_LONG'
  | 'LP_SINK'
  | 'LP_STAGE'
  | 'LP_TOO_MANY_ERRORS'
  | 'LP_TRANSFORM'
  | 'LP_UNSUPPORTED_FORMAT'

/**
 * The codes of HttpFramesError: `LP_HTTP_AUTH` (401/403 from the API: the key was refused, not retried; from signed
 * storage after a redirect they are retried, as an expired URL), `LP_HTTP_NOT_FOUND` (404),
 * `LP_HTTP_STATUS` (any other status that is neither success, redirect nor retryable, an unreadable content coding, or a
 * Retry-After longer than allowed), `LP_HTTP_REDIRECT` (too many redirects, or a redirect without a usable Location),
 * `LP_HTTP_REQUEST` (the request failed in a way a retry cannot fix: DNS, TLS, a corrupt gzip body) and
 * `LP_HTTP_RETRIES_EXHAUSTED` (429, 5xx, resets or timeouts on every attempt).
 */
export type HttpFramesErrorCode =
  | 'LP_HTTP_AUTH'
  | 'LP_HTTP_NOT_FOUND'
  | 'LP_HTTP_REDIRECT'
  | 'LP_HTTP_REQUEST'
  | 'LP_HTTP_RETRIES_EXHAUSTED'
  | 'LP_HTTP_STATUS'

export interface LabelpipeErrorDetails {
  readonly at?: Position | undefined
  readonly path?: FieldPath | undefined
  readonly cause?: unknown
}

/**
 * Base of every error labelpipe throws. `message` is complete on its own: where (file, line, byte,
 * field path), what, expected and got. The same facts are kept as fields for programs.
 */
export class LabelpipeError extends Error {
  readonly code: LabelpipeErrorCode
  readonly file: string | undefined
  readonly line: number | undefined
  readonly byteOffset: number | undefined
  readonly path: FieldPath | undefined
  /** The pipeline stage the error came out of, set by `runPipeline`. */
  stage: string | undefined

  constructor(code: LabelpipeErrorCode, detail: string, details: LabelpipeErrorDetails = {}) {
    const { at, path } = details
    const where = [at ? formatPosition(at) : '', path && path.length > 0 ? formatFieldPath(path) : '']
      .filter((part) => part !== '')
      .join(': ')
    super(where === '' ? detail : `${where}: ${detail}`, details.cause === undefined ? undefined : { cause: details.cause })
    this.code = code
    this.file = at?.file
    this.line = at?.line
    this.byteOffset = at?.byteOffset
    this.path = path
    this.stage = undefined
  }

  static override [Symbol.hasInstance](instance: unknown): boolean {
    // Only the base class matches by brand; subclasses keep the ordinary prototype check.
    // biome-ignore lint/complexity/noThisInStatic: the check depends on the class it is called on (base or subclass)
    if (this !== LabelpipeError) return Function.prototype[Symbol.hasInstance].call(this, instance)
    return typeof instance === 'object' && instance !== null && (instance as Record<symbol, unknown>)[kLabelpipeError] === true
  }

  get [kLabelpipeError](): true {
    return true
  }

  override get name(): string {
    return this.constructor.name
  }
}

/** A record that is not valid JSON or does not match the export schema. */
export class ExportFormatError extends LabelpipeError {
  constructor(detail: string, details: LabelpipeErrorDetails) {
    super('LP_EXPORT_FORMAT', detail, details)
  }
}

/** The input could not be read: missing file, permission, a truncated or corrupt `.gz`. */
export class InputError extends LabelpipeError {
  constructor(file: string, byteOffset: number, cause: unknown) {
    super('LP_INPUT', `cannot read ${file} (after byte ${byteOffset}): ${describeInputFailure(cause)}`, { cause })
  }
}

function describeInputFailure(cause: unknown): string {
  const code = (cause as { code?: unknown } | null)?.code
  if (code === 'ENOENT') return 'no such file'
  if (code === 'EACCES') return 'permission denied'
  if (code === 'EISDIR') return 'is a directory'
  if (code === 'Z_BUF_ERROR') return 'the gzip data ends early (truncated .gz file?)'
  if (code === 'Z_DATA_ERROR') return 'the gzip data is corrupt'
  return messageOf(cause)
}

/** A line longer than the source's `maxLineLength`. */
export class LineTooLongError extends LabelpipeError {
  /** `limit` names the option that was exceeded; default `maxLineLength`. */
  constructor(maxBytes: number, at: Position, limit = 'maxLineLength') {
    super('LP_LINE_TOO_LONG', `line is longer than ${limit} (${maxBytes} bytes)`, { at })
  }
}

/** Bytes that are not UTF-8; `byteOffset` of the error is the line's start, the message names the bad byte. */
export class InvalidUtf8Error extends LabelpipeError {
  constructor(badByteOffset: number, at: Position) {
    super('LP_INVALID_UTF8', `invalid UTF-8 at byte ${badByteOffset}`, { at })
  }
}

/** The input is an export labelpipe can recognise but not read with the reader it was given, or no export at all. */
export class UnsupportedFormatError extends LabelpipeError {
  constructor(detail: string, details: LabelpipeErrorDetails = {}) {
    super('LP_UNSUPPORTED_FORMAT', detail, details)
  }
}

/** More bad records than `maxErrors` allows; `cause` is the record error that went over the limit. */
export class TooManyErrorsError extends LabelpipeError {
  constructor(maxErrors: number, cause: LabelpipeError) {
    super('LP_TOO_MANY_ERRORS', `more than ${maxErrors} bad records (maxErrors); last: ${cause.message}`, { cause })
  }
}

/** An exception thrown by a record stage, with the position of the record it was transforming. */
export class TransformError extends LabelpipeError {
  constructor(at: Position, details: { cause: unknown }) {
    super('LP_TRANSFORM', `transform failed: ${messageOf(details.cause)}`, { at, cause: details.cause })
  }
}

/** A sink could not write or commit (file system, encoder). Nothing of the run is left committed. */
export class SinkError extends LabelpipeError {
  constructor(detail: string, details: LabelpipeErrorDetails = {}) {
    super('LP_SINK', detail, details)
  }
}

/** What HttpFramesError knows of the failed download. */
export interface HttpFramesErrorDetails {
  /** The `ID` of the label whose frames were fetched. */
  readonly labelId: string
  /**
   * The URL that failed, as origin and path only: never its query string or user info, which on signed storage
   * URLs are credentials (docs/style.md: never print a URL with its query string).
   */
  readonly url: string
  /** The last HTTP status received, if any. */
  readonly statusCode?: number | undefined
  /** Attempts made (first try included) when the error ends the retries. */
  readonly attempts?: number | undefined
  readonly cause?: unknown
}

/**
 * Downloading a v1 video label's frames over HTTP failed (formats.md "v1 video frames NDJSON"). The message
 * names the label and the URL without its query: `frames of label <ID> (<origin><path>): HTTP 404 ...`. It never
 * holds the API key: the key is sent in a header and no header is ever printed.
 */
export class HttpFramesError extends LabelpipeError {
  readonly labelId: string
  readonly url: string
  readonly statusCode: number | undefined
  readonly attempts: number | undefined

  constructor(code: HttpFramesErrorCode, detail: string, details: HttpFramesErrorDetails) {
    super(code, `frames of label ${details.labelId} (${details.url}): ${detail}`, { cause: details.cause })
    this.labelId = details.labelId
    this.url = details.url
    this.statusCode = details.statusCode
    this.attempts = details.attempts
  }
}

/** An option that breaks its rule; the message names the option and the rule (undici's InvalidArgumentError). */
export class InvalidOptionError extends LabelpipeError {
  constructor(option: string, rule: string) {
    super('LP_INVALID_OPTION', `invalid option ${option}: ${rule}`)
  }
}

/** The run was stopped by its AbortSignal. */
export class PipelineAbortedError extends LabelpipeError {
  constructor(cause: unknown) {
    super('LP_ABORTED', 'the run was aborted', { cause })
  }
}

/** A non-labelpipe error (a library's, the OS's) that came out of a named stage. */
export class StageError extends LabelpipeError {
  constructor(stage: string, cause: unknown) {
    super('LP_STAGE', `stage ${stage} failed: ${messageOf(cause)}`, { cause })
    this.stage = stage
  }
}

export function isLabelpipeError(error: unknown): error is LabelpipeError {
  return error instanceof LabelpipeError
}

function messageOf(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause)
}
