#!/usr/bin/env node
// The `dubegrid` CLI. Runs the TypeScript sources through tsx, so `npx dubegrid`
// works straight after `npm ci` with no build step.
import { register } from 'tsx/esm/api';

// The SDK's "node >= 22 from 2027" notice is for library authors, not for users of this CLI.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
await import('../src/cli/main.ts');
