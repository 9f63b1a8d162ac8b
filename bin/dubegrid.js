#!/usr/bin/env -S MALLOC_MMAP_THRESHOLD_=262144 node --max-semi-space-size=8
// The `dubegrid` CLI. Runs the TypeScript sources through tsx, so `npx dubegrid`
// works straight after `npm ci` with no build step.
//
// The shebang's settings are for the process that runs the embedded pipeline (`up`, `start`,
// a command's own stack):
// - the flag: V8 grows each of its two semi-spaces to 16 MiB under the pipeline's steady
//   allocation and keeps them, 32 MiB of resident memory for objects that live one batch;
//   8 MiB each gave ~25 MiB less at the stack's peak, 4 MiB no more than 8;
// - MALLOC_MMAP_THRESHOLD_: glibc's threshold, fixed instead of rising to each large block
//   freed, so large buffers are unmapped when freed rather than left to fragment the heap:
//   ~16 MiB less at `up`'s peak, the same as the emulator host's (emulator-process.ts)
// (docs/reliability.md → "Peak memory", "Fourth pass"). Both are read only at start-up, so
// they must be on the command line: here for `npx dubegrid` and an installed `dubegrid`, in
// package.json's scripts for `npm start`. `node bin/dubegrid.js …` without them works the
// same, with more memory.
import { register } from 'tsx/esm/api';

// The SDK's "node >= 22 from 2027" notice is for library authors, not for users of this CLI.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
await import('../src/cli/main.ts');
