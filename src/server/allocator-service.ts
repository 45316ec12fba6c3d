/** The Allocator service: buffer collections. */
import { BufferTransport, type AllocatorServer } from '../gen/screencapture/v1/allocator.pb';
import type { Logger } from '../util/logger';
import { unaryHandler } from './call-handler';
import type { CaptureManager } from './capture-manager';
import { invalid, missing } from './errors';
import { SharedMemoryFile } from './shared-memory';

export function allocatorService(manager: CaptureManager, logger: Logger, options: { sharedMemory: boolean }): AllocatorServer {
  return {
    registerBufferCollection: unaryHandler(logger, 'RegisterBufferCollection', (request, call) =>
      manager.withSession(request.sessionId, (session) => {
        if (request.bufferCount === 0) throw missing('buffer_count');
        if (request.transport === BufferTransport.BUFFER_TRANSPORT_UNSPECIFIED) throw missing('transport');
        if (request.transport === BufferTransport.BUFFER_TRANSPORT_INLINE) {
          if (request.sharedMemory) throw invalid('shared_memory', 'must not be set with transport INLINE');
          return { importToken: manager.registerCollection(session, request.bufferCount, 'inline').importToken };
        }
        if (request.transport === BufferTransport.BUFFER_TRANSPORT_SHARED_MEMORY) {
          if (!options.sharedMemory) throw invalid('transport', 'this server does not serve SHARED_MEMORY (turned off); use INLINE');
          const collection = manager.registerCollection(session, request.bufferCount, 'shared-memory', (bufferCount) =>
            SharedMemoryFile.open(request.sharedMemory, bufferCount, call.getPeer()),
          );
          logger.debug('shared memory opened', {
            session: session.label,
            path: collection.sharedMemory?.path,
            buffers: collection.bufferCount,
          });
          return { importToken: collection.importToken };
        }
        throw invalid('transport', `unknown transport ${request.transport}`);
      }),
    ),

    releaseBufferCollection: unaryHandler(logger, 'ReleaseBufferCollection', (request) =>
      manager.withSession(request.sessionId, (session) => {
        manager.releaseCollection(session, request.importToken);
        return {};
      }),
    ),
  };
}
