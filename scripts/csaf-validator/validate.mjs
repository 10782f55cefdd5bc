// Runs the CSAF 2.0 schema test and every mandatory test of
// @secvisogram/csaf-validator-lib (an implementation independent of
// cradle) on each file named on the command line. Prints one JSON object
// per file ({file, isValid, failed: [{name, errors}]}) and exits 1 when
// any file fails a test, 2 on a usage or read error.
import { readFile } from 'node:fs/promises'
import validate from '@secvisogram/csaf-validator-lib/validate.js'
import * as schema from '@secvisogram/csaf-validator-lib/schemaTests.js'
import * as mandatory from '@secvisogram/csaf-validator-lib/mandatoryTests.js'

const files = process.argv.slice(2)
if (files.length === 0) {
  console.error('usage: node validate.mjs FILE.json...')
  process.exit(2)
}
const tests = [...Object.values(schema), ...Object.values(mandatory)]
let ok = true
for (const file of files) {
  let doc
  try {
    doc = JSON.parse(await readFile(file, 'utf8'))
  } catch (e) {
    console.error(`${file}: ${e.message}`)
    process.exit(2)
  }
  const res = await validate(tests, doc)
  const failed = res.tests
    .filter((t) => !t.isValid || t.errors.length > 0)
    .map((t) => ({ name: t.name, errors: t.errors }))
  ok = ok && res.isValid && failed.length === 0
  console.log(JSON.stringify({ file, isValid: res.isValid && failed.length === 0, tests: res.tests.length, failed }))
}
process.exit(ok ? 0 : 1)
