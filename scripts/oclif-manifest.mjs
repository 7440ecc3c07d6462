// Writes oclif.manifest.json: every command's id, flags, arguments and help text, read once at
// build time. With it oclif starts without importing every command module (and what each imports),
// so `dmareplay --version` or `--help` take a fraction of a second and a command loads only its own
// modules. `npm run build` runs this after tsc, so the manifest always matches dist/.
import { Plugin } from '@oclif/core';
import { writeFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, 'oclif.manifest.json');
// A stale manifest must not be read while the new one is made.
rmSync(target, { force: true });
const plugin = new Plugin({ root, type: 'core', isRoot: true, ignoreManifest: true, errorOnManifestCreate: true });
await plugin.load();
writeFileSync(target, `${JSON.stringify(plugin.manifest, null, 2)}\n`);
