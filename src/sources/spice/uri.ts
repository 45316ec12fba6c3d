/** Where a SPICE server listens, as given on the command line. */
export interface SpiceAddress {
  host: string;
  port: number;
  tls: boolean;
}

/**
 * Parses `spice://host:port` or `spice+tls://host:port` (IPv6 hosts in brackets). The port is
 * required: SPICE has no registered default, and guessing one would connect to the wrong VM.
 */
export function parseSpiceUri(uri: string): SpiceAddress {
  if (typeof uri !== 'string') throw new TypeError('SPICE URI must be a string');
  const match = /^(spice|spice\+tls):\/\/(\[[^\]]+\]|[^:/?#[\]]+):(\d+)\/?$/i.exec(uri.trim());
  if (!match) {
    throw new TypeError(`SPICE URI "${uri}" must look like spice://host:port or spice+tls://host:port`);
  }
  const port = Number(match[3]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new TypeError(`SPICE URI "${uri}": port must be between 1 and 65535, got ${match[3]}`);
  }
  const host = match[2].startsWith('[') ? match[2].slice(1, -1) : match[2];
  return { host, port, tls: match[1].toLowerCase() === 'spice+tls' };
}
