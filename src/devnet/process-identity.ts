import {execFileSync} from 'node:child_process'
import {readFileSync} from 'node:fs'

/**
 * Who a pid is: its start time and command line, recorded when the devnet starts a process. A pid
 * alone is not an identity: once our anvil or supervisor has exited the kernel hands the number to
 * the next process, and `devnet stop` must never signal that one.
 */
export type ProcessIdentity = {pid: number; startTime: string; command: string}

/** The identity of a running process, or undefined when there is none with that pid (or it is a zombie). */
export function processIdentity(pid: number): ProcessIdentity | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined
  return process.platform === 'linux' ? fromProc(pid) : fromPs(pid)
}

/** Whether `recorded` still names the same process: same pid, start time and command line. */
export function isSameProcess(recorded: ProcessIdentity): boolean {
  const now = processIdentity(recorded.pid)
  return now !== undefined && now.startTime === recorded.startTime && now.command === recorded.command
}

function fromProc(pid: number): ProcessIdentity | undefined {
  let stat: string
  let cmdline: string
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
  } catch {
    return undefined
  }
  // The fields after the parenthesised command name (which may hold spaces): state is field 3,
  // starttime (clock ticks after boot) field 22.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  if (fields[0] === 'Z') return undefined
  return {pid, startTime: fields[19], command: cmdline.replace(/\0+$/, '').split('\0').join(' ')}
}

/** Elsewhere (macOS, the BSDs): ps prints the start time and the command line. */
function fromPs(pid: number): ProcessIdentity | undefined {
  let out: string
  try {
    out = execFileSync('ps', ['-p', String(pid), '-o', 'stat=,lstart=,command='], {encoding: 'utf8'}).trim()
  } catch {
    return undefined
  }
  const m = /^(\S+)\s+(\S+\s+\S+\s+\d+\s+[\d:]+\s+\d+)\s+(.*)$/.exec(out)
  if (!m || m[1].startsWith('Z')) return undefined
  return {pid, startTime: m[2], command: m[3]}
}
