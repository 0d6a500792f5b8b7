export * from './reporter-list.js'; // the old path, for imports not yet moved (issue 20)
