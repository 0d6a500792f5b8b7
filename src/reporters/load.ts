export * from './load-reporters.js'; // the old path, for imports not yet moved (issue 20)
