#!/usr/bin/env node
// Installed entry point: the CLI is bundled into dist/cli.js by `npm run build`.
require('../dist/cli.js').cliEntry();
