export { CaptureServer, type CaptureServerOptions } from './capture-server';
export { DEFAULT_LIMITS, MAX_BUFFER_COUNT, MAX_IMAGE_SIDE, type ServerLimits } from './limits';
export { DEFAULT_LISTEN, isLoopback, parseListenAddress } from './listen-address';
