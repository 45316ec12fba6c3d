/** The standard gRPC health service of a running server, asked as any probe would: buf curl with reflection. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BUF = join(__dirname, '..', '..', '..', 'node_modules', '.bin', 'buf');

/** SERVING, NOT_SERVING, ... for `service` ('' is the process itself). */
export async function healthOf(address: string, service: string): Promise<string> {
  const { stdout } = await run(BUF, [
    'curl',
    '--protocol',
    'grpc',
    '--http2-prior-knowledge',
    '--reflect',
    '-d',
    JSON.stringify({ service }),
    `http://${address}/grpc.health.v1.Health/Check`,
  ]);
  return (JSON.parse(stdout) as { status: string }).status;
}
