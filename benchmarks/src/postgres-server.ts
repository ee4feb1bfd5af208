// A real PostgreSQL server for the Postgres tests and the benchmark harness (test/README.md: real servers, no
// mocks), or the one PG_URL names. Own servers: initdb into a temp folder (as the `postgres` OS user when we are
// root: PostgreSQL refuses to run as root), started with fsync off on a free 127.0.0.1 port and a unix socket
// inside that folder, password authentication over TCP (so a wrong password fails as it would in production),
// stopped and removed by `stop()`.

import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { access, chmod, chown, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { promisify } from 'node:util'
import { processTreeCpuSeconds } from './process-cpu.js'

const run = promisify(execFile)

export interface PostgresServer {
  /** `postgresql://postgres:<password>@127.0.0.1:<port>/postgres`, or PG_URL. */
  readonly url: string
  /** The folder of the server's binaries (psql is beside initdb), or undefined for PG_URL. */
  readonly bin: string | undefined
  /** A URL of the same server with `change` applied (another database, a wrong password). */
  urlWith(change: { readonly password?: string; readonly database?: string }): string
  /** Stops the server and removes its folder; a no-op for PG_URL. */
  stop(): Promise<void>
  /**
   * Kills the server at once (`pg_ctl stop -m immediate`: every backend dies mid-statement, as in a crash) and starts
   * it again with the same settings, for fault tests. Undefined for PG_URL, which is not ours to restart.
   */
  readonly restart: (() => Promise<void>) | undefined
  /**
   * CPU seconds (user + system) the server's processes have used since it started: the postmaster and every
   * backend, live or exited (process-cpu.ts). Undefined for PG_URL, whose processes may be on another machine.
   */
  readonly cpuSeconds: (() => Promise<number>) | undefined
}

export async function startPostgresServer(): Promise<PostgresServer> {
  const given = process.env.PG_URL
  if (given !== undefined && given !== '')
    return {
      url: given,
      bin: undefined,
      urlWith: (change) => withChange(given, change),
      stop: async () => undefined,
      restart: undefined,
      cpuSeconds: undefined,
    }

  const bin = await findPostgresBin()
  const root = await mkdtemp(join(tmpdir(), 'labelpipe-pg-'))
  const asRoot = process.getuid?.() === 0
  const owner = asRoot ? await postgresUser() : undefined
  const runAs = (command: string, args: readonly string[]) =>
    owner === undefined ? run(command, [...args]) : run('runuser', ['-u', 'postgres', '--', command, ...args])
  const data = join(root, 'data')
  const password = randomBytes(12).toString('hex')
  const passwordFile = join(root, 'password')
  await writeFile(passwordFile, `${password}\n`)
  if (owner !== undefined) {
    await chown(root, owner.uid, owner.gid)
    await chown(passwordFile, owner.uid, owner.gid)
  }
  await chmod(root, 0o700)
  const port = await freePort()
  const settings = [
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    `-c listen_addresses=127.0.0.1`,
    `-p ${port}`,
    `-k ${root}`,
  ]
  const startServer = () =>
    runAs(join(bin, 'pg_ctl'), ['-D', data, '-l', join(root, 'server.log'), '-o', settings.join(' '), '-w', '-t', '60', 'start'])
  try {
    await runAs(join(bin, 'initdb'), [
      '-D',
      data,
      '-U',
      'postgres',
      '-E',
      'UTF8',
      '--locale=C',
      '--no-sync',
      `--pwfile=${passwordFile}`,
      '--auth-local=trust',
      '--auth-host=scram-sha-256',
    ])
    await startServer()
  } catch (error) {
    await rm(root, { recursive: true, force: true })
    throw new Error(`could not start PostgreSQL from ${bin}: ${(error as Error).message}`)
  }
  const url = `postgresql://postgres:${password}@127.0.0.1:${port}/postgres`
  return {
    url,
    bin,
    urlWith: (change) => withChange(url, change),
    async stop() {
      await runAs(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined)
      await rm(root, { recursive: true, force: true })
    },
    async restart() {
      await runAs(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop'])
      await startServer()
    },
    async cpuSeconds() {
      // postmaster.pid's first line is the postmaster's pid (a restart gives a new one).
      const pid = Number((await readFile(join(data, 'postmaster.pid'), 'latin1')).split('\n')[0])
      return processTreeCpuSeconds(pid)
    },
  }
}

function withChange(url: string, change: { readonly password?: string; readonly database?: string }): string {
  const changed = new URL(url)
  if (change.password !== undefined) changed.password = change.password
  if (change.database !== undefined) changed.pathname = `/${change.database}`
  return changed.toString()
}

/** The folder of initdb and pg_ctl: PATH first, then the newest /usr/lib/postgresql/<version>/bin (Debian, Ubuntu). */
async function findPostgresBin(): Promise<string> {
  const candidates = (process.env.PATH ?? '').split(delimiter).filter((dir) => dir !== '')
  const versions = await readdir('/usr/lib/postgresql').catch(() => [] as string[])
  for (const version of versions.sort((a, b) => Number(b) - Number(a))) candidates.push(join('/usr/lib/postgresql', version, 'bin'))
  for (const dir of candidates) {
    const found = await Promise.all(
      ['initdb', 'pg_ctl', 'postgres'].map((name) =>
        access(join(dir, name)).then(
          () => true,
          () => false,
        ),
      ),
    )
    if (found.every(Boolean)) return dir
  }
  throw new Error('PostgreSQL not found (initdb, pg_ctl, postgres on PATH or in /usr/lib/postgresql/*/bin); install it or set PG_URL')
}

async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])])
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

/** The psql of the server's own binaries when it has one there, else the one on PATH. */
export function psqlOf(server: PostgresServer): string {
  return server.bin !== undefined && existsSync(join(server.bin, 'psql')) ? join(server.bin, 'psql') : 'psql'
}
