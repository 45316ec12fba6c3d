/**
 * A gRPC proxy on 127.0.0.1 that forwards ScreenCapture and Allocator calls, byte for byte, to a
 * real server and logs which methods were called. Without StreamFrames it is a server from before
 * that method: grpc-js answers it UNIMPLEMENTED, as an older server does.
 */
import {
  credentials,
  Client,
  Server,
  ServerCredentials,
  type Metadata,
  type ServerDuplexStream,
  type ServiceDefinition,
  type ServiceError,
  type StatusObject,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { AllocatorService } from '../../src/gen/screencapture/v1/allocator.pb';
import { ScreenCaptureService } from '../../src/gen/screencapture/v1/screen_capture.pb';

const bytes = (value: Buffer) => value;

export class ForwardingServer {
  private constructor(
    private readonly server: Server,
    private readonly upstream: Client,
    readonly address: string,
    /** Paths of the calls it forwarded, in order. */
    readonly calls: string[],
  ) {}

  static async start(upstreamAddress: string, options: { streamFrames: boolean }): Promise<ForwardingServer> {
    const upstream = new Client(upstreamAddress, credentials.createInsecure(), { 'grpc.max_receive_message_length': -1 });
    const server = new Server({ 'grpc.max_receive_message_length': -1 });
    const calls: string[] = [];
    for (const service of [ScreenCaptureService, AllocatorService]) {
      const definition: Record<string, ServiceDefinition[string]> = {};
      const implementation: UntypedServiceImplementation = {};
      for (const [name, method] of Object.entries(service)) {
        const { path, requestStream, responseStream } = method;
        if (path === ScreenCaptureService.streamFrames.path && !options.streamFrames) continue;
        definition[name] = {
          path,
          requestStream,
          responseStream,
          requestSerialize: bytes,
          requestDeserialize: bytes,
          responseSerialize: bytes,
          responseDeserialize: bytes,
        };
        implementation[name] = requestStream
          ? (call: ServerDuplexStream<Buffer, Buffer>) => {
              calls.push(path);
              const up = upstream.makeBidiStreamRequest(path, bytes, bytes, call.metadata);
              call.on('data', (message: Buffer) => up.write(message));
              call.on('end', () => up.end());
              call.on('cancelled', () => up.cancel());
              up.on('data', (message: Buffer) => call.write(message));
              up.on('error', (error: ServiceError) => call.emit('error', error));
              up.on('status', (status: StatusObject) => {
                if (status.code === 0) call.end();
              });
            }
          : (call: { request: Buffer; metadata: Metadata }, callback: (error: ServiceError | null, reply?: Buffer) => void) => {
              calls.push(path);
              upstream.makeUnaryRequest(path, bytes, bytes, call.request, call.metadata, callback);
            };
      }
      server.addService(definition, implementation);
    }
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
    return new ForwardingServer(server, upstream, `127.0.0.1:${port}`, calls);
  }

  /** How many calls of `method` ("StreamFrames", "GetNextFrame", ...) it forwarded. */
  count(method: string): number {
    return this.calls.filter((path) => path.endsWith(`/${method}`)).length;
  }

  stop(): Promise<void> {
    this.upstream.close();
    this.server.forceShutdown();
    return Promise.resolve();
  }
}
