/**
 * SA-IS on Zipf tokens in a process of its own (run by bench/attribution.ts through runBenchScript):
 * the same build with a fresh heap and nothing else allocated, beside the row measured inside the
 * bench. Prints {min, median} in ms.
 */
import {buildSuffixArray} from '../src/attribution/suffix-array.js'
import {createRandom} from '../src/model/prng.js'
import {timeRepeated} from './report.js'

const {tokens, alphabet, repeats, seed} = JSON.parse(process.argv[2]) as {tokens: number; alphabet: number; repeats: number; seed: number}
const rand = createRandom(seed).next
const text = Int32Array.from({length: tokens}, () => Math.floor(alphabet * rand() ** 3))
buildSuffixArray(text, alphabet)
process.stdout.write(JSON.stringify(timeRepeated(repeats, () => buildSuffixArray(text, alphabet).length)))
