/**
 * Imported first by every ink view, before ink itself: ink colours through chalk, which decides
 * once, when it loads, from FORCE_COLOR and whether stdout is a TTY, and ignores NO_COLOR. Setting
 * FORCE_COLOR=0 here, before chalk loads, makes the ink views follow the same rule as src/ui/color.ts:
 * no colour under NO_COLOR, with FORCE_COLOR=0, or when stdout is not a terminal.
 */
import {colorEnabled} from './color.js'

if (!colorEnabled(process.stdout)) process.env.FORCE_COLOR = '0'
