// Size parsing and formatting, shared by the main process and the workers.
// Units follow IEC: KB/MB/GB are powers of 1000, KiB/MiB/GiB powers of 1024.
import { createRequire } from 'node:module'

type BytesIec = typeof import('bytes-iec')
let bytesModule: BytesIec | undefined
/** bytes-iec, loaded on first use: a worker that formats no message never pays for it. */
function bytes(): BytesIec {
  return (bytesModule ??= createRequire(import.meta.url)('bytes-iec') as BytesIec)
}

/** A size: a number of bytes, or a string such as `"512KB"`, `"1.5 MB"`, `"2GiB"`. */
export type Size = number | string

const SIZE_PATTERN = /^\s*\d+(?:\.\d+)?\s*(?:[kmgtp]i?b|b)?\s*$/i

/**
 * Parse a size. Throws a `TypeError` naming `what` when the value is not a size.
 * `KB` means 1000 bytes and `KiB` 1024 bytes; a plain number is a count of bytes.
 */
export function parseSize(value: unknown, what: string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) {
      throw new TypeError(`${what} must be a non-negative number of bytes or a size string like "512 KB", got ${String(value)}`)
    }
    return Math.round(value)
  }
  if (typeof value === 'string' && SIZE_PATTERN.test(value)) {
    const parsed = bytes().parse(value.trim())
    if (parsed !== null && Number.isFinite(parsed)) return Math.round(parsed)
  }
  throw new TypeError(
    `${what}: ${JSON.stringify(value)} is not a size. Use a number of bytes or a string like "512 KB", "1.5 MB" or "2 GiB" (KB = 1000 bytes, KiB = 1024 bytes).`,
  )
}

/**
 * Format a byte count for people, to three significant digits: `3.21 MB`, `-12.4 kB`, `0 B`
 * (powers of 1000, like the sizes users write).
 */
export function formatBytes(n: number): string {
  const sign = n < 0 ? '-' : ''
  const abs = Math.abs(n)
  if (abs < 1000) return `${sign}${Math.round(abs)} B`
  const mantissa = abs / 1000 ** Math.floor(Math.log10(abs) / 3)
  const decimalPlaces = mantissa >= 99.95 ? 0 : mantissa >= 9.995 ? 1 : 2
  return sign + bytes().format(abs, { decimalPlaces, unitSeparator: ' ' })!
}

/** Format a signed delta: `+3.2 MB`, `-12 KB`, `+0 B`. */
export function formatDelta(n: number): string {
  return n < 0 ? formatBytes(n) : `+${formatBytes(n)}`
}
