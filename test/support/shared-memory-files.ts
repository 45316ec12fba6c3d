/**
 * What a process holds of SHARED_MEMORY buffer files, from /proc: the mappings (each mmap of a
 * file is one line of /proc/PID/maps) and the open descriptors. Unlinked files show as
 * "path (deleted)"; both helpers give the path without that suffix.
 */
import fs from 'node:fs';

const DELETED = ' (deleted)';

function withoutDeleted(file: string): string {
  return file.endsWith(DELETED) ? file.slice(0, -DELETED.length) : file;
}

/** The files of the mappings of process `pid` (this one by default) that `matches` accepts, one entry per mapping. */
export function mappingsOf(matches: (file: string) => boolean, pid: number | 'self' = 'self'): string[] {
  const found: string[] = [];
  for (const line of fs.readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n')) {
    // address perms offset device inode path: the path starts after the fifth field.
    const file = /^\S+\s+\S+\s+\S+\s+\S+\s+\d+\s+(.+)$/.exec(line)?.[1];
    if (file !== undefined && matches(withoutDeleted(file))) found.push(withoutDeleted(file));
  }
  return found;
}

/** The files of the open descriptors of process `pid` (this one by default) that `matches` accepts. */
export function descriptorsOf(matches: (file: string) => boolean, pid: number | 'self' = 'self'): string[] {
  const found: string[] = [];
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      const target = withoutDeleted(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (matches(target)) found.push(target);
    } catch {
      // closed meanwhile (the readdir's own descriptor)
    }
  }
  return found;
}
