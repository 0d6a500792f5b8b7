// The agent's own I/O uses the functions as they were before the sync-I/O detector wrapped them:
// these bindings are copied when this module loads, which is before any detector is installed.
// (An ESM named import of node:fs is a live binding and would see the wrapper.)
import fs from 'node:fs';

export const writeSync = fs.writeSync;
export const openSync = fs.openSync;
export const closeSync = fs.closeSync;
export const mkdirSync = fs.mkdirSync;
export const statSync = fs.statSync;
export const readFileSync = fs.readFileSync;
export const writeFileSync = fs.writeFileSync;
export const rmSync = fs.rmSync;
export const existsSync = fs.existsSync;
export const lstatSync = fs.lstatSync;
export const fstatSync = fs.fstatSync;
export const renameSync = fs.renameSync;
export const unlinkSync = fs.unlinkSync;
export const mkdtempSync = fs.mkdtempSync;
export const readdirSync = fs.readdirSync;
export const atomicsWait = Atomics.wait;
