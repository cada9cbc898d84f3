#!/usr/bin/env node
/**
 * Process entry of the ops command line (`clienteling-gateway`, package.json `bin`):
 * `mapping <command> …`, `crm <command> …` and `adapter <command> …`. Kept to argument
 * dispatch and the exit code; commands live in their own files.
 */
import { runAdapterCli } from './adapter.js'
import { runCrmCli } from './crm.js'
import { runMappingCli } from './mapping.js'

const [group, ...rest] = process.argv.slice(2)
const io = { stdout: process.stdout, stderr: process.stderr }

if (group === 'mapping') {
  process.exitCode = await runMappingCli(rest, io)
} else if (group === 'crm') {
  process.exitCode = await runCrmCli(rest, io)
} else if (group === 'adapter') {
  process.exitCode = await runAdapterCli(rest, io)
} else {
  process.stderr.write('usage: clienteling-gateway <mapping|crm|adapter> <command> … (see "mapping --help", "crm --help", "adapter --help")\n')
  process.exitCode = 2
}
