/**
 * Process entry of the ops command line: `main.ts mapping <command> …` and
 * `main.ts adapter <command> …`. Kept to argument dispatch and the exit code; commands live in
 * their own files.
 */
import { runAdapterCli } from './adapter.js'
import { runMappingCli } from './mapping.js'

const [group, ...rest] = process.argv.slice(2)
const io = { stdout: process.stdout, stderr: process.stderr }

if (group === 'mapping') {
  process.exitCode = await runMappingCli(rest, io)
} else if (group === 'adapter') {
  process.exitCode = await runAdapterCli(rest, io)
} else {
  process.stderr.write('usage: main <mapping|adapter> <command> … (see "mapping --help", "adapter --help")\n')
  process.exitCode = 2
}
