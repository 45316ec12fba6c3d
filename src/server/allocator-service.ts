/** The Allocator service: buffer collections. */
import { BufferTransport, type AllocatorServer } from '../gen/screencapture/v1/allocator.pb';
import type { Logger } from '../util/logger';
import { unaryHandler } from './call-handler';
import type { CaptureManager } from './capture-manager';
import { invalid, missing } from './errors';

export function allocatorService(manager: CaptureManager, logger: Logger): AllocatorServer {
  return {
    registerBufferCollection: unaryHandler(logger, 'RegisterBufferCollection', (request) =>
      manager.withSession(request.sessionId, (session) => {
        if (request.bufferCount === 0) throw missing('buffer_count');
        if (request.transport === BufferTransport.BUFFER_TRANSPORT_UNSPECIFIED) throw missing('transport');
        if (request.transport === BufferTransport.BUFFER_TRANSPORT_SHARED_MEMORY) {
          throw invalid('transport', 'SHARED_MEMORY is not served yet; use INLINE');
        }
        if (request.transport !== BufferTransport.BUFFER_TRANSPORT_INLINE) {
          throw invalid('transport', `unknown transport ${request.transport}`);
        }
        const collection = manager.registerCollection(session, request.bufferCount, 'inline');
        return { importToken: collection.importToken };
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
