/** Tests per file: each PGlite instance costs seconds to start and ~220 MB of RSS, so a few make the point. */
export const TESTS = 4
