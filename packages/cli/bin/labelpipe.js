#!/usr/bin/env node
// A committed launcher, so pnpm links the bin at install time, before `prepare` builds dist/.
import { main } from '../dist/main.js'

process.exitCode = await main(process.argv.slice(2))
