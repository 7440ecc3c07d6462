// Copies the cost profiles (JSON beside their sources in src/cost/profiles/) into dist/, which tsc
// does not do: the packed package ships dist/ and not src/, and must still find its profiles.
import { cpSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
cpSync(join(root, 'src', 'cost', 'profiles'), join(root, 'dist', 'cost', 'profiles'), { recursive: true });
