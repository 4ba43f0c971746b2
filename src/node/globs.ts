// The globs of `overrides[].files` and `repeat.files`: checked when the options load (a pattern
// picomatch cannot read is an option error), and against the suite's test files when a run starts
// (a glob that matches none of them is a warning naming what it could have meant). Main process only.
import { isAbsolute, relative } from 'node:path'
import type { TestProject } from 'vitest/node'
import { glob as picomatch } from '../shared/budget.ts'
import { distance } from '../shared/distance.ts'

/** A glob and the option it came from, e.g. `{ option: 'overrides[0].files', glob: 'test/db/**' }`. */
export interface NamedGlob {
  option: string
  glob: string
}

/** Why a glob cannot be used, or undefined when it can: unbalanced brackets and braces silently match nothing otherwise. */
export function globProblem(glob: string): string | undefined {
  try {
    // picomatch reads an unclosed `[` or `{` as a literal, or as a pattern matching nothing: strictly, it says so.
    picomatch().makeRe(glob, { dot: true, strictBrackets: true })
    return undefined
  } catch (error) {
    return (error as Error).message
  }
}

/** The option's globs as `NamedGlob`s (after `resolveOptions`, so every glob is a non-empty string). */
export function namedGlobs(overrides: ReadonlyArray<{ files: string[] }>, repeatFiles: readonly string[]): NamedGlob[] {
  return [
    ...overrides.flatMap((o, i) => o.files.map((glob) => ({ option: `overrides[${i}].files`, glob }))),
    ...repeatFiles.map((glob) => ({ option: 'repeat.files', glob })),
  ]
}

function matcher(glob: string): (file: string) => boolean {
  return picomatch()(glob, { dot: true })
}

const EXTENSION = /\.[cm]?[jt]sx?$/
const EXTENSIONS = ['.ts', '.js', '.mts', '.mjs', '.cts', '.cjs', '.tsx', '.jsx']

const stem = (path: string) => (path.split('/').pop() ?? '').split('.')[0]!

export interface Suggestion {
  /** Globs or files the glob may have meant, closest first (at most 3). */
  candidates: string[]
  /** The glob is an absolute path: `candidates` holds its form relative to the root. */
  absolute: boolean
}

/**
 * What a glob that matches none of `files` (paths relative to `root`, with `/`) may have meant:
 * its form relative to the root when it is absolute; the same glob with another extension
 * (`a.test.ts` for `a.test.js`) or under `**\/`; files of the same name in another folder or with
 * another extension; else the nearest paths by edit distance.
 */
export function suggest(glob: string, root: string, files: readonly string[]): Suggestion {
  const matchesAny = (g: string) => {
    const m = matcher(g)
    return files.some((f) => m(f))
  }
  if (isAbsolute(glob)) {
    const rel = relative(root, glob).split('\\').join('/')
    if (!rel.startsWith('..') && matchesAny(rel)) return { candidates: [rel], absolute: true }
  }
  const variants = EXTENSION.test(glob) ? EXTENSIONS.map((ext) => glob.replace(EXTENSION, ext)).filter((g) => g !== glob && matchesAny(g)) : []
  if (variants.length) return { candidates: variants.slice(0, 3), absolute: false }
  if (!glob.startsWith('**/') && !isAbsolute(glob) && matchesAny(`**/${glob}`)) return { candidates: [`**/${glob}`], absolute: false }
  const name = stem(glob)
  const sameName = /[*?[{]/.test(name) ? [] : files.filter((f) => stem(f) === name)
  if (sameName.length) return { candidates: sameName.slice(0, 3), absolute: false }
  const limit = Math.max(2, Math.floor(glob.length / 4))
  const near = files.map((f) => ({ f, d: distance(glob, f) })).filter((x) => x.d <= limit).sort((a, b) => a.d - b.d).map((x) => x.f)
  return { candidates: near.slice(0, 3), absolute: false }
}

/** One project's test files: absolute paths, and the root its globs are relative to. */
export interface ProjectFiles {
  root: string
  files: readonly string[]
}

/**
 * The warnings for globs no test file of any project they apply to matches: one per glob, with
 * what it may have meant. `projects` pairs each glob's projects with their test files (all of
 * them, not only this run's: a filtered run or a shard leaves files out on purpose).
 */
export function unmatchedGlobWarnings(checks: ReadonlyArray<{ globs: readonly NamedGlob[]; project: ProjectFiles }>): string[] {
  const byGlob = new Map<string, { named: NamedGlob; projects: Array<{ root: string; files: string[] }> }>()
  for (const { globs, project } of checks) {
    const files = project.files.map((f) => relative(project.root, f).split('\\').join('/'))
    for (const named of globs) {
      const k = `${named.option}\0${named.glob}`
      let entry = byGlob.get(k)
      if (!entry) byGlob.set(k, (entry = { named, projects: [] }))
      entry.projects.push({ root: project.root, files })
    }
  }
  const warnings: string[] = []
  for (const { named, projects } of byGlob.values()) {
    const m = matcher(named.glob)
    if (projects.some((p) => p.files.some((f) => m(f)))) continue
    const root = projects[0]!.root
    const files = [...new Set(projects.flatMap((p) => p.files))]
    const { candidates, absolute } = suggest(named.glob, root, files)
    const quoted = candidates.map((c) => `'${c}'`).join(' or ')
    const effect = named.option === 'repeat.files' ? 'no test repeats because of it' : 'what it sets never applies'
    const relativeHint = `Globs are matched against paths relative to the project root (${root})`
    const hint = absolute
      ? `Globs are matched against paths relative to the project root: did you mean ${quoted}?`
      : candidates.length
        ? `Did you mean ${quoted}?`
        : files.length ? `${relativeHint}, such as '${files[0]}'.` : `${relativeHint}, and the project has no test files.`
    warnings.push(`vitest-memory: ${named.option} '${named.glob}' matches no test file, so ${effect}. ${hint}`)
  }
  return warnings
}

/** `unmatchedGlobWarnings` for the projects' test files as Vitest finds them (cached by Vitest after its own search). */
export async function globWarnings(checks: ReadonlyArray<{ project: TestProject; globs: readonly NamedGlob[] }>): Promise<string[]> {
  if (checks.length === 0) return []
  try {
    const found = await Promise.all(checks.map(async ({ project, globs }) => ({ globs, project: { root: project.config.root, files: (await project.globTestFiles()).testFiles } })))
    return unmatchedGlobWarnings(found)
  } catch {
    // Vitest could not list the files (it reports that itself): nothing to check against.
    return []
  }
}
