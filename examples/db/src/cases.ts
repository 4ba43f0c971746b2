/** Tests per file: enough for the growth of the engine-per-test version to stand out. */
export const TESTS = 150
