// A `.cpuprofile` (the format Chrome DevTools, VS Code and speedscope open) of one block, built from the
// stack reads the watchdog takes while the thread is blocked: no profiler runs in the app's thread.
// Each read is one sample; its time delta is the time since the previous read.
import { closeSync, writeSync } from '../../original.js';
import { createNewFile, ensureDir } from '../../private-files.js';
import { join } from 'node:path';
import type { Frame } from '../../finding.js';

interface CallFrame {
  functionName: string;
  scriptId: string;
  url: string;
  /** 0-based, as the format has it. */
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount: number;
  children: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSample {
  /** Innermost first, as read. */
  frames: Frame[];
  /** Epoch ms of the read. */
  at: number;
}

/** The profile of samples taken from `startMs` on (epoch ms); times in the format's microseconds. */
export function buildCpuProfile(samples: ProfileSample[], startMs: number, endMs: number): CpuProfile {
  const root: ProfileNode = { id: 1, callFrame: { functionName: '(root)', scriptId: '0', url: '', lineNumber: -1, columnNumber: -1 }, hitCount: 0, children: [] };
  const nodes: ProfileNode[] = [root];
  const childIndex = new Map<string, number>();
  const scripts = new Map<string, string>();
  const scriptId = (file: string) => {
    let id = scripts.get(file);
    if (!id) scripts.set(file, (id = String(scripts.size + 1)));
    return id;
  };
  const out: CpuProfile = { nodes, startTime: Math.round(startMs * 1000), endTime: Math.round(endMs * 1000), samples: [], timeDeltas: [] };
  let last = startMs;
  for (const s of samples) {
    let parent = root;
    // Outermost first down the tree.
    for (let i = s.frames.length - 1; i >= 0; i--) {
      const f = s.frames[i] as Frame;
      const key = `${parent.id}|${f.file}|${f.line}|${f.column}|${f.function}`;
      let id = childIndex.get(key);
      if (id === undefined) {
        id = nodes.length + 1;
        const url = f.file.startsWith('/') ? `file://${f.file}` : f.file;
        nodes.push({ id, callFrame: { functionName: f.function, scriptId: scriptId(f.file), url, lineNumber: f.line - 1, columnNumber: f.column - 1 }, hitCount: 0, children: [] });
        parent.children.push(id);
        childIndex.set(key, id);
      }
      parent = nodes[id - 1] as ProfileNode;
    }
    parent.hitCount++;
    out.samples.push(parent.id);
    out.timeDeltas.push(Math.max(0, Math.round((s.at - last) * 1000)));
    last = s.at;
  }
  return out;
}

/** Profiles one process writes at most: a server that blocks all day must not fill the disk with them. */
export const MAX_CPU_PROFILES = 100;
let profilesWritten = 0;

/** Writes the profile as `<dir>/asyncdebug-<pid>-<id>.cpuprofile`; the path, or null if it could not. */
export function writeCpuProfile(dir: string, id: string, profile: CpuProfile): string | null {
  if (profilesWritten >= MAX_CPU_PROFILES) return null;
  profilesWritten++;
  try {
    ensureDir(dir);
    const path = join(dir, `asyncdebug-${process.pid}-${id}.cpuprofile`);
    // A new private file, never one that exists or a symlink (docs/security.md).
    const fd = createNewFile(path, 0o600);
    try {
      writeSync(fd, JSON.stringify(profile));
    } finally {
      closeSync(fd);
    }
    return path;
  } catch {
    return null;
  }
}
