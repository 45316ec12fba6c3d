/**
 * Local frame socket directories whose server is gone: a server killed before it could remove
 * its own (SIGKILL, a crash, the machine's power) leaves its directory behind, with a socket no
 * one listens on. A server removes those of its user as it makes its own, so that they do not
 * pile up in the temporary directory. A directory is removed only when all of these hold: its
 * name is a socket directory's, it is the server's user's, it holds the socket and nothing
 * else, and connecting to the socket is refused (nothing listens; a live server accepts).
 */
import fs = require('node:fs');
import net = require('node:net');
import path = require('node:path');

/** What every local frame socket's directory is named, followed by mkdtemp's six characters. */
export const SOCKET_DIRECTORY_PREFIX = 'screencap-frames-';
/** The socket's name in its directory. */
export const SOCKET_NAME = 'frames.sock';
/** The most directories looked at on one start (a full temporary directory costs no more). */
const MOST_CHECKED = 64;

/** Removes the socket directories in `parent` whose server is gone; returns how many. */
export async function removeStaleSocketDirectories(parent: string): Promise<number> {
  let names: string[];
  try {
    names = fs
      .readdirSync(parent)
      .filter((name) => name.startsWith(SOCKET_DIRECTORY_PREFIX))
      .slice(0, MOST_CHECKED);
  } catch {
    return 0; // A parent that cannot be read holds nothing of ours to remove.
  }
  let removed = 0;
  for (const name of names) {
    const directory = path.join(parent, name);
    const socketPath = path.join(directory, SOCKET_NAME);
    try {
      const directoryStat = fs.lstatSync(directory);
      if (!directoryStat.isDirectory() || directoryStat.uid !== process.getuid?.()) continue;
      const entries = fs.readdirSync(directory);
      if (entries.length !== 1 || entries[0] !== SOCKET_NAME || !fs.lstatSync(socketPath).isSocket()) continue;
    } catch {
      continue; // Gone meanwhile, or not ours to read.
    }
    if (await nobodyListens(socketPath)) {
      fs.rmSync(directory, { recursive: true, force: true });
      removed++;
    }
  }
  return removed;
}

/** Whether connecting to `socketPath` is refused: no process listens on it any more. */
function nobodyListens(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.connect(socketPath);
    probe.once('connect', () => {
      probe.destroy();
      resolve(false);
    });
    probe.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}
