import {keccak_256} from '@noble/hashes/sha3'

/**
 * EIP-55: the address with each hex letter upper-cased where the keccak-256 of the lower-case hex
 * has a nibble ≥ 8. The same result as viem's getAddress, without loading viem: the devnet's
 * supervisor and the local read commands start without it (see `npm run bench -- cli`).
 */
export function checksumAddress(address: string): `0x${string}` {
  if (!/^0x[0-9a-fA-F]{40}$/.test(address)) throw new TypeError(`${address} is not a 20-byte hex address`)
  const hex = address.slice(2).toLowerCase()
  const hash = keccak_256(new TextEncoder().encode(hex))
  let out = '0x'
  for (let i = 0; i < 40; i++) {
    const nibble = (hash[i >> 1] >> (i % 2 === 0 ? 4 : 0)) & 0x0f
    out += nibble >= 8 ? hex[i].toUpperCase() : hex[i]
  }
  return out as `0x${string}`
}
