/** Flags for a headless run as root in a container. */
export const chromiumArgs: string[]
/** The caller's environment with a real locale for the browser (en_US.UTF-8 in place of C/POSIX). */
export function chromiumEnv(env?: NodeJS.ProcessEnv): NodeJS.ProcessEnv
/** CHROMIUM_PATH when set, else the binary shipped in @sparticuz/chromium. */
export function chromiumPath(env?: NodeJS.ProcessEnv): Promise<string>
/** Options for playwright-core's `chromium.launch()`. */
export function chromiumLaunchOptions(): Promise<{ executablePath: string; args: string[]; env: NodeJS.ProcessEnv }>
