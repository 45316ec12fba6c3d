/**
 * What grpc-js itself allows, with none of screencap's code: a bare unary call whose answer is
 * one protobuf bytes field of `messageBytes`, with both ends in this process on 127.0.0.1, each
 * caller keeping one call in flight (as a capture client does). The serializers pass a prebuilt
 * message through untouched and the client keeps what arrives as is. With a frame-sized answer
 * it is the ceiling INLINE full frames are read against, beside raw TCP; with a small one and
 * several callers, the fixed cost of a call, which every SHARED_MEMORY frame pays.
 */
import { credentials, Server, ServerCredentials, makeGenericClientConstructor, type ChannelOptions } from '@grpc/grpc-js';
import { setTimeout as sleep } from 'node:timers/promises';

export interface GrpcLoopback {
  bytesPerSecond: number;
  /** This process's CPU time (all threads, user + system) per byte carried. */
  cpuSecondsPerByte: number;
  callsPerSecond: number;
  /** The same CPU time per call, both ends. */
  cpuSecondsPerCall: number;
}

const PATH = '/bench.Frames/Get';

/** A protobuf message holding field 1 (bytes) of `length` bytes. */
function bytesFieldMessage(length: number): Buffer {
  const header: number[] = [0x0a];
  for (let rest = length; ; rest >>>= 7) {
    if (rest < 0x80) {
      header.push(rest);
      break;
    }
    header.push((rest & 0x7f) | 0x80);
  }
  const message = Buffer.alloc(header.length + length, 0xa5);
  message.set(header, 0);
  return message;
}

/**
 * Calls for `measureMs` after `warmupMs` from `callers` loops, each one call at a time, and
 * reports the calls and the bytes of the replies received per second. `channelOptions` go to
 * both ends (e.g. grpc-node.flow_control_window).
 */
export async function measureGrpcLoopback(
  messageBytes: number,
  warmupMs: number,
  measureMs: number,
  channelOptions: ChannelOptions = {},
  callers = 1,
): Promise<GrpcLoopback> {
  const message = bytesFieldMessage(messageBytes);
  const identity = (value: Buffer) => value;
  const definition = {
    get: {
      path: PATH,
      requestStream: false,
      responseStream: false,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
    },
  } as const;
  const server = new Server(channelOptions);
  server.addService(definition, {
    get: (_call: unknown, callback: (error: null, value: Buffer) => void) => callback(null, message),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  const Client = makeGenericClientConstructor(definition, 'Frames');
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure(), {
    'grpc.max_receive_message_length': -1,
    ...channelOptions,
  }) as unknown as { get(request: Buffer, callback: (error: Error | null, reply: Buffer) => void): void; close(): void };
  const empty = Buffer.alloc(0);
  let received = 0;
  let calls = 0;
  let calling = true;
  const loops = Array.from({ length: callers }, async () => {
    while (calling) {
      const reply = await new Promise<Buffer>((resolve, reject) =>
        client.get(empty, (error, value) => (error ? reject(error) : resolve(value))),
      );
      received += reply.length;
      calls++;
    }
  });
  try {
    await sleep(warmupMs);
    const startBytes = received;
    const startCalls = calls;
    const startNs = process.hrtime.bigint();
    const startCpu = process.cpuUsage();
    await sleep(measureMs);
    const bytes = received - startBytes;
    const callCount = calls - startCalls;
    const seconds = Number(process.hrtime.bigint() - startNs) / 1e9;
    const cpu = process.cpuUsage(startCpu);
    calling = false;
    await Promise.all(loops);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    return {
      bytesPerSecond: bytes / seconds,
      cpuSecondsPerByte: cpuSeconds / bytes,
      callsPerSecond: callCount / seconds,
      cpuSecondsPerCall: cpuSeconds / callCount,
    };
  } finally {
    calling = false;
    client.close();
    server.forceShutdown();
  }
}
