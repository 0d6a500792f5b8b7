// Whose a sync call is, from the stack it was made on (innermost first, the caller of the API first):
// - Node calling on its own behalf (its loader reading a module, its internals): nobody's finding;
// - a module loader loading the app's modules: the frame that called the API is a loader's, or a
//   loader's frames stand between the call and the app's frame (a require hook like pirates or tsx,
//   vite-node resolving an `import`). The loader's, at that frame, in the `module-load` phase: the
//   app's `import` line did not make the call, and an allow-list glob of node_modules matches it;
// - code that Node's loader runs (a module's top level, required lazily after start-up): not reported,
//   as the top level of the entry modules is not;
// - else the app's, at its first application frame (a library it called included). No application
//   frame at all: a library's own machinery (a worker pool waiting for work), nobody's finding.
import type { Frame } from '../../finding.js';
import { isAppFrame, isLazyLoading, isModuleLoading } from '../../frames/frames.js';
import { isLoaderFrame } from '../../frames/loaders.js';

export interface SyncAttribution {
  site: Frame;
  /** The call was a module loader's, made while loading modules for the app. */
  moduleLoad: boolean;
}

export function attributeSyncCall(frames: Frame[]): SyncAttribution | null {
  const caller = frames[0];
  if (!caller || caller.file.startsWith('node:')) return null;
  const app = frames.findIndex(isAppFrame);
  if (app < 0) return null;
  for (let i = 0; i < app; i++) if (isLoaderFrame(frames[i] as Frame)) return { site: caller, moduleLoad: true };
  if (isModuleLoading(frames) || isLazyLoading(frames)) return null;
  return { site: frames[app] as Frame, moduleLoad: false };
}
