// Preloaded (node --import) into CLI children by tests: at exit, the process writes its own peak
// resident set (KiB, worker threads included) to $DMAREPLAY_RSS_FILE, so memory limits are checked
// on the measured process itself, not guessed from outside.
import { writeFileSync } from 'node:fs';

const file = process.env.DMAREPLAY_RSS_FILE;
if (file) process.on('exit', () => writeFileSync(file, String(process.resourceUsage().maxRSS)));
