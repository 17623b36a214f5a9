import {readFileSync} from 'node:fs'

/**
 * Whether a process runs. A zombie (exited, not yet reaped: our detached supervisor is reparented,
 * and its new parent may reap it late) counts as gone, which `kill(pid, 0)` alone cannot tell.
 */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
  if (process.platform === 'linux') {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      // Field 3, after the parenthesised command name (which may itself contain spaces).
      return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
    } catch {
      return false
    }
  }
  return true
}
