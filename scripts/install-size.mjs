// What a plain install of this package brings (`npm run size`, needs the npm registry): packs it, installs
// the tarball into an empty project of a temporary directory, and prints the packages installed and their
// size: on disk (blocks, as `du` counts) and in bytes of files.
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const dir = mkdtempSync(join(tmpdir(), 'asyncdebug-size-'));
try {
  const packed = JSON.parse(execFileSync(npm, ['pack', '--json', '--pack-destination', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));
  const tarball = join(dir, packed[0].filename);
  const project = join(dir, 'project');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), '{ "name": "size-probe", "version": "1.0.0", "private": true }\n');
  execFileSync(npm, ['install', tarball, '--no-audit', '--no-fund', '--loglevel=error'], { cwd: project, stdio: 'inherit' });
  const packages = execFileSync(npm, ['ls', '--all', '--parseable'], { cwd: project, encoding: 'utf8' }).trim().split('\n').length - 1;
  let bytes = 0;
  let blocks = 0;
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = lstatSync(p);
      blocks += st.blocks * 512;
      if (st.isDirectory()) walk(p);
      else bytes += st.size;
    }
  };
  walk(join(project, 'node_modules'));
  const mb = (n) => `${(n / 1e6).toFixed(1)} MB`;
  console.log(`${packed[0].filename}: ${mb(packed[0].size)} packed, ${packed[0].entryCount} files`);
  console.log(`npm install: ${packages} packages (asyncdebug and ${packages - 1} dependencies), ${mb(blocks)} on disk, ${mb(bytes)} of files`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
