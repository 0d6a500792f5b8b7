// A block's profile by call path, as a flame chart: the outermost frame on top, each frame as wide as
// its share of the block. The paths come from the builder (../marks.ts callPaths): today each profile
// site, with the stack of the heaviest; a later agent that records a path per site fills in the rest.
import type { ProfilePath } from '../model.js';
import { frameText, type Report } from './data.js';
import { el } from './dom.js';
import { percent } from './format.js';

interface Node {
  frame: number;
  share: number;
  samples: number;
  children: Map<number, Node>;
}

function tree(paths: ProfilePath[]): Node {
  const root: Node = { frame: -1, share: 0, samples: 0, children: new Map() };
  for (const p of paths) {
    root.share += p.share;
    root.samples += p.samples ?? 0;
    let at = root;
    for (const f of p.path) {
      let next = at.children.get(f);
      if (!next) at.children.set(f, (next = { frame: f, share: 0, samples: 0, children: new Map() }));
      next.share += p.share;
      next.samples += p.samples ?? 0;
      at = next;
    }
  }
  return root;
}

const ROW = 20;

export function flameChart(paths: ProfilePath[], report: Report, onPick: (text: string) => void): HTMLElement | null {
  if (paths.length === 0) return null;
  const root = tree(paths);
  const total = Math.max(root.share, 1);
  const box = el('div', { class: 'flame', attrs: { role: 'group', 'aria-label': 'profile by call path' } });
  let depth = 0;
  const place = (node: Node, left: number, level: number) => {
    depth = Math.max(depth, level + 1);
    const f = report.frame(node.frame);
    const width = node.share / total;
    const label = f ? f.fn : '?';
    const text = `${label} · ${f ? frameText(f) : ''} · ${percent(node.share)} of the block${node.samples ? ` (${node.samples} reads)` : ''}`;
    const cell = el('button', { class: `flame-cell${f?.internal ? ' internal' : ''}`, title: text, attrs: { type: 'button' } }, label);
    cell.style.left = `${left * 100}%`;
    cell.style.width = `calc(${width * 100}% - 1px)`;
    cell.style.top = `${level * ROW}px`;
    cell.addEventListener('click', () => onPick(text));
    box.appendChild(cell);
    let x = left;
    for (const child of [...node.children.values()].sort((a, b) => b.share - a.share)) {
      place(child, x, level + 1);
      x += child.share / total;
    }
  };
  let x = 0;
  for (const child of [...root.children.values()].sort((a, b) => b.share - a.share)) {
    place(child, x, 0);
    x += child.share / total;
  }
  box.style.height = `${depth * ROW}px`;
  return box;
}
