/**
 * JSON Canonicalization Scheme (RFC 8785): the one byte string a JSON value hashes to.
 *
 * - Object members sorted by their names' UTF-16 code units (JavaScript's default string order),
 *   no whitespace, each name once.
 * - Numbers in ECMAScript's shortest round-trip form (`String(n)`), `-0` as `0`; NaN and ±Infinity
 *   refused (they are not JSON).
 * - Strings escaped as JSON.stringify does in ES2019+ (`\"`, `\\`, `\b \f \n \r \t`, other control
 *   characters as lowercase `\u00xx`, everything else literal); a string holding a lone surrogate
 *   is refused, as RFC 8785 requires (I-JSON), since it has no UTF-8 form.
 * - Only JSON values: `undefined`, functions, symbols and bigints are refused rather than dropped.
 */

export class CanonicalJsonError extends Error {
  override name = 'CanonicalJsonError'
}

type WellFormed = {isWellFormed?: () => boolean}
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

function isWellFormed(s: string): boolean {
  const f = (s as unknown as WellFormed).isWellFormed
  return f ? f.call(s) : !LONE_SURROGATE.test(s)
}

export function canonicalJson(value: unknown): string {
  return serialize(value, '')
}

function serialize(value: unknown, path: string): string {
  switch (typeof value) {
    case 'string':
      if (!isWellFormed(value)) throw new CanonicalJsonError(`${where(path)}holds a lone UTF-16 surrogate (not valid Unicode)`)
      return JSON.stringify(value)
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalJsonError(`${where(path)}is ${value}, which JSON cannot hold`)
      return Object.is(value, -0) ? '0' : String(value)
    case 'boolean':
      return value ? 'true' : 'false'
    case 'object': {
      if (value === null) return 'null'
      if (Array.isArray(value)) {
        let out = '['
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ','
          out += serialize(value[i], `${path}[${i}]`)
        }
        return out + ']'
      }
      const proto = Object.getPrototypeOf(value)
      if (proto !== Object.prototype && proto !== null) {
        throw new CanonicalJsonError(`${where(path)}is a ${proto?.constructor?.name ?? 'non-plain'} object, not a JSON object`)
      }
      const obj = value as Record<string, unknown>
      const keys = Object.keys(obj).sort()
      let out = '{'
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]
        if (!isWellFormed(k)) throw new CanonicalJsonError(`${where(path)}has a member name with a lone UTF-16 surrogate`)
        if (i > 0) out += ','
        out += JSON.stringify(k) + ':' + serialize(obj[k], path ? `${path}.${k}` : k)
      }
      return out + '}'
    }
    default:
      throw new CanonicalJsonError(`${where(path)}is ${typeof value === 'bigint' ? 'a bigint' : typeof value}, not a JSON value`)
  }
}

function where(path: string): string {
  return path ? `field ${path} ` : 'value '
}
