/**
 * The page's files: index.html and viewer.css as written (src/clients/viewer/page), and its
 * scripts as the build compiled them (ES modules in dist/viewer-page, from the page's own
 * tsconfig). Read once and kept in memory: they are small and never change while serving.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface PageFile {
  body: Buffer;
  contentType: string;
}

/** This file runs from dist/src/clients/viewer; the project's root is four levels up. */
const PROJECT_ROOT = resolve(__dirname, '../../../..');
const SOURCE_DIR = join(PROJECT_ROOT, 'src/clients/viewer/page');
const SCRIPT_DIR = join(PROJECT_ROOT, 'dist/viewer-page');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
};

/** Every .js file under `dir`, as paths relative to it. */
function scriptsUnder(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((entry) => {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) return scriptsUnder(dir, relative);
    return entry.name.endsWith('.js') ? [relative] : [];
  });
}

/** URL path -> file on disk. Scripts keep their relative layout so that their imports resolve. */
function routes(): Record<string, string> {
  if (!existsSync(join(SCRIPT_DIR, 'page/main.js'))) {
    throw new Error(`the viewer page's scripts are missing from ${SCRIPT_DIR}: build the project (npm run build)`);
  }
  return {
    '/': join(SOURCE_DIR, 'index.html'),
    '/viewer.css': join(SOURCE_DIR, 'viewer.css'),
    ...Object.fromEntries(scriptsUnder(SCRIPT_DIR).map((relative) => [`/js/${relative}`, join(SCRIPT_DIR, relative)])),
  };
}

export class PageFiles {
  private readonly files = new Map<string, PageFile>();

  /** Loads every file; throws when the page was not built. */
  constructor() {
    for (const [urlPath, file] of Object.entries(routes())) {
      const extension = file.slice(file.lastIndexOf('.'));
      this.files.set(urlPath, { body: readFileSync(file), contentType: CONTENT_TYPES[extension] ?? 'application/octet-stream' });
    }
  }

  get(urlPath: string): PageFile | undefined {
    return this.files.get(urlPath === '/index.html' ? '/' : urlPath);
  }
}
