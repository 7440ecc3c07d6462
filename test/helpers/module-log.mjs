// Preloaded into a CLI child (node --import): appends every bare package name the child resolves
// to $DMAREPLAY_MODULE_LOG, one a line, so a test can tell which libraries a command loaded.
import { register } from 'node:module';

register('./module-log-hooks.mjs', import.meta.url, { data: { log: process.env.DMAREPLAY_MODULE_LOG } });
