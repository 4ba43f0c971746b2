// A throwaway PostgreSQL server for the suite's `engine: 'server'` tests: Debian's postgresql
// (installed with apt-get when missing and this process may, as a user's `npm test` on a fresh
// machine would), initdb into a temp dir, a free port on 127.0.0.1, trust authentication, run
// as the `postgres` user when we are root (postgres refuses to run as root). Stopped by
// stop(), and on process exit if a test run dies before calling it.
import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface PostgresServer {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  url: string
  port: number
  stop(): void
}

const ROOT = '/usr/lib/postgresql'

function binDir(): string | undefined {
  if (!existsSync(ROOT)) return undefined
  const versions = readdirSync(ROOT).filter((v) => existsSync(join(ROOT, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a))
  return versions[0] ? join(ROOT, versions[0], 'bin') : undefined
}

function install(): void {
  if (process.getuid?.() !== 0) {
    throw new Error('PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb) and installing it needs root: run `apt-get install postgresql` (Debian/Ubuntu), or set DATABASE_URL to a server.')
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env })
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'postgresql'], { stdio: 'ignore', env })
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/** Start a server, or return one from DATABASE_URL when it is set (then stop() does nothing). */
export async function startPostgres(): Promise<PostgresServer> {
  if (process.env.DATABASE_URL) {
    const url = process.env.DATABASE_URL
    return { url, port: Number(new URL(url).port || 5432), stop() {} }
  }
  let bin = binDir()
  if (!bin) {
    install()
    bin = binDir()
    if (!bin) throw new Error('apt-get install postgresql finished, but no initdb was found under /usr/lib/postgresql.')
  }
  const asRoot = process.getuid?.() === 0
  const dir = mkdtempSync(join(tmpdir(), 'vitest-memory-pg-'))
  const data = join(dir, 'data')
  // As root, the server runs as `postgres`, which must be able to write there.
  chmodSync(dir, 0o777)
  const run = (cmd: string, args: string[]) => {
    const full = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin!, cmd), ...args]] as const : [join(bin!, cmd), args] as const
    const result = spawnSync(full[0], [...full[1]], { encoding: 'utf8' })
    if (result.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${result.status}): ${result.stderr || result.stdout || result.error?.message}`)
  }
  const port = await freePort()
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8'])
  const options = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`
  run('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', '-t', '60', 'start'])
  let stopped = false
  const stop = () => {
    if (stopped) return
    stopped = true
    process.removeListener('exit', stop)
    try {
      run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop'])
    } catch {
      // Already gone.
    }
    rmSync(dir, { recursive: true, force: true })
  }
  process.once('exit', stop)
  return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, port, stop }
}
