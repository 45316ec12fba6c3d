/**
 * The ceiling grpc-js itself allows for a frame-sized reply: a bare unary call whose answer is
 * one protobuf bytes field of `messageBytes`, with both ends in this process on 127.0.0.1, one
 * call in flight at a time (as a capture client has). The serializers pass a prebuilt message
 * through untouched and the client keeps what arrives as is, so what is measured is grpc-js and
 * HTTP/2 alone, none of screencap's code: the reference INLINE full frames are read against,
 * beside raw TCP.
 */
import { credentials, Server, ServerCredentials, makeGenericClientConstructor, type ChannelOptions } from '@grpc/grpc-js';
import { setTimeout as sleep } from 'node:timers/promises';

export interface GrpcLoopback {
  bytesPerSecond: number;
  /** This process's CPU time (all threads, user + system) per byte carried. */
  cpuSecondsPerByte: number;
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
 * Calls for `measureMs` after `warmupMs`, one at a time, and reports the bytes of the replies
 * received per second. `channelOptions` go to both ends (e.g. grpc-node.flow_control_window).
 */
export async function measureGrpcLoopback(
  messageBytes: number,
  warmupMs: number,
  measureMs: number,
  channelOptions: ChannelOptions = {},
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
  let calling = true;
  const loop = (async () => {
    while (calling) {
      const reply = await new Promise<Buffer>((resolve, reject) =>
        client.get(empty, (error, value) => (error ? reject(error) : resolve(value))),
      );
      received += reply.length;
    }
  })();
  try {
    await sleep(warmupMs);
    const startBytes = received;
    const startNs = process.hrtime.bigint();
    const startCpu = process.cpuUsage();
    await sleep(measureMs);
    const bytes = received - startBytes;
    const seconds = Number(process.hrtime.bigint() - startNs) / 1e9;
    const cpu = process.cpuUsage(startCpu);
    calling = false;
    await loop;
    return { bytesPerSecond: bytes / seconds, cpuSecondsPerByte: (cpu.user + cpu.system) / 1e6 / bytes };
  } finally {
    calling = false;
    client.close();
    server.forceShutdown();
  }
}
