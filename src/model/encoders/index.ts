import {type DeviceRequest, type ResolvedDevice, hubReachable, resolveDevice} from '../backend.js'
import {loadBuiltinEncoder} from './builtin.js'
import {isLocalEncoderSpec, loadTransformersEncoder, primeDim} from './transformers.js'
import type {Encoder} from './types.js'

export type {Encoder} from './types.js'
export {BuiltinTokenizer, builtinEncoderDir, loadBuiltinEncoder} from './builtin.js'
export {encoderFilesHash} from './hash.js'

export const BUILTIN_ENCODER = 'builtin'

export type LoadEncoderParameters = {
  /** `builtin` (default), a local folder, or a Hugging Face model id. */
  encoder?: string
  device?: DeviceRequest
  /** Whether a hub model may be downloaded; default: whether the hub answers. */
  allowRemote?: boolean
}

export type LoadEncoderReturnType = {encoder: Encoder; device: ResolvedDevice}

/** Resolves the device, then loads the encoder on it. */
export async function loadEncoder(params: LoadEncoderParameters = {}): Promise<LoadEncoderReturnType> {
  const spec = params.encoder ?? BUILTIN_ENCODER
  const device = await resolveDevice(params.device ?? 'auto')
  if (spec === BUILTIN_ENCODER) return {encoder: await loadBuiltinEncoder(device.device), device}
  const allowRemote = isLocalEncoderSpec(spec) ? false : (params.allowRemote ?? (await hubReachable()))
  const encoder = await loadTransformersEncoder(spec, device.device, {allowRemote})
  await primeDim(encoder)
  return {encoder, device}
}
