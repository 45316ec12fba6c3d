/** What `screencap --version` prints: the package's version, and what this installation can do. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nativeAddonStatus } from '../codec/native-addon';

/** This file runs from dist/src/cli: the package's root is three levels up. */
const PACKAGE_JSON = join(__dirname, '..', '..', '..', 'package.json');

export function packageVersion(): string {
  return (JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { version: string }).version;
}

export function versionText(): string {
  const addon = nativeAddonStatus();
  const h264 = addon.available
    ? 'H.264 encoding and libyuv conversions by the native addon (openh264, libyuv)'
    : `no native addon (${addon.reason}): recordings are PNG frames, the live view is off`;
  return `screencap ${packageVersion()}\nnode ${process.version}; ${h264}\n`;
}
