import { describe, expect, test, vi } from 'vitest'
import { VIRTUAL_SETUP_ID } from '../../src/constants.ts'
import { memory, setupEntryFor } from '../../src/node/plugin.ts'
import { PROVIDE_KEY } from '../../src/types.ts'

function fakeVitest() {
  return { config: { reporters: [] as unknown[], root: '/repo' }, logger: { log: vi.fn() } }
}
function fakeProject(name: string, options: { browser?: boolean; pool?: string; isolate?: boolean } = {}) {
  return {
    name,
    config: { browser: { enabled: options.browser ?? false }, pool: options.pool ?? 'forks', isolate: options.isolate ?? true, root: '/repo', setupFiles: ['./setup.ts'] as string[] },
    provide: vi.fn(),
  }
}
type Hook = (ctx: { vitest: unknown; project: unknown }) => void
const configure = (plugin: ReturnType<typeof memory>) => plugin.configureVitest as unknown as Hook

describe('configureVitest', () => {
  test('installs the setup module first, once, and hands the options to workers', () => {
    const vitest = fakeVitest()
    const project = fakeProject('unit', { pool: 'vmThreads' })
    const plugin = memory({ budget: { retained: '1 MB' } })
    configure(plugin)({ vitest, project })
    configure(plugin)({ vitest, project })
    expect(project.config.setupFiles).toEqual([VIRTUAL_SETUP_ID, './setup.ts'])
    expect(project.provide).toHaveBeenCalledWith(PROVIDE_KEY, expect.objectContaining({ budget: { retained: 1_000_000 }, pool: 'vmThreads', root: '/repo', mode: 'auto' }))
  })

  test('isolated forks and threads get the plain install file, once', () => {
    const project = fakeProject('unit', { pool: 'threads' })
    const plugin = memory()
    configure(plugin)({ vitest: fakeVitest(), project })
    configure(plugin)({ vitest: fakeVitest(), project })
    expect(project.config.setupFiles).toEqual([expect.stringMatching(/worker[\\/]install\.js$/), './setup.ts'])
  })

  test('one reporter per Vitest instance, however many projects and plugin instances', () => {
    const vitest = fakeVitest()
    configure(memory())({ vitest, project: fakeProject('a') })
    configure(memory())({ vitest, project: fakeProject('b') })
    expect(vitest.config.reporters).toHaveLength(1)
    const other = fakeVitest()
    configure(memory())({ vitest: other, project: fakeProject('a') })
    expect(other.config.reporters).toHaveLength(1)
  })

  test('browser projects are left alone, with a one-line notice', () => {
    const vitest = fakeVitest()
    const project = fakeProject('ui', { browser: true })
    configure(memory())({ vitest, project })
    expect(project.config.setupFiles).toEqual(['./setup.ts'])
    expect(project.provide).not.toHaveBeenCalled()
    expect(vitest.logger.log).toHaveBeenCalledWith('vitest-memory: project "ui" runs in the browser; memory is measured in Node pools only, skipping it.')
  })

  test('the virtual setup module imports the built worker entry and installs it', () => {
    const plugin = memory()
    const resolveId = plugin.resolveId as unknown as (id: string) => string | undefined
    const load = plugin.load as unknown as (id: string) => string | undefined
    expect(resolveId(VIRTUAL_SETUP_ID)).toBe(VIRTUAL_SETUP_ID)
    expect(resolveId('./other.ts')).toBeUndefined()
    expect(load(VIRTUAL_SETUP_ID)).toMatch(/^import \{ install \} from ".*worker\/setup\.js"\ninstall\(\)\n$/)
  })

  test('the virtual module wherever one worker runs several files', () => {
    expect(setupEntryFor('forks', true)).toMatch(/worker[\\/]install\.js$/)
    expect(setupEntryFor('threads', undefined)).toMatch(/worker[\\/]install\.js$/)
    expect(setupEntryFor('forks', false)).toBe(VIRTUAL_SETUP_ID)
    expect(setupEntryFor('threads', false)).toBe(VIRTUAL_SETUP_ID)
    expect(setupEntryFor('vmForks', true)).toBe(VIRTUAL_SETUP_ID)
    expect(setupEntryFor('vmThreads', true)).toBe(VIRTUAL_SETUP_ID)
    expect(setupEntryFor('./custom-pool.ts', true)).toBe(VIRTUAL_SETUP_ID)
  })

  test('bad options fail when the config loads', () => {
    expect(() => memory({ budget: { retained: '5 MX' } })).toThrow(/budget\.retained: "5 MX" is not a size/)
  })
})
