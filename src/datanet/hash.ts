import type {Hex} from 'viem'

import {toHex} from './bytes.js'
import {canonicalJson} from './canonical-json.js'
import {keccak256Into} from './keccak.js'

/** The one field that is not content: who contributed the record. It goes in the Merkle leaf. */
export const CONTRIBUTOR_FIELD = 'contributor'

const encoder = new TextEncoder()
let scratch = new Uint8Array(1 << 16)

/** A record's content fields: every field but `contributor`. */
export function contentFields(row: Record<string, unknown>): Record<string, unknown> {
  if (!Object.hasOwn(row, CONTRIBUTOR_FIELD)) return row
  // Object.fromEntries defines own properties, so a "__proto__" field stays a field.
  return Object.fromEntries(Object.entries(row).filter(([k]) => k !== CONTRIBUTOR_FIELD))
}

/** keccak256 of a UTF-8 string, written to out[offset…offset+32). */
export function keccakUtf8Into(text: string, out: Uint8Array, offset: number): void {
  if (scratch.length < text.length * 3) scratch = new Uint8Array(Math.max(text.length * 3, scratch.length * 2))
  const {written} = encoder.encodeInto(text, scratch)
  keccak256Into(scratch, 0, written, out, offset)
}

/**
 * The record hash: keccak256 over the UTF-8 bytes of the RFC 8785 canonical JSON of the record's
 * content fields (a `contributor` field, if present, is left out), written to out[offset…].
 */
export function recordHashInto(fields: Record<string, unknown>, out: Uint8Array, offset: number): void {
  keccakUtf8Into(canonicalJson(contentFields(fields)), out, offset)
}

/** The record hash (see recordHashInto) as 0x-hex. */
export function recordHash(fields: Record<string, unknown>): Hex {
  const out = new Uint8Array(32)
  recordHashInto(fields, out, 0)
  return toHex(out)
}
