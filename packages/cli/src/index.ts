export type { CliIo } from './main.js'
export { exitCodes, main } from './main.js'
