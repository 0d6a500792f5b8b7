// Colors for the CLI's own output: chalk at the level NO_COLOR / FORCE_COLOR / the stream's TTY give.
import { Chalk, type ChalkInstance } from 'chalk';
import { isatty } from 'node:tty';
import { colorLevel } from '../reporters/console-format.js';

export function chalkFor(fd: 1 | 2, env: NodeJS.ProcessEnv = process.env): ChalkInstance {
  return new Chalk({ level: colorLevel(env, isatty(fd)) });
}

export function isTTY(fd: 1 | 2): boolean {
  return isatty(fd);
}
