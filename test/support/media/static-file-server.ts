import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A minimal HTTP server on 127.0.0.1 (random port) serving fixed files, with single byte-range
 * support: browsers fetch media with Range requests and only seek in files served that way.
 */

export interface ServedFile {
  /** File on disk, or inline content. */
  path?: string;
  body?: string;
  contentType: string;
}

export interface StaticFileServer {
  /** Base URL, without trailing slash. */
  url: string;
  close(): Promise<void>;
}

async function serveFile(request: IncomingMessage, response: ServerResponse, file: ServedFile): Promise<void> {
  if (file.body !== undefined) {
    response.writeHead(200, { 'content-type': file.contentType, 'content-length': Buffer.byteLength(file.body) });
    response.end(file.body);
    return;
  }
  const { size } = await stat(file.path!);
  const range = /^bytes=(\d*)-(\d*)$/.exec(request.headers.range ?? '');
  let start = 0;
  let end = size - 1;
  if (range !== null) {
    if (range[1] === '') {
      start = Math.max(0, size - Number(range[2]));
    } else {
      start = Number(range[1]);
      if (range[2] !== '') end = Math.min(end, Number(range[2]));
    }
    if (start > end) {
      response.writeHead(416, { 'content-range': `bytes */${size}` });
      response.end();
      return;
    }
  }
  const headers = {
    'content-type': file.contentType,
    'content-length': end - start + 1,
    'accept-ranges': 'bytes',
    ...(range !== null ? { 'content-range': `bytes ${start}-${end}/${size}` } : {}),
  };
  response.writeHead(range !== null ? 206 : 200, headers);
  createReadStream(file.path!, { start, end }).pipe(response);
}

/** Serves `files` (keyed by URL path, e.g. "/video.mp4"); anything else is a 404. */
export async function startStaticFileServer(files: Record<string, ServedFile>): Promise<StaticFileServer> {
  const server = createServer((request, response) => {
    const file = files[new URL(request.url ?? '/', 'http://127.0.0.1').pathname];
    if (file === undefined) {
      response.writeHead(404);
      response.end();
      return;
    }
    serveFile(request, response, file).catch(() => response.destroy());
  });
  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
