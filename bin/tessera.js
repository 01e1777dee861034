#!/usr/bin/env node
// The CLI is compiled by `npm install` (prepare) and `npm start`; this shim only loads it.
import '../dist/src/cli/index.js';
