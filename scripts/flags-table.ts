// `npm run docs:flags`: writes the README's configuration table from the flags' one declaration
// (src/cli/flags.ts), between the <!-- flags:start --> and <!-- flags:end --> markers.
// test/cli-flags.test.ts fails while the README's table differs from it.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configurationTable } from '../src/cli/flags.ts';

const file = join(import.meta.dirname, '..', 'README.md');
const text = readFileSync(file, 'utf8');
const start = text.indexOf('<!-- flags:start -->\n');
const end = text.indexOf('<!-- flags:end -->');
if (start < 0 || end < start) throw new Error('README.md has no <!-- flags:start --> ... <!-- flags:end --> markers');
writeFileSync(file, `${text.slice(0, start)}<!-- flags:start -->\n${configurationTable()}${text.slice(end)}`);
console.log('README.md: configuration table written');
