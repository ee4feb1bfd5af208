// CPU time of a process tree, for the harness's CPU columns: a database server's backends come and go during a
// case, and the CPU they used is the other half of what a load costs on a machine with few cores.
import { readdir, readFile } from 'node:fs/promises'

/**
 * /proc/<pid>/stat counts in USER_HZ ticks, which the kernel fixes at 100 for every user-space interface on
 * Linux (`getconf CLK_TCK`; proc(5)), whatever its internal HZ.
 */
const ticksPerSecond = 100

interface ProcStat {
  readonly ppid: number
  /** utime + stime: the process's own CPU. */
  readonly own: number
  /** cutime + cstime: the CPU of the children it has reaped (and of theirs). */
  readonly reaped: number
}

/** Fields of /proc/<pid>/stat after the command name, which is in parentheses and may hold spaces or ')'. */
async function procStat(pid: number): Promise<ProcStat | undefined> {
  let text: string
  try {
    text = await readFile(`/proc/${pid}/stat`, 'latin1')
  } catch {
    return undefined // exited between the listing and the read: its CPU is in its parent's cutime once reaped
  }
  // proc(5): field 4 is ppid, 14-17 utime, stime, cutime, cstime; after ") " field 3 (state) is index 0.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  const at = (field: number) => Number(fields[field - 3])
  return { ppid: at(4), own: at(14) + at(15), reaped: at(16) + at(17) }
}

/**
 * User + system CPU seconds that process `pid` and every descendant alive now have used, plus those of its
 * descendants that exited and were reaped (the kernel adds them to the reaper's cutime/cstime; PostgreSQL's
 * postmaster reaps its backends). Linux only. Rejects when `pid` is not running.
 *
 * A child that exits during the scan of /proc would be missed (reaped after the root was read, gone before its
 * own stat was) or counted twice, so the scan is repeated until the root's count of reaped CPU held still across
 * it, for at most `settleMs`. Measured: read right after psql exited, a single pass gave the server 0.00 s for a
 * 2 CPU-second query in 2 runs of 3; with the repeat, 1.9-2.3 s in 5 of 5.
 */
export async function processTreeCpuSeconds(pid: number, settleMs = 5000): Promise<number> {
  const deadline = Date.now() + settleMs
  for (;;) {
    const before = await rootStat(pid)
    const descendants = await descendantStats(pid)
    const root = await rootStat(pid)
    if (root.reaped === before.reaped || Date.now() >= deadline) {
      const ticks = descendants.reduce((sum, { own, reaped }) => sum + own + reaped, root.own + root.reaped)
      return ticks / ticksPerSecond
    }
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

async function rootStat(pid: number): Promise<ProcStat> {
  const stat = await procStat(pid)
  if (stat === undefined) throw new Error(`process ${pid} is not running`)
  return stat
}

/** The stats of the descendants of `pid` alive (or exiting) now. */
async function descendantStats(pid: number): Promise<ProcStat[]> {
  const stats = new Map<number, ProcStat>()
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue
    const stat = await procStat(Number(name))
    if (stat !== undefined) stats.set(Number(name), stat)
  }
  const children = new Map<number, number[]>()
  for (const [child, { ppid }] of stats) {
    const siblings = children.get(ppid)
    if (siblings === undefined) children.set(ppid, [child])
    else siblings.push(child)
  }
  const found: ProcStat[] = []
  const pending = [...(children.get(pid) ?? [])]
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const stat = stats.get(next)
    if (stat !== undefined) found.push(stat)
    pending.push(...(children.get(next) ?? []))
  }
  return found
}
