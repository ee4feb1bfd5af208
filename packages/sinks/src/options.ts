import { InvalidOptionError, isValidLoadId } from '@labelpipe/core'

// Option parsing for the file sinks. The style guide asks for a zod schema, but zod is not a dependency of
// @labelpipe/sinks (only @labelpipe/core may import it here through its own package.json), so this is the same
// idea in miniature: one declarative shape per factory, parsed once, unknown keys rejected, result frozen.
// Swapping in `z.strictObject(...)` later changes this file and nothing else.

/** Parses one option: returns its value (with the default applied) or throws InvalidOptionError. */
export type OptionRule<T> = (value: unknown, name: string) => T

export type ParsedOptions<S extends Record<string, OptionRule<unknown>>> = { readonly [K in keyof S]: ReturnType<S[K]> }

export function parseOptions<S extends Record<string, OptionRule<unknown>>>(options: unknown, shape: S): ParsedOptions<S> {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidOptionError('options', `must be an object, got ${describe(options)}`)
  }
  const given = options as Record<string, unknown>
  for (const key of Object.keys(given)) {
    if (!Object.hasOwn(shape, key)) throw new InvalidOptionError(key, `is not an option of this sink (known: ${Object.keys(shape).join(', ')})`)
  }
  const parsed: Record<string, unknown> = {}
  for (const [key, rule] of Object.entries(shape)) parsed[key] = rule(given[key], key)
  return Object.freeze(parsed) as ParsedOptions<S>
}

export const requiredString: OptionRule<string> = (value, name) => {
  if (typeof value !== 'string' || value === '') throw new InvalidOptionError(name, `is required and must be a non-empty string, got ${describe(value)}`)
  return value
}

export const loadIdRule: OptionRule<string> = (value, name) => {
  if (typeof value !== 'string' || !isValidLoadId(value)) {
    throw new InvalidOptionError(
      name,
      `is required and must be a valid load id (letters, digits, '_', '.', '-', at most 128, not starting with punctuation; see newLoadId()), got ${describe(value)}`,
    )
  }
  return value
}

export function optionalFunction<F>(): OptionRule<F | undefined> {
  return (value, name) => {
    if (value === undefined) return undefined
    if (typeof value !== 'function') throw new InvalidOptionError(name, `must be a function, got ${describe(value)}`)
    return value as F
  }
}

export function integerRule(defaultValue: number, min: number, max: number): OptionRule<number> {
  return (value, name) => {
    if (value === undefined) return defaultValue
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new InvalidOptionError(name, `must be an integer from ${min} to ${max}, got ${describe(value)}`)
    }
    return value
  }
}

export function booleanRule(defaultValue: boolean): OptionRule<boolean> {
  return (value, name) => {
    if (value === undefined) return defaultValue
    if (typeof value !== 'boolean') throw new InvalidOptionError(name, `must be a boolean, got ${describe(value)}`)
    return value
  }
}

export function oneOf<const T extends string>(choices: readonly T[], defaultValue: T): OptionRule<T> {
  return (value, name) => {
    if (value === undefined) return defaultValue
    if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
      throw new InvalidOptionError(name, `must be one of ${choices.map((c) => `'${c}'`).join(', ')}, got ${describe(value)}`)
    }
    return value as T
  }
}

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
