// The model's shared tables: each string, frame and stack is kept once and referred to by index.
import type { FrameRef, FrameTuple, StackRef } from './model.js';
import { cleanLine } from './text.js';
import { relativeFile } from '../cli/sites.js';

/** At most this many frames of a stack are kept (innermost first). */
export const MAX_STACK = 48;

export interface FrameLike {
  file: string;
  line: number;
  column: number;
  function: string;
}

/** Whether a value has a frame's shape (`{file, line, column, function}`, contract frames). */
export function isFrame(value: unknown): value is FrameLike {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.file === 'string' && typeof v.line === 'number' && Number.isFinite(v.line);
}

export function isFrameList(value: unknown): value is FrameLike[] {
  return Array.isArray(value) && value.length > 0 && value.every(isFrame);
}

export class Tables {
  readonly strings: string[] = [];
  readonly frames: FrameTuple[] = [];
  readonly stacks: FrameRef[][] = [];
  private readonly stringIndex = new Map<string, number>();
  private readonly frameIndex = new Map<string, FrameRef>();
  private readonly stackIndex = new Map<string, StackRef>();

  constructor(private readonly root: string) {}

  string(text: string): number {
    let i = this.stringIndex.get(text);
    if (i === undefined) {
      i = this.strings.push(text) - 1;
      this.stringIndex.set(text, i);
    }
    return i;
  }

  /** The frame's index; files are shown relative to the root. -1 for a value that is not a frame. */
  frame(value: unknown): FrameRef {
    if (!isFrame(value)) return -1;
    const column = typeof value.column === 'number' && Number.isFinite(value.column) ? value.column : 0;
    const tuple: FrameTuple = [this.string(cleanLine(relativeFile(this.root, value.file), 500)), value.line, column, this.string(cleanLine(value.function || '<anonymous>', 300))];
    const key = tuple.join(':');
    let i = this.frameIndex.get(key);
    if (i === undefined) {
      i = this.frames.push(tuple) - 1;
      this.frameIndex.set(key, i);
    }
    return i;
  }

  /** The stack's index (innermost first, at most MAX_STACK frames); -1 when it has no frame. */
  stack(values: unknown): StackRef {
    if (!Array.isArray(values)) return -1;
    const refs = values.slice(0, MAX_STACK).map((v) => this.frame(v)).filter((r) => r >= 0);
    if (refs.length === 0) return -1;
    const key = refs.join(',');
    let i = this.stackIndex.get(key);
    if (i === undefined) {
      i = this.stacks.push(refs) - 1;
      this.stackIndex.set(key, i);
    }
    return i;
  }

  /** `file:line:column function` of a frame, for facts. */
  frameText(value: FrameLike): string {
    return `${cleanLine(relativeFile(this.root, value.file), 500)}:${value.line}:${value.column ?? 0} ${cleanLine(value.function || '<anonymous>', 300)}`;
  }
}
