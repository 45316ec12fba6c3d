export { CaptureServer, type CaptureServerOptions } from './capture-server';
export { MAX_IMAGE_SIDE } from '../core/limits';
export { DEFAULT_LIMITS, MAX_BUFFER_COUNT, type ServerLimits } from './limits';
export { DEFAULT_LISTEN, isLoopback, parseListenAddress } from '../util/listen-address';
