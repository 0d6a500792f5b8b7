'use strict';
// The floor of any promise-hook instrumentation, for the debug-mode benchmarks: `node -r
// ./bench/peers/empty-promise-hooks.cjs app.js` installs empty v8.promiseHooks (init and settled, the two
// asyncdebug's debug mode uses) and nothing else. What V8 itself does differently once a hook is on (it
// makes a real promise where it would skip one, e.g. for each element of Promise.all) shows here.
const { promiseHooks } = require('node:v8');

promiseHooks.createHook({ init() {}, settled() {} });
