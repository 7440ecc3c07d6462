// The resolve hook behind module-log.mjs (module hooks run on their own thread).
import { appendFileSync } from 'node:fs';

let log;
export function initialize(data) {
  log = data?.log;
}

export async function resolve(specifier, context, next) {
  // Bare specifiers only: packages, not the project's own relative imports or node: builtins.
  if (log && !/^(\.|\/|node:|file:)/.test(specifier)) appendFileSync(log, `${specifier}\n`);
  return next(specifier, context);
}
