// Prints what selectLmDevice(argv[2]) chose, as JSON (run in a child process with its own environment).
import {selectLmDevice} from '../../../src/lm/device.js'

process.stdout.write(JSON.stringify(await selectLmDevice((process.argv[2] ?? 'auto') as 'auto')) + '\n')
