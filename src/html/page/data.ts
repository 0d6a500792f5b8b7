// The model embedded in the page (../model.ts), read once, with the lookups every view needs.
import type { FrameRef, Mark, ReportModel, StackRef } from '../model.js';

export interface FrameView {
  file: string;
  line: number;
  column: number;
  fn: string;
  /** Node's own code or a dependency's: shown dimmed. */
  internal: boolean;
}

export class Report {
  /** Marks of each thread, in time order (indexes into model.marks). */
  readonly byThread: number[][];

  constructor(readonly model: ReportModel) {
    this.byThread = model.threads.map(() => []);
    model.marks.forEach((m, i) => this.byThread[m.thread]?.push(i));
  }

  frame(ref: FrameRef): FrameView | null {
    const t = this.model.frames[ref];
    if (!t) return null;
    const file = this.model.strings[t[0]] ?? '?';
    return { file, line: t[1], column: t[2], fn: this.model.strings[t[3]] ?? '<anonymous>', internal: file.startsWith('node:') || file.includes('node_modules/') };
  }

  stack(ref: StackRef): FrameView[] {
    return (this.model.stacks[ref] ?? []).map((r) => this.frame(r)).filter((f): f is FrameView => f !== null);
  }

  mark(i: number): Mark | undefined {
    return this.model.marks[i];
  }
}

export function frameText(f: FrameView | null): string {
  return f ? `${f.file}:${f.line}:${f.column}` : 'no application frame';
}

/** Kinds in the order the page lists them, with their colours (kinds.ts's, as CSS colours). */
export const KIND_COLORS: Record<string, string> = {
  block: '#dc2626',
  'sync-io': '#ca8a04',
  'atomics-wait': '#a16207',
  'threadpool-saturation': '#2563eb',
  'large-message': '#0891b2',
  unawaited: '#0d9488',
  'unhandled-rejection': '#c026d3',
  'never-settled': '#9333ea',
};

export function kindColor(kind: string): string {
  return KIND_COLORS[kind] ?? '#6b7280';
}

/** The model the builder embedded (../render-html.ts): gzipped JSON in base64; null when it is not one. */
export async function readModel(): Promise<ReportModel | null> {
  const node = document.getElementById('asyncdebug-data');
  if (!node?.textContent || node.dataset.encoding !== 'gzip+base64') return null;
  const binary = atob(node.textContent.trim());
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  const json = await new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'))).text();
  const model = JSON.parse(json) as ReportModel;
  return model.format === 1 ? model : null;
}
