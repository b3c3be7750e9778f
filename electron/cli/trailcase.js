#!/usr/bin/env node
// Launcher for `trailcase` (package.json "bin"): loads the TypeScript sources
// through tsx, so `npx trailcase …` works in a checkout after `npm install`.
import { register } from 'tsx/esm/api';
register();
await import('./main.ts');
