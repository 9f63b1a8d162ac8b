#!/usr/bin/env node
// `npm run soak -- [NAME…] [--json] [--list] [flags]`: the fault-and-load suite (test/soak/main.ts).
import { register } from 'tsx/esm/api';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
await import('../test/soak/main.ts');
