import { InvalidOptionError, isValidLoadId } from '@labelpipe/core'
import { z } from 'zod'

// Option parsing for the file sinks (docs/style.md: "Parse it with a zod schema whose z.infer is the type, then
// freeze it"). Each factory has one z.strictObject; each option's schema carries its rule as the message of
// every issue it can raise, so the first issue becomes `InvalidOptionError(<option>, '<rule>, got <value>')`,
// the undici-style message the README documents, whatever zod's own wording.

/** The message of every issue an option's schema raises: its rule, then what it got. */
function rule(text: string): { readonly error: (issue: { readonly input?: unknown }) => string } {
  return { error: (issue) => `${text}, got ${describe(issue.input)}` }
}

export const requiredString = () => {
  const message = rule('is required and must be a non-empty string')
  return z.string(message).min(1, message)
}

export const loadIdOption = () => {
  const message = rule(
    "is required and must be a valid load id (letters, digits, '_', '.', '-', at most 128, not starting with punctuation; see newLoadId())",
  )
  return z.string(message).refine(isValidLoadId, message)
}

export const optionalFunction = <F extends (...args: never[]) => unknown>() =>
  z.custom<F>((value) => typeof value === 'function', rule('must be a function')).optional()

export const boundedInteger = (min: number, max: number) => {
  const message = rule(`must be an integer from ${min} to ${max}`)
  return z.number(message).int(message).min(min, message).max(max, message)
}

export const integerOption = (defaultValue: number, min: number, max: number) => boundedInteger(min, max).default(defaultValue)

export const booleanOption = (defaultValue: boolean) => z.boolean(rule('must be a boolean')).default(defaultValue)

export const oneOf = <const T extends readonly [string, ...string[]]>(choices: T, defaultValue: T[number]) =>
  z.enum(choices, rule(`must be one of ${choices.map((c) => `'${c}'`).join(', ')}`)).default(defaultValue)

/**
 * A factory's options schema: unknown keys are rejected (a misspelt option must not be ignored silently), and so
 * is anything but a plain object.
 */
export function optionsSchema<S extends z.ZodRawShape>(shape: S) {
  const known = Object.keys(shape).join(', ')
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `is not an option of this sink (known: ${known})`
        : `must be an object, got ${describe(issue.input)}`,
  })
}

/** Parses `options` once, in the factory, and freezes the result; throws InvalidOptionError naming the option. */
export function parseOptions<S extends z.ZodType<object>>(schema: S, options: unknown): Readonly<z.output<S>> {
  const result = schema.safeParse(options)
  if (result.success) return Object.freeze(result.data)
  const [issue] = result.error.issues
  if (issue === undefined) throw new InvalidOptionError('options', 'were rejected')
  const option = issue.code === 'unrecognized_keys' ? issue.keys[0] : issue.path[0]
  throw new InvalidOptionError(option === undefined ? 'options' : String(option), issue.message)
}

type Mutual<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
type Defined<T> = { [K in keyof T]-?: Exclude<T[K], undefined> }
type OptionalKeys<T> = { [K in keyof T]-?: Record<never, never> extends Pick<T, K> ? K : never }[keyof T]

/**
 * True when an options interface and its schema's input type have the same keys, the same optional keys and the
 * same value types. `undefined` is set aside: zod reads an explicit undefined as absent, while the interfaces
 * (exactOptionalPropertyTypes) do not spell it out.
 */
export type SameShape<A, B> = Mutual<Defined<A>, Defined<B>> extends true ? Mutual<OptionalKeys<A>, OptionalKeys<B>> : false

/** A short, safe rendering of a bad value for an error message (never the whole value). */
export function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  switch (typeof value) {
    case 'string':
      return value.length > 40 ? `string "${value.slice(0, 40)}…"` : `string "${value}"`
    case 'number':
    case 'boolean':
    case 'bigint':
      return `${typeof value} ${String(value)}`
    case 'undefined':
      return 'undefined'
    case 'function':
      return 'a function'
    default:
      return typeof value === 'object' ? 'an object' : typeof value
  }
}
