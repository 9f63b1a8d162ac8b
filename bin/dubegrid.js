#!/usr/bin/env -S node --max-semi-space-size=8
// The `dubegrid` CLI. Runs the TypeScript sources through tsx, so `npx dubegrid`
// works straight after `npm ci` with no build step.
//
// The shebang's flag is for the process that runs the embedded pipeline (`up`, `start`,
// a command's own stack): V8 grows each of its two semi-spaces to 16 MiB under the
// pipeline's steady allocation and keeps them, 32 MiB of resident memory for objects that
// live one batch; 8 MiB each gave ~25 MiB less at the stack's peak, 4 MiB no more than 8
// (docs/reliability.md → "Peak memory"). V8 reads it only at start-up, so it must be on the command line: here for
// `npx dubegrid` and an installed `dubegrid`, in package.json's scripts for `npm start`.
// `node bin/dubegrid.js …` without it works the same, with the larger young generation.
import { register } from 'tsx/esm/api';

// The SDK's "node >= 22 from 2027" notice is for library authors, not for users of this CLI.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
await import('../src/cli/main.ts');
