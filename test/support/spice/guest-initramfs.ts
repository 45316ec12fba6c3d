import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { run } from './processes';

/** The kernel modules the qxl DRM driver needs, in load order. */
const QXL_MODULES = ['drm', 'ttm', 'drm_kms_helper', 'drm_ttm_helper', 'qxl'];

/** The host's Debian kernel (linux-image-amd64) and its modules directory. */
export function hostKernel(): { vmlinuz: string; modules: string } {
  const image = readdirSync('/boot').find((f) => f.startsWith('vmlinuz-'));
  if (!image) throw new Error('no /boot/vmlinuz-*: install linux-image-amd64 (scripts/setup.sh does)');
  const version = image.slice('vmlinuz-'.length);
  return { vmlinuz: join('/boot', image), modules: join('/lib/modules', version) };
}

async function findModule(modulesDir: string, name: string): Promise<string> {
  const found = (await run('find', [join(modulesDir, 'kernel/drivers/gpu/drm'), '-name', `${name}.ko`])).toString().trim().split('\n')[0];
  if (!found) throw new Error(`kernel module ${name}.ko not found under ${modulesDir} (compressed modules are not handled)`);
  return found;
}

/** Copies an executable and the shared libraries ldd lists for it into the image. */
async function copyWithLibraries(root: string, program: string): Promise<void> {
  const into = (path: string) => {
    mkdirSync(join(root, dirname(path)), { recursive: true });
    copyFileSync(path, join(root, path));
  };
  into(program);
  const ldd = (await run('ldd', [program])).toString();
  for (const match of ldd.matchAll(/(\/\S+\.so[.\d]*)/g)) into(match[1]);
}

/**
 * A minimal initramfs (busybox-static, the qxl driver, libdrm's modetest) whose /init mounts the
 * kernel's file systems, loads qxl and runs `commands` (sh); busybox's sh, mount, insmod, sleep,
 * echo and ls are there.
 */
export async function buildQxlInitramfs(dir: string, modulesDir: string, commands: readonly string[]): Promise<string> {
  const root = join(dir, 'initramfs');
  for (const d of ['bin', 'proc', 'sys', 'dev', 'modules']) mkdirSync(join(root, d), { recursive: true });
  copyFileSync('/bin/busybox', join(root, 'bin/busybox'));
  for (const applet of ['sh', 'mount', 'insmod', 'sleep', 'echo', 'ls']) symlinkSync('busybox', join(root, 'bin', applet));
  for (const name of QXL_MODULES) copyFileSync(await findModule(modulesDir, name), join(root, 'modules', `${name}.ko`));
  await copyWithLibraries(root, '/usr/bin/modetest');
  if (!existsSync(join(root, 'lib64/ld-linux-x86-64.so.2'))) throw new Error('modetest: the dynamic loader was not found by ldd');
  writeFileSync(
    join(root, 'init'),
    [
      '#!/bin/sh',
      'mount -t proc proc /proc',
      'mount -t sysfs sys /sys',
      'mount -t devtmpfs dev /dev',
      ...QXL_MODULES.map((m) => `insmod /modules/${m}.ko`),
      ...commands,
      'sleep 3600',
      '',
    ].join('\n'),
  );
  chmodSync(join(root, 'init'), 0o755);
  const image = join(dir, 'initramfs.cpio.gz');
  await run('sh', ['-c', `cd '${root}' && find . | /bin/busybox cpio -o -H newc 2>/dev/null | gzip -1 > '${image}'`]);
  return image;
}

/**
 * The guest of the cursor tests: `modetest -C` sets a mode on the QXL card and moves a 64x64 ARGB
 * hardware cursor over it. The guest's DRM cursor goes through QXL cursor commands to
 * spice-server's cursor channel.
 */
export function buildCursorInitramfs(dir: string, modulesDir: string): Promise<string> {
  // modetest -C moves its cursor until stdin gives it a line; sleep keeps stdin open.
  return buildQxlInitramfs(dir, modulesDir, ['sleep 3600 | /usr/bin/modetest -M qxl -s Virtual-1:1024x768 -C']);
}
