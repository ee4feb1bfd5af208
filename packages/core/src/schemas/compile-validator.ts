import type { z } from 'zod'

/**
 * A type guard compiled from a zod schema: true exactly when `schema.safeParse(value).success` would be, except
 * for a value holding an own `__proto__` key (JSON.parse makes one from `"__proto__": ...`), where it is false.
 */
export type CompiledValidator<T> = (value: unknown) => value is T

type Check = (value: unknown) => boolean

interface ZodCheckDef {
  readonly check: string
  readonly format?: string
  readonly value?: number
  readonly inclusive?: boolean
  readonly fn?: (value: unknown) => unknown
}

interface ZodDef {
  readonly type: string
  readonly checks?: readonly { readonly _zod: { readonly def: ZodCheckDef } }[]
  readonly innerType?: z.ZodType
  readonly shape?: Record<string, z.ZodType>
  readonly catchall?: z.ZodType
  readonly element?: z.ZodType
  readonly keyType?: z.ZodType
  readonly valueType?: z.ZodType
  readonly items?: readonly z.ZodType[]
  readonly rest?: z.ZodType | null
  readonly options?: readonly z.ZodType[]
  readonly fn?: (value: unknown) => unknown
}

/**
 * Compiles a zod schema into a plain predicate that checks without building zod's output copy.
 *
 * Why: measured on generated image exports (4 KB lines), `v2DataRow.safeParse` cost ~18 µs a line, as much as
 * JSON.parse itself, and its deep copy of every line doubled the garbage to collect. Records are checked
 * here on the fast path; only a record that fails goes through `safeParse`, for zod's own message and path.
 * The schema stays the one definition: this reads its definition (`_zod.def`) and supports the subset
 * labelpipe's record schemas use. Anything else throws at compile time rather than being checked loosely,
 * and a property test holds the predicate equal to `safeParse(...).success`.
 *
 * Decision: an own `__proto__` key, in an object or a record, makes the predicate false. zod 4 neither checks
 * nor copies such a key (zod/v4/core/schemas.js, $ZodRecord and the object catchall loop), so its parse can
 * succeed while the input still holds an unchecked `__proto__` value. The caller then takes zod's output, which
 * has no such key where the schema checks keys: no checked object or record carries one downstream (a value
 * the schema leaves unknown, like `z.unknown()`, is passed as it is, on both paths).
 */
export function compileValidator<T>(schema: z.ZodType<T>): CompiledValidator<T> {
  return compile(schema, new Map()) as CompiledValidator<T>
}

function compile(schema: z.ZodType, seen: Map<z.ZodType, Check>): Check {
  const known = seen.get(schema)
  if (known !== undefined) return known
  // Recursive schemas (classification answers nest classifications) meet themselves: forward to the result.
  let compiled: Check | undefined
  seen.set(schema, (value) => (compiled as Check)(value))
  compiled = withChecks(schema, compileType(schema, seen))
  seen.set(schema, compiled)
  return compiled
}

function compileType(schema: z.ZodType, seen: Map<z.ZodType, Check>): Check {
  const def = schema._zod.def as unknown as ZodDef
  switch (def.type) {
    case 'string':
      return (value) => typeof value === 'string'
    case 'number':
      // zod 4 rejects NaN and ±Infinity for z.number().
      return (value) => typeof value === 'number' && Number.isFinite(value)
    case 'boolean':
      return (value) => typeof value === 'boolean'
    case 'unknown':
    case 'any':
      return () => true
    case 'optional': {
      const inner = compile(def.innerType as z.ZodType, seen)
      return (value) => value === undefined || inner(value)
    }
    case 'nullable': {
      const inner = compile(def.innerType as z.ZodType, seen)
      return (value) => value === null || inner(value)
    }
    case 'custom': {
      const fn = def.fn as (value: unknown) => unknown
      return (value) => Boolean(fn(value))
    }
    case 'object':
      return compileObject(def, seen)
    case 'array': {
      const element = compile(def.element as z.ZodType, seen)
      return (value) => {
        if (!Array.isArray(value)) return false
        for (let i = 0; i < value.length; i++) if (!element(value[i])) return false
        return true
      }
    }
    case 'record': {
      const key = compile(def.keyType as z.ZodType, seen)
      const entry = compile(def.valueType as z.ZodType, seen)
      return (value) => {
        if (!isPlainObject(value)) return false
        for (const k in value) if (k === '__proto__' || !key(k) || !entry(value[k])) return false
        return true
      }
    }
    case 'tuple': {
      if (def.rest != null) throw new TypeError('compileValidator: tuples with a rest element are not supported')
      const items = (def.items ?? []).map((item) => compile(item, seen))
      return (value) => Array.isArray(value) && value.length === items.length && items.every((item, i) => item(value[i]))
    }
    case 'union': {
      const options = (def.options ?? []).map((option) => compile(option, seen))
      return (value) => options.some((option) => option(value))
    }
    default:
      throw new TypeError(`compileValidator: zod type ${def.type} is not supported`)
  }
}

function compileObject(def: ZodDef, seen: Map<z.ZodType, Check>): Check {
  const catchall = def.catchall?._zod.def.type
  // looseObject (catchall unknown) and object (no catchall: extra keys stripped) both accept extra keys.
  if (catchall !== undefined && catchall !== 'unknown' && catchall !== 'any') {
    throw new TypeError(`compileValidator: object catchall ${catchall} is not supported`)
  }
  const shape = def.shape ?? {}
  // Getter-defined keys (recursion) are read lazily, on first use, as zod itself does.
  const keys = Object.keys(shape)
  let fields: Check[] | undefined
  return (value) => {
    if (!isPlainObject(value) || Object.hasOwn(value, '__proto__')) return false
    fields ??= keys.map((key) => compile(shape[key] as z.ZodType, seen))
    for (let i = 0; i < keys.length; i++) if (!(fields[i] as Check)(value[keys[i] as string])) return false
    return true
  }
}

function withChecks(schema: z.ZodType, base: Check): Check {
  const checks = ((schema._zod.def as unknown as ZodDef).checks ?? []).map(({ _zod }) => compileCheck(_zod.def))
  if (checks.length === 0) return base
  return (value) => base(value) && checks.every((check) => check(value))
}

function compileCheck(def: ZodCheckDef): Check {
  switch (def.check) {
    case 'number_format':
      if (def.format === 'safeint') return (value) => Number.isSafeInteger(value)
      break
    case 'greater_than': {
      const bound = def.value as number
      return def.inclusive ? (value) => (value as number) >= bound : (value) => (value as number) > bound
    }
    case 'less_than': {
      const bound = def.value as number
      return def.inclusive ? (value) => (value as number) <= bound : (value) => (value as number) < bound
    }
    case 'custom': {
      const fn = def.fn as (value: unknown) => unknown
      return (value) => Boolean(fn(value))
    }
  }
  throw new TypeError(`compileValidator: zod check ${def.check}${def.format ? ` (${def.format})` : ''} is not supported`)
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
