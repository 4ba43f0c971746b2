// The headless Chromium that the HTML report's browser tests (and bench/html.mjs) drive with
// playwright-core. One lookup, in this order:
//   1. CHROMIUM_PATH, when set: that binary, or an error naming the variable if it is not there;
//   2. the Chromium binary shipped inside the npm package @sparticuz/chromium (a devDependency,
//      so `npm install` brings it: brotli-packed in the package, unpacked to the temp dir on
//      first use).
// No browser is downloaded from anywhere and no system chromium is needed. Plain .mjs (with
// chromium.d.mts beside it) so that bench scripts run by plain Node 20 can import it too.
import { existsSync } from 'node:fs'

/** Flags for a headless run as root in a container: no sandbox, no GPU, no background traffic. */
export const chromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking']

/**
 * The browser's environment: the caller's, with a real locale. Headless Chromium takes its
 * locale from LANG/LC_ALL (--lang does not change it), and a container's C.UTF-8, C, POSIX or
 * no LANG at all becomes `en-US@posix`, which the page's Intl calls reject
 * (`RangeError: Invalid language tag: en-US@posix` from Date#toLocaleString).
 */
export function chromiumEnv(env = process.env) {
  const posix = (v) => !v || /^(C|POSIX)([._@]|$)/.test(v)
  // An empty LC_ALL makes Chromium's locale `und`, and pages crash: drop it rather than empty it.
  const { LC_ALL, ...rest } = env
  // LC_ALL, when set, wins over LANG.
  if (!posix(LC_ALL || env.LANG)) return LC_ALL ? { ...env } : rest
  return { ...rest, LANG: 'en_US.UTF-8' }
}

/** Path of the Chromium binary to launch (see the order above). */
export async function chromiumPath(env = process.env) {
  if (env.CHROMIUM_PATH) {
    if (!existsSync(env.CHROMIUM_PATH)) throw new Error(`CHROMIUM_PATH is ${env.CHROMIUM_PATH}, and there is no file there: point it at a Chromium binary, or unset it to use the one in @sparticuz/chromium`)
    return env.CHROMIUM_PATH
  }
  let chromium
  try {
    chromium = (await import('@sparticuz/chromium')).default
  } catch (error) {
    throw new Error(`no Chromium for the browser tests: the devDependency @sparticuz/chromium is not installed (run npm install), or set CHROMIUM_PATH to a Chromium binary (${error instanceof Error ? error.message : String(error)})`, { cause: error })
  }
  // Software rendering (SwiftShader) is not needed for a headless page without WebGL.
  chromium.setGraphicsMode = false
  return chromium.executablePath()
}

/** Options for playwright-core's `chromium.launch()`. */
export async function chromiumLaunchOptions() {
  return { executablePath: await chromiumPath(), args: chromiumArgs, env: chromiumEnv() }
}
