/**
 * The package as people install it: packed from a copy of the repository (npm runs `prepare`,
 * which builds dist/), installed from the tarball into a scratch ES-module project and a scratch
 * CommonJS project (npm runs `install`, which builds the native addon), type-checked there with
 * TypeScript's `nodenext` resolution, and run: the README's example, as written, against a
 * server each project starts from `screencap/server`.
 */
import { strict as assert } from 'node:assert';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..', '..', '..');
const TSC = path.join(ROOT, 'node_modules', '.bin', 'tsc');

/** The README's TypeScript example, exactly as the README shows it. */
function readmeExample(): string {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const block = /```ts\n(import \{ CaptureClient \} from 'screencap';[\s\S]*?)```/.exec(readme);
  assert.ok(block, 'the README has a TypeScript example importing screencap');
  return block[1];
}

/** A scratch project of one module system, inside the folder the package was installed in. */
function scratchProject(dir: string, type: 'module' | 'commonjs', address: string): void {
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `scratch-${type}`, private: true, type }));
  fs.writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'ES2022',
        strict: true,
        skipLibCheck: false,
        types: ['node'],
        typeRoots: [path.join(ROOT, 'node_modules', '@types')],
      },
      files: ['example.ts'],
    }),
  );
  // The only change to the example: the address of the server this test started.
  fs.writeFileSync(path.join(dir, 'example.ts'), readmeExample().replace("'127.0.0.1:50051'", `'${address}'`));
}

/** A server started from the package's `screencap/server` entry, in a module system's own syntax. */
async function startServer(dir: string, type: 'module' | 'commonjs'): Promise<{ child: ChildProcess; address: string }> {
  const file = path.join(dir, type === 'module' ? 'serve.mjs' : 'serve.cjs');
  const load =
    type === 'module'
      ? "import { CaptureServer, SyntheticDesktop } from 'screencap/server';"
      : "const { CaptureServer, SyntheticDesktop } = require('screencap/server');";
  fs.writeFileSync(
    file,
    `${load}
CaptureServer.start({ source: new SyntheticDesktop({ width: 320, height: 240 }), listen: '127.0.0.1:0' }).then((server) => {
  console.log(server.address);
  process.on('SIGTERM', () => server.stop().then(() => process.exit(0)));
});
`,
  );
  const child = spawn(process.execPath, [file], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d) => (log += d));
  const address = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const line = /^(127\.0\.0\.1:\d+)\n/.exec(out);
      if (line) resolve(line[1]);
    });
    child.on('close', (code) => reject(new Error(`${file} exited with ${code} before listening: ${log}`)));
  });
  return { child, address };
}

describe('the package, packed, installed and used from ESM and CommonJS', function () {
  this.timeout(600_000);
  let work: string;
  let installed: string;
  const servers: ChildProcess[] = [];

  before(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'screencap-package-'));
    // A copy of the sources, as a clone would have them: no dist/, no native build.
    const copy = path.join(work, 'repository');
    const { stdout: tracked } = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
      cwd: ROOT,
      maxBuffer: 16 << 20,
    });
    for (const file of tracked.split('\0').filter(Boolean)) {
      fs.mkdirSync(path.dirname(path.join(copy, file)), { recursive: true });
      fs.copyFileSync(path.join(ROOT, file), path.join(copy, file));
    }
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'));
    const { stdout: packed } = await run('npm', ['pack', '--silent', '--pack-destination', work], { cwd: copy, maxBuffer: 16 << 20 });
    const tarball = path.join(work, packed.trim().split('\n').pop()!);
    installed = path.join(work, 'projects');
    fs.mkdirSync(installed);
    fs.writeFileSync(path.join(installed, 'package.json'), JSON.stringify({ name: 'scratch', private: true }));
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball], {
      cwd: installed,
      maxBuffer: 16 << 20,
    });
  });

  after(async () => {
    for (const child of servers) {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'close');
      }
    }
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('installs with its build: the library, the server entry, the viewer page, the native addon and the command', async () => {
    const pkg = path.join(installed, 'node_modules', 'screencap');
    for (const file of [
      'dist/src/clients/index.js',
      'dist/src/clients/index.d.ts',
      'dist/src/embedding/index.js',
      'dist/viewer-page/page/main.js',
      'src/gen/descriptors.binpb',
      'native/build/Release/screencap_native.node',
    ]) {
      assert.ok(fs.existsSync(path.join(pkg, file)), `${file} is installed`);
    }
    assert.ok(!fs.existsSync(path.join(pkg, 'dist', 'test')), 'the tests are not shipped');
    const typings = fs.readFileSync(path.join(pkg, 'dist/src/clients/capture-client.d.ts'), 'utf8');
    assert.doesNotMatch(typings, /allocator|preferSharedMemory|@internal/, 'no internals in the published types');
    const { stdout } = await run(path.join(installed, 'node_modules', '.bin', 'screencap'), ['--help'], { cwd: installed });
    assert.match(stdout, /serve/);
  });

  for (const type of ['module', 'commonjs'] as const) {
    it(`runs the README example as written in a ${type === 'module' ? 'ES module' : 'CommonJS'} project (nodenext typings)`, async () => {
      const dir = path.join(installed, type);
      const server = await startServer(installed, type);
      servers.push(server.child);
      scratchProject(dir, type, server.address);
      await run(TSC, ['-p', path.join(dir, 'tsconfig.json')], { cwd: dir });
      const { stdout } = await run(process.execPath, [path.join(dir, 'example.js')], { cwd: dir });
      // A line a frame: its number, its capture time, its damage (which console.log may carry
      // over onto more lines when it has several rectangles); the first covers the screen.
      const lines = stdout.split('\n').filter((line) => /^\d+ \d+(\.\d+)? \[/.test(line));
      assert.ok(lines.length >= 2, `frames printed: ${stdout}`);
      assert.match(lines[0], /width: 1280, height: 720/, 'the first frame is damaged all over');
      const numbers = lines.map((line) => Number(line.split(' ')[0]));
      assert.ok(
        numbers.every((n, i) => i === 0 || n > numbers[i - 1]),
        `frame numbers increase: ${numbers.join(' ')}`,
      );
    });
  }
});
