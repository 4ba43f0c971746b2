// The setup file of projects that give every test file a fresh worker (forks and threads with
// `isolate` on, the default): imported once per worker, so once per file. Loaded as a plain file,
// it skips the module runner's fetch and evaluation of the virtual setup module (~1.5 ms per file).
import { install } from './setup.ts'

install()
