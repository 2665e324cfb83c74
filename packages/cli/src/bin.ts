#!/usr/bin/env node
// Placeholder until the rsky command lands (issue 5).
console.error('rsky: not built yet')
process.exit(2)
